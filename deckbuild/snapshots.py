"""Recorded outputs, committed beside the slides: any change of an output fails until `make accept` records it."""

import json
import os
import re
from pathlib import Path

from . import config, tags
from .cells import Cell, CellResult
from .compare import diff
from .errors import SnapshotError

ACCEPT_HINT = "read the output below, then record it with `make accept`"


def folder(deck: Path) -> Path:
    """snapshots/ beside the deck; under another value of the configuration's snapshot_variant setting
    (another data set, say), a sub-folder of its own, so those outputs are recorded apart."""
    base = deck.parent / "snapshots"
    variant = config.for_deck(deck.parent).snapshot_variant
    if variant is None:
        return base
    value = os.environ.get(variant.env, "")
    if value not in variant.default and not re.fullmatch(r"[\w-][\w.-]*", value):
        raise SnapshotError(f"{variant.env}={value!r} cannot name a snapshot folder (letters, digits, . - _)")
    return base if value in variant.default else base / variant.folder.replace("{value}", value)


def record(cell: Cell, result: CellResult) -> dict:
    entry = {"kind": cell.kind, "code": tags.of(cell).recorded(cell), "output": result.text.splitlines()}
    if len(result.text) < result.chars:
        entry["full_output_sha256"] = result.digest
    return entry


def load(path: Path) -> list[dict] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))["cells"]
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError) as e:
        raise SnapshotError(f"unreadable snapshot file: {e}; re-record it with `make accept`") from None


def check(deck: Path, chapter: str, cells: list[Cell], results: list[CellResult]) -> None:
    """Fail on the first cell whose output differs from its recording, or when recordings are missing or stale."""
    path = folder(deck) / f"{chapter}.json"
    recorded = load(path)
    if recorded is None:
        raise SnapshotError(
            f"no recorded outputs for chapter {chapter} ({path}); {ACCEPT_HINT}", cells[0].where
        )
    unused = list(recorded)
    for cell, result in zip(cells, results, strict=True):
        now = record(cell, result)
        match = next((r for r in unused if r["kind"] == now["kind"] and r["code"] == now["code"]), None)
        if match is None:
            shown = "\n".join(f"  {line}" for line in now["output"][:20]) or "  (no output)"
            raise SnapshotError(
                f"new {cell.kind} has no recorded output; {ACCEPT_HINT}", cell.where, "output:\n" + shown
            )
        unused.remove(match)
        if match != now:
            detail = diff("\n".join(match["output"]), "\n".join(now["output"]), ("recorded", "now"))
            if not detail:
                detail = "(the part of the output beyond the slide's cut changed)"
            raise SnapshotError(f"output changed since it was recorded; {ACCEPT_HINT}", cell.where, detail)
    if unused:
        first = "\n".join(unused[0]["code"][:3])
        raise SnapshotError(
            f"{len(unused)} recorded cell(s) of {path} are no longer in the deck; prune them with `make accept`",
            cells[0].where,
            first,
        )


def accept(deck: Path, chapters: dict[str, tuple[list[Cell], list[CellResult]]]) -> list[Path]:
    """Record every chapter's outputs; drop recordings of chapters the deck no longer has."""
    out = folder(deck)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for chapter, (cells, results) in chapters.items():
        path = out / f"{chapter}.json"
        data = {"chapter": chapter, "cells": [record(c, r) for c, r in zip(cells, results, strict=True)]}
        text = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    for stale in out.glob("*.json"):
        if stale.stem not in chapters:
            stale.unlink()
            written.append(stale)
    return written

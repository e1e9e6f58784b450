"""Recorded outputs, committed beside the slides: any change of an output fails until `make accept` records it.

A measured cell (run(measured=True): timings) is recorded with `"measured": true` and compared without its
numbers (compare.number_blind): its words, lines and count of numbers must stay, its numbers may not.
"""

import json
import os
import re
from pathlib import Path

from . import config, tags
from .cells import Cell, CellResult
from .compare import diff, number_blind, same_output
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
    if cell.measured:
        entry["measured"] = True  # so a reader knows these numbers are one run's, and the check skips them
    elif len(result.text) < result.chars:
        entry["full_output_sha256"] = result.digest  # the whole output's: it changes with every measurement
    return entry


def same(recorded: dict, now: dict) -> bool:
    """The recording still holds: equal, or for a measured cell equal but for the numbers of its output."""
    if not now.get("measured"):
        return recorded == now
    output = recorded.get("output")
    if not isinstance(output, list) or not all(isinstance(line, str) for line in output):
        return False
    rest = {k: v for k, v in recorded.items() if k != "output"}
    return rest == {k: v for k, v in now.items() if k != "output"} and same_output(
        "\n".join(recorded["output"]), "\n".join(now["output"]), measured=True
    )


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
        if not same(match, now):
            raise changed(cell, match, now)
    if unused:
        first = "\n".join(unused[0]["code"][:3])
        raise SnapshotError(
            f"{len(unused)} recorded cell(s) of {path} are no longer in the deck; prune them with `make accept`",
            cells[0].where,
            first,
        )


def changed(cell: Cell, recorded: dict, now: dict) -> SnapshotError:
    before, after = "\n".join(recorded["output"]), "\n".join(now["output"])
    what = "output changed since it was recorded"
    if now.get("measured") and recorded.get("measured"):  # the numbers are not the news: diff without them
        what = "output changed since it was recorded, besides its numbers (a measured cell)"
        before, after = number_blind(before), number_blind(after)
    elif now.get("measured") != recorded.get("measured"):
        what = f"output is now {'' if now.get('measured') else 'not '}measured, unlike its recording"
    detail = diff(before, after, ("recorded", "now"))
    if not detail:
        same_text = now.get("measured") != recorded.get("measured")
        detail = (
            "(the output is the same)"
            if same_text
            else "(the part of the output beyond the slide's cut changed)"
        )
    return SnapshotError(f"{what}; {ACCEPT_HINT}", cell.where, detail)


def accept(deck: Path, chapters: dict[str, tuple[list[Cell], list[CellResult]]]) -> list[Path]:
    """Record every chapter's outputs; drop recordings of chapters the deck no longer has."""
    out = folder(deck)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for chapter, (cells, results) in chapters.items():
        path = out / f"{chapter}.json"
        entries = [record(c, r) for c, r in zip(cells, results, strict=True)]
        data = {"chapter": chapter, "cells": kept_measurements(path, entries)}
        text = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    for stale in out.glob("*.json"):
        if stale.stem not in chapters:
            stale.unlink()
            written.append(stale)
    return written


def kept_measurements(path: Path, entries: list[dict]) -> list[dict]:
    """A measured cell whose recording still holds keeps the recorded numbers: accepting another change does
    not rewrite every timing of the chapter (a diff of the snapshot shows only what changed)."""
    try:
        recorded = load(path) or []
    except SnapshotError:
        return entries
    kept = []
    for entry in entries:
        old = entry.get("measured") and next(
            (r for r in recorded if isinstance(r, dict) and r.get("code") == entry["code"]), None
        )
        kept.append(old if old and same(old, entry) else entry)
    return kept

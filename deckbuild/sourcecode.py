"""Find the exact source text of a function, class or method in the deck's code folders, by reading the file
(never importing it). What a build found is remembered for the next (Remembered), by the file's text."""

import ast
import hashlib
import json
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path


class SourceNotFound(LookupError):
    pass


def module_file(code_dir: Path, dotted_module: str) -> Path | None:
    base = code_dir.joinpath(*dotted_module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def split_name(code_dirs: Sequence[Path], dotted: str) -> tuple[Path, list[str]]:
    """Split "shapes.area.Circle.radius" into (code/shapes/area.py, ["Circle", "radius"]), searching each folder."""
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        for code_dir in code_dirs:
            path = module_file(code_dir, ".".join(parts[:cut]))
            if path is not None:
                return path, parts[cut:]
    if not code_dirs:
        raise SourceNotFound(
            f"no code folder to find {dotted!r} in: name them with code_dirs in [tool.deckbuild] of pyproject.toml"
        )
    raise SourceNotFound(f"no module under {', '.join(map(str, code_dirs))} for {dotted!r}")


def find_node(tree: ast.Module, names: list[str]) -> ast.AST:
    scope: list[ast.stmt] = tree.body
    node: ast.AST | None = None
    for name in names:
        node = next((n for n in scope if defines(n, name)), None)
        if node is None:
            raise SourceNotFound(name)
        scope = getattr(node, "body", [])
    assert node is not None
    return node


def defines(node: ast.stmt, name: str) -> bool:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return node.name == name
    if isinstance(node, ast.Assign):
        return any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
    if isinstance(node, ast.AnnAssign):
        return isinstance(node.target, ast.Name) and node.target.id == name
    return False


@lru_cache(maxsize=64)
def parsed(text: str, filename: str) -> ast.Module:
    """A module's syntax tree, parsed once per build for all its source() blocks (a chapter shows one module's
    definitions on many slides; parsing it again for each was a fifth of a build that changed nothing).
    Keyed on the text itself, so an edit is always parsed afresh; callers only read the tree."""
    return ast.parse(text, filename=filename)


def definition(code_dirs: Path | Sequence[Path], dotted: str) -> tuple[Path, str, ast.AST]:
    """The file that defines `dotted`, its text, and the definition's node."""
    if isinstance(code_dirs, Path):
        code_dirs = [code_dirs]
    path, names = split_name(code_dirs, dotted)
    text = path.read_text(encoding="utf-8")
    try:
        return path, text, find_node(parsed(text, str(path)), names)
    except SourceNotFound:
        raise SourceNotFound(f"{dotted!r} is not defined in {path}") from None


def get_source(code_dirs: Path | Sequence[Path], dotted: str) -> tuple[str, Path]:
    """The lines that define `dotted` (decorators included), dedented, and the file they come from."""
    path, text, node = definition(code_dirs, dotted)
    first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    lines = text.splitlines()[first - 1 : node.end_lineno]
    indent = len(lines[0]) - len(lines[0].lstrip())
    return "\n".join(line[indent:] for line in lines) + "\n", path


def get_class_members(code_dirs: Path | Sequence[Path], dotted: str, members: Sequence[str]) -> str:
    """The class `dotted` with only `members` (methods or class attributes), in the file's order: its
    decorators and `class …:` line, then each member, blank line between; the rest of the body left out."""
    _, text, node = definition(code_dirs, dotted)
    if not isinstance(node, ast.ClassDef):
        raise SourceNotFound(f"{dotted!r} is not a class: members= needs one")
    lines = text.splitlines()
    first = min([node.lineno] + [d.lineno for d in node.decorator_list])
    indent = len(lines[first - 1]) - len(lines[first - 1].lstrip())
    header = lines[first - 1 : node.body[0].lineno - 1]  # up to the line before its first statement
    while header and not header[-1].strip():
        header.pop()
    wanted = set(members)
    found = [n for n in node.body if any(defines(n, m) for m in wanted)]
    missing = wanted - {m for m in wanted for n in found if defines(n, m)}
    if missing:
        raise SourceNotFound(f"{dotted!r} has no member {sorted(missing)[0]!r}")
    parts = []
    for member in found:
        start = min([member.lineno] + [d.lineno for d in getattr(member, "decorator_list", [])])
        parts.append("\n".join(lines[start - 1 : member.end_lineno]))
    body = "\n\n".join(parts)
    return "\n".join(line[indent:] for line in [*header, *body.splitlines()]) + "\n"


class Remembered:
    """source() texts found by earlier builds in this output folder, each under its file's path, the SHA-256 of
    its text, the dotted name and the members: a build after a prose edit parses no module (parsing the
    shown modules was a tenth of rendering the deck). An edited file has another digest, so its old text is
    never used; a damaged cache entry is a miss (cache.Cache). Without a folder it only computes."""

    NAME = "sources"

    def __init__(self, folder: Path | None = None):
        from . import cache  # not imported by the kernel side

        self.store = cache.Cache(folder) if folder is not None else None
        self.key = {"code": cache.file_sha256(Path(__file__))}  # how texts are cut out is part of the key
        self.known: dict[str, str] = {}
        self.used: dict[str, str] = {}
        self.digests: dict[Path, str] = {}  # each file read and hashed once per build
        if self.store is not None:
            payload, _ = self.store.lookup(self.NAME, self.key, check_results)
            self.known = dict(payload["results"]) if payload else {}
        self.loaded = dict(self.known)

    def get_source(self, code_dirs: Sequence[Path], dotted: str) -> str:
        return self.remember(code_dirs, dotted, None, lambda: get_source(code_dirs, dotted)[0])

    def get_class_members(self, code_dirs: Sequence[Path], dotted: str, members: Sequence[str]) -> str:
        return self.remember(
            code_dirs, dotted, list(members), lambda: get_class_members(code_dirs, dotted, members)
        )

    def remember(self, code_dirs, dotted: str, members: list[str] | None, compute) -> str:
        path, _ = split_name(list(code_dirs), dotted)
        if path not in self.digests:
            self.digests[path] = hashlib.sha256(path.read_bytes()).hexdigest()
        name = json.dumps([str(path), self.digests[path], dotted, members], ensure_ascii=False)
        if name not in self.known:
            self.known[name] = compute()  # raises SourceNotFound as before: nothing is remembered then
        self.used[name] = self.known[name]
        return self.used[name]

    def save(self) -> None:
        """Keep what this build used, when it differs from what was found (nothing is written after a prose edit)."""
        if self.store is not None and self.used != self.loaded:
            self.store.store(self.NAME, self.key, {}, {"results": self.used})


def check_results(payload: dict) -> None:
    results = payload["results"]
    if not isinstance(results, dict) or not all(isinstance(v, str) for v in results.values()):
        raise ValueError("results of the wrong shape")

"""Find the exact source text of a function, class or method under code/, by reading the file (never importing it)."""

import ast
from pathlib import Path


class SourceNotFound(LookupError):
    pass


def module_file(code_dir: Path, dotted_module: str) -> Path | None:
    base = code_dir.joinpath(*dotted_module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def split_name(code_dir: Path, dotted: str) -> tuple[Path, list[str]]:
    """Split "zerodl.gates.Perceptron.weighted_sum" into (code/zerodl/gates.py, ["Perceptron", "weighted_sum"])."""
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        path = module_file(code_dir, ".".join(parts[:cut]))
        if path is not None:
            return path, parts[cut:]
    raise SourceNotFound(f"no module under {code_dir} for {dotted!r}")


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


def get_source(code_dir: Path, dotted: str) -> tuple[str, Path]:
    """The lines that define `dotted` (decorators included), dedented, and the file they come from."""
    path, names = split_name(code_dir, dotted)
    text = path.read_text(encoding="utf-8")
    try:
        node = find_node(ast.parse(text, filename=str(path)), names)
    except SourceNotFound:
        raise SourceNotFound(f"{dotted!r} is not defined in {path}") from None
    first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    lines = text.splitlines()[first - 1 : node.end_lineno]
    indent = len(lines[0]) - len(lines[0].lstrip())
    return "\n".join(line[indent:] for line in lines) + "\n", path

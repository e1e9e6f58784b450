"""Compute an expensive result once per build: `@memo` keeps a function's results on disk.

A trained network that the slides, a figure script and a later chapter all need is trained once:

    from deckbuild.memo import memo

    @memo
    def trained(seed: int = 0) -> dict: ...

An entry is keyed on the code the function depends on (its module's source and every project module
that module imports, transitively), the data settings (the environment variables the build names in
DECKBUILD_SETTINGS, plus any given as `@memo(env=(...))`), the build's salt (tool versions) and the
arguments; a change to any of them computes again. Entries live in DECKBUILD_MEMO_DIR, which the build
points at OUT/.cache/memo for every kernel and figure script; without it (a learner's own notebook) the
function simply runs. Each entry is a pickle behind its sha256, checked on load (a damaged entry is
computed again), written atomically, and computed under a file lock, so two chapters running at once
compute it once. What the function prints is stored and printed again on a hit, and the global random
state is left as it was, so a hit and a miss leave the same output and the same state behind.
"""

import ast
import contextlib
import fcntl
import functools
import hashlib
import inspect
import io
import os
import pickle
import random
import sys
import sysconfig
import tempfile
from pathlib import Path

MEMO_DIR = "DECKBUILD_MEMO_DIR"  # where entries live; unset: no memo, the function runs
SETTINGS = "DECKBUILD_SETTINGS"  # comma-separated names of environment variables that select the data
SALT = "DECKBUILD_MEMO_SALT"  # set by the build: a digest of the tool versions its cache is keyed on
FORMAT = b"deckbuild-memo 1\n"


def _installed() -> tuple[str, ...]:
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, *sysconfig.get_paths().values()}
    return tuple(os.path.realpath(p) + os.sep for p in paths)


def _project_file(module) -> str | None:
    """The module's .py file when it belongs to the project (not Python's or an installed package's)."""
    path = getattr(module, "__file__", None)
    if not path or not path.endswith(".py") or os.path.realpath(path).startswith(_installed()):
        return None
    return path


def _imported(module) -> set[str]:
    """Names of the modules a module's source imports (relative imports resolved)."""
    try:
        tree = ast.parse(Path(module.__file__).read_bytes())
    except (OSError, SyntaxError, ValueError):
        return set()
    names: set[str] = set()
    package = module.__package__ or ""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)  # `from pkg import submodule`
    return names


def code_files(module_name: str) -> list[str]:
    """The project files a module depends on: itself, and what it imports that is loaded, transitively."""
    seen: dict[str, str] = {}
    todo = [module_name]
    while todo:
        name = todo.pop()
        module = sys.modules.get(name)
        path = _project_file(module) if module is not None else None
        if path is None or path in seen.values():
            continue
        seen[name] = path
        todo.extend(n for n in _imported(module) if n in sys.modules)
        # a package's modules need the package's own code too
        todo.extend(name.rsplit(".", n)[0] for n in range(1, name.count(".") + 1))
    return sorted(seen.values())


def _canonical(value, out: "hashlib._Hash") -> None:
    """Feed a value into a digest the same way in every process (no id()s, no set order, no hash seeds)."""
    if value is None or isinstance(value, bool | int | float | complex | str | bytes):
        out.update(repr((type(value).__name__, value)).encode())
    elif isinstance(value, list | tuple):
        out.update(f"{type(value).__name__}[{len(value)}](".encode())
        for item in value:
            _canonical(item, out)
        out.update(b")")
    elif isinstance(value, dict):
        out.update(f"dict[{len(value)}](".encode())
        for k in sorted(value, key=repr):
            _canonical(k, out)
            _canonical(value[k], out)
        out.update(b")")
    elif type(value).__module__ == "numpy" and hasattr(value, "tobytes"):
        out.update(f"ndarray{value.dtype.str}{getattr(value, 'shape', ())}".encode())
        out.update(value.tobytes())
    else:
        out.update(pickle.dumps(value, protocol=5))


def own_code(func) -> bytes:
    """The function's own source (a function defined in a notebook cell has no module file to read)."""
    try:
        return inspect.getsource(func).encode()
    except (OSError, TypeError):
        return func.__code__.co_code + repr(func.__code__.co_consts).encode()


def key(func, args: tuple, kwargs: dict, env: tuple[str, ...]) -> str:
    h = hashlib.sha256()
    h.update(f"{func.__module__}.{func.__qualname__}\n".encode())
    h.update(own_code(func))
    for path in code_files(func.__module__):
        h.update(Path(path).read_bytes())
    names = sorted({*filter(None, os.environ.get(SETTINGS, "").split(",")), *env})
    _canonical({n: os.environ.get(n) for n in names}, h)
    _canonical(os.environ.get(SALT, ""), h)
    _canonical((args, kwargs), h)
    return h.hexdigest()


def load(path: Path):
    """(True, (value, printed)) from a verified entry; (False, None) when it is missing or damaged."""
    try:
        data = path.read_bytes()
    except OSError:
        return False, None
    head, digest, body = data[: len(FORMAT)], data[len(FORMAT) : len(FORMAT) + 64], data[len(FORMAT) + 65 :]
    if head != FORMAT or hashlib.sha256(body).hexdigest().encode() != digest:
        return False, None
    try:
        return True, pickle.loads(body)
    except Exception:  # an entry we wrote and verified, but unreadable here (a class since renamed, say)
        return False, None


def store(path: Path, value) -> None:
    body = pickle.dumps(value, protocol=5)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(FORMAT + hashlib.sha256(body).hexdigest().encode() + b"\n" + body)
        os.replace(tmp, path)  # readers see the old entry or the whole new one, never half of it
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class _Tee(io.TextIOBase):
    """Prints through to the real stdout while keeping a copy, to print again on a hit."""

    def __init__(self, real):
        self.real, self.copy = real, io.StringIO()

    def write(self, text: str) -> int:
        self.copy.write(text)
        return self.real.write(text)

    def flush(self) -> None:
        self.real.flush()


@contextlib.contextmanager
def _random_state_kept():
    """The global random states as they were: a miss must not advance them when a hit would not."""
    saved = random.getstate()
    np = sys.modules.get("numpy")
    np_saved = np.random.get_state() if np is not None else None
    try:
        yield
    finally:
        random.setstate(saved)
        if np_saved is not None:
            np.random.set_state(np_saved)


def _compute(func, args, kwargs):
    tee = _Tee(sys.stdout)
    with _random_state_kept(), contextlib.redirect_stdout(tee):
        value = func(*args, **kwargs)
    return value, tee.copy.getvalue()


def memo(func=None, *, env: tuple[str, ...] = ()):
    """Decorator: keep `func`'s results (picklable: NumPy arrays, dicts, lists …) between processes of a build."""
    if func is None:
        return lambda f: memo(f, env=tuple(env))

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        folder = os.environ.get(MEMO_DIR)
        if not folder:
            return func(*args, **kwargs)
        entry_dir = Path(folder) / f"{func.__module__}.{func.__qualname__}".replace("<", "").replace(">", "")
        entry_dir.mkdir(parents=True, exist_ok=True)
        path = entry_dir / f"{key(func, args, kwargs, env)}.pkl"
        found, stored = load(path)
        if not found:
            with open(path.with_suffix(".lock"), "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)  # another process computing it: wait, then use its entry
                try:
                    found, stored = load(path)
                    if not found:
                        stored = _compute(func, args, kwargs)
                        store(path, stored)
                        return stored[0]
                finally:
                    fcntl.flock(lock, fcntl.LOCK_UN)
        value, printed = stored
        if printed:
            sys.stdout.write(printed)
        return value

    return wrapper

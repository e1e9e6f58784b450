"""Compute an expensive result once per build: `@memo` keeps a function's results on disk.

A trained network that the slides, a figure script and a later chapter all need is trained once:

    from deckbuild.memo import memo

    @memo
    def trained(seed: int = 0) -> dict: ...

An entry is keyed on what the function computes: its own source, and everything it reads, followed
through the globals its code names (functions and classes by their source, project modules by their
files, constants by their values; Python's and installed packages' code by name, their versions being in
the build's salt), the data settings (the environment variables the build names in DECKBUILD_SETTINGS,
plus any given as `@memo(env=(...))`), the build's salt and the arguments; a change to any of them
computes again. Where the function is defined is not part of it: the companion notebook, which types in
a module's function with the same source, reads the entry the chapter computed. Entries live in DECKBUILD_MEMO_DIR, which the build
points at OUT/.cache/memo for every kernel and figure script; without it (a learner's own notebook) the
function simply runs. Each entry is a pickle behind its sha256, checked on load (a damaged entry is
computed again), written atomically, and computed under a file lock, so two chapters running at once
compute it once; a process that finds the lock taken says it waits (waiting.py), and the build lets
another job use its core meanwhile. What the function prints is stored and printed again on a hit, and the global random
state is left as it was, so a hit and a miss leave the same output and the same state behind.
"""

import ast
import builtins
import contextlib
import dis
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
import types
from pathlib import Path

from . import waiting

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
    """Feed a leaf value (None, a number, text, bytes, a NumPy array or scalar) into a digest the same way
    in every process; containers and everything else go through `_describe`."""
    if isinstance(value, np_array_types()):
        out.update(f"ndarray{value.dtype.str}{getattr(value, 'shape', ())}".encode())
        out.update(value.tobytes())
    else:
        out.update(repr((type(value).__name__, value)).encode())


def own_code(func) -> bytes:
    """The function's own source (a function defined in a notebook cell has no module file to read)."""
    try:
        return inspect.getsource(func).encode()
    except (OSError, TypeError):
        return func.__code__.co_code + repr(func.__code__.co_consts).encode()


def _names(code) -> set[str]:
    """Every global name a code object (and the functions, lambdas, comprehensions inside it) reads.

    Only the instructions that load a global count: `co_names` also holds attribute names, and a
    notebook's variable called like an attribute the function reads (`out` for `self.out`) is not
    something it computes with.
    """
    names = {i.argval for i in dis.get_instructions(code) if i.opname in ("LOAD_GLOBAL", "LOAD_NAME")}
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _names(const)
    return names


def _library(obj) -> bool:
    """True for Python's own and installed packages' code (their versions are in the salt), False for the
    project's modules and for what a notebook or script defines."""
    code = getattr(obj, "__code__", None)
    if code is not None:
        return os.path.realpath(code.co_filename).startswith(_installed())
    module_name = getattr(obj, "__module__", None)
    if module_name in (None, "builtins"):
        return True
    if module_name == "__main__":
        return False
    module = sys.modules.get(module_name)
    return module is None or _project_file(module) is None


# Class attributes that say nothing of what the class computes: bookkeeping, caches that pickling or
# isinstance() add later (__slotnames__, _abc_impl), and where it was typed (Python 3.13's line numbers).
NOT_MEANING = frozenset(
    {
        "__dict__",
        "__weakref__",
        "__module__",
        "__doc__",
        "__slotnames__",
        "_abc_impl",
        "__firstlineno__",
        "__static_attributes__",
    }
)


def np_array_types() -> tuple[type, ...]:
    """NumPy's arrays and scalars, when NumPy is loaded (the engine does not import it for this)."""
    np = sys.modules.get("numpy")
    return (np.ndarray, np.generic) if np is not None else ()


def _describe(value, out: "hashlib._Hash", seen: set[int]) -> None:
    """Feed what a value means into the digest: code by its source and the globals it reads (recursively),
    project modules by their files, data by its content. A function typed into a notebook with the same
    source, reading equal globals, as one in a module, gets the same description: the two compute the same.
    """
    if isinstance(value, types.ModuleType):
        out.update(f"module {value.__name__}\n".encode())
        if _project_file(value) is not None:
            for path in code_files(value.__name__):
                out.update(Path(path).read_bytes())
        return
    if isinstance(value, type | types.FunctionType) or hasattr(value, "__wrapped__"):
        if id(value) in seen:
            out.update(f"again {getattr(value, '__qualname__', '?')}\n".encode())
            return
        seen.add(id(value))
    if hasattr(value, "__wrapped__") and callable(value):  # a decorated function (@memo, functools.wraps)
        out.update(b"wraps ")
        _describe(value.__wrapped__, out, seen)
    elif isinstance(value, types.FunctionType) and not _library(value):
        out.update(f"function {value.__qualname__}\n".encode())
        out.update(own_code(value))
        for part in (value.__defaults__, value.__kwdefaults__):
            _describe(part, out, seen)
        for cell in value.__closure__ or ():  # the code it closes over; data there is state, not meaning
            contents = cell.cell_contents
            if callable(contents) or isinstance(contents, types.ModuleType):
                _describe(contents, out, seen)
        for name in sorted(_names(value.__code__)):
            if name not in value.__globals__:
                continue  # a builtin (or an attribute name): not the project's code
            found = value.__globals__[name]
            if name in vars(builtins) and _library(found):
                continue  # IPython's own open() and the like, where a module would find the builtin
            out.update(f"global {name}\n".encode())
            _describe(found, out, seen)
    elif isinstance(value, type) and not _library(value):
        out.update(f"class {value.__qualname__}\n".encode())
        for base in value.__bases__:
            _describe(base, out, seen)
        for name, attr in sorted(vars(value).items()):
            if name in NOT_MEANING:
                continue
            out.update(f"member {name}\n".encode())
            if isinstance(attr, staticmethod | classmethod):
                attr = attr.__func__
            if isinstance(attr, property):
                attr = (attr.fget, attr.fset, attr.fdel)
            _describe(attr, out, seen)
    elif callable(value) and hasattr(value, "__qualname__"):  # Python's or a package's: named, not read
        out.update(f"library {getattr(value, '__module__', None)}.{value.__qualname__}\n".encode())
    elif isinstance(value, list | tuple):
        out.update(f"{type(value).__name__}[{len(value)}](".encode())
        for item in value:
            _describe(item, out, seen)
        out.update(b")")
    elif isinstance(value, dict):
        out.update(f"dict[{len(value)}](".encode())
        for k in sorted(value, key=repr):
            _describe(k, out, seen)
            _describe(value[k], out, seen)
        out.update(b")")
    elif isinstance(value, set | frozenset):
        out.update(f"set[{len(value)}](".encode())
        for item in sorted(value, key=repr):
            _describe(item, out, seen)
        out.update(b")")
    elif value is None or isinstance(value, (bool, int, float, complex, str, bytes, *np_array_types())):
        _canonical(value, out)
    else:  # another object: its class (by code) and its state
        _describe(type(value), out, seen)
        try:
            out.update(pickle.dumps(value, protocol=5))
        except Exception:
            out.update(repr(type(value)).encode())


def key(func, args: tuple, kwargs: dict, env: tuple[str, ...]) -> str:
    """The entry's name: what the function computes (its code and everything it reads, not where it is
    defined, so a learner's notebook typing in a module's function shares its entry), the data settings,
    the salt and the arguments."""
    h = hashlib.sha256()
    _describe(func, h, set())
    names = sorted({*filter(None, os.environ.get(SETTINGS, "").split(",")), *env})
    _describe({n: os.environ.get(n) for n in names}, h, set())
    _describe(os.environ.get(SALT, ""), h, set())
    _describe((args, kwargs), h, set())
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
        # named by the function alone: a notebook's copy of a module's function finds the module's entries
        entry_dir = Path(folder) / func.__qualname__.replace("<", "").replace(">", "")
        entry_dir.mkdir(parents=True, exist_ok=True)
        path = entry_dir / f"{key(func, args, kwargs, env)}.pkl"
        found, stored = load(path)
        if not found:
            with open(path.with_suffix(".lock"), "a") as lock:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:  # another process computing it: wait, then use its entry,
                    with waiting.announced(folder):  # saying so: the build lends our core meanwhile
                        fcntl.flock(lock, fcntl.LOCK_EX)
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

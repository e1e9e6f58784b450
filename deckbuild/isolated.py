"""Runs inside a chapter's kernel: value() and table() evaluated where they cannot change the kernel's state.

The expression is evaluated in a forked child of the kernel process: the child sees every name the
snippets defined, evaluates and formats, writes the text (or the error) through a pipe and ends with
os._exit. Whatever it does — an RNG draw (random, NumPy's global state, a Generator object), a
list.append, a rebinding — happens in the child's copy of memory, so the next snippet prints what
it would have printed without the value. Without fork (Windows) the RNG states of random and NumPy
are saved and restored instead; other changes then stay (the README says so).
"""

import json
import os
import signal
import sys

from . import present

MAX_VALUE_CHARS = 2000  # a value longer than this is not prose; a slide could not show it


def show(kernel_globals: dict, what: str, expr: str, **options) -> None:
    """Print the text of `value` or `table` for the build; an error is raised here under its own name."""
    print(isolated(lambda: present.text_of(what, eval(expr, present.namespace(kernel_globals)), **options)))


def isolated(compute) -> str:
    if not hasattr(os, "fork"):
        return with_rng_restored(compute)
    rng = __import__(
        "random"
    ).getstate()  # random reseeds itself in a forked child: give it the parent's state
    read_end, write_end = os.pipe()
    pid = fork()
    if pid == 0:  # the child: never returns
        try:
            os.close(read_end)
            die_with_parent()
            sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - the kernel's streams are the parent's
            __import__("random").setstate(rng)
            try:
                payload = {"text": checked(compute())}
            except BaseException as e:  # every error goes to the parent, which raises it
                payload = {"error": [type(e).__name__, str(e)]}
            data = json.dumps(payload).encode()
            while data:
                data = data[os.write(write_end, data) :]
        finally:
            os._exit(0)
    os.close(write_end)
    try:
        with os.fdopen(read_end, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(pid, 0)
    except BaseException:  # Ctrl-C or a timeout: the child goes with the cell
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        raise
    if not data:
        raise ChildProcessError(f"the evaluation died ({describe(status)}) before giving a result")
    payload = json.loads(data)
    if "error" in payload:
        name, message = payload["error"]
        raise type(name, (Exception,), {"__module__": "builtins"})(message)
    return payload["text"]


def checked(text: str) -> str:
    if len(text) > MAX_VALUE_CHARS and "\n" not in text:
        raise ValueError(
            f"the text is {len(text):,} characters long; a slide shows at most {MAX_VALUE_CHARS:,}"
        )
    text.encode("utf-8")  # a lone surrogate cannot reach the slide: fail here, with a name
    return text


def with_rng_restored(compute) -> str:
    import random

    saved = random.getstate()
    np = sys.modules.get("numpy")
    np_saved = np.random.get_state() if np else None
    try:
        return checked(compute())
    finally:
        random.setstate(saved)
        if np:
            np.random.set_state(np_saved)


def fork() -> int:
    """os.fork, without the warning Python 3.12+ prints when the kernel's threads are running.

    The kernel has threads (heartbeat, I/O), but the child only evaluates one expression, writes to a
    pipe and exits; os.fork itself is PyOS_BeforeFork + fork + PyOS_AfterFork_*, called here directly.
    """
    if sys.version_info < (3, 12):
        return os.fork()
    import ctypes

    api = ctypes.pythonapi
    api.PyOS_BeforeFork()
    pid = ctypes.PyDLL(None).fork()
    if pid == 0:
        api.PyOS_AfterFork_Child()
    else:
        api.PyOS_AfterFork_Parent()
        if pid < 0:
            raise OSError(ctypes.get_errno(), "fork failed")
    return pid


def die_with_parent() -> None:
    """If the kernel is killed (a timeout, the build stopped), its evaluating child dies with it (Linux)."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"

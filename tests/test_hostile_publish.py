"""Hostile publishing: nothing the build did not write is lost, outputs change all at once or not at all,
and after any build, good or failed or killed, nothing of it is left running or lying in temp folders.

Every test asserts the exit code, exactly one `error:` line naming the file (and line and slide where there
is one), that the previous outputs are byte-identical, and that nothing is left behind (`Sandbox`).
"""

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from conftest import BUILD, ROOT, build, error_line, tree_digest, write_deck

MANIFEST = ".deckbuild-manifest.json"

GOOD = """## Hostile publishing

{= figure("dot.svg", width=200) =}
"""

FIGURE = '''"""One tiny figure, written without matplotlib so the tests stay fast."""
import sys
from pathlib import Path


def main(outdir):
    Path(outdir, "dot.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><circle cx="5" cy="5" r="4"/></svg>'
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
'''

CELL = """## A snippet

{% call run() %}
CODE
{% endcall %}
"""


class Sandbox:
    """The world of the builds of one test: TMPDIR and JUPYTER_RUNTIME_DIR of their own, and a mark in the
    environment that every process they start inherits (through double forks and setsid), so that what
    outlives a build can be found in the process table."""

    def __init__(self, base: Path):
        self.tmp = base / "tmp"
        self.runtime = base / "runtime"
        self.tmp.mkdir()
        self.runtime.mkdir()
        self.mark = uuid.uuid4().hex
        self.env = {
            "TMPDIR": str(self.tmp),
            "JUPYTER_RUNTIME_DIR": str(self.runtime),
            "DECKTEST_MARK": self.mark,
            "DECK_COMPANION": "off",  # these decks start processes on purpose; self-sufficiency is another test's
        }
        assert self.processes() == []

    def processes(self) -> list[str]:
        """Live processes (not zombies) carrying this test's mark: pid and command line."""
        needle = f"DECKTEST_MARK={self.mark}\0".encode()
        found = []
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                environ = Path(f"/proc/{entry.name}/environ").read_bytes() + b"\0"
                state = Path(f"/proc/{entry.name}/stat").read_text().rsplit(")", 1)[1].split()[0]
                cmd = Path(f"/proc/{entry.name}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if needle in environ and state != "Z":
                found.append(f"{entry.name}: {cmd}")
        return found

    def leftovers(self, grace: float = 2.0) -> list[str]:
        deadline = time.monotonic() + grace
        while self.processes() and time.monotonic() < deadline:
            time.sleep(0.05)
        files = [str(p) for p in (*self.tmp.rglob("*"), *self.runtime.rglob("*"))]
        return self.processes() + files

    def assert_clean(self, grace: float = 2.0) -> None:
        left = self.leftovers(grace)
        assert left == [], f"left behind: {left}"


def run_build(sandbox: Sandbox, deck: Path, out: Path, *args: str, patch: str = "", **kw):
    """build.py as a user runs it, in the sandbox; `patch` is Python run first in the same process, to break
    something in the middle of the build (a rename that fails, a signal, a full disk)."""
    if not patch:
        return build(deck, out, *args, env=sandbox.env, **kw)
    figures = kw.pop("figures", None) or deck.parent / "figures_src"
    argv = [str(BUILD), str(deck), "-o", str(out), "--figures-src", str(figures), *args]
    wrapper = (
        f"import runpy, sys\nsys.path.insert(0, {str(ROOT)!r})\nsys.argv = {argv!r}\n"
        + textwrap.dedent(patch)
        + f"\nrunpy.run_path({str(BUILD)!r}, run_name='__main__')\n"
    )
    env = {**os.environ, **sandbox.env}
    return subprocess.run(
        [sys.executable, "-c", wrapper], capture_output=True, text=True, env=env, timeout=300
    )


def outputs(folder: Path) -> dict[str, str]:
    """Every file under folder (author's files included) with its digest; the lock and cache excluded."""
    return tree_digest(folder) if folder.exists() else {}


def failed(proc, code: int, *words: str) -> str:
    """The one error line of a failed build, with its exit code and the words it must contain."""
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.stdout == "", proc.stdout  # nothing of a kernel's or tool's chatter either
    line = error_line(proc)
    for word in words:
        assert word in line, line
    return line


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """A small deck with one figure, built once (HTML included) with its outputs; copied by each test."""
    base = tmp_path_factory.mktemp("published")
    deck = write_deck(base / "deck", {"ch.md.j2": GOOD})
    (base / "deck" / "figures_src").mkdir()
    (base / "deck" / "figures_src" / "dot.py").write_text(FIGURE, encoding="utf-8")
    sandbox = Sandbox(base)
    proc = run_build(sandbox, deck, base / "out")
    assert proc.returncode == 0, proc.stderr
    sandbox.assert_clean()
    return base


@pytest.fixture
def sandbox(tmp_path):
    return Sandbox(tmp_path)


@pytest.fixture
def site(published, tmp_path, sandbox):
    """This test's copy of the deck and its published outputs, and a digest of the outputs as they were."""
    shutil.copytree(published / "deck", tmp_path / "deck")
    shutil.copytree(published / "out", tmp_path / "out")

    class Site:
        deck = tmp_path / "deck" / "deck.md.j2"
        out = tmp_path / "out"
        before = outputs(tmp_path / "out")

        def chapter(self, text: str) -> None:
            (tmp_path / "deck" / "ch.md.j2").write_text(text, encoding="utf-8")

        def unchanged(self) -> None:
            assert outputs(self.out) == self.before, "a failed build changed the previous outputs"
            assert not [p.name for p in self.out.glob(".*") if p.name.startswith((".staging-", ".swap-"))]

    return Site()


# --- 1. Data loss: only what a build wrote is ever replaced -------------------------------------------------


def test_a_folder_of_the_authors_photos_is_never_replaced(site, sandbox, tmp_path):
    mytalk = tmp_path / "mytalk"
    (mytalk / "figures").mkdir(parents=True)
    (mytalk / "figures" / "photo.jpg").write_bytes(b"\xff\xd8 the author's only copy")
    before = outputs(mytalk)
    proc = run_build(sandbox, site.deck, mytalk)
    failed(proc, 13, "mytalk/figures/photo.jpg", "not written by a build")
    assert outputs(mytalk) == before and not (mytalk / ".lock").exists()
    sandbox.assert_clean()


def test_images_never_replace_the_authors_slides_folder(site, sandbox, tmp_path):
    proj = tmp_path / "proj"
    (proj / "slides").mkdir(parents=True)
    (proj / "slides" / "talk.md.j2").write_text("# my own templates\n", encoding="utf-8")
    (proj / "README.md").write_text("mine\n", encoding="utf-8")
    before = outputs(proj)
    proc = run_build(sandbox, site.deck, proj, "--images")
    failed(proc, 13, "proj/slides/talk.md.j2")
    assert outputs(proj) == before and sorted(p.name for p in proj.iterdir()) == ["README.md", "slides"]
    sandbox.assert_clean()


def test_a_file_the_author_put_into_the_published_figures_is_kept(site, sandbox):
    (site.out / "figures" / "sketch.png").write_bytes(b"drawn by hand")
    site.before = outputs(site.out)
    proc = run_build(sandbox, site.deck, site.out)
    failed(proc, 13, "out/figures/sketch.png")
    site.unchanged()
    sandbox.assert_clean()


def test_a_symlink_where_the_build_puts_its_figures_is_not_followed_nor_replaced(site, sandbox, tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    (photos / "holiday.jpg").write_bytes(b"irreplaceable")
    shutil.rmtree(site.out / "figures")
    (site.out / "figures").symlink_to(photos, target_is_directory=True)
    site.before = outputs(site.out)
    proc = run_build(sandbox, site.deck, site.out)
    failed(proc, 13, "out/figures")
    site.unchanged()
    assert (photos / "holiday.jpg").read_bytes() == b"irreplaceable"
    assert (site.out / "figures").is_symlink()
    sandbox.assert_clean()


def test_an_output_symlink_to_the_authors_folder_is_judged_by_what_it_points_to(site, sandbox, tmp_path):
    talk = tmp_path / "talk"
    (talk / "figures").mkdir(parents=True)
    (talk / "figures" / "photo.jpg").write_bytes(b"mine")
    (tmp_path / "link").symlink_to(talk, target_is_directory=True)
    before = outputs(talk)
    proc = run_build(sandbox, site.deck, tmp_path / "link")
    failed(proc, 13, "talk/figures/photo.jpg")
    assert outputs(talk) == before and not (talk / ".lock").exists()
    sandbox.assert_clean()


def test_a_folder_where_the_build_puts_a_file_is_refused(site, sandbox):
    (site.out / "deck.md").unlink()
    (site.out / "deck.md").mkdir()
    (site.out / "deck.md" / "draft.txt").write_text("someone's folder\n", encoding="utf-8")
    site.before = outputs(site.out)
    proc = run_build(sandbox, site.deck, site.out)
    failed(proc, 13, "out/deck.md/draft.txt")
    site.unchanged()
    sandbox.assert_clean()


def test_figures_only_build_refuses_a_foreign_figures_folder(site, sandbox, tmp_path):
    talk = tmp_path / "talk"
    (talk / "figures").mkdir(parents=True)
    (talk / "figures" / "logo.svg").write_text("<svg/>", encoding="utf-8")
    before = outputs(talk)
    proc = run_build(sandbox, site.deck, talk, "--figures")
    failed(proc, 13, "talk/figures/logo.svg")
    assert outputs(talk) == before
    sandbox.assert_clean()


def test_a_folder_with_only_unrelated_files_is_built_into_and_they_stay(site, sandbox, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "README.md").write_text("the author's\n", encoding="utf-8")
    proc = run_build(sandbox, site.deck, shared, "--no-html")
    assert proc.returncode == 0, proc.stderr
    assert (shared / "README.md").read_text(encoding="utf-8") == "the author's\n"
    listed = (shared / MANIFEST).read_text(encoding="utf-8")
    assert "README.md" not in listed and "deck.md" in listed
    again = run_build(sandbox, site.deck, shared, "--no-html")  # its own outputs are its to replace
    assert again.returncode == 0, again.stderr
    sandbox.assert_clean()


def test_an_old_build_folder_without_a_manifest_is_adopted(site, sandbox):
    (site.out / MANIFEST).unlink()  # as every _build/ made before manifests existed
    site.chapter(GOOD + "\nmore words\n")
    proc = run_build(sandbox, site.deck, site.out, "--no-html")
    assert proc.returncode == 0, proc.stderr
    assert "more words" in (site.out / "deck.md").read_text(encoding="utf-8")
    assert "figures/dot.svg" in (site.out / MANIFEST).read_text(encoding="utf-8")
    sandbox.assert_clean()


def test_output_folder_holding_the_deck_is_refused(site, sandbox):
    deck_dir = site.deck.parent
    before = outputs(deck_dir)
    proc = run_build(sandbox, site.deck, deck_dir)
    failed(proc, 13, "holds the deck")
    assert outputs(deck_dir) == before and not (deck_dir / ".lock").exists()
    sandbox.assert_clean()


def test_output_folder_inside_the_deck_folder_builds_twice(site, sandbox):
    out = site.deck.parent / "_out"
    for _ in range(2):
        proc = run_build(sandbox, site.deck, out, "--no-html")
        assert proc.returncode == 0, proc.stderr
    assert (out / "figures" / "dot.svg").is_file()
    sandbox.assert_clean()


def test_a_damaged_manifest_is_a_located_error(site, sandbox):
    (site.out / MANIFEST).write_text("{not json", encoding="utf-8")
    site.before = outputs(site.out)
    proc = run_build(sandbox, site.deck, site.out)
    failed(proc, 13, f"out/{MANIFEST}", "damaged")
    site.unchanged()
    sandbox.assert_clean()


# --- 2. All or nothing ----------------------------------------------------------------------------------------

FAIL_ON_FIGURES = """
from deckbuild import publish
real = publish.move
def move(source, target):
    if source.name == "figures" and source.parent.name.startswith(".staging-"):
        raise PermissionError(13, "Permission denied", str(target))
    real(source, target)
publish.move = move
"""


def test_a_failure_in_the_middle_of_the_swap_restores_every_old_output(site, sandbox):
    site.chapter(GOOD + "\nnew words\n")
    proc = run_build(sandbox, site.deck, site.out, patch=FAIL_ON_FIGURES)
    failed(proc, 13, "out/figures", "Permission denied", "nothing was published")
    site.unchanged()
    sandbox.assert_clean()


def test_disk_full_while_staging_is_a_located_error(site, sandbox):
    patch = """
    import errno, pathlib
    real = pathlib.Path.write_text
    def write_text(self, *args, **kw):
        if self.name == "deck.ipynb":
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return real(self, *args, **kw)
    pathlib.Path.write_text = write_text
    """
    site.chapter(GOOD + "\nnew words\n")
    proc = run_build(sandbox, site.deck, site.out, patch=patch)
    line = failed(proc, 13, "No space left on device")
    assert line.startswith(f"error: {site.out / 'deck.ipynb'}: "), line  # the final name, not the staging one
    site.unchanged()
    sandbox.assert_clean()


def signal_at_move(nth: int, name: str) -> str:
    """A patch for run_build: the build sends itself signal `name` just before its nth move of the swap."""
    return f"""
    import os, signal
    from deckbuild import publish
    real, calls = publish.move, []
    def move(source, target):
        calls.append(source)
        if len(calls) == {nth}:
            os.kill(os.getpid(), signal.{name})
        real(source, target)
    publish.move = move
    """


def test_sigterm_in_the_middle_of_the_swap_publishes_nothing(site, sandbox):
    patch = signal_at_move(2, "SIGTERM")
    site.chapter(GOOD + "\nnew words\n")
    proc = run_build(sandbox, site.deck, site.out, "--no-html", patch=patch)
    failed(proc, 130, "interrupted", "nothing was published")
    site.unchanged()
    sandbox.assert_clean()


def test_a_build_killed_in_the_middle_of_the_swap_is_rolled_back_by_the_next(site, sandbox):
    patch = signal_at_move(3, "SIGKILL")
    site.chapter(GOOD + "\nnew words\n")
    killed = run_build(sandbox, site.deck, site.out, "--no-html", patch=patch)
    assert killed.returncode == -signal.SIGKILL
    assert outputs(site.out) != site.before  # a mix, with its journal
    site.chapter(GOOD.replace("{= figure", "{= no_such_name =}{= figure"))
    proc = run_build(sandbox, site.deck, site.out)  # fails at template time, after it took the lock
    failed(proc, 2, "ch.md.j2:3: slide 2: ", "no_such_name")
    site.unchanged()
    sandbox.assert_clean()


# --- 3./4. Where the outputs go, and what is there ------------------------------------------------------------


def test_output_path_that_is_a_file(site, sandbox, tmp_path):
    target = tmp_path / "talk.pdf"
    target.write_bytes(b"%PDF an older talk")
    proc = run_build(sandbox, site.deck, target)
    failed(proc, 13, "talk.pdf", "is a file")
    assert target.read_bytes() == b"%PDF an older talk"
    sandbox.assert_clean()


def test_output_path_under_a_file(site, sandbox, tmp_path):
    (tmp_path / "notes.txt").write_text("mine\n", encoding="utf-8")
    proc = run_build(sandbox, site.deck, tmp_path / "notes.txt" / "out")
    failed(proc, 13, "notes.txt")
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine\n"
    sandbox.assert_clean()


def test_output_folder_that_cannot_be_created(site, sandbox):
    proc = run_build(sandbox, site.deck, Path("/sys/deckbuild-test-out"))  # sysfs: not even root may
    failed(proc, 13, "/sys/deckbuild-test-out", "cannot write the output folder")
    sandbox.assert_clean()


def test_output_folder_that_cannot_be_written(site, sandbox):
    proc = run_build(sandbox, site.deck, Path("/sys/kernel"))  # exists, and nobody may write into it
    failed(proc, 13, "/sys/kernel", "cannot write the output folder")
    sandbox.assert_clean()


def test_a_missing_deck_creates_no_output_folder(sandbox, tmp_path):
    out = tmp_path / "out"
    proc = run_build(sandbox, tmp_path / "nowhere" / "deck.md.j2", out)
    failed(proc, 2, "nowhere/deck.md.j2", "not found")
    assert not out.exists()
    sandbox.assert_clean()


def test_a_deck_path_that_is_a_folder_creates_no_output_folder(site, sandbox, tmp_path):
    out = tmp_path / "fresh"
    proc = run_build(sandbox, site.deck.parent, out)
    failed(proc, 2, "deck")
    assert not out.exists()
    sandbox.assert_clean()


# --- 5. A dying kernel is a located error ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "how"),
    [
        ("import os\nos._exit(1)", "exit code 1"),
        ("import ctypes\nctypes.string_at(0)", "killed by SIGSEGV"),
        ("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", "killed by SIGKILL"),
    ],
    ids=["exit", "segfault", "killed"],
)
def test_a_dying_kernel_is_one_located_line(site, sandbox, code, how):
    site.chapter(CELL.replace("CODE", code))
    proc = run_build(sandbox, site.deck, site.out, "--no-html")
    failed(proc, 3, "ch.md.j2:4: slide 2: the kernel died", how)
    site.unchanged()
    sandbox.assert_clean()


# --- 6. Leftovers ------------------------------------------------------------------------------------------------

DAEMONS = """import os, subprocess
subprocess.Popen(["sleep", "300"])
if os.fork() == 0:  # a daemon: double fork, new session
    os.setsid()
    if os.fork() == 0:
        os.execvp("sleep", ["sleep", "301"])
    os._exit(0)
print("started")"""


def test_processes_a_snippet_starts_do_not_outlive_a_good_build(site, sandbox):
    site.chapter(CELL.replace("CODE", DAEMONS))
    proc = run_build(sandbox, site.deck, site.out, "--no-html", "--accept")
    assert proc.returncode == 0, proc.stderr
    sandbox.assert_clean(grace=0.5)  # the connection file too: the build's temp folders are empty


def test_processes_a_snippet_starts_do_not_outlive_a_failed_build(site, sandbox):
    site.chapter(CELL.replace("CODE", DAEMONS + "\n1 / 0"))
    proc = run_build(sandbox, site.deck, site.out, "--no-html")
    failed(proc, 3, "ch.md.j2:", "slide 2: raised ZeroDivisionError")
    site.unchanged()
    sandbox.assert_clean(grace=0.5)


def test_a_figure_script_that_leaves_a_process_running(site, sandbox):
    script = site.deck.parent / "figures_src" / "dot.py"
    script.write_text(
        FIGURE.replace(
            "def main(outdir):", 'def main(outdir):\n    __import__("subprocess").Popen(["sleep", "300"])'
        ),
        encoding="utf-8",
    )
    proc = run_build(sandbox, site.deck, site.out, "--no-html")
    assert proc.returncode == 0, proc.stderr
    sandbox.assert_clean(grace=0.5)


def started(
    sandbox: Sandbox, deck: Path, out: Path, *args: str, until: str = "", inside: Path | None = None
) -> subprocess.Popen:
    """build.py in the background, returned once its chapter is running (and a process named `until` is, or
    the file `inside` that its snippet makes exists)."""
    cmd = [
        sys.executable,
        str(BUILD),
        str(deck),
        "-o",
        str(out),
        "--figures-src",
        str(deck.parent / "figures_src"),
    ]
    proc = subprocess.Popen(
        [*cmd, *args], stderr=subprocess.PIPE, text=True, env={**os.environ, **sandbox.env}
    )
    for line in proc.stderr:
        if "running" in line:
            break
    deadline = time.monotonic() + 30
    while until and not any(until in p for p in sandbox.processes()) and time.monotonic() < deadline:
        time.sleep(0.05)
    while inside and not inside.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.2 if inside else 0.5 if until else 3)  # inside the snippet
    return proc


def gone(sandbox: Sandbox, *names: str, seconds: float = 5) -> bool:
    """Whether, within a few seconds, no process of the sandbox has any of these words in its command."""
    deadline = time.monotonic() + seconds
    while any(name in p for p in sandbox.processes() for name in names):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


SLEEPER = DAEMONS.replace('print("started")', "import time\ntime.sleep(60)")


def test_sigterm_during_a_snippet_leaves_nothing(site, sandbox):
    site.chapter(CELL.replace("CODE", SLEEPER))
    proc = started(sandbox, site.deck, site.out, "--no-html", until="sleep 301")
    proc.send_signal(signal.SIGTERM)
    _, rest = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert [line for line in rest.splitlines() if line.startswith("error:")] == [
        "error: interrupted: nothing was published; the previous outputs are as they were"
    ]
    site.unchanged()
    sandbox.assert_clean()


def test_sigkill_of_the_build_kills_its_kernel_and_the_next_build_sweeps_the_rest(site, sandbox):
    site.chapter(CELL.replace("CODE", SLEEPER))
    proc = started(sandbox, site.deck, site.out, "--no-html", until="sleep 301")
    proc.kill()
    proc.communicate(timeout=60)
    # The kernel and its process group die with the build; the daemon, in a session of its own, is left
    # to the next build, which finds it by the mark in its environment.
    assert gone(sandbox, "ipykernel_launcher", "sleep 300"), sandbox.processes()
    assert any("sleep 301" in p for p in sandbox.processes())
    site.chapter(GOOD.replace("{= figure", "{= no_such_name =}{= figure"))
    after = run_build(sandbox, site.deck, site.out)
    failed(after, 2, "ch.md.j2:3: slide 2: ", "no_such_name")
    site.unchanged()
    sandbox.assert_clean()


def test_a_figure_runner_dies_with_a_killed_build(site, sandbox):
    script = site.deck.parent / "figures_src" / "dot.py"
    script.write_text(
        FIGURE.replace(
            "def main(outdir):",
            'def main(outdir):\n    print("drawing", file=__import__("sys").stderr)\n    __import__("time").sleep(60)',
        ),
        encoding="utf-8",
    )
    cmd = [sys.executable, str(BUILD), str(site.deck), "-o", str(site.out), "--no-html", "--force"]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, env={**os.environ, **sandbox.env})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not any("figure_runner" in p for p in sandbox.processes()):
        time.sleep(0.05)
    time.sleep(0.5)
    proc.kill()
    proc.communicate(timeout=60)
    assert gone(sandbox, "figure_runner"), sandbox.processes()
    script.write_text(FIGURE, encoding="utf-8")
    site.chapter(GOOD.replace("{= figure", "{= no_such_name =}{= figure"))
    after = run_build(sandbox, site.deck, site.out)
    failed(after, 2, "no_such_name")
    site.unchanged()
    sandbox.assert_clean()


def test_the_temp_folder_and_processes_of_a_dead_build_are_swept(site, sandbox):
    dead = sandbox.tmp / "deckbuild-deadbeef"
    (dead / "tmp").mkdir(parents=True)
    (dead / ".alive").write_text("", encoding="utf-8")  # its lock is free: the build that made it is gone
    orphan = subprocess.Popen(
        ["sleep", "300"],
        env={**os.environ, **sandbox.env, "DECKBUILD_SCRATCH": str(dead)},
        start_new_session=True,
    )
    site.chapter(GOOD.replace("{= figure", "{= no_such_name =}{= figure"))
    proc = run_build(sandbox, site.deck, site.out)
    failed(proc, 2, "no_such_name")
    assert orphan.wait(timeout=5) == -signal.SIGKILL
    site.unchanged()
    sandbox.assert_clean()


def test_two_builds_racing_for_one_folder(site, sandbox):
    # The first build's snippet holds the lock until the test lets it go (a file appears), not for a fixed time.
    go, inside = site.out.parent / "go", site.out.parent / "inside"
    wait = (
        f"import os, time\nopen({str(inside)!r}, 'w').close()\nend = time.monotonic() + 60\n"
        f"while not os.path.exists({str(go)!r}) and time.monotonic() < end:\n    time.sleep(0.05)\nprint(1)"
    )
    site.chapter(CELL.replace("CODE", wait))
    first = started(sandbox, site.deck, site.out, "--no-html", "--accept", inside=inside)
    second = run_build(sandbox, site.deck, site.out, "--no-html", "--accept")
    failed(second, 9, f"pid {first.pid}", "another build")
    assert first.poll() is None, "the first build let go of the folder before the second tried it"
    go.touch()
    first.communicate(timeout=120)
    assert first.returncode == 0
    sandbox.assert_clean()

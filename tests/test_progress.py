"""A long build says what it is doing: plain lines in a log, one rewritten line in a terminal."""

import os
import pty
import select
import subprocess
import sys
import time

from conftest import BUILD, build, write_deck

SLOW = """\
## 長いセル

{% call run(output=False) %}
import time
{% endcall %}

{% call run() %}
time.sleep(1.5)  # three ticks of the progress line (0.5 s) inside cell 2
print("done")
{% endcall %}
"""


def test_a_log_gets_plain_progress_lines_naming_chapter_cell_and_time(tmp_path):
    deck = write_deck(tmp_path / "deck", {"ch1_slow.md.j2": SLOW})
    proc = build(
        deck,
        tmp_path / "out",
        "--no-html",
        "--accept",
        env={"DECKBUILD_PROGRESS_INTERVAL": "0.5"},
        companion="off",
    )
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("progress ")]
    assert lines, proc.stderr
    assert "ch1_slow cell 2/2" in lines[-1] and "ch1_slow.md.j2:8" in lines[-1], lines
    assert "\r" not in proc.stderr and "\x1b[" not in proc.stderr


def test_a_terminal_gets_one_line_rewritten_in_place(tmp_path):
    deck = write_deck(tmp_path / "deck", {"ch1_slow.md.j2": SLOW})
    master, slave = pty.openpty()
    cmd = [sys.executable, str(BUILD), str(deck), "-o", str(tmp_path / "out"), "--no-html", "--accept"]
    cmd += ["--figures-src", str(tmp_path / "none")]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=slave, env=dict(os.environ))
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the build closed its end
                break
            if not chunk:
                break
            seen += chunk
        elif proc.poll() is not None:
            break
    os.close(master)
    assert proc.wait(timeout=60) == 0, seen.decode(errors="replace")
    text = seen.decode(errors="replace")
    assert "\r\x1b[Kbuilding " in text and "ch1_slow cell 2/2" in text, text
    assert "progress " not in text  # no plain lines in a terminal

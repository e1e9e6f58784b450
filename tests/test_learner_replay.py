"""Chapters 1–2 are self-sufficient: their visible cells alone, typed in order, print exactly what the slides show.

A learner sees the visible cells (and the sources they read); hidden cells may only import the helpers
that draw tables and formulas. So the visible cells are run here in a fresh Python process, without
any hidden cell, and every output is compared with the recorded snapshot.
"""

import json
import os
import re
import subprocess
import sys

import pytest

from conftest import ROOT

RUN = re.compile(r"\{% call run\((?P<args>[^)]*)\) %\}\n(?P<code>.*?)\{% endcall %\}", re.S)

REPLAY = r"""
import contextlib, io, json, sys, warnings

namespace, outputs = {}, []
for code in json.load(sys.stdin):
    out = io.StringIO()
    with contextlib.redirect_stdout(out), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the slides print warnings as lines of their own; not compared here
        exec(compile(code, "<slide>", "exec"), namespace)
    outputs.append(out.getvalue())
json.dump(outputs, sys.stdout)
"""


def visible_cells(chapter: str) -> list[str]:
    text = (ROOT / "slides" / f"{chapter}.md.j2").read_text(encoding="utf-8")
    return [m["code"] for m in RUN.finditer(text) if "echo=False" not in m["args"]]


def recorded(chapter: str) -> dict[str, list[str]]:
    cells = json.loads((ROOT / "slides" / "snapshots" / f"{chapter}.json").read_text(encoding="utf-8"))[
        "cells"
    ]
    return {"\n".join(c["code"]).strip(): c["output"] for c in cells if c["kind"] == "snippet"}


@pytest.mark.parametrize("chapter", ["ch1_perceptron", "ch2_neural_network"])
def test_visible_cells_alone_reproduce_the_slides(chapter, tmp_path):
    cells = visible_cells(chapter)
    # one BLAS thread, as the build's kernels: the batch-speed comparison must not depend on other load
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    proc = subprocess.run(
        [sys.executable, "-c", REPLAY],
        input=json.dumps(cells),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    snapshot = recorded(chapter)
    for code, out in zip(cells, json.loads(proc.stdout), strict=True):
        want = [line for line in snapshot[code.strip()] if not re.match(r"\w+Warning: ", line)]
        assert out.rstrip("\n").split("\n") == want, code

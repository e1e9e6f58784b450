"""XOR ゲートの回路図: NAND と OR の出力 s1, s2 を AND に通す 2 層の組み合わせ。"""

import sys
from pathlib import Path

import matplotlib.pyplot as plt
import schemdraw
import schemdraw.elements as elm
from schemdraw import logic

import figstyle

LABEL_FONTSIZE = 20
GATE_FONTSIZE = 14


def main(outdir: Path) -> None:
    figstyle.setup()
    schemdraw.use("matplotlib")

    d = schemdraw.Drawing(show=False)
    d.config(font=plt.rcParams["font.family"][0], fontsize=LABEL_FONTSIZE, lw=2)

    # 1 層目: 上に NAND、下に OR。入力 in1 / in2 はゲートの左端にある。
    nand = d.add(logic.Nand().anchor("in1").at((3.0, 1.75)))
    gate_or = d.add(logic.Or().anchor("in1").at((3.0, -1.25)))
    # 2 層目: 2 つの出力を受ける AND。
    gate_and = d.add(logic.And().anchor("in1").at((7.0, 0.25)))

    # 入力 x1 は NAND と OR の in1 へ、x2 は両方の in2 へ分岐する。
    d.add(logic.Line().at((0.0, nand.in1[1])).to(nand.in1))
    d.add(logic.Dot(open=True).at((0.0, nand.in1[1])).label("$x_1$", loc="left"))
    d.add(logic.Dot().at((1.0, nand.in1[1])))
    d.add(logic.Wire("|-").at((1.0, nand.in1[1])).to(gate_or.in1))

    d.add(logic.Line().at((0.0, gate_or.in2[1])).to(gate_or.in2))
    d.add(logic.Dot(open=True).at((0.0, gate_or.in2[1])).label("$x_2$", loc="left"))
    d.add(logic.Dot().at((2.0, gate_or.in2[1])))
    d.add(logic.Wire("|-").at((2.0, gate_or.in2[1])).to(nand.in2))

    # 1 層目の出力 s1, s2 を AND へ。
    bend = gate_and.in1[0] - 1.2  # 2 本とも同じ x で折り曲げる
    for start, end in [(nand.out, gate_and.in1), (gate_or.out, gate_and.in2)]:
        d.add(logic.Line().at(start).to((bend, start[1])))
        d.add(logic.Line().at((bend, start[1])).to((bend, end[1])))
        d.add(logic.Line().at((bend, end[1])).to(end))
    d.add(elm.Label().at((nand.out[0] + 0.45, nand.out[1] + 0.35)).label("$s_1$"))
    d.add(elm.Label().at((gate_or.out[0] + 0.45, gate_or.out[1] + 0.35)).label("$s_2$"))

    d.add(logic.Line().at(gate_and.out).right(1.0))
    d.add(logic.Dot(open=True).label("$y$", loc="right"))

    for gate, name in [(nand, "NAND"), (gate_or, "OR"), (gate_and, "AND")]:
        center = ((gate.in1[0] + gate.out[0]) / 2, gate.out[1])
        d.add(elm.Label().at((center[0], center[1] - 0.8)).label(name, fontsize=GATE_FONTSIZE))

    fig = d.draw(show=False).fig
    figstyle.save(fig, outdir, "xor_gate")


if __name__ == "__main__":
    main(Path(sys.argv[1]))

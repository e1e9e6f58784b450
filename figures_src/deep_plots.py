"""深い CNN の図（第7章）: 学習曲線（第6章の CNN・第4章の 2 層ネットワークと比べる）、間違えたテストの数字、
データ拡張で作った数字とその効果、レイヤの種類ごとの時間。

記録・重み・時間は zerodl.deep から読む（ビルドでは 1 回だけ学習・計測し、スライドと共有する）。描く関数はどれも
描くデータを引数に受け取り、main() だけが zerodl を呼ぶ: テストは小さな作りもののデータで描ける。
"""

import math
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from cnn_plots import TEST_COLOR, accuracy_axes, train_test_curves, two_layer_baseline
from matplotlib.patches import Rectangle

import figstyle
from zerodl import cnn, deep
from zerodl.cnn_examples import shift
from zerodl.mnist import load_mnist
from zerodl.trained import trained_two_layer_net

SIMPLE_CNN_COLOR = "#31a354"  # 第6章の CNN（比べる相手の 1 本目。2 本目の 2 層ネットワークは灰色）
MISCLASSIFIED_COLUMNS = 8  # 8 列なら、ラベルの間をあけても数字がスライドの高さいっぱいの大きさで描ける
MISCLASSIFIED_SHOWN = (
    32  # これより多く間違えたら、テストデータの順で最初の 32 枚（4 行）だけ（表題でそう言う）
)
AUGMENTED_DIGITS = 6  # 拡張を見せる訓練データの数字の数（最初から）
AUGMENT_SEED = 0
FORWARD_COLOR, BACKWARD_COLOR = "#9ecae1", "#08519c"
NO_AUGMENT_COLOR = "#9e9e9e"  # データ拡張の効果の図: 拡張なし（比べる相手）は灰色
LAYER_NAMES = {  # レイヤの種類 → 図に書く名前
    "Conv": "Conv（畳み込み）",
    "Relu": "ReLU",
    "Pool": "Pooling",
    "Affine": "Affine（全結合）",
    "Dropout": "Dropout",
    "Flatten": "Flatten",
    "Softmax": "Softmax と損失",
}


def minus(text):
    """書式の - を本当のマイナス記号（U+2212）に。"""
    return text.replace("-", "\N{MINUS SIGN}")


# ---- 学習曲線 ----------------------------------------------------------------------------------------------


def zoomed_floor(*histories):
    """拡大した軸の下端: 最後のエポックのテストの正解率のうち一番低いものより 0.02 以上下の、0.02 の倍数。"""
    lowest = min(h["test_acc"][-1] for h in histories)
    return math.floor(round((lowest - 0.02) / 0.02, 6)) * 0.02  # round: 0.88 / 0.02 が 43.99… になるのを防ぐ


def learning_curve_figure(history, cnn_history, baseline_history):
    """深い CNN の訓練データ（実線）とテストデータ（破線）の正解率に、第6章の CNN と第4章の 2 層ネットワークの
    テストの正解率を重ねる。左は 0〜1 の全体、右は同じ線の上の方を縦に拡大したもの（差が 1 % ほどなので）。"""
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.3), layout="constrained")
    last = max(history["epoch"][-1], cnn_history["epoch"][-1], len(baseline_history["test_acc"]) - 1)
    for ax, ylim in zip(
        axes, [(0, 1.02), (zoomed_floor(history, cnn_history, baseline_history), 1.0)], strict=True
    ):
        two_layer_baseline(ax, baseline_history)
        ax.plot(
            cnn_history["epoch"],
            cnn_history["test_acc"],
            color=SIMPLE_CNN_COLOR,
            linewidth=1.8,
            linestyle="-.",
            label=f"単純な CNN（第6章）のテスト: {cnn_history['epoch'][-1]} エポック",
        )
        train_test_curves(ax, history, "深い CNN")
        accuracy_axes(ax, last, ylim)
    axes[0].set_title("全体", fontsize=15)
    axes[1].set_title("上の方を拡大", fontsize=15)
    handles, labels = axes[0].get_legend_handles_labels()
    order = [2, 3, 1, 0]  # 深い CNN の 2 本を先に
    fig.legend(
        [handles[i] for i in order],
        [labels[i] for i in order],
        loc="outside lower center",
        ncols=2,
        fontsize=13,
        frameon=False,
    )
    return fig


# ---- 間違えた数字 ------------------------------------------------------------------------------------------


def draw_digit(ax, image, left, top, label, fontsize, frame=False):
    """image を軸の (left, top) から 1×1 の升に描き（縦軸は下向き）、その上に label を書く。

    数字を 1 つの軸にまとめて描くため: 数十個の軸を並べると、配置の計算だけで何秒もかかる。
    """
    ax.imshow(
        image, cmap="gray_r", interpolation="nearest", vmin=0, vmax=1, extent=(left, left + 1, top + 1, top)
    )
    if frame:
        ax.add_patch(Rectangle((left, top), 1, 1, fill=False, linewidth=0.8, edgecolor="#444444"))
    if label:
        ax.text(left + 0.5, top - 0.04, label, ha="center", va="bottom", fontsize=fontsize)


def digit_axes(width, units_wide, units_high):
    """図いっぱいの軸 1 つ（横 units_wide、縦 units_high の升目。縦は下向き）と、幅 width インチの図。"""
    fig = plt.figure(figsize=(width, width * units_high / units_wide))
    # 数字は 1 枚ずつ SVG の画像にする（まとめて 1 枚の画像に描き直すと、画素がぼやけて升目がずれる）
    fig.suppressComposite = True
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, units_wide)
    ax.set_ylim(units_high, 0)  # 上の行から
    ax.set_aspect("equal")
    ax.axis("off")
    return fig, ax


def misclassified_figure(images, labels, predicted, n_test):
    """間違えた数字を MISCLASSIFIED_COLUMNS 列に並べ、それぞれに「正解 → 予測」を書く。

    images (N, H, W) は間違えた数字（テストデータの順）、labels と predicted はその正解と予測、n_test はテスト
    データの枚数。MISCLASSIFIED_SHOWN 枚より多ければ最初の MISCLASSIFIED_SHOWN 枚だけ描き、表題でそう言う。
    """
    n = len(images)
    shown = min(n, MISCLASSIFIED_SHOWN)
    rows = max(1, -(-shown // MISCLASSIFIED_COLUMNS))
    # 升の幅はラベル「正解 7 → 予測 1」の幅に、隣のラベルとの間（ラベルがどの数字のものか分かるように）を足したもの、
    # 高さは数字とその上のラベルの行
    cell_w, cell_h, label_h = 1.8, 1.4, 0.34
    fig, ax = digit_axes(11, MISCLASSIFIED_COLUMNS * cell_w, rows * cell_h)
    for k in range(shown):
        row, col = divmod(k, MISCLASSIFIED_COLUMNS)
        label = f"正解 {labels[k]} → 予測 {predicted[k]}"
        draw_digit(ax, images[k], col * cell_w + (cell_w - 1) / 2, row * cell_h + label_h, label, 11)
    title = f"テストデータ {n_test:,} 枚のうち間違えた {n} 枚"
    if shown < n:
        title += f"（テストデータの順で最初の {shown} 枚）"
    ax.set_title(title, fontsize=12)
    return fig


# ---- データ拡張 --------------------------------------------------------------------------------------------


def shift_label(dy, dx, unit=" 画素"):
    """ずらし方 (dy, dx) の説明: (0, 2) → 「右へ 2 画素」、(−2, 0) → 「上へ 2 画素」。"""
    parts = ([f"{'下' if dy > 0 else '上'}へ {abs(dy)}"] if dy else []) + (
        [f"{'右' if dx > 0 else '左'}へ {abs(dx)}"] if dx else []
    )
    return "、".join(parts) + unit if parts else "そのまま"


def degrees_label(degrees):
    """回す角度の説明: 15 → 「+15°」、−7.4 → 「−7°」（本当のマイナス記号）。"""
    return minus(f"{degrees:+.0f}°")


class RecordingGenerator:
    """deep.augment に渡す乱数生成器: 本物の生成器が引いた値をそのまま返し、順に覚えておく（何をしたかを図に書くため）。"""

    def __init__(self, rng):
        self.rng, self.drawn = rng, []

    def integers(self, *args, **kwargs):
        return self._keep(self.rng.integers(*args, **kwargs))

    def uniform(self, *args, **kwargs):
        return self._keep(self.rng.uniform(*args, **kwargs))

    def _keep(self, value):
        self.drawn.append(value)
        return value


def recorded_augment(image, rng):
    """deep.augment(image, rng) と、そのとき引いたずらし方と角度: (画像, dy, dx, 角度)。

    augment は先にずらす量 (dy, dx) を、次に角度を引く（テストが確かめる: 読んだ値で rotate してから shift すると
    同じ画像になる）。augment が引き方を変えれば、ここで値の数か形が合わずに止まる。
    """
    recorder = RecordingGenerator(rng)
    out = deep.augment(image, recorder)
    (dy, dx), degrees = recorder.drawn
    return out, int(dy), int(dx), float(degrees)


def augmented_examples(images, max_shift, max_degrees, seed=AUGMENT_SEED):
    """images (N, H, W) のそれぞれを、ずらすだけ・回すだけ・両方（deep.augment、種 seed）にした行。

    ずらし方は右・下・左・上へ max_shift 画素の繰り返し、角度は +max_degrees と −max_degrees を交互に（範囲の端を
    見せる）。両方の行は augment が引いたずらし方と角度を書く。返すのは [(行の名前, [(画像, その説明), …]), …]
    （1 行目は元の数字）。
    """
    shifts = [(0, max_shift), (max_shift, 0), (0, -max_shift), (-max_shift, 0)]
    rng = np.random.default_rng(seed)
    rows = [("元の数字", [(image, "") for image in images]), ("ずらす", []), ("回す\n（+ は左回り）", [])]
    rows.append(("両方\n（ランダム）", []))
    for k, image in enumerate(images):
        dy, dx = shifts[k % len(shifts)]
        degrees = max_degrees if k % 2 == 0 else -max_degrees
        rows[1][1].append((shift(image, dy, dx), shift_label(dy, dx)))
        rows[2][1].append((deep.rotate(image, degrees), degrees_label(degrees)))
        out, dy, dx, degrees = recorded_augment(image, rng)
        rows[3][1].append((out, f"{shift_label(dy, dx, unit='')}\n{degrees_label(degrees)}"))
    return rows


def augmented_figure(rows):
    """augmented_examples の行を上から順に描く: 各行の左に行の名前、各画像の上にその説明（1 行か 2 行）。"""
    n = len(rows[0][1])
    name_w, cell_w, gap, line_h = 1.9, 1.5, 0.12, 0.28  # 左に行の名前の欄。升の上に説明を 1 行 line_h で
    label_lines = [max(label.count("\n") + 1 if label else 0 for _, label in panels) for _, panels in rows]
    tops = np.cumsum([0.0] + [line_h * lines + 1 + gap for lines in label_lines])
    fig, ax = digit_axes(8.6, name_w + n * cell_w, tops[-1] - gap)
    for r, (name, panels) in enumerate(rows):
        top = tops[r] + line_h * label_lines[r]
        ax.text(name_w - 0.15, top + 0.5, name, ha="right", va="center", ma="center", fontsize=12)
        for k, (image, label) in enumerate(panels):
            draw_digit(ax, image, name_w + k * cell_w + (cell_w - 1) / 2, top, label, 11, frame=True)
    return fig


# ---- 時間 ----------------------------------------------------------------------------------------------------


def milliseconds(ms):
    """有効数字 2〜3 桁ほど: 90 → "90"、7.04 → "7.0"、0.034 → "0.03"。"""
    return f"{ms:.0f}" if ms >= 10 else f"{ms:.1f}" if ms >= 1 else f"{ms:.2f}"


def percent(share):
    """割合（%）: 88.3 → "88 %"、6.8 → "6.8 %"、0.04 → "0.1 % 未満"（0.0 % と書くと 0 に見えるので）。"""
    return f"{share:.0f} %" if share >= 10 else f"{share:.1f} %" if share >= 0.1 else "0.1 % 未満"


def profile_figure(profile, batch_size):
    """レイヤの種類ごとの順伝播と逆伝播の時間（ミリ秒、積み上げた横棒）。合計の長い順に上から、棒の右に合計と全体に占める割合。

    profile: 種類 → {"forward": 秒, "backward": 秒}（ミニバッチ batch_size 枚の 1 回分）。
    """
    totals = {kind: t["forward"] + t["backward"] for kind, t in profile.items()}
    order = sorted(totals, key=totals.get)  # barh は下から描くので、短い順に並べると一番長いものが上
    grand = sum(totals.values())
    forward = np.array([1000 * profile[k]["forward"] for k in order])
    backward = np.array([1000 * profile[k]["backward"] for k in order])
    fig, ax = plt.subplots(figsize=(8.6, 0.42 * len(order) + 1.3), layout="constrained")
    y = np.arange(len(order))
    ax.barh(y, forward, color=FORWARD_COLOR, label="順伝播")
    ax.barh(y, backward, left=forward, color=BACKWARD_COLOR, label="逆伝播")
    for k, kind in enumerate(order):
        text = f"{milliseconds(1000 * totals[kind])} ms（{percent(100 * totals[kind] / grand)}）"
        ax.text(forward[k] + backward[k], k, "  " + text, va="center", fontsize=12)
    ax.set_yticks(y, [LAYER_NAMES.get(kind, kind) for kind in order], fontsize=13)
    ax.set_xlim(0, 1.35 * (forward + backward).max())  # 右に合計と割合を書く余白
    ax.set_xlabel(f"時間（ミリ秒、ミニバッチ {batch_size} 枚の 1 回分）", fontsize=13)
    ax.tick_params(axis="x", labelsize=12)
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    ax.legend(fontsize=12, loc="lower right", frameon=False)
    return fig


def augment_effect_figure(plain_acc, augmented_acc, n_test):
    """データ拡張なし（灰色）とあり（テストの色）のテストの正解率の縦棒。上に値と、間違えた枚数。

    差は 1 % に満たないことが多いので、縦軸は低い方より 0.02 以上下の 0.01 の倍数から 1 までに拡大する。
    拡大すると差が大きく見えるので、棒ごとに ±標準誤差 √(p(1 − p)/n) のひげを描き、ばらつきと比べられるようにする。
    """
    fig, ax = plt.subplots(figsize=(5.6, 4.0), layout="constrained")
    accs = np.array([plain_acc, augmented_acc])
    se = np.sqrt(accs * (1 - accs) / n_test)
    ax.bar([0, 1], accs, width=0.55, color=[NO_AUGMENT_COLOR, TEST_COLOR])
    ax.errorbar([0, 1], accs, yerr=se, fmt="none", ecolor="black", elinewidth=1.5, capsize=8)
    for k, acc in enumerate(accs):
        wrong = round((1 - acc) * n_test)
        label = f"{acc:.3f}\n（間違い {wrong} 枚）"
        ax.annotate(
            label,
            (k, acc + se[k]),
            xytext=(0, 4),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=13,
        )
    ax.set_ylim(math.floor(round((accs.min() - 0.02) / 0.01, 6)) * 0.01, 1.0)
    ax.set_xticks([0, 1], ["拡張なし", "拡張あり"], fontsize=13)
    ax.set_ylabel(f"テストの正解率（{n_test:,} 枚）", fontsize=13)
    ax.tick_params(axis="y", labelsize=12)
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    return fig


def main(outdir: Path) -> None:
    figstyle.setup()
    # 拡張ありを先に求める: ビルドでは、章のカーネルが拡張なしを学習させている間に、この図のスクリプトが
    # もう 1 つのコアで拡張ありを学習させる（どちらも @memo で、スライドと共有する）
    augmented = deep.train_deep_net_augmented()
    result = deep.train_deep_net()  # ビルドでは 1 回だけ学習し、スライドと共有する
    figstyle.save(
        learning_curve_figure(
            result["history"], cnn.train_simple_cnn()["history"], trained_two_layer_net()["history"]
        ),
        outdir,
        "ch7_learning_curve",
    )

    (x_train, _), (x_test, t_test) = load_mnist(normalize=True, flatten=False)
    wrong, predicted = deep.misclassified(deep.deep_net_with(result["params"]), x_test, t_test)
    figstyle.save(
        misclassified_figure(x_test[wrong, 0], t_test[wrong], predicted, len(x_test)),
        outdir,
        "ch7_misclassified",
    )
    rows = augmented_examples(x_train[:AUGMENTED_DIGITS, 0], deep.MAX_SHIFT, deep.MAX_DEGREES)
    figstyle.save(augmented_figure(rows), outdir, "ch7_augmented")
    accs = result["history"]["test_acc"][-1], augmented["history"]["test_acc"][-1]
    figstyle.save(augment_effect_figure(*accs, len(x_test)), outdir, "ch7_augment_effect")
    figstyle.save(profile_figure(deep.deep_net_profile(), deep.PROFILE_BATCH), outdir, "ch7_profile")


if __name__ == "__main__":
    main(Path(sys.argv[1]))

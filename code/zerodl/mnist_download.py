"""全 70,000 枚の MNIST（IDX ファイル 4 つ）をミラーから取ってくる: python -m zerodl.mnist_download。"""

import hashlib
import os
import sys
import tempfile
import urllib.request
from pathlib import Path

from zerodl.mnist import FULL_FILES, MnistError, data_dir

MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)


def mirrors():
    """試す順のミラー。環境変数 ZERODL_MNIST_MIRROR があればそれだけ（手元の写しや file:// の URL）。"""
    mirror = os.environ.get("ZERODL_MNIST_MIRROR")
    return (mirror,) if mirror else MIRRORS


def download_all(folder=None):
    """4 つのファイルを folder（既定は data_dir()）にそろえる。1 ファイル 1 行の報告を返す。"""
    folder = Path(folder or data_dir())
    folder.mkdir(parents=True, exist_ok=True)
    return [fetch(name, sha256, folder) for name, sha256 in FULL_FILES.items()]


def fetch(name, sha256, folder):
    """SHA-256 の合うファイルがすでにあれば何もしない。なければミラーを順に試す。"""
    path = folder / name
    if path.is_file():
        if file_sha256(path) == sha256:
            return f"{name}: already present"
        path.unlink()  # 壊れたファイルは消して取り直す
    failures = []
    for base in mirrors():
        url = base.rstrip("/") + "/" + name
        try:
            download(url, path, sha256)
            return f"{name}: downloaded from {url}"
        except (OSError, ValueError, MnistError) as e:  # URLError は OSError の仲間
            failures.append(f"{url}: {e}")
    raise MnistError(f"{name}: download failed: " + "; ".join(failures))


def download(url, path, sha256):
    """一時ファイルに落とし、SHA-256 が合ったときだけ path に置く（途中で切れたファイルを残さない）。"""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=60) as response:
            while chunk := response.read(1 << 20):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != sha256:
            raise MnistError(f"wrong SHA-256 {digest.hexdigest()[:16]}…, expected {sha256[:16]}…")
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def file_sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main():
    try:
        for line in download_all():
            print(line)
    except MnistError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"MNIST (70,000 images) is in {data_dir()}: build with ZERODL_MNIST=full make slides")
    return 0


if __name__ == "__main__":
    sys.exit(main())

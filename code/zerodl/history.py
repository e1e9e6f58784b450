"""第7章の歴史: ILSVRC（ImageNet の画像分類コンペ）の優勝チームと、論文が発表した top-5 誤り率。

デッキの中で計算していない唯一の数。だから imagenet_history.csv の 1 行ごとに出典（著者、題名、
会議・雑誌、年、数の載っている表や節）を持たせ、読み込むときに形を確かめる。
"""

import csv
from dataclasses import dataclass
from pathlib import Path

HISTORY_CSV = Path(__file__).with_name("imagenet_history.csv")
COLUMNS = ["year", "place", "winner", "network", "top5_error_percent", "source"]


@dataclass(frozen=True)
class Entry:
    """1 年の 1 チーム。network は空文字なら、ニューラルネットワークではない手法（2010、2011 年）。"""

    year: int
    place: int  # 分類部門の順位（2014 年の VGG は 2 位）
    winner: str
    network: str
    top5_error_percent: float
    source: str

    @property
    def name(self) -> str:
        """図に書く名前: ネットワークの名前、なければチームの名前。"""
        return self.network or self.winner


class HistoryError(ValueError):
    """データファイルの形の誤り。メッセージは 1 行で「ファイル:行: 何が悪いか」。"""


def _entry(row: dict, where: str) -> Entry:
    try:
        year, place = int(row["year"]), int(row["place"])
        error = float(row["top5_error_percent"])
    except ValueError as e:
        raise HistoryError(f"{where}: {e}") from None
    if not 0 < error < 100:
        raise HistoryError(f"{where}: top5_error_percent {error:g} is not a percentage in (0, 100)")
    for key in ("winner", "source"):
        if not row[key].strip():
            raise HistoryError(f"{where}: empty {key}")
    return Entry(year, place, row["winner"], row["network"], error, row["source"])


def imagenet_winners(path: Path = HISTORY_CSV) -> list[Entry]:
    """データファイルの行を、書かれた順に（年の順。同じ年なら順位の順）。"""
    entries = []
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames != COLUMNS:
            raise HistoryError(f"{path}:1: columns {reader.fieldnames}, expected {COLUMNS}")
        for row in reader:
            where = f"{path}:{reader.line_num}"
            if None in row or None in row.values():  # 列が多すぎる、少なすぎる
                raise HistoryError(f"{where}: {len(COLUMNS)} fields expected")
            entry = _entry(row, where)
            if entries and (entry.year, entry.place) <= (entries[-1].year, entries[-1].place):
                raise HistoryError(f"{where}: {entry.year} (place {entry.place}) is out of order")
            entries.append(entry)
    if not entries:
        raise HistoryError(f"{path}:1: no rows")
    return entries

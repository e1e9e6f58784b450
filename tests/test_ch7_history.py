"""Chapter 7's ImageNet history: the one data file of numbers the deck does not compute. Every row carries its
source, the years run in order, the errors are percentages, and a malformed file is refused in one line that names
the file and the line."""

import re

import pytest

from zerodl import history
from zerodl.history import HISTORY_CSV, HistoryError, imagenet_winners


def test_every_row_names_its_paper_and_where_in_it():
    for entry in imagenet_winners():
        # an author and a year at least, and the table, section or abstract the number is printed in
        assert re.search(r"(19|20)\d\d", entry.source), entry
        assert re.search(r"Table|Sec|abstract|results page", entry.source), entry


def test_years_ascend_and_errors_are_percentages():
    entries = imagenet_winners()
    years = [e.year for e in entries]
    assert years == sorted(years) and years[0] == 2010 and years[-1] == 2015
    assert all(0 < e.top5_error_percent < 100 for e in entries)
    assert all(isinstance(e.top5_error_percent, float) and isinstance(e.year, int) for e in entries)


def test_the_networks_the_chapter_names_are_there():
    names = {e.name for e in imagenet_winners()}
    assert {"AlexNet", "VGG", "GoogLeNet", "ResNet"} <= names
    assert [e.name for e in imagenet_winners() if e.place != 1] == ["VGG"]


def test_the_data_file_ships_with_the_package():
    assert HISTORY_CSV.parent == __import__("pathlib").Path(history.__file__).parent


def write(tmp_path, *rows):
    path = tmp_path / "h.csv"
    path.write_text("\n".join([",".join(history.COLUMNS), *rows]) + "\n", encoding="utf-8")
    return path


GOOD = '2012,1,SuperVision,AlexNet,15.3,"Krizhevsky et al., NIPS 2012, Table 2"'


@pytest.mark.parametrize(
    "bad,message",
    [
        ('2013,1,Clarifai,ZFNet,11.7,""', "empty source"),
        ("2013,1,Clarifai,ZFNet,eleven,Zeiler 2014", "could not convert"),
        ("2013,1,Clarifai,ZFNet,117,Zeiler 2014", "not a percentage"),
        ("2013,1,Clarifai,ZFNet,11.7", "6 fields expected"),
        ("2013,1,Clarifai,ZFNet,11.7,Zeiler 2014,extra", "6 fields expected"),
        ("2011,1,XRCE,,25.8,Russakovsky 2015", "out of order"),
        ("20x3,1,Clarifai,ZFNet,11.7,Zeiler 2014", "invalid literal"),
    ],
)
def test_a_malformed_row_is_refused_naming_the_file_and_its_line(tmp_path, bad, message):
    path = write(tmp_path, GOOD, bad)
    with pytest.raises(HistoryError) as e:
        imagenet_winners(path)
    text = str(e.value)
    assert "\n" not in text and text.startswith(f"{path}:3: ") and message in text


def test_a_file_with_other_columns_is_refused_at_line_1(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("year,error\n2012,15.3\n", encoding="utf-8")
    with pytest.raises(HistoryError, match=rf"^{re.escape(str(path))}:1: columns"):
        imagenet_winners(path)

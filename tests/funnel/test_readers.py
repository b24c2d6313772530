from __future__ import annotations

from pathlib import Path

import pytest

from salesfunnel import FunnelDataError
from salesfunnel.funnel.readers import read_counts


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_csv_any_column_order_with_amounts_and_bom(tmp_path: Path) -> None:
    p = _write(tmp_path, "c.csv", "\ufeffCount,Stage,Amount\n200,Calls,\n10,Paid,5000\n")
    f = read_counts(p, name="team")
    assert f.names == ("Calls", "Paid")
    assert list(f.counts) == [200.0, 10.0]
    assert f["Calls"].amount is None
    assert f["Paid"].amount == 5000.0
    assert f.name == "team"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        ("stage,amount\nCalls,3\n", "row 1: missing column 'count'"),
        ("stage,count\n", "no stages"),
        ("stage,count\nCalls,abc\n", "row 2, column 'count': expected a number (got 'abc')"),
        ("stage,count\nCalls,5\nPaid,-1\n", "row 3, column 'count'"),
        (
            "stage,count\nCalls,5\nCalls,1\n",
            "row 3, column 'stage': 'Calls' already appears in row 2",
        ),
        ("stage,count\n,5\n", "row 2, column 'stage'"),
        ("stage,count\nCalls\n", "row 2: expected 2 columns"),
    ],
)
def test_csv_errors_name_file_row_and_column(tmp_path: Path, text: str, fragment: str) -> None:
    p = _write(tmp_path, "bad.csv", text)
    with pytest.raises(FunnelDataError) as info:
        read_counts(p)
    assert str(p) in str(info.value)
    assert fragment in str(info.value)


def test_json_forms(tmp_path: Path) -> None:
    a = read_counts(_write(tmp_path, "a.json", '{"Calls": 200, "Paid": 10}'))
    b = read_counts(
        _write(
            tmp_path,
            "b.json",
            '[{"stage": "Calls", "count": 200}, {"stage": "Paid", "count": 10, "amount": 7}]',
        )
    )
    c = read_counts(
        _write(tmp_path, "c.json", '{"name": "Ann", "stages": {"Calls": 200, "Paid": 10}}')
    )
    assert a.names == b.names == c.names == ("Calls", "Paid")
    assert b["Paid"].amount == 7.0
    assert c.name == "Ann"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("{", "line 1: not valid JSON"),
        ("3", "expected an object"),
        ('[{"stage": "a"}]', "stage 0: expected an object with 'stage' and 'count'"),
        ('{"a": -3}', "stage 0: count of stage 'a'"),
        ("{}", "at least one stage"),
    ],
)
def test_json_errors(tmp_path: Path, text: str, fragment: str) -> None:
    p = _write(tmp_path, "bad.json", text)
    with pytest.raises(FunnelDataError, match=None) as info:
        read_counts(p)
    assert fragment in str(info.value)
    assert str(p) in str(info.value)


def test_json_duplicate_key_is_refused_not_dropped(tmp_path: Path) -> None:
    p = _write(tmp_path, "d.json", '{"Calls": 200, "Paid": 10, "Calls": 150}')
    with pytest.raises(FunnelDataError, match="'Calls' appears twice") as info:
        read_counts(p)
    assert (info.value.source, info.value.column) == (str(p), "Calls")


@pytest.mark.parametrize(
    "text",
    ['{"Calls": 1' + "0" * 400 + "}", '[{"stage": "Calls", "count": 1' + "0" * 400 + "}]"],
    ids=["object", "list"],
)
def test_json_count_too_large_for_a_float_is_a_data_error(tmp_path: Path, text: str) -> None:
    p = _write(tmp_path, "big.json", text)
    with pytest.raises(FunnelDataError, match="stage 0: count of stage 'Calls'") as info:
        read_counts(p)
    assert info.value.source == str(p)


def test_csv_counts_go_through_the_one_reader(tmp_path: Path) -> None:
    p = tmp_path / "l.csv"
    p.write_bytes(b"stage,count\nCalls,200\nCaf\xe9,10\n")
    with pytest.raises(FunnelDataError, match="byte offset 25 ") as info:
        read_counts(p)
    assert info.value.line == 3
    p.write_text("stage,count,stage\nCalls,200,x\n")
    with pytest.raises(FunnelDataError, match="names column 'stage' twice"):
        read_counts(p)


def test_a_csv_count_a_float_cannot_hold_exactly_is_refused_where_it_stands(tmp_path: Path) -> None:
    # float("9007199254740993") is 9007199254740992.0: the count would change silently.
    path = tmp_path / "c.csv"
    path.write_text("stage,count\nCalls,9007199254740993\nPaid,1\n", encoding="utf-8")
    with pytest.raises(
        FunnelDataError, match=r"row 2, column 'count': a count above 2\*\*53"
    ) as info:
        read_counts(path)
    assert info.value.line == 2
    path.write_text("stage,count\nCalls,9007199254740992\nPaid,1\n", encoding="utf-8")
    assert int(read_counts(path)["Calls"].count) == 2**53

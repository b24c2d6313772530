"""FunnelDataError says where the bad value sits, as attributes as well as in its message.

Each raise site is driven with a broken input and the error's ``source``,
``index``, ``line``, ``column`` and ``value`` are checked against what the
message says, so a program (the CLI, a web form) can point at the cell
without parsing text.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from salesfunnel import DealLog, Funnel, FunnelDataError, Pipeline, SalesFunnelError, Stage
from salesfunnel.errors import NO_VALUE
from salesfunnel.funnel.readers import read_counts

P = Pipeline(["Call", "Offer"], won="Won", lost="Lost")
LABELS = "['Call', 'Offer', 'Won', 'Lost']"


def raised(make: Callable[[], object]) -> FunnelDataError:
    with pytest.raises(FunnelDataError) as info:
        make()
    return info.value


def where(e: FunnelDataError) -> dict[str, Any]:
    return {
        "source": e.source,
        "index": e.index,
        "line": e.line,
        "column": e.column,
        "value": e.value,
    }


def at(
    *,
    source: str | None = None,
    index: int | None = None,
    line: int | None = None,
    column: str | None = None,
    value: object = NO_VALUE,
) -> dict[str, Any]:
    return {"source": source, "index": index, "line": line, "column": column, "value": value}


def good(n: int = 3) -> list[dict[str, Any]]:
    return [
        {"deal": f"D{i}", "stage": "Call", "time": f"2024-01-0{i + 1}", "amount": "10"}
        for i in range(n)
    ]


def with_cell(i: int, column: str, value: object) -> list[dict[str, Any]]:
    rows = good()
    rows[i][column] = value
    return rows


# -- in-memory deal logs: index is the 0-based row ------------------------------------
RECORDS = [
    pytest.param(
        with_cell(1, "stage", "Demo"),
        at(index=1, column="stage", value="Demo"),
        f"row 1, column 'stage': unknown label 'Demo'; the pipeline's labels are {LABELS}",
        id="unknown-label",
    ),
    pytest.param(
        with_cell(2, "time", "2024-13-01"),
        at(index=2, column="time", value="2024-13-01"),
        "row 2, column 'time': unparsable timestamp",
        id="unparsable-time",
    ),
    pytest.param(
        with_cell(0, "time", None),
        at(index=0, column="time", value=None),
        "row 0, column 'time': missing timestamp (got None)",
        id="missing-time",
    ),
    pytest.param(
        with_cell(1, "deal", "  "),
        at(index=1, column="deal", value="  "),
        "row 1, column 'deal': missing deal id (got '  ')",
        id="missing-deal",
    ),
    pytest.param(
        with_cell(2, "amount", "lots"),
        at(index=2, column="amount", value="lots"),
        "row 2, column 'amount': amount is not a number (got 'lots')",
        id="amount-not-a-number",
    ),
    pytest.param(
        with_cell(1, "amount", "-3"),
        at(index=1, column="amount", value="-3"),
        "row 1, column 'amount': amount must be finite and >= 0 (got '-3')",
        id="negative-amount",
    ),
]


@pytest.mark.parametrize(("rows", "expected", "message"), RECORDS)
def test_from_records_locates_the_cell(
    rows: list[dict[str, Any]], expected: dict[str, Any], message: str
) -> None:
    e = raised(lambda: DealLog.from_records(rows, P, amount="amount"))
    assert where(e) == expected
    assert str(e).startswith(message)
    prefix = f"row {e.index}, column {e.column!r}: {e.detail}"
    assert str(e) in (prefix, f"{prefix} (pass drop_unknown=True to drop such rows)")


@pytest.mark.parametrize(("rows", "expected", "message"), RECORDS)
def test_from_columns_locates_the_cell(
    rows: list[dict[str, Any]], expected: dict[str, Any], message: str
) -> None:
    columns = {c: np.array([r[c] for r in rows], dtype=object) for c in rows[0]}
    e = raised(lambda: DealLog.from_columns(columns, P, amount="amount"))
    assert where(e) == expected
    assert str(e).startswith(message)


def test_rows_after_dropped_ones_keep_their_input_index() -> None:
    rows = good(4)
    rows[0]["stage"] = "Demo"  # dropped
    rows[2]["time"] = "soon"
    e = raised(lambda: DealLog.from_records(rows, P, drop_unknown=True))
    assert (e.index, e.column, e.value) == (2, "time", "soon")
    assert str(e).startswith("row 2, column 'time'")


def test_label_codes_out_of_range() -> None:
    cols = {
        "deal": np.array([1, 2, 3]),
        "stage": np.array([0, 9, 1]),
        "time": np.array(["2024-01-01"] * 3, "datetime64[s]"),
    }
    e = raised(lambda: DealLog.from_columns(cols, P))
    assert where(e) == at(index=1, column="stage", value=9)


def test_the_message_is_the_location_then_the_detail() -> None:
    e = raised(lambda: DealLog.from_records(with_cell(1, "stage", "Demo"), P))
    assert e.detail == f"unknown label 'Demo'; the pipeline's labels are {LABELS}"
    assert str(e) == f"row 1, column 'stage': {e.detail} (pass drop_unknown=True to drop such rows)"
    e = raised(lambda: DealLog.from_records(with_cell(1, "amount", "x"), P, amount="amount"))
    assert str(e) == f"row 1, column 'amount': {e.detail}"


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        pytest.param(
            lambda: DealLog.from_columns({"deal": [1], "stage": ["Call"]}, P),
            at(column="time"),
            id="missing-column",
        ),
        pytest.param(
            lambda: DealLog.from_columns({"deal": [1], "stage": ["Call"], "time": []}, P),
            at(value={"deal": 1, "stage": 1, "time": 0}),
            id="unequal-lengths",
        ),
        pytest.param(
            lambda: DealLog.from_records(good(), "Call,Offer"),  # type: ignore[arg-type]
            at(column="pipeline", value="Call,Offer"),
            id="not-a-pipeline",
        ),
        pytest.param(
            lambda: DealLog.from_wide(good(), P, deal="deal", stage_dates={"Demo": "time"}),
            at(column="stage_dates", value="Demo"),
            id="stage-dates-label",
        ),
    ],
)
def test_errors_about_arguments(make: Callable[[], object], expected: dict[str, Any]) -> None:
    assert where(raised(make)) == expected


# -- DataFrames: index is the position, not the frame's index label ---------------
def frame() -> Any:
    pd = pytest.importorskip("pandas")
    rows = with_cell(2, "stage", "Demo")
    return pd.DataFrame(rows, index=[10, 20, 30])


def test_from_pandas_uses_positions() -> None:
    e = raised(lambda: DealLog.from_pandas(frame(), P))
    assert where(e) == at(index=2, column="stage", value="Demo")
    assert str(e).startswith("row 2, column 'stage'")


def test_from_polars_and_arrow_locate_the_cell() -> None:
    pl = pytest.importorskip("polars")
    pa = pytest.importorskip("pyarrow")
    f = frame()
    e = raised(lambda: DealLog.from_polars(pl.from_pandas(f), P))
    assert where(e) == at(index=2, column="stage", value="Demo")
    e = raised(lambda: DealLog.from_arrow(pa.Table.from_pandas(f, preserve_index=False), P))
    assert where(e) == at(index=2, column="stage", value="Demo")


@pytest.mark.parametrize("kind", ["pandas", "polars", "arrow"])
def test_frames_name_a_missing_column(kind: str) -> None:
    f = frame().drop(columns=["time"])
    if kind == "pandas":
        e = raised(lambda: DealLog.from_pandas(f, P))
    elif kind == "polars":
        pl = pytest.importorskip("polars")
        e = raised(lambda: DealLog.from_polars(pl.from_pandas(f), P))
    else:
        pa = pytest.importorskip("pyarrow")
        e = raised(lambda: DealLog.from_arrow(pa.Table.from_pandas(f), P))
    assert where(e) == at(column="time")


# -- files: the message begins with the path; line is the file's line (header = 1, blank
# lines count), index the data row --------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected", "message"),
    [
        pytest.param(
            "deal,stage,time\nD1,Call,2024-01-01\nD1,Demo,2024-01-02\n",
            {"index": 1, "line": 3, "column": "stage", "value": "Demo"},
            "{path}, line 3, column 'stage': unknown label 'Demo'",
            id="unknown-label",
        ),
        pytest.param(
            "deal,stage,time\nD1,Call,2024-01-01\n\n\nD1,Won,later\n",
            {"index": 1, "line": 5, "column": "time", "value": "later"},
            "{path}, line 5, column 'time': unparsable timestamp",
            id="blank-lines-count",
        ),
        pytest.param(
            'deal,stage,time\n"D\n1",Call,2024-01-01\n,Won,2024-01-02\n',
            {"index": 1, "line": 4, "column": "deal", "value": ""},
            "{path}, line 4, column 'deal': missing deal id",
            id="quoted-line-break",
        ),
        pytest.param(
            "deal,stage\nD1,Call\n",
            {"index": None, "line": 1, "column": "time", "value": NO_VALUE},
            "{path}: no column 'time'",
            id="missing-column",
        ),
    ],
)
def test_from_csv_locates_the_line(
    tmp_path: Path, text: str, expected: dict[str, Any], message: str
) -> None:
    path = tmp_path / "log.csv"
    path.write_text(text, encoding="utf-8")
    e = raised(lambda: DealLog.from_csv(path, P))
    assert where(e) == {"source": str(path), **expected}
    assert str(e).startswith(message.format(path=path))


def test_from_csv_message_names_the_file_as_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A traceback shows the message, not the attributes: it must say which file.
    monkeypatch.chdir(tmp_path)
    Path("deals.csv").write_text(
        "deal,stage,time,amount\nD1,Call,2024-01-01,10\nD1,Offer,2024-01-02,10\n"
        "D2,Call,2024-01-03,-5\n",
        encoding="utf-8",
    )
    e = raised(lambda: DealLog.from_csv("deals.csv", P, amount="amount"))
    assert str(e) == (
        "deals.csv, line 4, column 'amount': amount must be finite and >= 0 (got '-5')"
    )
    assert where(e) == at(source="deals.csv", index=2, line=4, column="amount", value="-5")
    assert e.detail == "amount must be finite and >= 0 (got '-5')"  # no location in detail


WIDE_HEADER = "id,stage,call,offer,close\n"
WIDE = [
    pytest.param(
        "A,Won,2024-01-01,2024-01-02,2024-01-03\nB,Maybe,,,\n",
        {"index": 1, "line": 3, "column": "stage", "value": "Maybe"},
        "line 3, column 'stage': unknown label 'Maybe'",
        id="unknown-label",
    ),
    pytest.param(
        "A,Won,2024-01-01,,2024-01-03\n,Lost,,,\n",
        {"index": 1, "line": 3, "column": "id", "value": ""},
        "line 3, column 'id': missing deal id",
        id="missing-deal",
    ),
    pytest.param(
        "A,Won,2024-01-01,,2024-01-03\n\nA,Lost,,,\n",
        {"index": 1, "line": 4, "column": "id", "value": "A"},
        "line 4, column 'id': duplicate deal id 'A' (first seen at line 2)",
        id="duplicate-deal",
    ),
    pytest.param(
        "A,Won,2024-01-01,2024-01-02,someday\n",
        {"index": 0, "line": 2, "column": "close", "value": "someday"},
        "line 2, column 'close': unparsable timestamp",
        id="unparsable-date",
    ),
    pytest.param(
        "A,Call,2024-01-01,2024-01-02,\n",
        {"index": 0, "line": 2, "column": "offer", "value": "2024-01-02"},
        "line 2, column 'offer': the deal is open at 'Call'",
        id="date-beyond-open-stage",
    ),
    pytest.param(
        "A,Won,2024-01-05,2024-01-02,\n",
        {"index": 0, "line": 2, "column": "offer", "value": "2024-01-02"},
        "line 2, column 'offer': 'Offer' date",
        id="dates-go-backwards",
    ),
    pytest.param(
        "A,Won,2024-01-01,2024-01-02,2024-01-03,-1\n",
        {"index": 0, "line": 2, "column": "amount", "value": "-1"},
        "line 2, column 'amount': amount must be finite",
        id="negative-amount",
    ),
]


@pytest.mark.parametrize(("body", "expected", "message"), WIDE)
def test_from_wide_file_locates_the_line(
    tmp_path: Path, body: str, expected: dict[str, Any], message: str
) -> None:
    path = tmp_path / "wide.csv"
    header = WIDE_HEADER.replace("\n", ",amount\n") if "amount" in message else WIDE_HEADER
    path.write_text(header + body, encoding="utf-8")
    e = raised(lambda: wide(str(path), amount="amount" if "amount" in message else None))
    assert where(e) == {"source": str(path), **expected}
    assert str(e).startswith(f"{path}, {message}")


@pytest.mark.parametrize(("body", "expected", "message"), WIDE)
def test_from_wide_rows_locate_the_index(body: str, expected: dict[str, Any], message: str) -> None:
    import csv
    import io

    amount = "amount" in message
    header = WIDE_HEADER.replace("\n", ",amount\n") if amount else WIDE_HEADER
    rows = list(csv.DictReader(io.StringIO(header + body)))
    e = raised(lambda: wide(rows, amount="amount" if amount else None))
    assert where(e) == {**expected, "source": None, "line": None}
    assert str(e).startswith(f"row {expected['index']}, column {expected['column']!r}")
    if "first seen" in message:
        assert str(e).endswith("(first seen at row 0)")
        assert e.detail == "duplicate deal id 'A'"


def wide(source: Any, amount: str | None = None) -> DealLog:
    return DealLog.from_wide(
        source,
        P,
        deal="id",
        stage_dates={"Call": "call", "Offer": "offer"},
        outcome="stage",
        outcome_date="close",
        amount=amount,
    )


def test_from_wide_names_a_missing_column_in_its_location() -> None:
    e = raised(lambda: wide([{"id": "A", "stage": "Won", "call": "", "offer": ""}]))
    assert where(e) == at(index=0, column="close")
    columns = "['id', 'stage', 'call', 'offer']"
    assert str(e) == f"row 0, column 'close': no such column (columns are {columns})"


# -- read_counts: rows as a spreadsheet shows them (header = row 1) ---------------------
@pytest.mark.parametrize(
    ("name", "text", "expected", "message"),
    [
        pytest.param(
            "c.csv",
            "stage,total\nA,1\n",
            {"line": 1, "column": "count", "value": NO_VALUE, "index": None},
            ", row 1: missing column 'count'",
            id="missing-column",
        ),
        pytest.param(
            "c.csv",
            "stage,count\nA,10\nB,lots\n",
            {"line": 3, "column": "count", "value": "lots", "index": 1},
            ", row 3, column 'count': expected a number (got 'lots')",
            id="not-a-number",
        ),
        pytest.param(
            "c.csv",
            "stage,count,amount\n\nA,10,-1\n",
            {"line": 3, "column": "amount", "value": "-1", "index": 0},
            ", row 3, column 'amount': expected a finite number >= 0",
            id="blank-line-counts",
        ),
        pytest.param(
            "c.csv",
            "stage,count\nA,10\n\nA,5\n",
            {"line": 4, "column": "stage", "value": "A", "index": 1},
            ", row 4, column 'stage': 'A' already appears in row 2",
            id="duplicate-stage",
        ),
        pytest.param(
            "c.csv",
            "stage,count\n ,10\n",
            {"line": 2, "column": "stage", "value": " ", "index": 0},
            ", row 2, column 'stage': the stage name is empty",
            id="empty-stage",
        ),
        pytest.param(
            "c.csv",
            "stage,count,amount\nA,10\n",
            {"line": 2, "column": None, "value": ["A", "10"], "index": 0},
            ", row 2: expected 3 columns",
            id="short-row",
        ),
        pytest.param(
            "c.json",
            '{"A": 1,\n "B": }',
            {"line": 2, "column": None, "value": NO_VALUE, "index": None},
            ", line 2: not valid JSON",
            id="bad-json",
        ),
        pytest.param(
            "c.json",
            '[{"stage": "A", "count": 1}, {"stage": "B", "count": -1}]',
            {"line": None, "column": "count", "value": -1, "index": 1},
            ", stage 1: count of stage 'B' must be a finite number >= 0",
            id="json-stage-count",
        ),
        pytest.param(
            "c.json",
            '[{"stage": "A", "count": 1}, {"stage": "A", "count": 1}]',
            {"line": None, "column": "name", "value": "A", "index": 1},
            ": stage names must be unique",
            id="json-duplicate",
        ),
        pytest.param(
            "c.json",
            '[{"stage": "A", "count": 1}, ["B", 2]]',
            {"line": None, "column": None, "value": ["B", 2], "index": 1},
            ", stage 1: expected an object",
            id="json-not-an-object",
        ),
    ],
)
def test_read_counts_locates_the_cell(
    tmp_path: Path, name: str, text: str, expected: dict[str, Any], message: str
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    e = raised(lambda: read_counts(path))
    assert where(e) == {"source": str(path), **expected}
    assert str(e).startswith(f"{path}{message}")


# -- model and pipeline: the field (and the position when there is one) -------------------
@pytest.mark.parametrize(
    ("make", "expected"),
    [
        pytest.param(lambda: Stage("", 1), at(column="name", value=""), id="stage-name"),
        pytest.param(lambda: Stage("A", -1), at(column="count", value=-1), id="stage-count"),
        pytest.param(
            lambda: Stage("A", 1, float("inf")),
            at(column="amount", value=float("inf")),
            id="stage-amount",
        ),
        pytest.param(
            lambda: Stage("A", "7"),  # type: ignore[arg-type]
            at(column="count", value="7"),
            id="stage-count-type",
        ),
        pytest.param(
            lambda: Funnel.from_counts([("A", 1), (2, 1)]),  # type: ignore[list-item]
            at(index=1, column="name", value=2),
            id="funnel-name-type",
        ),
        pytest.param(
            lambda: Funnel.from_counts([("A", 1), ("B", -2)]),
            at(index=1, column="count", value=-2),
            id="funnel-pair-count",
        ),
        pytest.param(
            lambda: Funnel.from_counts([("A", 1), "B"]),  # type: ignore[list-item]
            at(index=1, value="B"),
            id="funnel-item",
        ),
        pytest.param(
            lambda: Funnel.from_counts([("A", 1), ("B", 2), ("A", 3)]),
            at(index=2, column="name", value="A"),
            id="funnel-duplicate",
        ),
        pytest.param(lambda: Funnel(()), at(column="stages", value=()), id="funnel-empty"),
        pytest.param(
            lambda: Funnel.from_counts({"A": 1}, name=3),  # type: ignore[arg-type]
            at(column="name", value=3),
            id="funnel-name",
        ),
        pytest.param(
            lambda: Funnel.from_counts({"A": 1}, amounts={"B": 2}),
            at(column="amounts", value="B"),
            id="funnel-amounts",
        ),
        pytest.param(
            lambda: Pipeline(["Call", " "]),
            at(index=1, column="stages", value=" "),
            id="pipeline-stage",
        ),
        pytest.param(lambda: Pipeline([]), at(column="stages", value=[]), id="pipeline-empty"),
        pytest.param(lambda: Pipeline(["Call"], won=""), at(column="won", value=""), id="won"),
        pytest.param(
            lambda: Pipeline(["Call"], frozen=" "), at(column="frozen", value=" "), id="frozen"
        ),
        pytest.param(lambda: Pipeline(["Call", "Won"]), at(value="Won"), id="pipeline-twice"),
    ],
)
def test_model_and_pipeline_name_the_field(
    make: Callable[[], object], expected: dict[str, Any]
) -> None:
    assert where(raised(make)) == expected


# -- the exception itself ---------------------------------------------------------------
def test_is_a_value_error_and_the_library_root() -> None:
    e = raised(lambda: DealLog.from_records(with_cell(1, "stage", "Demo"), P))
    assert isinstance(e, ValueError)
    assert isinstance(e, SalesFunnelError)
    with pytest.raises(ValueError, match="unknown label"):
        DealLog.from_records(with_cell(1, "stage", "Demo"), P)


def test_defaults_say_nothing_is_known() -> None:
    e = FunnelDataError("bad")
    assert (e.source, e.index, e.line, e.column) == (None, None, None, None)
    assert e.value is NO_VALUE
    assert e.detail == "bad"
    assert str(e) == "bad"
    assert e.args == ("bad",)
    assert repr(NO_VALUE) == "NO_VALUE"


@pytest.mark.parametrize(
    "error",
    [
        FunnelDataError("plain"),
        FunnelDataError(
            "f.csv, line 3, column 'stage': unknown label 'Demo'",
            source="f.csv",
            index=1,
            line=3,
            column="stage",
            value="Demo",
            detail="unknown label 'Demo'",
        ),
        FunnelDataError("row 0, column 'time': missing timestamp", index=0, value=None),
    ],
    ids=["plain", "full", "value-none"],
)
def test_pickling_keeps_message_and_location(error: FunnelDataError) -> None:
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        back = pickle.loads(pickle.dumps(error, protocol=protocol))
        assert type(back) is FunnelDataError
        assert str(back) == str(error)
        assert back.args == error.args
        assert where(back) == where(error)
        assert back.detail == error.detail
        assert (back.value is NO_VALUE) == (error.value is NO_VALUE)


def test_a_raised_error_survives_pickling() -> None:
    e = raised(lambda: DealLog.from_records(with_cell(2, "time", "2024-13-01"), P))
    back = pickle.loads(pickle.dumps(e))
    assert where(back) == where(e)
    assert str(back) == str(e)
    assert isinstance(back, ValueError)

"""Text columns of DataFrames and Arrow tables are factorised by Arrow, with today's codes.

``from_arrow``, ``from_polars`` and ``from_pandas`` code text ids, labels and
owners with Arrow kernels (:class:`~salesfunnel.deals.columns.TextCodes`);
``from_columns`` of plain Python lists still reads them value by value. The
two must give the same log, or the same error.
"""

from __future__ import annotations

import dataclasses
from typing import Any
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from salesfunnel import DealLog, FunnelDataError, Pipeline
from salesfunnel.deals import framecodes
from salesfunnel.deals.arrowcsv import sorted_text_codes, text_codes
from salesfunnel.deals.columns import TextTable

pa = pytest.importorskip("pyarrow")

P = Pipeline(["Call", "Offer"], won="Won", lost="Lost")
_IDS = st.sampled_from(
    [
        *["A", "B", " A", "a", "10", "9", "010", "1", "é", "Z z", "\u3000x", "x\x1c", "", "  "],
        *["D10", "D9", "D010", "D1", "D", "D-1", "D+1", "é9", "é10", " D7", "D 7", "7D"],
    ]
)
_LABELS = st.sampled_from(["Call", "Offer", "Won", " Lost", "Demo", ""])
_OWNERS = st.sampled_from(["ann", " ann", "bob", "", " ", "Zoë", None])


def _outcome(build: Any) -> Any:
    try:
        log = build()
    except FunnelDataError as exc:
        return ("error", str(exc), exc.line, exc.column, repr(exc.value))
    out = {}
    for f in dataclasses.fields(log):
        if f.name == "_cache":
            continue  # what was read, not what was built
        v = getattr(log, f.name)
        if f.name == "_table" and v is not None:
            # Kept in Arrow or not, the table reads as the same ids, also code by code.
            codes = np.arange(log.deal_bound)
            v = (log.deal_ids.dtype.str, log.deal_ids.tolist(), log.ids_of(codes).tolist())
        out[f.name] = (v.dtype.str, v.tolist()) if isinstance(v, np.ndarray) else v
    return out


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(st.tuples(_IDS, _LABELS, _OWNERS), max_size=12),
    drop=st.booleans(),
)
def test_frames_code_text_as_the_value_by_value_path_does(
    rows: list[tuple[str, str, str | None]], drop: bool
) -> None:
    deal = [r[0] for r in rows]
    stage = [r[1] for r in rows]
    owner = [r[2] for r in rows]
    time = np.array(["2024-01-01"] * len(rows), "datetime64[s]")
    kwargs: dict[str, Any] = {"owner": "owner", "drop_unknown": drop}
    plain = {
        "deal": np.array(deal, dtype=object),
        "stage": np.array(stage, dtype=object),
        "time": time,
        "owner": np.array(owner, dtype=object),
    }
    expected = _outcome(lambda: DealLog.from_columns(plain, P, **kwargs))
    table = pa.table(
        {
            "deal": pa.array(deal, pa.string()),
            "stage": pa.array(stage, pa.string()).dictionary_encode(),
            "time": pa.array(time),
            "owner": pa.array(owner, pa.large_string()),
        }
    )
    assert _outcome(lambda: DealLog.from_arrow(table, P, **kwargs)) == expected
    pl = pytest.importorskip("polars")
    assert _outcome(lambda: DealLog.from_polars(pl.from_arrow(table), P, **kwargs)) == expected
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(plain)
    assert _outcome(lambda: DealLog.from_pandas(frame, P, **kwargs)) == expected


def test_codes_are_ranks_in_text_order_worked_example() -> None:
    codes = sorted_text_codes(pa.array(["10", "9", "100", "9", "1"]))
    assert codes is not None
    assert codes[0].tolist() == [1, 3, 2, 3, 0]  # text order: "1" < "10" < "100" < "9"
    assert codes[1].tolist() == ["1", "10", "100", "9"]
    codes = sorted_text_codes(pa.array(["b ", "a", " b", "B"]))
    assert codes is not None
    assert codes[0].tolist() == [2, 1, 2, 0]
    assert codes[1].tolist() == ["B", "a", "b"]
    assert sorted_text_codes(pa.array(["a", None])) is None
    assert sorted_text_codes(pa.array(["a", " "])) is None
    blank = sorted_text_codes(pa.array(["a", None, " "]), blanks=True)
    assert blank is not None
    assert blank[0].tolist() == [1, 0, 0]


def test_prefixed_numbers_are_ranked_as_text_and_kept_in_arrow() -> None:
    column = pa.array(["D10", "D9", "D100", "D9", "D1"])
    codes = sorted_text_codes(column, lazy=True)
    assert codes is not None
    assert codes[0].tolist() == [1, 3, 2, 3, 0]  # "D1" < "D10" < "D100" < "D9"
    assert isinstance(codes[1], TextTable)
    assert codes[1].to_numpy().tolist() == ["D1", "D10", "D100", "D9"]
    assert codes[1][np.array([3, 0])].tolist() == ["D9", "D1"]
    eager = sorted_text_codes(column)
    assert eager is not None
    assert eager[1].dtype == object
    assert eager[1].tolist() == ["D1", "D10", "D100", "D9"]
    # A leading zero, a sign or another prefix: not a number's text, ranked as text.
    for odd in (["D1", "D01"], ["D1", "D+2"], ["D1", "E2"], ["D1", "D"]):
        coded = sorted_text_codes(pa.array(odd))
        assert coded is not None
        assert coded[1].tolist() == sorted(set(odd))


def test_a_log_from_arrow_builds_its_id_strings_only_when_read() -> None:
    table = pa.table(
        {
            "deal": ["D10", "D9", "D10", "x"],
            "stage": ["Call", "Call", "Won", "Call"],
            "time": pa.array(np.array(["2024-01-01"] * 4, "datetime64[s]")),
        }
    )
    log = DealLog.from_arrow(table, P)
    assert isinstance(log._table, TextTable)
    assert log.deal.tolist() == [0, 1, 0, 2]
    assert log.ids_of(np.array([2, 0])).tolist() == ["x", "D10"]
    assert log.deal_ids.tolist() == ["D10", "D9", "x"]
    assert not log.deal_ids.flags.writeable


def test_columns_that_are_not_all_text_are_left_to_the_converters() -> None:
    assert text_codes(pa.array([1, 2]), blanks=False) is None
    assert text_codes(np.array([1, "a"], dtype=object), blanks=False) is None
    assert text_codes(np.array(["a", "b"], dtype=object), blanks=False) is not None


def _event_outcome(build: Any) -> Any:
    try:
        log = build()
    except FunnelDataError as exc:
        return ("error", str(exc), exc.index, exc.column, repr(exc.value))
    out = {}
    for f in dataclasses.fields(log):
        v = getattr(log, f.name)
        if isinstance(v, TextTable):  # a frame's ids stay in Arrow: their strings
            v = v.to_numpy()
        out[f.name] = (v.dtype.str, v.tolist()) if isinstance(v, np.ndarray) else v
    return out


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(st.tuples(_IDS, _LABELS, st.booleans()), max_size=12),
    drop=st.booleans(),
    beside=st.booleans(),
)
def test_event_logs_from_frames_code_text_as_the_value_by_value_path_does(
    rows: list[tuple[str, str, bool]], drop: bool, beside: bool
) -> None:
    """With ``beside``, the ids are coded on a second thread, however few."""
    with mock.patch.object(framecodes, "_BESIDE", 1 if beside else 1 << 18):
        _event_logs_from_frames(rows, drop)


def test_an_event_log_from_a_frame_builds_its_id_strings_only_when_read() -> None:
    from salesfunnel import EventLog

    table = pa.table({"user": ["u10", "u9", "u10", "x"], "name": ["a", "b", "a", "a"]})
    table = table.append_column("at", pa.array(np.zeros(4, "datetime64[s]")))
    kwargs: dict[str, Any] = {"entity": "user", "event": "name", "time": "at"}
    for log in (
        EventLog.from_arrow(table, **kwargs),
        EventLog.from_pandas(table.to_pandas(), **kwargs),
    ):
        assert isinstance(log._table, TextTable)
        assert log.entity.tolist() == [0, 1, 0, 2]
        assert log.ids_of(np.array([2, 0])).tolist() == ["x", "u10"]


def _event_logs_from_frames(rows: list[tuple[str, str, bool]], drop: bool) -> None:
    from salesfunnel import EventLog

    # A blank id or name is an error, or with drop_invalid a dropped row, as is a
    # missing time (only then: polars shows a missing time in its own unit):
    # names and ids then lose values.
    dated = [r[2] or not drop for r in rows]
    time = np.array(["2024-01-01" if d else "NaT" for d in dated], "datetime64[s]")
    plain = {
        "user": np.array([r[0] for r in rows], dtype=object),
        "name": np.array([r[1] for r in rows], dtype=object),
        "at": time,
    }
    kwargs: dict[str, Any] = {"entity": "user", "event": "name", "time": "at"}
    kwargs["drop_invalid"] = drop
    expected = _event_outcome(lambda: EventLog.from_columns(plain, **kwargs))
    table = pa.table(
        {
            "user": pa.array(plain["user"].tolist(), pa.string()),
            "name": pa.array(plain["name"].tolist(), pa.string()).dictionary_encode(),
            "at": pa.array(time),
        }
    )
    assert _event_outcome(lambda: EventLog.from_arrow(table, **kwargs)) == expected
    pl = pytest.importorskip("polars")
    frame = pl.from_arrow(table)
    assert _event_outcome(lambda: EventLog.from_polars(frame, **kwargs)) == expected
    pd = pytest.importorskip("pandas")
    assert _event_outcome(lambda: EventLog.from_pandas(pd.DataFrame(plain), **kwargs)) == expected


def test_event_log_from_arrow_worked_example() -> None:
    from salesfunnel import EventLog

    table = pa.table(
        {
            "user": ["u10", "u9", "u10", "u2"],
            "name": ["view", "cart", "cart", "view"],
            "at": pa.array(np.array(["2024-01-01"] * 4, "datetime64[s]")),
        }
    )
    log = EventLog.from_arrow(table, entity="user", event="name", time="at")
    assert log.names == ("cart", "view")
    assert log.event.tolist() == [1, 0, 0, 1]
    assert log.entity.tolist() == [0, 2, 0, 1]  # "u10" < "u2" < "u9" as text
    assert log.ids_of(log.entity).tolist() == ["u10", "u9", "u10", "u2"]


@settings(max_examples=200, deadline=None)
@given(
    dtype=st.sampled_from(["int8", "uint8", "int16", "uint16", "int32", "uint32", "int64"]),
    data=st.data(),
)
def test_integer_owner_codes_match_plain_python(dtype: str, data: st.DataObject) -> None:
    """Integer owners (the frames' fast path): names are the distinct numbers in numeric
    order and each row's code names its own number, at the extremes of every width (an
    ``int16`` column holding -30000 and 30000 once read 30000 as another owner)."""
    from salesfunnel.deals.columns import owner_codes

    info = np.iinfo(dtype)
    lo = max(int(info.min), -(2**40))
    hi = min(int(info.max), lo + 70_000)  # a range bincount can hold
    ends = st.sampled_from([lo, hi, lo + 1, hi - 1, (lo + hi) // 2])
    values = data.draw(st.lists(st.integers(lo, hi) | ends, min_size=1, max_size=20))
    codes, names = owner_codes(np.array(values, dtype))
    expected = sorted(set(values))
    assert names == tuple(str(v) for v in expected)
    assert [names[c] for c in codes.tolist()] == [str(v) for v in values]


def test_integer_owners_far_apart_worked_example() -> None:
    cols = {
        "deal": np.array([1, 2, 3]),
        "stage": np.array([0, 0, 0]),
        "time": np.array([0, 1, 2], "datetime64[s]"),
        "owner": np.array([-30000, 30000, 5], np.int16),
    }
    log = DealLog.from_columns(cols, P, owner="owner")
    assert log.owners == ("-30000", "5", "30000")
    assert [log.owners[c] for c in log.owner] == ["-30000", "30000", "5"]

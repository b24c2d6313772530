"""EventLog loaders: one result from every input form, located errors, drop_invalid, zones."""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from salesfunnel import EventLog, FunnelDataError

ROWS = [
    {"user": "u1", "name": "view", "at": "2024-01-01T10:00:00", "price": "1.5"},
    {"user": "u2", "name": "view", "at": "2024-01-01T10:01:00", "price": ""},
    {"user": "u1", "name": "buy", "at": "2024-01-01T10:02:00", "price": "3"},
]
KW = {"entity": "user", "event": "name", "time": "at", "properties": ["price"]}


def _same(a: EventLog, b: EventLog) -> None:
    assert a.names == b.names
    assert a.ids_of(a.entity).tolist() == b.ids_of(b.entity).tolist()
    assert a.event.tolist() == b.event.tolist()
    assert a.time.tolist() == b.time.tolist()


def _csv(text: str) -> io.StringIO:
    return io.StringIO(text)


def test_records_columns_csv_pandas_polars_arrow_agree() -> None:
    pd = pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    pa = pytest.importorskip("pyarrow")
    base = EventLog.from_records(ROWS, **KW)  # type: ignore[arg-type]
    assert base.names == ("buy", "view")
    assert (base.event.dtype, base.time.dtype) == (np.int16, np.dtype("datetime64[s]"))
    cols = {k: [r[k] for r in ROWS] for k in ROWS[0]}
    text = "user,name,at,price\n" + "".join(
        f"{r['user']},{r['name']},{r['at']},{r['price']}\n" for r in ROWS
    )
    frame = pd.DataFrame(cols)
    others = [
        EventLog.from_columns(cols, **KW),  # type: ignore[arg-type]
        EventLog.from_csv(_csv(text), **KW),  # type: ignore[arg-type]
        EventLog.from_pandas(frame, **KW),  # type: ignore[arg-type]
        EventLog.from_polars(pl.from_pandas(frame), **KW),  # type: ignore[arg-type]
        EventLog.from_arrow(pa.Table.from_pandas(frame), **KW),  # type: ignore[arg-type]
    ]
    for other in others:
        _same(base, other)
        assert other.properties["price"].tolist() == ["1.5", "", "3"]


def test_numeric_properties_stay_numbers_and_integer_ids_stay_ids() -> None:
    log = EventLog.from_columns(
        {"entity": np.array([10, 12, 10]), "event": ["a", "b", "a"],
         "time": ["2024-01-01", "2024-01-02", "2024-01-03"], "p": np.array([1.0, np.nan, 2])},
        properties=["p"],
    )  # fmt: skip
    assert log.properties["p"].dtype == np.float64
    assert log.ids_of(log.entity).tolist() == [10, 12, 10]
    assert log.n_entities == 2


def test_csv_errors_name_file_line_column_and_value() -> None:
    text = "user,name,at\nu1,view,2024-01-01\nu2,view,yesterday\n"
    stream = _csv(text)
    stream.name = "events.csv"
    with pytest.raises(FunnelDataError, match=r"events.csv, line 3, column 'at'") as info:
        EventLog.from_csv(stream, entity="user", event="name", time="at")
    assert (info.value.line, info.value.column, info.value.value) == (3, "at", "yesterday")


def test_missing_cells_are_errors_unless_dropped_and_counted() -> None:
    rows = [*ROWS, {"user": "", "name": "view", "at": "2024-01-01"},
            {"user": "u3", "name": " ", "at": "2024-01-01"},
            {"user": "u3", "name": "view", "at": "not a time"}]  # fmt: skip
    with pytest.raises(FunnelDataError, match=r"row 3, column 'user': missing entity id"):
        EventLog.from_records(rows, **KW)  # type: ignore[arg-type]
    log = EventLog.from_records(rows, drop_invalid=True, **KW)  # type: ignore[arg-type]
    assert (len(log), log.dropped) == (3, 3)


def test_missing_column_and_unknown_keyword() -> None:
    with pytest.raises(FunnelDataError, match="no column 'user'"):
        EventLog.from_columns(
            {"entity": [1], "event": ["a"], "when": ["2024-01-01"]}, entity="user"
        )
    with pytest.raises(TypeError, match="unexpected keyword argument 'deal'"):
        EventLog.from_records(ROWS, deal="user")  # type: ignore[call-arg]


def test_time_zones_follow_the_deal_loaders_rule() -> None:
    rows = [{"entity": 1, "event": "a", "time": "2024-06-01T12:00:00"}]
    berlin = EventLog.from_records(rows, tz="Europe/Berlin")
    assert str(berlin.time[0]) == "2024-06-01T10:00:00"
    aware = [{"entity": 1, "event": "a", "time": "2024-06-01T12:00:00+02:00"}]
    assert str(EventLog.from_records(aware).time[0]) == "2024-06-01T10:00:00"
    with pytest.raises(FunnelDataError, match="pass tz="):
        EventLog.from_records([*rows, *aware])


_CELLS = ["mobile", " mobile ", "desk top", "", " ", "tablet", "ß"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.sampled_from(["view", "buy"]),
                          st.integers(0, 99), st.sampled_from(_CELLS),
                          st.sampled_from(_CELLS)), min_size=1, max_size=30))  # fmt: skip
def test_csv_engines_give_the_same_properties(tmp_path_factory, rows) -> None:  # type: ignore[no-untyped-def]
    # The arrow path reads properties as dictionaries and strips each distinct text once;
    # the pure reader strips every cell: the same texts, the same dtype.
    pytest.importorskip("pyarrow")  # the README's run has no extras
    lines = ["user,name,at,device,city"] + [
        f"u{u},{n},2024-01-01T10:00:{t % 60:02d},{d},{c}" for u, n, t, d, c in rows
    ]
    path = tmp_path_factory.mktemp("csv") / "events.csv"  # a file: the arrow path reads paths
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    kw = {"entity": "user", "event": "name", "time": "at", "properties": ["device", "city"]}
    logs = [EventLog.from_csv(path, engine=e, **kw) for e in ("arrow", "python")]
    _same(*logs)
    for p in ("device", "city"):
        a, b = (log.properties[p] for log in logs)
        assert a.tolist() == b.tolist() == [str(r[3 if p == "device" else 4]).strip() for r in rows]
        assert a.dtype == b.dtype

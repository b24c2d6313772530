"""Text properties kept as codes (the CSV fast path's): the same arrays, filters and errors.

:class:`~salesfunnel.events.props.CodedText` columns are built into text
arrays only when read, and the step filters compare each distinct text once;
every answer must equal that of the same log holding the plain text array.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from salesfunnel import EventLog, FunnelDataError, event_funnel
from salesfunnel.events.grouping import with_unit
from salesfunnel.events.props import CodedText, Properties
from salesfunnel.events.steps import step_mask

_TEXTS = ["", "1", "2.5", "10", "-3", "x", "web", "app", "ß", "inf", "1e3", "09"]
_OPS = ["==", "!=", "<", "<=", ">", ">=", "in"]
_NUMBERS = [0, 1, 2.5, 10, -3]
_HOUR = dt.timedelta(hours=1)


def _logs(values: list[str], codes: list[int], events: list[int]) -> tuple[EventLog, EventLog]:
    """The same log twice: its property ``d`` coded, and as the plain array."""
    table = np.array(values, dtype=str)
    small = np.array(codes, dtype=np.uint8)
    n = len(codes)
    base: dict[str, Any] = {
        "entity": np.arange(n, dtype=np.int64) % 3,
        "event": np.array(events, dtype=np.int16),
        "time": np.arange(n).astype("datetime64[s]"),
        "names": ("buy", "view"),
    }
    coded = EventLog(**base, properties={"d": CodedText(small, table)})
    plain = EventLog(**base, properties={"d": table[small]})
    return coded, plain


def _outcome(log: EventLog, step: Any) -> Any:
    try:
        return step_mask(log, step).tolist()
    except FunnelDataError as exc:
        return ("error", str(exc), exc.index, exc.column, repr(exc.value))


@st.composite
def _coded_logs(draw: st.DrawFn) -> tuple[list[str], list[int], list[int]]:
    values = draw(st.lists(st.sampled_from(_TEXTS), min_size=1, max_size=6))  # repeats too
    n = draw(st.integers(1, 40))
    codes = draw(st.lists(st.integers(0, len(values) - 1), min_size=n, max_size=n))
    events = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    return values, codes, events


_FILTERS = st.tuples(
    st.sampled_from(_OPS),
    st.one_of(st.sampled_from(_TEXTS), st.sampled_from(_NUMBERS)),
    st.lists(st.one_of(st.sampled_from(_TEXTS)), min_size=1, max_size=3),
    st.lists(st.sampled_from(_NUMBERS), min_size=1, max_size=3),
    st.booleans(),
)


def _step(filt: tuple[str, Any, list[str], list[Any], bool]) -> Any:
    op, value, texts, numbers, as_numbers = filt
    if op == "in":
        value = numbers if as_numbers else texts
    return ("view", {"d": (op, value)})


@settings(max_examples=300, deadline=None)
@given(_coded_logs(), st.lists(_FILTERS, min_size=1, max_size=4))
def test_coded_filters_equal_the_plain_arrays(drawn, filters) -> None:  # type: ignore[no-untyped-def]
    """Masks and located errors (``not a number``: the first row of the step's
    event, in row order) equal those of the plain text array."""
    coded, plain = _logs(*drawn)
    assert coded.properties.coded("d") is not None  # type: ignore[attr-defined]
    for filt in filters:
        assert _outcome(coded, _step(filt)) == _outcome(plain, _step(filt))
    # The filters read the codes: the text array is still not built.
    assert coded.properties.coded("d") is not None  # type: ignore[attr-defined]
    assert "d" not in coded.properties._arrays  # type: ignore[attr-defined]


@settings(max_examples=100, deadline=None)
@given(_coded_logs())
def test_a_coded_column_reads_as_the_plain_array(drawn) -> None:  # type: ignore[no-untyped-def]
    coded, plain = _logs(*drawn)
    a, b = coded.properties["d"], plain.properties["d"]
    assert (a.dtype, a.tolist()) == (b.dtype, b.tolist())
    assert not a.flags.writeable
    assert coded.properties["d"] is a  # built once, then the same array, as a dict gives
    assert repr(coded.properties) == repr(plain.properties) == repr({"d": b})


def test_a_coded_column_survives_replace_and_pickle() -> None:
    coded, plain = _logs(["web", "app", ""], [0, 1, 2, 1, 0], [1, 0, 1, 1, 0])
    moved = dataclasses.replace(coded, entity=coded.entity[::-1].copy())
    assert moved.properties is coded.properties  # kept, not built
    assert moved.properties.coded("d") is not None  # type: ignore[attr-defined]
    back = pickle.loads(pickle.dumps(coded))
    assert back.properties["d"].tolist() == plain.properties["d"].tolist()
    assert list(back.properties) == ["d"]
    assert len(back.properties) == 1
    short = CodedText(np.zeros(2, np.uint8), np.array(["web"]))
    with pytest.raises(FunnelDataError, match="column 'd' has 2 rows, expected 5"):
        dataclasses.replace(coded, properties={"d": short})


def test_properties_keep_their_order_and_refuse_unknown_names() -> None:
    props = Properties(
        {"b": np.array([1.0]), "a": CodedText(np.zeros(1, np.uint8), np.array(["x"]))}
    )
    assert list(props) == ["b", "a"]
    assert "a" in props
    assert "c" not in props
    with pytest.raises(KeyError):
        props["c"]


_CELLS = ["web", " web", "app ", "", " ", "1", " 2.5", "x", "ß"]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 4), st.sampled_from(["view", "buy"]), st.sampled_from(_CELLS)),
        min_size=1,
        max_size=30,
    ),
    st.lists(_FILTERS, min_size=1, max_size=3),
)
def test_csv_engines_filter_alike(tmp_path_factory, rows, filters) -> None:  # type: ignore[no-untyped-def]
    """The fast path's coded column (distinct texts stripped, some equal after it)
    against the pure reader's array: the same masks, errors and funnels."""
    pytest.importorskip("pyarrow")
    lines = ["u,e,t,d"] + [f"u{u},{e},2024-01-01T10:00:{i:02d},{d}" for i, (u, e, d) in enumerate(rows)]  # fmt: skip
    path: Path = tmp_path_factory.mktemp("csv") / "events.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    kw: dict[str, Any] = {"entity": "u", "event": "e", "time": "t", "properties": ["d"]}
    fast, pure = (EventLog.from_csv(path, engine=e, **kw) for e in ("arrow", "python"))
    assert fast.properties.coded("d") is not None  # type: ignore[attr-defined]
    if "view" not in fast.names:
        return
    for filt in filters:
        step = _step(filt)
        assert _outcome(fast, step) == _outcome(pure, step)
        try:
            want = event_funnel(pure, [step, "view"], window=_HOUR).counts
        except FunnelDataError as exc:
            want = str(exc)
        try:
            got = event_funnel(fast, [step, "view"], window=_HOUR).counts
        except FunnelDataError as exc:
            got = str(exc)
        assert got == want
    for p in (fast, pure):
        assert p.properties["d"].tolist() == [d.strip() for *_, d in rows]
    assert fast.properties["d"].dtype == pure.properties["d"].dtype


def _unit(log: EventLog) -> Any:
    try:
        moved = with_unit(log, "d")
    except FunnelDataError as exc:
        return ("error", str(exc), exc.index, exc.column, repr(exc.value))
    table = np.asarray(moved._table)
    return moved.entity.dtype, moved.entity.tolist(), table.dtype, table.tolist()


@settings(max_examples=200, deadline=None)
@given(_coded_logs())
def test_a_coded_unit_equals_the_plain_array(drawn) -> None:  # type: ignore[no-untyped-def]
    """Units on a coded column: the same keys and table (texts no row holds left
    out), or the same located error for the first blank, without building the array."""
    values, codes, events = drawn
    coded, plain = _logs(values, codes, events)
    assert _unit(coded) == _unit(plain)
    assert "d" not in coded.properties._arrays  # type: ignore[attr-defined]
    # Only some of the texts held by rows, and none of them blank.
    held = [c for c in codes if values[c] != ""] or [0]
    coded, plain = _logs([*values, "zz"], held, events[: len(held)] or [0])
    assert _unit(coded) == _unit(plain)


# -- text properties of columns, records and frames are coded too ----------------------
_CELLS = st.one_of(
    st.sampled_from(["ios", " ios ", "web", "", "  ", "ß", "\u00e9t\u00e9", "x" * 40]),
    st.none(),
    st.floats(allow_nan=True, allow_infinity=False, width=32),
    st.booleans(),
)


@settings(max_examples=60, deadline=None)
@given(cells=st.lists(_CELLS, min_size=1, max_size=30))
def test_text_properties_of_columns_are_coded_and_read_as_before(cells: list[object]) -> None:
    # Object cells (texts, None, NaN, bools): the column is text, each cell read as the
    # text loader reads it (stripped; a blank, None or NaN is "").
    n = len(cells)
    values = np.array(cells, dtype=object)
    log = EventLog.from_columns(
        {"u": np.arange(n), "e": np.array(["view"] * n), "t": np.array(["2024-01-01"] * n),
         "p": values},
        entity="u", event="e", time="t", properties=["p"],
    )  # fmt: skip
    blank = [c is None or c == "" or (isinstance(c, float) and c != c) or str(c).strip() == ""
             for c in cells]  # fmt: skip
    want = np.array(["" if b else str(c).strip() for c, b in zip(cells, blank, strict=True)],
                    dtype=str)  # fmt: skip
    props = log.properties
    assert isinstance(props, Properties)
    coded = props.coded("p")
    assert coded is not None  # kept as codes until read
    assert coded.codes.itemsize == 1  # a byte a row for up to 256 distinct texts
    got = props["p"]
    assert got.dtype == want.dtype
    assert got.tolist() == want.tolist()


def test_a_pandas_text_property_is_coded() -> None:
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"user": [1, 2, 3], "event": ["view"] * 3, "time": ["2024-01-01"] * 3,
                       "url": ["https://example.com/a" * 5, None, " b "]})  # fmt: skip
    log = EventLog.from_pandas(df, entity="user", properties=["url"])
    coded = log.properties.coded("url")  # type: ignore[attr-defined]
    assert coded is not None
    assert coded.codes.nbytes == 3
    assert log.properties["url"].tolist() == ["https://example.com/a" * 5, "", "b"]

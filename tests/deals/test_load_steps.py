"""Steps of the frame constructors made cheaper (issue 11), each against a plain reference."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, strategies as st

from salesfunnel._time import TimeParser

NAT = np.iinfo(np.int64).min


@given(
    st.lists(st.one_of(st.just(NAT), st.integers(-(2**40), 2**40)), max_size=12),
    st.booleans(),
)
@example([], False)
@example([NAT, NAT], True)
@example([NAT, 5, NAT, 7], False)
def test_naive_column_records_the_first_dated_value(secs: list[int], aware: bool) -> None:
    """``TimeParser.naive_column`` records (the mix-of-kinds rule) the column's first
    dated value, as a plain scan finds it, and nothing for a column of NaT alone."""
    out = np.array(secs, np.int64).view("datetime64[s]")
    parser = TimeParser()
    parser.naive_column(out, aware=aware)
    dated = [s for s in secs if s != NAT]
    expected = None if not dated else (aware, np.datetime64(dated[0], "s"))
    got = parser._first
    assert (got is None) == (expected is None)
    if got is not None and expected is not None:
        assert got[0] is expected[0]
        assert type(got[1]) is np.datetime64
        assert got[1] == expected[1]
        assert repr(got[1]) == repr(expected[1])  # the error message quotes it
    assert out.view(np.int64).tolist() == secs  # unchanged: no zone to convert to


@given(
    st.lists(
        st.one_of(st.just(NAT), st.integers(-(10**15), 10**15), st.integers(-5, 5)), max_size=30
    ),
    st.sampled_from(["ms", "us", "ns"]),
    st.integers(1, 7),
)
@example([1500, NAT, -1500, 3000], "ms", 1)
def test_floor_column_counts_fractions_as_a_plain_scan(
    secs: list[int], unit: str, step: int
) -> None:
    """``TimeParser.floor_column`` in steps of 1 to 7 rows: the floor of every time, and
    the count and first of the times with a fraction of a second (NaT has none)."""
    import salesfunnel._time as time_module

    arr = np.array(secs, np.int64).view(f"datetime64[{unit}]")
    parser = TimeParser()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(time_module, "_STEP", step)
        out = parser.floor_column(arr)
    per = {"ms": 10**3, "us": 10**6, "ns": 10**9}[unit]
    assert out.view(np.int64).tolist() == [v if v == NAT else v // per for v in secs]
    lost = [v for v in secs if v != NAT and v % per]
    assert parser.floored == len(lost)
    assert parser.first_floored == (str(np.datetime64(lost[0], unit)) if lost else None)


@given(
    st.lists(st.integers(0, 2 * 10**9), min_size=1, max_size=8),
    st.sampled_from([None, "Europe/Berlin", "UTC"]),
    st.booleans(),
)
def test_times_in_seconds_are_kept_or_converted_never_changed_in_place(
    secs: list[int], tz: str | None, strided: bool
) -> None:
    """A ``datetime64[s]`` column without a zone to apply is the log's time column as it
    is (no copy) when no one can write it (read-only); a writable one is copied (the
    log never shares memory its caller may write); with ``tz``, or strided, it is
    copied and converted: the caller's array is never changed, and the times are
    those of the general path (text)."""
    from salesfunnel import DealLog, Pipeline

    pipe = Pipeline(["Call"], won="Won", lost="Lost")
    base = np.array([s for s in secs for _ in range(2)], "datetime64[s]")
    times = base[::2] if strided else base[: len(secs)]
    before = times.copy()
    cols = {"deal": np.arange(len(secs)), "stage": np.zeros(len(secs), np.int64), "time": times}
    log = DealLog.from_columns(cols, pipe, tz=tz)
    as_text = {**cols, "time": [str(t) for t in before.tolist()]}
    assert log.time.tolist() == DealLog.from_columns(as_text, pipe, tz=tz).time.tolist()
    assert times.tolist() == before.tolist()
    assert not np.shares_memory(log.time, times)  # writable: the caller may change it
    frozen = before.copy()
    frozen.flags.writeable = False
    kept = DealLog.from_columns({**cols, "time": frozen}, pipe, tz=tz)
    assert kept.time.tolist() == log.time.tolist()
    assert np.shares_memory(kept.time, frozen) == (tz is None)


@given(
    st.lists(st.integers(0, 6), min_size=1, max_size=30),
    st.sampled_from(["int8", "uint8", "int16", "uint16", "int32", "uint32", "int64"]),
    st.integers(1, 7),
)
@example([0, 1, 0, 2], "int16", 1)  # dense codes, each step holding part of them
@example([0, 2, 0, 2], "int16", 1)  # a code missing: ranked, not kept
def test_small_owner_codes_in_steps_match_plain_python(
    values: list[int], dtype: str, step: int
) -> None:
    """Integer owner codes counted in steps of 1 to 7 rows: names are the distinct
    numbers in order, each row's code names its own number, and the column itself is
    kept exactly when it already holds every code 0..m-1 (and fits in 4 bytes), and no
    one can write it (read-only); a writable one is copied, values unchanged."""
    from salesfunnel.deals import columns

    arr = np.array(values, dtype)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(columns, "_STEP", step)
        codes, names = columns.owner_codes(arr)
    expected = sorted(set(values))
    assert names == tuple(str(v) for v in expected)
    assert [names[c] for c in codes.tolist()] == [str(v) for v in values]
    dense = expected == list(range(len(expected))) and arr.dtype.itemsize <= 4
    assert not np.shares_memory(codes, arr)  # writable: the caller may change it
    arr.flags.writeable = False
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(columns, "_STEP", step)
        frozen_codes, _ = columns.owner_codes(arr)
    assert (frozen_codes is arr) == dense
    assert frozen_codes.tolist() == codes.tolist()


@given(st.lists(st.integers(-(2**40), 2**40), max_size=12), st.booleans())
@example([], False)
@example([5], True)
def test_time_span_is_the_first_and_last_time(secs: list[int], undated: bool) -> None:
    """``DealLog.time_span`` (read by the loading checks, the censoring time and the
    cohort's scatter in place of their own reductions) is ``(min, max)`` of the times in
    seconds; ``None`` for no event, or with an undated event (the wide form)."""
    from salesfunnel import DealLog, Pipeline

    p = Pipeline(["Call", "Offer"], won="Won", lost="Lost")
    if undated:
        rows = [{"id": "E", "status": "Offer", "call": "2024-01-03", "closed": ""}]  # Offer undated
        log = DealLog.from_wide(rows, p, deal="id", stage_dates={"Call": "call"},
                                outcome="status", outcome_date="closed")  # fmt: skip
        assert log.has_undated
        assert log.time_span is None
        return
    time = np.array(secs, np.int64).view("datetime64[s]")
    cols = {"deal": np.arange(len(secs)), "stage": np.zeros(len(secs), np.int64), "time": time}
    log = DealLog.from_columns(cols, p)
    assert log.time_span == ((min(secs), max(secs)) if secs else None)

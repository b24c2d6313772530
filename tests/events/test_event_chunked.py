"""The chunked path (events/chunked.py) for logs sorted by unit equals the whole-log path.

Chunks are made tiny here (one to a few rows, so a chunk ends at nearly every
unit and units longer than a chunk occur), and each result is compared with
the same call with the chunked path switched off (the whole log sorted, as
before) and with the plain-Python reference; every test also checks that the
chunked path was taken, so a broken one cannot hide behind the fallback.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from events.reference import funnel_counts
from salesfunnel import EventLog, FunnelDataError, event_funnel
from salesfunnel.events import chunked, grouping, units as units_mod
from salesfunnel.events.units import FunnelOptions, UnitResults, UnitSteps, unit_steps

from strategies import EVENT_NAMES, event_logs, funnel_steps

Event = tuple[str, str, int, dict[str, str]]
BASE = np.datetime64("2024-01-01T00:00:00", "s")
# Times near 2**31 s from the epoch and from each other; windows near 2**31 s.
OFFSETS = st.sampled_from([0, 2**31 - 7, 2**31, 2**32 + 3])
WINDOWS = st.one_of(st.integers(min_value=1, max_value=8), st.sampled_from([2**31 - 1, 2**31]))


def _log(events: list[Event], offset: int = 0) -> EventLog:
    times = BASE + np.array([e[2] for e in events], dtype=np.int64).astype("timedelta64[s]")
    times = times + np.timedelta64(offset, "s")
    return EventLog.from_columns(
        {
            "entity": [e[0] for e in events],
            "event": [e[1] for e in events],
            "time": times,
            "device": [e[3]["device"] for e in events],
        },
        properties=["device"],
    )


@contextmanager
def _chunks(size: int | None, workers: int = 1) -> Iterator[list[bool]]:
    """Chunks of ``size`` rows on ``workers`` threads (``None``: the chunked path off);
    yields, per call of the chunked path, whether it took the log."""
    taken: list[bool] = []
    real = chunked.by_chunks

    def spy(*args: Any, **kwargs: Any) -> Any:
        if size is None:
            return None
        out = real(*args, **kwargs, size=size, workers=workers)
        taken.append(out is not None)
        return out

    with mock.patch.object(units_mod, "by_chunks", spy):
        yield taken


def _same(a: UnitSteps, b: UnitSteps) -> None:
    assert a.ids.all().tolist() == b.ids.all().tolist()
    assert a.reached.tolist() == b.reached.tolist()
    assert a.times.tolist() == b.times.tolist()
    assert a.is_open.tolist() == b.is_open.tolist()


def _results(log: EventLog, opts: FunnelOptions, size: int | None, workers: int = 1) -> UnitResults:
    with _chunks(size, workers) as taken:
        res = unit_steps(log, opts)
    assert taken == ([] if size is None else [True])  # the sorted log took the chunked path
    return res


@settings(max_examples=150, deadline=None)
@given(
    event_logs(), funnel_steps(overlap=False), WINDOWS, OFFSETS,
    st.sampled_from(["ordered", "unordered", "clickhouse"]),
    st.sampled_from([None, "first_touch", "last_touch", "all_events"]),
    st.integers(min_value=1, max_value=5), st.sampled_from([1, 3]),
)  # fmt: skip
def test_chunks_equal_the_whole_log(  # type: ignore[no-untyped-def]
    events, steps, window, offset, order, attribution, size, workers
) -> None:
    log = _log(events, offset)
    opts = FunnelOptions(
        [s[0] for s in steps], dt.timedelta(seconds=window), order,
        breakdown=None if attribution is None else "device",
        attribution=attribution or "first_touch",
    )  # fmt: skip
    got, want = _results(log, opts, size, workers), _results(log, opts, None)
    _same(got.total, want.total)
    assert list(got.by) == list(want.by)
    for g in want.by:
        _same(got.by[g], want.by[g])
    counts, _, _ = funnel_counts(
        events, steps, window, order=order if order != "clickhouse" else "ordered"
    )
    assert [int((got.total.reached >= j + 1).sum()) for j in range(len(steps))] == counts


@settings(max_examples=60, deadline=None)
@given(event_logs(max_units=3, max_events=20), funnel_steps(overlap=False), WINDOWS)
def test_units_longer_than_a_chunk(events, steps, window) -> None:  # type: ignore[no-untyped-def]
    log = _log(events)
    opts = FunnelOptions([s[0] for s in steps], dt.timedelta(seconds=window))
    _same(_results(log, opts, 2, 2).total, _results(log, opts, None).total)


def test_unsorted_units_fall_back_to_the_whole_log() -> None:
    events: list[Event] = [
        ("b", "A", 0, {"device": ""}),
        ("a", "A", 1, {"device": ""}),
        ("b", "B", 2, {"device": ""}),
        ("a", "B", 3, {"device": ""}),
    ]
    log = _log(events)
    opts = FunnelOptions(["A", "B"], dt.timedelta(seconds=5))
    for size in (1, 2, 3, 100):
        with _chunks(size) as taken:
            res = unit_steps(log, opts)
        assert taken == [False]
        assert res.total.ids.all().tolist() == ["a", "b"]
        assert res.total.reached.tolist() == [2, 2]


def test_by_chunks_refuses_keys_that_decrease() -> None:
    table = np.array([0, 1, 2], dtype=np.int8)
    t = np.zeros(4, dtype=np.int64)
    ev = np.array([1, 2, 1, 2], dtype=np.int16)
    ok = np.array([0, 0, 1, 1], dtype=np.int64)
    for size in (1, 2, 3, 4):
        got = chunked.by_chunks(ok, t, ev, table, 2, 1.0, units_mod.eng.ordered_fast, size=size)
        assert got is not None
        assert got[0].reached.tolist() == [2, 2]
        for bad in ([1, 1, 0, 0], [0, 1, 0, 1], [0, 0, 1, 0]):
            keys = np.array(bad, dtype=np.int64)
            args = (keys, t, ev, table, 2, 1.0, units_mod.eng.ordered_fast)
            assert chunked.by_chunks(*args, size=size) is None


def test_worked_example_one_unit_one_event_and_ties() -> None:
    # One unit with one event; one unit whose steps share one second (taken in step order).
    events: list[Event] = [
        ("u", "A", 5, {"device": "ios"}),
        ("v", "C", 7, {"device": "web"}),
        ("v", "B", 7, {"device": ""}),
        ("v", "A", 7, {"device": "ios"}),
    ]
    f = event_funnel(_log(events), ["A", "B", "C"], window=dt.timedelta(seconds=1),
                     breakdown="device")  # fmt: skip
    assert f.counts == (2, 1, 1)
    assert f.by["ios"].counts == (2, 1, 1)
    with _chunks(1):
        g = event_funnel(_log(events), ["A", "B", "C"], window=dt.timedelta(seconds=1),
                         breakdown="device")  # fmt: skip
    assert g.counts == f.counts
    assert {k: v.counts for k, v in g.by.items()} == {k: v.counts for k, v in f.by.items()}


def test_every_event_name_is_checked_before_the_chunked_path() -> None:
    log = _log([("u", name, 0, {"device": ""}) for name in EVENT_NAMES])
    opts = FunnelOptions(["A", "nope"], dt.timedelta(seconds=1))
    with _chunks(1) as taken, pytest.raises(FunnelDataError, match="step 2: no event 'nope'"):
        unit_steps(log, opts)
    assert taken == []


TEXTS = st.sampled_from(
    ["", "a", "b", "ab", "a ", "(none)", "é", "Z", *(f"v{i}" for i in range(20))]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(TEXTS, max_size=60), st.integers(min_value=0, max_value=30))
def test_factorize_equals_a_sort_of_the_texts(texts: list[str], extra: int) -> None:
    # Few distinct texts are matched one by one (more than 16: the sort); both as np.unique.
    values = np.array(texts + [f"w{i}" for i in range(extra)] * bool(texts), dtype=str)
    names, codes = grouping.factorize(values)
    want, inverse = np.unique(values, return_inverse=True)
    assert names.dtype == want.dtype
    assert names.tolist() == want.tolist()
    assert codes.tolist() == inverse.reshape(-1).tolist()
    assert [names[c] for c in codes.tolist()] == values.tolist()

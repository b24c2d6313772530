"""The partials merge exactly: checked without a cluster, on any split of the units."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, strategies as st

from salesfunnel import EventFunnel, EventLog, FunnelDataError
from salesfunnel.events.units import FunnelOptions
from salesfunnel.scale.partials import (
    _median as median_of,
    event_partial,
    finish_events,
    merge_events,
    unit_columns,
)
from salesfunnel.scale.rows import ROW, pandas_in_row_order

from scale_helpers import FOCUS, PROPERTIES, assert_same, frames, options, pd, single


def _opts(o: dict[str, object]) -> FunnelOptions:
    o = dict(o)
    return FunnelOptions(o.pop("steps"), **o)  # type: ignore[arg-type]


def _by_unit(frame: pd.DataFrame, o: FunnelOptions, n: int, salt: int) -> list[pd.DataFrame]:
    """The frame split into ``n`` parts, every unit's events in one part (some parts empty)."""
    cols = unit_columns(o, "entity")
    part = frame[cols].apply(lambda row: hash((*map(str, row), salt)) % n, axis=1)
    return [frame[part == p] for p in range(n)]


@given(frames(), options(), st.integers(1, 5), st.integers(0, 9))
def test_merged_partials_equal_the_single_machine_funnel(frame, opts, n, salt) -> None:
    o = _opts(opts)
    parts = [
        event_partial(EventLog.from_pandas(p, properties=PROPERTIES, tz=opts.get("tz")), o, True)
        for p in _by_unit(frame, o, n, salt)
    ]
    assert_same(
        finish_events(
            merge_events(parts), o, True, {"device": False, "price": True, "session": False}
        ),
        single(frame, opts),
    )


@pytest.mark.parametrize("focus", FOCUS)
@given(data=st.data())
def test_each_later_option_merges_exactly(focus, data) -> None:
    frame, opts = data.draw(frames()), data.draw(options(focus))
    o = _opts(opts)
    pieces = _by_unit(frame, o, data.draw(st.integers(1, 5)), data.draw(st.integers(0, 9)))
    tz = opts.get("tz")
    parts = [
        event_partial(EventLog.from_pandas(p, properties=PROPERTIES, tz=tz), o, True)
        for p in pieces
    ]
    kinds = {"device": False, "price": True, "session": False}
    assert_same(finish_events(merge_events(parts), o, True, kinds), single(frame, opts))


@given(st.lists(st.integers(0, 50), min_size=1, max_size=30), st.integers(1, 4))
def test_median_from_merged_histograms_is_numpys(values, pieces) -> None:
    hists = [Counter(values[i::pieces]) for i in range(pieces)]
    merged = sum(hists, Counter())
    assert median_of(merged) == float(np.median(np.array(values, dtype=np.float64)))


def test_worked_example_two_partitions() -> None:
    # u1: A at 0, B at 4 (4 s); u2: A at 0, B at 10 (10 s); u3: A only. Window 20 s.
    t = [dt.datetime(2024, 1, 1, 0, 0, s) for s in (0, 4, 0, 10, 3)]
    frame = pd.DataFrame(
        {"entity": ["u1", "u1", "u2", "u2", "u3"], "event": list("ABABA"), "time": t}
    )
    o = FunnelOptions(("A", "B"), dt.timedelta(seconds=20))
    parts = [event_partial(EventLog.from_pandas(p), o, True) for p in (frame[:2], frame[2:])]
    f = finish_events(merge_events(parts), o, True, {})
    assert f.counts == (3, 2)
    assert f.median_s == (None, 7.0)
    assert f.mean_s == (None, 7.0)
    assert [u.tolist() for u in f.units] == [["u1", "u2", "u3"], ["u1", "u2"]]


def test_a_name_absent_from_every_partition_is_the_single_machine_error() -> None:
    frame = pd.DataFrame({"entity": [1], "event": ["A"], "time": [dt.datetime(2024, 1, 1)]})
    o = FunnelOptions(("A", "Nope"), dt.timedelta(seconds=5))
    merged = merge_events([event_partial(EventLog.from_pandas(frame), o, False), None])
    with pytest.raises(FunnelDataError, match="step 2: no event 'Nope' in the log"):
        finish_events(merged, o, False, {})


def test_no_events_at_all_is_the_empty_logs_error() -> None:
    o = FunnelOptions(("A", "B"), dt.timedelta(seconds=5))
    with pytest.raises(FunnelDataError, match="no event 'A'"):
        finish_events(merge_events([None, None]), o, False, {})


KINDS = {"device": False, "price": True, "session": False}


def test_a_partition_puts_its_rows_back_in_row_order() -> None:
    # Steps ('A' or 'D', then 'A'), A and D at one time. Taken in row order, A starts the
    # chain and D restarts it (reached 1); D then A reaches 2. A shuffle may deliver the
    # rows reversed (Spark's and Dask's promise no order); the row numbers given before
    # it put them back, so the partition's result is the single machine's.
    t = [dt.datetime(2024, 1, 1)] * 2
    frame = pd.DataFrame({"entity": ["z", "z"], "event": ["A", "D"], "time": t})
    frame = frame.assign(device="web", price=1.0, session="s")  # the properties single() reads
    opts = {"steps": [("A", "D"), ("A",)], "window": dt.timedelta(seconds=1)}
    o = _opts(opts)
    shuffled = frame.assign(**{ROW: [0, 1]}).iloc[::-1]

    def partition(part: pd.DataFrame) -> EventFunnel:
        log = EventLog.from_pandas(part, properties=PROPERTIES)
        return finish_events(event_partial(log, o, True), o, True, KINDS)

    want = single(frame, opts)
    assert want.counts == (1, 0)  # A then D: D restarts the chain, step 2 not reached
    assert partition(pandas_in_row_order(shuffled)) == want
    assert partition(shuffled.drop(columns=ROW)).counts == (1, 1)  # what the fix prevents

"""The partials merge exactly: checked without a cluster, on any split of the units."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, strategies as st

from salesfunnel import EventLog, FunnelDataError
from salesfunnel.events.units import FunnelOptions
from salesfunnel.scale.partials import (
    _median as median_of,
    event_partial,
    finish_events,
    merge_events,
)

from scale_helpers import PROPERTIES, assert_same, frames, options, pd, single


def _opts(o: dict[str, object]) -> FunnelOptions:
    o = dict(o)
    return FunnelOptions(o.pop("steps"), **o)  # type: ignore[arg-type]


def _by_unit(frame: pd.DataFrame, n: int, salt: int) -> list[pd.DataFrame]:
    """The frame split into ``n`` parts, every unit's events in one part (some parts empty)."""
    part = frame["entity"].map(lambda u: hash((str(u), salt)) % n)
    return [frame[part == p] for p in range(n)]


@given(frames(), options(), st.integers(1, 5), st.integers(0, 9))
def test_merged_partials_equal_the_single_machine_funnel(frame, opts, n, salt) -> None:
    o = _opts(opts)
    parts = [
        event_partial(EventLog.from_pandas(p, properties=PROPERTIES), o, True)
        for p in _by_unit(frame, n, salt)
    ]
    assert_same(
        finish_events(merge_events(parts), o, True, {"device": False, "price": True}),
        single(frame, opts),
    )


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

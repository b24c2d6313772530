"""salesfunnel.dask on a real LocalCluster (worker processes) equals the single-machine results."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from salesfunnel import FunnelDataError

from scale_helpers import PROPERTIES, assert_same, frames, need, options, pd, single, split

dd = need("dask.dataframe")
sfd = pytest.importorskip("salesfunnel.dask")

# Each example is a real distributed computation: fewer, slower examples.
CLUSTER = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _dask(frame: pd.DataFrame, cuts: list[int]) -> Any:
    """A Dask DataFrame whose partitions are the row ranges between ``cuts`` (some empty)."""
    pieces = split(frame, cuts)
    return dd.from_map(lambda p: p, pieces, meta=frame.iloc[:0], enforce_metadata=False)


def _run(ddf: Any, opts: dict[str, Any]) -> Any:
    o = dict(opts)
    return sfd.event_funnel(ddf, o.pop("steps"), properties=PROPERTIES, unit_ids=True, **o)


@CLUSTER
@given(frames(), options(), st.lists(st.integers(0, 80), max_size=4))
def test_event_funnel_equals_single_machine(dask_client, frame, opts, cuts) -> None:
    assert_same(_run(_dask(frame, cuts), opts), single(frame, opts))


def test_worked_example_on_three_partitions(dask_client) -> None:
    t = [dt.datetime(2024, 1, 1, 0, 0, s) for s in (0, 4, 0, 10, 3)]
    frame = pd.DataFrame(
        {"entity": ["u1", "u1", "u2", "u2", "u3"], "event": list("ABABA"), "time": t}
    )
    ddf = _dask(frame, [1, 3])  # u1 and u2 are split between partitions
    f = sfd.event_funnel(ddf, ["A", "B"], window=dt.timedelta(seconds=20), unit_ids=True)
    assert f.counts == (3, 2)
    assert f.median_s == (None, 7.0)
    assert f.units[1].tolist() == ["u1", "u2"]
    plain = sfd.event_funnel(ddf, ["A", "B"], window=dt.timedelta(seconds=20))
    assert plain == f  # ids only when asked: the stages' data is None
    assert all(s.data is None for s in plain.funnel.stages)


def test_bad_options_raise_before_any_work(dask_client) -> None:
    frame = pd.DataFrame({"entity": [1], "event": ["A"], "time": [dt.datetime(2024, 1, 1)]})
    ddf = dd.from_pandas(frame, npartitions=1)
    with pytest.raises(FunnelDataError, match="window must be a positive"):
        sfd.event_funnel(ddf, ["A"], window=dt.timedelta(0))
    with pytest.raises(FunnelDataError, match="no column 'plan'"):
        sfd.event_funnel(ddf, ["A"], window=dt.timedelta(seconds=1), properties=["plan"])
    with pytest.raises(FunnelDataError, match="step 2: no event 'B'"):
        sfd.event_funnel(ddf, ["A", "B"], window=dt.timedelta(seconds=1))

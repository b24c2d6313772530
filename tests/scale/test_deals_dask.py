"""salesfunnel.dask.closed_funnel on a real LocalCluster (worker processes) equals one machine."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from salesfunnel import DealLog, FunnelDataError, Pipeline, stage_durations, time_to_close
from salesfunnel.scale import deals_dask

from deal_helpers import (
    COLUMNS,
    assert_same,
    assert_same_curves,
    closed_options,
    deal_frames,
    pd,
    single,
    split,
    time_options,
)
from scale_helpers import need

dd = need("dask.dataframe")

# Each example is a real distributed computation: fewer, slower examples.
CLUSTER = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _dask(frame: pd.DataFrame, cuts: list[int]) -> Any:
    """A Dask DataFrame whose partitions are the row ranges between ``cuts`` (some empty)."""
    pieces = split(frame, cuts)
    return dd.from_map(lambda p: p, pieces, meta=frame.iloc[:0], enforce_metadata=False)


@CLUSTER
@given(deal_frames(), closed_options(), st.lists(st.integers(0, 80), max_size=4))
def test_closed_funnel_equals_single_machine(dask_client, data, opts, cuts) -> None:
    pipeline, frame = data
    got = deals_dask.closed_funnel(_dask(frame, cuts), pipeline, **opts, **COLUMNS)
    assert_same(got, single(pipeline, frame, opts))


@CLUSTER
@given(deal_frames(), time_options(), st.lists(st.integers(0, 80), max_size=4))
def test_time_to_close_equals_single_machine(dask_client, data, opts, cuts) -> None:
    pipeline, frame = data
    got = deals_dask.time_to_close(_dask(frame, cuts), pipeline, **opts, **COLUMNS)
    log = DealLog.from_pandas(frame, pipeline, **COLUMNS)
    assert_same_curves(got, time_to_close(log, pipeline, **opts))


def test_worked_example_on_three_partitions(dask_client) -> None:
    p = Pipeline(["Call", "Offer"], won="Won", lost="Lost")
    rows = [
        ("A", "Call", "2024-01-01", 1e16),
        ("B", "Call", "2024-01-02", 1.0),
        ("A", "Offer", "2024-01-03", 1e16),
        ("B", "Won", "2024-01-04", 1.0),
        ("C", "Call", "2024-01-05", 1.0),
        ("A", "Won", "2024-01-10", 1e16),
        ("C", "Won", "2024-01-11", 1.0),
    ]
    frame = pd.DataFrame(rows, columns=["deal", "stage", "time", "amount"])
    frame["time"] = pd.to_datetime(frame["time"])
    ddf = _dask(frame, [2, 5])  # A, B and C are split between partitions
    f = deals_dask.closed_funnel(ddf, p, amount="amount")
    assert (f.deals, f.won) == (3, 3)
    assert f.funnel["Won"].data.tolist() == ["A", "B", "C"]
    assert f.funnel["Won"].amount == 1e16  # 1e16 + 1 + 1, summed in id order
    assert f.cycle.median_days == 6.0  # cycles 9, 2, 6 days
    d = deals_dask.stage_durations(ddf, p, amount="amount")
    assert d.stage("Call").median_days == 2.0  # 2, 2, 6 days in Call
    assert d == f.durations
    assert d == stage_durations(DealLog.from_pandas(frame, p, amount="amount"))


def test_bad_options_raise_before_any_work(dask_client) -> None:
    p = Pipeline(["Call"], won="Won", lost="Lost")
    frame = pd.DataFrame({"deal": [1], "stage": ["Call"], "time": [dt.datetime(2024, 1, 1)]})
    ddf = dd.from_pandas(frame, npartitions=1)
    with pytest.raises(FunnelDataError, match="mode must be"):
        deals_dask.closed_funnel(ddf, p, mode="fast")  # type: ignore[arg-type]
    with pytest.raises(FunnelDataError, match="by='owner' needs"):
        deals_dask.closed_funnel(ddf, p, by="owner")

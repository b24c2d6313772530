"""The active funnel, forecast, monthly volume and stalled deals on a real LocalCluster
(worker processes) equal the single-machine results."""

from __future__ import annotations

import datetime as dt
import warnings
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from salesfunnel import DealLog, FunnelDataError, Pipeline, monthly_volume
from salesfunnel.scale import deals_dask

from deal_helpers import (
    COLUMNS,
    assert_same_result,
    pd,
    single_of,
    skewed_deal_frames,
    snap_options,
    split,
    with_probabilities,
)
from scale_helpers import need

dd = need("dask.dataframe")

CLUSTER = settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ANALYSES = ["active_funnel", "forecast", "monthly_volume", "stalled_deals"]


def _dask(frame: pd.DataFrame, cuts: list[int]) -> Any:
    """A Dask DataFrame whose partitions are the row ranges between ``cuts`` (some empty)."""
    pieces = split(frame, cuts)
    return dd.from_map(lambda p: p, pieces, meta=frame.iloc[:0], enforce_metadata=False)


@pytest.mark.parametrize("analysis", ANALYSES)
@CLUSTER
@given(data=st.data())
def test_equals_single_machine(dask_client, analysis, data) -> None:
    pipeline, frame = data.draw(skewed_deal_frames())
    opts = with_probabilities(pipeline, data.draw(snap_options(analysis)))
    cuts = data.draw(st.lists(st.integers(0, 80), max_size=4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # monthly_volume's default by
        got = getattr(deals_dask, analysis)(_dask(frame, cuts), pipeline, **opts, **COLUMNS)
        assert_same_result(got, single_of(analysis, pipeline, frame, opts))


def test_worked_example_on_three_partitions(dask_client) -> None:
    p = Pipeline(["Call", "Offer"], won="Won", lost="Lost")
    rows = [
        ("A", "Call", "2024-01-01", 1e16, "ann"),
        ("B", "Call", "2024-01-02", 1.0, "bob"),
        ("A", "Offer", "2024-01-03", 1e16, "ann"),
        ("B", "Won", "2024-01-04", 1.0, "bob"),
        ("C", "Offer", "2024-01-05", 1.0, "ann"),
        ("D", "Offer", "2024-01-06", 1.0, "bob"),
        ("E", "Lost", "2024-02-11", 1.0, "ann"),
    ]
    frame = pd.DataFrame(rows, columns=["deal", "stage", "time", "amount", "owner"])
    frame["time"] = pd.to_datetime(frame["time"])
    ddf = _dask(frame, [2, 5])  # A and B are split between partitions
    kw = {"amount": "amount", "owner": "owner"}
    a = deals_dask.active_funnel(ddf, p, **kw)
    assert a.funnel["Offer"].data.tolist() == ["A", "C", "D"]
    assert a.funnel["Offer"].amount == 1e16  # 1e16 + 1 + 1, summed in id order
    f = deals_dask.forecast(ddf, p, by="owner", **kw)
    assert list(f) == ["ann", "bob"]
    # P(won | reached a stage) = 1: of the closed deals B won, E lost before any open stage.
    assert (f["ann"].expected_won, f["bob"].expected_won) == (2.0, 1.0)  # A, C; D at Offer
    v = deals_dask.monthly_volume(ddf, p, by=None, **kw)
    assert v.table.rows == (("2024-01", 1, 1.0, 0),)
    s = deals_dask.stalled_deals(ddf, p, max_days=30, **kw)
    assert s.as_of == "2024-02-11T00:00:00"  # the latest event of all partitions
    assert s.deal_ids == ["A", "C", "D"]  # idle 39, 37 and 36 days
    log = DealLog.from_pandas(frame, p, **kw)
    with pytest.warns(DeprecationWarning, match="default by='owner'") as caught:
        got = deals_dask.monthly_volume(ddf, p, **kw)
    assert caught[0].filename == __file__  # the user's line, as on one machine
    with pytest.warns(DeprecationWarning, match="default by='owner'"):
        assert got.to_json() == monthly_volume(log, p).to_json()


def test_bad_options_raise_before_any_work(dask_client) -> None:
    p = Pipeline(["Call"], won="Won", lost="Lost")
    frame = pd.DataFrame({"deal": [1], "stage": ["Call"], "time": [dt.datetime(2024, 1, 1)]})
    ddf = dd.from_pandas(frame, npartitions=1)
    with pytest.raises(FunnelDataError, match="method must be"):
        deals_dask.forecast(ddf, p, method="magic")  # type: ignore[arg-type]
    with pytest.raises(FunnelDataError, match="max_days for 'Call' must be"):
        deals_dask.stalled_deals(ddf, p, max_days=-1)
    with pytest.raises(FunnelDataError, match="by='owner' needs"):
        deals_dask.active_funnel(ddf, p, by="owner")
    with pytest.raises(FunnelDataError, match="start: unparsable"):
        deals_dask.monthly_volume(ddf, p, start="soon")


def test_monthly_volume_on_the_frames_zone(dask_client) -> None:
    # tz is the zone of the frame's naive times and the calendar of the months: a win at
    # 00:30 on 1 February in Berlin (23:30 UTC on 31 January) is February's.
    p = Pipeline(["Call"], won="Won", lost="Lost")
    rows = [("A", "Call", "2024-01-10 09:00"), ("A", "Won", "2024-02-01 00:30"),
            ("B", "Call", "2024-01-10 09:00"), ("B", "Won", "2024-01-31 23:30")]  # fmt: skip
    frame = pd.DataFrame(rows, columns=["deal", "stage", "time"])
    frame["time"] = pd.to_datetime(frame["time"])
    v = deals_dask.monthly_volume(_dask(frame, [2]), p, by=None, tz="Europe/Berlin")
    assert v.table.rows == (
        ("2024-01", 1, v.table.rows[0][2], 0),
        ("2024-02", 1, v.table.rows[1][2], 0),
    )
    one = monthly_volume(
        DealLog.from_pandas(frame, p, tz="Europe/Berlin"), by=None, tz="Europe/Berlin"
    )
    assert_same_result(v, one)
    # A naive start is read in the zone: Berlin's 1 February begins at 23:00 UTC.
    feb = deals_dask.monthly_volume(
        _dask(frame, [2]), p, by=None, tz="Europe/Berlin", start="2024-02-01"
    )
    assert [r[:2] for r in feb.table.rows] == [("2024-02", 1)]

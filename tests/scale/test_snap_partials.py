"""The snapshot and volume partials merge exactly: checked without a cluster, on any split."""

from __future__ import annotations

import datetime as dt
import warnings
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

import salesfunnel
from salesfunnel import DealLog, FunnelDataError, Pipeline
from salesfunnel.scale import snap_partials as sp

from deal_helpers import (
    COLUMNS,
    assert_same_result,
    by_deal,
    pd,
    single_of,
    skewed_deal_frames,
    snap_options,
    with_probabilities,
)

ANALYSES = ["active_funnel", "forecast", "monthly_volume", "stalled_deals"]


def merged(analysis: str, pipeline: Pipeline, frame: Any, opts: dict[str, Any], parts: list) -> Any:
    """What the adapters compute: each part reduced, the partials merged, then finished."""
    logs = [DealLog.from_pandas(p, pipeline, **COLUMNS) for p in parts]
    empty = DealLog.from_pandas(frame.iloc[:0], pipeline, **COLUMNS)
    if analysis == "stalled_deals":
        as_of = opts.get("as_of")
        if as_of is None:
            as_of = sp.as_of_of(sp.merge_latest(sp.latest_partial(log) for log in logs))
        o = {k: v for k, v in opts.items() if k != "as_of"}
        probe = single_of(analysis, pipeline, frame.iloc[:0], {**o, "as_of": as_of})
        got = [sp.stalled_partial(log, pipeline, as_of, o["max_days"], o["by"]) for log in logs]
        return sp.finish_stalled(sp.merge_stalled(got), probe)
    if analysis == "monthly_volume":
        by = sp.volume_by(
            empty, opts.get("by", sp.DefaultBy.BY), opts.get("start"), opts.get("end")
        )
        query = sp.SnapQuery(pipeline, by, COLUMNS, start=opts.get("start"), end=opts.get("end"))  # type: ignore[arg-type]
        return sp.finish_volume(
            sp.merge_won(sp.won_partial(lg, query) for lg in logs), empty, query
        )
    query = sp.SnapQuery(pipeline, opts["by"], COLUMNS, as_of=opts.get("as_of"))
    snaps = sp.merge_snaps(sp.snap_partial(log, query) for log in logs)
    if analysis == "active_funnel":
        return sp.finish_active(snaps, empty, query)
    return sp.finish_forecast(snaps, empty, query, opts["method"], opts.get("probabilities"))


@pytest.mark.parametrize("analysis", ANALYSES)
@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_any_split_by_deal_merges_to_the_single_machine_result(analysis, data) -> None:
    pipeline, frame = data.draw(skewed_deal_frames())
    opts = with_probabilities(pipeline, data.draw(snap_options(analysis)))
    n, salt = data.draw(st.integers(1, 5)), data.draw(st.integers(0, 99))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # monthly_volume's default by
        got = merged(analysis, pipeline, frame, opts, by_deal(frame, n, salt))
        assert_same_result(got, single_of(analysis, pipeline, frame, opts))


def test_worked_example_amounts_sum_in_deal_order() -> None:
    # 1e16 + 1 + 1 is 1e16 summed in id order (A, B, C) but 1e16 + 2 with B and C first:
    # the merge must put the parts' deals back in id order, as on one machine.
    p = Pipeline(["Call", "Offer"], won="Won", lost="Lost")
    rows = [
        ("A", "Call", "2024-01-01", 1e16, "ann", "p1"),
        ("B", "Call", "2024-01-02", 1.0, "ann", "p1"),
        ("C", "Call", "2024-01-03", 1.0, "bob", "p1"),
        ("D", "Won", "2024-01-03", 5.0, "bob", "p2"),
        ("E", "Won", "2024-02-04", 7.0, "ann", "p2"),
    ]
    frame = pd.DataFrame(rows, columns=["deal", "stage", "time", "amount", "owner", "product"])
    frame["time"] = pd.to_datetime(frame["time"])
    parts = [frame[frame["deal"].isin(["B", "C", "E"])], frame[frame["deal"].isin(["A", "D"])]]
    active = merged("active_funnel", p, frame, {"by": None}, parts)
    assert active.funnel["Call"].data.tolist() == ["A", "B", "C"]
    assert active.funnel["Call"].amount == 1e16  # not 1e16 + 2
    assert (active.open_deals, active.won) == (3, 2)
    fc = merged("forecast", p, frame, {"by": "owner", "method": "historical"}, parts)
    assert list(fc) == ["ann", "bob"]
    assert fc["ann"].expected_won == 2.0  # every closed deal was won: probability 1
    vol = merged("monthly_volume", p, frame, {"by": "product"}, parts)
    assert vol.table.rows == (
        ("p1", "2024-01", 0, 0.0, 0),
        ("p1", "2024-02", 0, 0.0, 0),
        ("p2", "2024-01", 1, 5.0, 0),
        ("p2", "2024-02", 1, 7.0, 0),
    )
    stalled = merged("stalled_deals", p, frame, {"by": None, "max_days": 30.0}, parts)
    assert stalled.deal_ids == ["A", "B", "C"]  # idle 34, 33 and 32 days at 2024-02-04
    assert stalled.as_of == "2024-02-04T00:00:00"


def test_a_list_by_is_refused_where_the_partials_need_one_group_column() -> None:
    p = Pipeline(["Call"], won="Won", lost="Lost")
    with pytest.raises(FunnelDataError, match="on a cluster, by must be None or one column"):
        sp.SnapQuery(p, ["owner", "product"], COLUMNS)  # type: ignore[arg-type]
    frame = pd.DataFrame({"deal": [1], "stage": ["Call"], "time": [dt.datetime(2024, 1, 1)]})
    empty = DealLog.from_pandas(frame.iloc[:0], p)
    with pytest.raises(FunnelDataError, match="on a cluster, by must be None or one column"):
        sp.volume_by(empty, ["owner"], None, None)


@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    zone=st.sampled_from(
        ["Europe/Berlin", "America/New_York", "Asia/Kathmandu", "Pacific/Chatham"]
    ),
)
def test_monthly_volume_with_a_zone_merges_to_the_single_machine_result(data, zone) -> None:
    # The frame's zone (tz, the loader's) is also the calendar of the months and the zone
    # of a naive start/end, as one --tz is: the single-machine call given tz both ways.
    pipeline, frame = data.draw(skewed_deal_frames())
    opts = data.draw(snap_options("monthly_volume"))
    opts["by"] = opts.get("by", None)
    frame = frame.assign(time=frame["time"] + pd.Timedelta(hours=data.draw(st.integers(0, 23))))
    columns = {**COLUMNS, "tz": zone}
    parts = by_deal(frame, data.draw(st.integers(1, 5)), data.draw(st.integers(0, 99)))
    logs = [DealLog.from_pandas(p, pipeline, **columns) for p in parts]
    empty = DealLog.from_pandas(frame.iloc[:0], pipeline, **columns)
    start, end = opts.get("start"), opts.get("end")
    by = sp.volume_by(empty, opts["by"], start, end, zone)
    query = sp.SnapQuery(pipeline, by, columns, start=start, end=end)
    got = sp.finish_volume(sp.merge_won(sp.won_partial(lg, query) for lg in logs), empty, query)
    log = DealLog.from_pandas(frame, pipeline, **columns)
    assert_same_result(got, salesfunnel.monthly_volume(log, pipeline, **opts, tz=zone))

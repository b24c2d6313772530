"""The per-deal partials merge exactly: checked without a cluster, on any split of the deals."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from salesfunnel import DealLog, FunnelDataError, Pipeline, stage_durations, time_to_close
from salesfunnel.scale import deal_partials as dp

from deal_helpers import (
    COLUMNS,
    assert_same,
    assert_same_curves,
    by_deal,
    closed_options,
    deal_frames,
    pd,
    single,
    time_options,
)


def _merged(pipeline: Pipeline, frame: pd.DataFrame, opts: dict, parts: list) -> object:
    query = dp.ClosedQuery(
        pipeline,
        opts.get("start"),
        opts.get("end"),
        opts.get("by"),
        opts.get("mode", "cumulative"),
        opts.get("durations", True),
        COLUMNS,
    )
    logs = [DealLog.from_pandas(p, pipeline, **COLUMNS) for p in parts]
    partials = [dp.closed_partial(log, query) for log in logs]
    empty = DealLog.from_pandas(frame.iloc[:0], pipeline, **COLUMNS)
    return dp.finish_closed(dp.merge_closed(partials), empty, query)


@settings(max_examples=150, deadline=None)
@given(deal_frames(), closed_options(), st.integers(1, 5), st.integers(0, 99))
def test_any_split_by_deal_merges_to_the_single_machine_result(data, opts, n, salt) -> None:
    pipeline, frame = data
    got = _merged(pipeline, frame, opts, by_deal(frame, n, salt))
    assert_same(got, single(pipeline, frame, opts))


@settings(max_examples=60, deadline=None)
@given(deal_frames(), closed_options(), st.integers(1, 5), st.integers(0, 99))
def test_stage_durations_merge_to_the_single_machine_result(data, opts, n, salt) -> None:
    pipeline, frame = data
    opts = {k: v for k, v in opts.items() if k in ("start", "end", "by")}
    query = dp.ClosedQuery(
        pipeline, opts.get("start"), opts.get("end"), opts.get("by"), "cumulative", True, COLUMNS
    )
    parts = [DealLog.from_pandas(p, pipeline, **COLUMNS) for p in by_deal(frame, n, salt)]
    empty = DealLog.from_pandas(frame.iloc[:0], pipeline, **COLUMNS)
    merged = dp.merge_closed(dp.closed_partial(log, query) for log in parts)
    got = dp.finish_durations(merged, empty, query)
    log = DealLog.from_pandas(frame, pipeline, **COLUMNS)
    want = stage_durations(log, pipeline, **opts)
    assert got == want
    items = got.items() if isinstance(got, dict) else [(None, got)]
    for k, d in items:
        w = want[k] if isinstance(want, dict) else want
        assert d.to_json() == w.to_json()


@settings(max_examples=100, deadline=None)
@given(deal_frames(), time_options(), st.integers(1, 5), st.integers(0, 99))
def test_time_to_close_merges_to_the_single_machine_result(data, opts, n, salt) -> None:
    pipeline, frame = data
    as_of, by, outcome = opts.get("as_of"), opts["by"], opts["outcome"]
    parts = [DealLog.from_pandas(p, pipeline, **COLUMNS) for p in by_deal(frame, n, salt)]
    merged = dp.merge_times(dp.times_partial(log, pipeline, as_of, by) for log in parts)
    empty = DealLog.from_pandas(frame.iloc[:0], pipeline, **COLUMNS)
    got = dp.finish_times(merged, empty, pipeline, as_of, by, outcome)
    want = time_to_close(DealLog.from_pandas(frame, pipeline, **COLUMNS), pipeline, **opts)
    assert_same_curves(got, want)


def test_amount_sums_keep_the_single_machine_order() -> None:
    # 1e16 + 1.0 + 1.0 is 1e16 in that order and 1e16 + 2 in others: the
    # merged amounts are summed in deal-id order (a, b, c), as on one machine.
    p = Pipeline(["Call"], won="Won", lost="Lost")
    t = dt.datetime(2024, 1, 1)
    frame = pd.DataFrame(
        {
            "deal": ["a", "a", "b", "b", "c", "c"],
            "stage": ["Call", "Won"] * 3,
            "time": [t, t + dt.timedelta(days=2)] * 3,
            "owner": ["x"] * 6,
            "amount": [1e16, 1e16, 1.0, 1.0, 1.0, 1.0],
            "product": ["p"] * 6,
        }
    )
    parts = [frame.iloc[4:], frame.iloc[2:4], frame.iloc[:2]]  # c, b, a: reversed
    got = _merged(p, frame, {}, parts)
    want = single(p, frame, {})
    assert want.funnel["Won"].amount == 1e16  # numpy's sum in id order
    assert got.funnel["Won"].amount == 1e16
    assert 1.0 + 1.0 + 1e16 != 1e16  # the order the parts came in would differ
    assert got.funnel["Won"].data.tolist() == ["a", "b", "c"]
    assert_same(got, want)


def test_worked_example_by_owner_with_an_owner_only_in_one_part() -> None:
    p = Pipeline(["Call", "Offer"], won="Won", lost="Lost")
    rows = [
        ("A", "Call", "2024-01-01", "ann"),
        ("A", "Offer", "2024-01-03", "ann"),
        ("A", "Won", "2024-01-10", "ann"),
        ("B", "Call", "2024-01-02", "bob"),
        ("B", "Lost", "2024-01-04", "bob"),
        ("C", "Call", "2024-01-05", "cy"),  # open: cy has an empty result
    ]
    frame = pd.DataFrame(rows, columns=["deal", "stage", "time", "owner"])
    frame["time"] = pd.to_datetime(frame["time"])
    frame["amount"] = [5.0, 5.0, 5.0, np.nan, 2.0, 1.0]
    frame["product"] = "p"
    got = _merged(p, frame, {"by": "owner"}, [frame.iloc[:3], frame.iloc[3:5], frame.iloc[5:]])
    assert list(got) == ["ann", "bob", "cy"]
    assert (got["ann"].won, got["bob"].lost, got["cy"].deals) == (1, 1, 0)
    assert got["ann"].cycle.median_days == 9.0
    assert got["bob"].funnel["Call"].amount == 2.0
    assert_same(got, single(p, frame, {"by": "owner"}))


def test_a_list_by_is_refused_on_a_cluster() -> None:
    p = Pipeline(["Call"], won="Won", lost="Lost")
    with pytest.raises(FunnelDataError, match="by must be None or one column"):
        dp.ClosedQuery(p, None, None, ["owner"], "cumulative", True, {})  # type: ignore[arg-type]


def test_no_rows_gives_the_empty_result() -> None:
    p = Pipeline(["Call"], won="Won", lost="Lost")
    frame = pd.DataFrame(
        {"deal": ["a"], "stage": ["Call"], "time": [dt.datetime(2024, 1, 1)], "owner": ["x"]}
    )
    frame["amount"] = 1.0
    frame["product"] = "p"
    empty = frame.iloc[:0]
    got = _merged(p, empty, {}, [empty])
    assert (got.deals, got.funnel.counts.tolist()) == (0, [0.0, 0.0])
    assert_same(got, single(p, empty, {}))
    assert_same(_merged(p, empty, {"by": "owner"}, [empty]), {})

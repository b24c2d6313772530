"""salesfunnel.spark.closed_funnel on a real local Spark session equals one machine."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st

from salesfunnel import DealLog, Pipeline, stage_durations, time_to_close
from salesfunnel.scale import deals_spark

from deal_helpers import (
    COLUMNS,
    assert_same,
    assert_same_curves,
    closed_options,
    deal_frames,
    pd,
    single,
    time_options,
)
from scale_helpers import spark_in_order

CLUSTER = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _spark(spark: Any, frame: pd.DataFrame, n: int) -> Any:
    """A Spark DataFrame of ``frame`` in ``n`` partitions (rows in order, deals split).

    Its row order (partition, then row) is the pandas frame's: tied events of a deal
    follow it (a round-robin ``repartition(n)`` would deal the rows out of order).
    """
    return spark_in_order(spark, frame, [len(frame) * i // n for i in range(1, n)])


@CLUSTER
@given(deal_frames(), closed_options(), st.integers(1, 4))
def test_closed_funnel_equals_single_machine(spark, data, opts, n) -> None:
    pipeline, frame = data
    got = deals_spark.closed_funnel(_spark(spark, frame, n), pipeline, **opts, **COLUMNS)
    assert_same(got, single(pipeline, frame, opts))


@CLUSTER
@given(deal_frames(), time_options(), st.integers(1, 4))
def test_time_to_close_equals_single_machine(spark, data, opts, n) -> None:
    pipeline, frame = data
    got = deals_spark.time_to_close(_spark(spark, frame, n), pipeline, **opts, **COLUMNS)
    log = DealLog.from_pandas(frame, pipeline, **COLUMNS)
    assert_same_curves(got, time_to_close(log, pipeline, **opts))


def test_stage_durations_by_owner(spark) -> None:
    p = Pipeline(["Call", "Offer"], won="Won", lost="Lost")
    t = [dt.datetime(2024, 1, d) for d in (1, 3, 10, 2, 4, 5)]
    frame = pd.DataFrame(
        {
            "deal": [1, 1, 1, 2, 2, 3],
            "stage": ["Call", "Offer", "Won", "Call", "Lost", "Call"],
            "time": t,
            "owner": ["ann", "ann", "ann", "bob", "bob", "cy"],
        }
    )
    got = deals_spark.stage_durations(_spark(spark, frame, 3), p, by="owner", owner="owner")
    assert list(got) == ["ann", "bob", "cy"]
    assert got["ann"].stage("Offer").median_days == 7.0
    assert got["cy"].cycle.count == 0  # open: no closed deal
    assert got == stage_durations(DealLog.from_pandas(frame, p, owner="owner"), by="owner")

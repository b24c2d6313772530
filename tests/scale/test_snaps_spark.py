"""The active funnel, forecast, monthly volume and stalled deals on a real local[2] Spark
session equal the single-machine results."""

from __future__ import annotations

import datetime as dt
import warnings

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from salesfunnel import DealLog, FunnelDataError, Pipeline, stalled_deals
from salesfunnel.scale import deals_spark

from deal_helpers import (
    COLUMNS,
    assert_same_result,
    pd,
    single_of,
    skewed_deal_frames,
    snap_options,
    with_probabilities,
)
from scale_helpers import spark_in_order

CLUSTER = settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ANALYSES = ["active_funnel", "forecast", "monthly_volume", "stalled_deals"]


@pytest.mark.parametrize("analysis", ANALYSES)
@CLUSTER
@given(data=st.data())
def test_equals_single_machine(spark, analysis, data) -> None:
    pipeline, frame = data.draw(skewed_deal_frames())
    opts = with_probabilities(pipeline, data.draw(snap_options(analysis)))
    sdf = spark_in_order(spark, frame, data.draw(st.lists(st.integers(0, 80), max_size=3)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # monthly_volume's default by
        got = getattr(deals_spark, analysis)(sdf, pipeline, **opts, **COLUMNS)
        assert_same_result(got, single_of(analysis, pipeline, frame, opts))


def test_stalled_deals_by_two_columns(spark) -> None:
    p = Pipeline(["Call", "Offer"], won="Won", lost="Lost")
    t = [dt.datetime(2024, 1, d) for d in (1, 3, 2, 10, 20)]
    frame = pd.DataFrame(
        {
            "deal": [1, 1, 2, 2, 3],
            "stage": ["Call", "Offer", "Call", "Won", "Call"],
            "time": t,
            "owner": ["ann", "ann", "bob", "bob", "cy"],
            "product": ["p1", "p2", "p1", "p1", "p2"],
        }
    )
    kw = {"owner": "owner", "keep": ["product"]}
    got = deals_spark.stalled_deals(
        spark_in_order(spark, frame, [1, 3]), p, max_days=5, by=["owner", "product"], **kw
    )
    assert got.table.columns == ("deal", "owner", "product", "stage", "last_event", "idle_days")
    assert got.table.rows == ((1, "ann", "p2", "Offer", "2024-01-03T00:00:00", 17.0),)
    log = DealLog.from_pandas(frame, p, **kw)
    assert got.to_json() == stalled_deals(log, p, max_days=5, by=["owner", "product"]).to_json()


def test_bad_options_raise_before_any_work(spark) -> None:
    p = Pipeline(["Call"], won="Won", lost="Lost")
    frame = pd.DataFrame({"deal": [1], "stage": ["Call"], "time": [dt.datetime(2024, 1, 1)]})
    sdf = spark_in_order(spark, frame, [])
    with pytest.raises(FunnelDataError, match="lack the stage 'Call'"):
        deals_spark.forecast(sdf, p, method="weighted", probabilities={})
    with pytest.raises(FunnelDataError, match="on a cluster, by must be None or one column"):
        deals_spark.monthly_volume(sdf, p, by=["owner"])  # type: ignore[arg-type]

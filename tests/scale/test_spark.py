"""salesfunnel.spark on a real local[2] session equals the single-machine results."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from scale_helpers import (
    FOCUS,
    PROPERTIES,
    assert_same,
    frames,
    need,
    options,
    pd,
    single,
    spark_in_order,
)

need("pyspark")
sfs = pytest.importorskip("salesfunnel.spark")

# A Spark job per example costs about a second: few examples, every option drawn.
CLUSTER = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _utc(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame's times as UTC instants, as a Spark timestamp column holds them."""
    return frame.assign(time=pd.to_datetime(frame["time"]).dt.tz_localize("UTC"))


def _spark(spark: Any, frame: pd.DataFrame, n: int) -> Any:
    """A Spark DataFrame of ``n`` input partitions (rows split, units split across them),
    whose row order (partition, then row) is the pandas frame's, as tied events need."""
    return spark_in_order(spark, _utc(frame), [len(frame) * i // n for i in range(1, n)])


@CLUSTER
@given(frames(), options(), st.integers(1, 4))
def test_event_funnel_equals_single_machine(spark, frame, opts, n) -> None:
    o = dict(opts)
    got = sfs.event_funnel(
        _spark(spark, frame, n), o.pop("steps"), properties=PROPERTIES, unit_ids=True, **o
    )
    assert_same(got, single(_utc(frame), opts))


EACH = settings(CLUSTER, max_examples=4)


@pytest.mark.parametrize("focus", FOCUS)
@EACH
@given(data=st.data())
def test_each_later_option_equals_single_machine(spark, focus, data) -> None:
    frame, opts = data.draw(frames()), data.draw(options(focus))
    o = dict(opts)
    got = sfs.event_funnel(
        _spark(spark, frame, data.draw(st.integers(1, 4))),
        o.pop("steps"),
        properties=PROPERTIES,
        unit_ids=True,
        **o,
    )
    assert_same(got, single(_utc(frame), opts))


def test_worked_example(spark) -> None:
    t = [dt.datetime(2024, 1, 1, 0, 0, s) for s in (0, 4, 0, 10, 3)]
    frame = pd.DataFrame(
        {"entity": ["u1", "u1", "u2", "u2", "u3"], "event": list("ABABA"), "time": t}
    )
    f = sfs.event_funnel(
        _spark(spark, frame, 2), ["A", "B"], window=dt.timedelta(seconds=20), unit_ids=True
    )
    assert f.counts == (3, 2)
    assert f.median_s == (None, 7.0)
    assert f.mean_s == (None, 7.0)
    assert [u.tolist() for u in f.units] == [["u1", "u2", "u3"], ["u1", "u2"]]

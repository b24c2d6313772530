"""Tied events follow the frame's row order on a cluster too, whatever order the shuffle
delivers the rows in: the adapters number the rows before it and sort by the numbers after.

The local clusters of these tests happen to keep the order through the shuffle, and real
ones do not promise it (Spark fetches shuffle blocks as they arrive). So the end-to-end
tests wrap the engine's shuffle in one that delivers each partition's rows reversed (by
the ``seq`` column, the rows' order): a shuffle the engines allow.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

import salesfunnel
from salesfunnel import DealLog, EventLog, Pipeline, closed_funnel, event_funnel
from salesfunnel.scale.rows import ROW, pandas_in_row_order

from scale_helpers import need, pd

PIPELINE = Pipeline(["Call", "Offer"], won="Won", lost="Lost")
DEALS = {"amount": "amount", "keep": ["region"]}


def tied_deals() -> Any:
    """Deal X is won once, in two rows at one time: 1.0 in EU, then 2.0 in US (the last
    row counts: 2.0, US). Y is open in EU. ``seq`` is the rows' order."""
    t = pd.to_datetime(["2024-01-01", "2024-01-05", "2024-01-05", "2024-01-02"])
    return pd.DataFrame(
        {
            "deal": ["X", "X", "X", "Y"],
            "stage": ["Call", "Won", "Won", "Call"],
            "time": t,
            "amount": [5.0, 1.0, 2.0, 3.0],
            "region": ["EU", "EU", "US", "EU"],
            "seq": [0, 1, 2, 3],
        }
    )


def tied_events() -> Any:
    """Unit z: A then D at one second. With steps (A or D, then A), D restarts the chain
    taken in this order (step 2 not reached); taken D then A, it would be reached."""
    t = [dt.datetime(2024, 1, 1)] * 2
    return pd.DataFrame({"entity": ["z", "z"], "event": ["A", "D"], "time": t, "seq": [0, 1]})


STEPS: list[Any] = [("A", "D"), ("A",)]
WINDOW = dt.timedelta(seconds=1)


def test_the_worked_examples_single_machine_results() -> None:
    f = closed_funnel(DealLog.from_pandas(tied_deals(), PIPELINE, **DEALS), by="region")
    assert f["US"].funnel["Won"].amount == 2.0
    assert f["EU"].won == 0
    reversed_f = closed_funnel(
        DealLog.from_pandas(tied_deals().iloc[::-1], PIPELINE, **DEALS), by="region"
    )
    assert reversed_f["EU"].funnel["Won"].amount == 1.0  # row order decides the tie
    assert event_funnel(EventLog.from_pandas(tied_events()), STEPS, window=WINDOW).counts == (1, 0)


def test_a_deal_partition_puts_its_rows_back_in_row_order() -> None:
    shuffled = tied_deals().assign(**{ROW: [0, 1, 2, 3]}).iloc[::-1]
    log = DealLog.from_pandas(pandas_in_row_order(shuffled), PIPELINE, **DEALS)
    got = closed_funnel(log, by="region")
    assert got["US"].funnel["Won"].amount == 2.0
    assert got == closed_funnel(DealLog.from_pandas(tied_deals(), PIPELINE, **DEALS), by="region")


# -- end to end, through a shuffle that reverses each partition -------------------------
def _deal_results(module: Any, frame: Any) -> list[Any]:
    return [
        module.closed_funnel(frame, PIPELINE, by="region", **DEALS),
        module.active_funnel(frame, PIPELINE, by="region", **DEALS),
        module.forecast(frame, PIPELINE, by="region", **DEALS),
        module.monthly_volume(frame, PIPELINE, by="region", **DEALS),
    ]


def _single_deal_results() -> list[Any]:
    log = DealLog.from_pandas(tied_deals(), PIPELINE, **DEALS)
    return [
        salesfunnel.closed_funnel(log, by="region"),
        salesfunnel.active_funnel(log, by="region"),
        salesfunnel.forecast(log, by="region"),
        salesfunnel.monthly_volume(log, by="region"),
    ]


def _check(got: list[Any], want: list[Any]) -> None:
    assert got[0]["US"].funnel["Won"].amount == 2.0
    assert got[3].table.rows == (("EU", "2024-01", 0, 0.0, 0), ("US", "2024-01", 1, 2.0, 0))
    for g, w in zip(got, want, strict=True):
        jsons = [(k, v.to_json()) for k, v in (g.items() if isinstance(g, dict) else [(0, g)])]
        wants = [(k, v.to_json()) for k, v in (w.items() if isinstance(w, dict) else [(0, w)])]
        assert jsons == wants


def test_dask_keeps_row_order_through_a_reversing_shuffle(dask_client, monkeypatch) -> None:
    dd = need("dask.dataframe")
    from salesfunnel import dask as sfd

    deals = dd.from_pandas(tied_deals(), npartitions=2)
    shuffle = type(deals).shuffle

    def reversing(self: Any, *args: Any, **kwargs: Any) -> Any:
        out = shuffle(self, *args, **kwargs)
        return out.map_partitions(lambda p: p.sort_values("seq", ascending=False))

    monkeypatch.setattr(type(deals), "shuffle", reversing)
    _check(_deal_results(sfd, deals), _single_deal_results())
    events = dd.from_pandas(tied_events(), npartitions=2)
    assert sfd.event_funnel(events, STEPS, window=WINDOW).counts == (1, 0)


def test_spark_keeps_row_order_through_a_reversing_shuffle(spark, monkeypatch) -> None:
    from pyspark.sql import functions

    from salesfunnel import spark as sfs

    def frame(pandas_frame: Any) -> Any:
        # One input partition: the DataFrame's row order is the pandas frame's.
        return spark.createDataFrame(pandas_frame).coalesce(1)

    deals = frame(tied_deals())
    repartition = type(deals).repartition

    def reversing(self: Any, *args: Any, **kwargs: Any) -> Any:
        return repartition(self, *args, **kwargs).sortWithinPartitions(functions.desc("seq"))

    monkeypatch.setattr(type(deals), "repartition", reversing)
    _check(_deal_results(sfs, deals), _single_deal_results())
    events = frame(tied_events())
    assert sfs.event_funnel(events, STEPS, window=WINDOW).counts == (1, 0)


def test_a_frame_with_the_row_column_is_refused() -> None:
    from salesfunnel import FunnelDataError
    from salesfunnel.scale.rows import dask_numbered

    dd = need("dask.dataframe")
    frame = dd.from_pandas(tied_deals().assign(**{ROW: 0}), npartitions=1)
    with pytest.raises(FunnelDataError, match=ROW):
        dask_numbered(frame)

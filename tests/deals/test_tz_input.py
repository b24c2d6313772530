"""tz= on a datetime64[s] column: converted in the log, never in the caller's array.

Before, ``from_columns`` converted the caller's own ``datetime64[s]`` array in
place (10:00 Berlin became 09:00 in the caller's data too), and ``from_pandas``
on such a column failed with "assignment destination is read-only".
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from salesfunnel import DealLog, EventLog, Pipeline

PIPE = Pipeline(["Lead"])
BERLIN_10 = "2024-01-01T10:00:00"  # 09:00 UTC in winter


def test_from_columns_leaves_the_callers_array_alone() -> None:
    t = np.array([BERLIN_10], "datetime64[s]")
    cols = {"deal": np.array([1]), "stage": np.array(["Lead"]), "time": t}
    log = DealLog.from_columns(cols, PIPE, tz="Europe/Berlin")
    assert log.time.tolist() == [dt.datetime(2024, 1, 1, 9)]
    assert t.tolist() == [dt.datetime(2024, 1, 1, 10)]
    ev = EventLog.from_columns(
        {"user": np.array([1]), "event": np.array(["view"]), "time": t},
        entity="user", event="event", time="time", tz="Europe/Berlin",
    )  # fmt: skip
    assert ev.time.tolist() == [dt.datetime(2024, 1, 1, 9)]
    assert t.tolist() == [dt.datetime(2024, 1, 1, 10)]


def test_from_pandas_converts_a_seconds_column_with_tz() -> None:
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(
        {"deal": [1], "stage": ["Lead"], "time": np.array([BERLIN_10], "datetime64[s]")}
    )
    log = DealLog.from_pandas(df, PIPE, tz="Europe/Berlin")
    assert log.time.tolist() == [dt.datetime(2024, 1, 1, 9)]
    assert df["time"].iloc[0] == pd.Timestamp(BERLIN_10)

"""tz= on a datetime64[s] column: converted in the log, never in the caller's array.

Before, ``from_columns`` converted the caller's own ``datetime64[s]`` array in
place (10:00 Berlin became 09:00 in the caller's data too), and ``from_pandas``
on such a column failed with "assignment destination is read-only".
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given, strategies as st

from salesfunnel import DealLog, EventLog, FunnelDataError, Pipeline

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


# -- the hour of a daylight-saving change ------------------------------------------
# Europe/Berlin: 2024-03-31 02:00-02:59 does not exist (clocks go 02:00 -> 03:00);
# 2024-10-27 02:00-02:59 happens twice (+02:00, then +01:00). Taking either reading
# silently would move events by an hour, so such times are refused, as pandas'
# tz_localize does by default; a time written with its offset is always accepted.


def _one(time: object, tz: str = "Europe/Berlin") -> list[dt.datetime]:
    log = DealLog.from_records([{"deal": 1, "stage": "Lead", "time": time}], PIPE, tz=tz)
    return log.time.tolist()  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("time", "why"),
    [
        ("2024-03-31T02:30:00", "does not exist in Europe/Berlin (the clocks skip it)"),
        ("2024-10-27T02:30:00", "is ambiguous in Europe/Berlin (the clocks show it twice); "
         "write the time with its UTC offset (+02:00 or +01:00)"),
        (dt.datetime(2024, 10, 27, 2, 0), "is ambiguous"),
        (np.datetime64("2024-03-31T02:59:59"), "does not exist"),
    ],
)  # fmt: skip
def test_a_time_the_clocks_skip_or_repeat_is_refused(time: object, why: str) -> None:
    with pytest.raises(FunnelDataError, match="row 0, column 'time'") as err:
        _one(time)
    assert why in str(err.value)


def test_the_neighbours_of_a_change_convert_by_hand() -> None:
    assert _one("2024-03-31T01:59:59") == [dt.datetime(2024, 3, 31, 0, 59, 59)]  # +01:00
    assert _one("2024-03-31T03:00:00") == [dt.datetime(2024, 3, 31, 1, 0, 0)]  # +02:00
    assert _one("2024-10-27T01:59:59") == [dt.datetime(2024, 10, 26, 23, 59, 59)]  # +02:00
    assert _one("2024-10-27T03:00:00") == [dt.datetime(2024, 10, 27, 2, 0, 0)]  # +01:00
    # Written with the offset, the repeated hour is clear.
    assert _one("2024-10-27T02:30:00+01:00") == [dt.datetime(2024, 10, 27, 1, 30)]
    assert _one("2024-10-27T02:30:00+02:00") == [dt.datetime(2024, 10, 27, 0, 30)]


@pytest.mark.parametrize("engine", ["python", "arrow"])
def test_csv_files_refuse_it_on_both_engines(tmp_path: Path, engine: str) -> None:
    if engine == "arrow":
        pytest.importorskip("pyarrow")
    path = tmp_path / "d.csv"
    path.write_text("deal,stage,time\n1,Lead,2024-10-27T01:00:00\n2,Lead,2024-10-27T02:15:00\n")
    with pytest.raises(FunnelDataError, match=r"d\.csv, line 3, column 'time'.*is ambiguous"):
        DealLog.from_csv(path, PIPE, engine=engine, tz="Europe/Berlin")


@given(
    st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2040, 1, 1)),
    st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Tehran"]),
)
def test_an_accepted_local_time_is_the_one_reading_of_its_wall_clock(
    local: dt.datetime, name: str
) -> None:
    zone = ZoneInfo(name)
    local = local.replace(microsecond=0)
    readings = {local.replace(tzinfo=zone, fold=f).astimezone(dt.timezone.utc) for f in (0, 1)}
    exists = all(r.astimezone(zone).replace(tzinfo=None) == local for r in readings)
    try:
        (got,) = _one(local, name)
    except FunnelDataError:
        assert not exists or len(readings) == 2
        return
    assert exists
    assert len(readings) == 1
    assert got == readings.pop().replace(tzinfo=None)

"""Fractions of a second are dropped, never silently (SubsecondTimesWarning).

Times are kept to the second; every loader counts the times that had a
fraction and warns once per load with the count and the first such value, on
both CSV engines and from every in-memory form. Times without a fraction (or
with a zero one, ``.000``) load without a warning.
"""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, strategies as st

from salesfunnel import DealLog, EventLog, Pipeline, SubsecondTimesWarning, event_funnel
from salesfunnel._time import TimeParser
from salesfunnel.cli.main import main

PIPE = Pipeline(["Lead", "Demo"])
EVENTS = "user,event,time\n1,view,2024-01-01T10:00:00.900\n1,cart,2024-01-01T10:00:00.100\n1,buy,2024-01-01T10:00:01\n"
EV = {"entity": "user", "event": "event", "time": "time"}


def _caught(load: object) -> list[str]:
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        load()  # type: ignore[operator]
    return [str(w.message) for w in got if issubclass(w.category, SubsecondTimesWarning)]


@pytest.mark.parametrize("engine", ["python", "arrow"])
def test_event_csv_counts_the_times_with_a_fraction(tmp_path: Path, engine: str) -> None:
    if engine == "arrow":
        pytest.importorskip("pyarrow")
    path = tmp_path / "ev.csv"
    path.write_text(EVENTS, encoding="utf-8")
    (msg,) = _caught(lambda: EventLog.from_csv(path, engine=engine, **EV))
    assert msg.startswith(f"{path}, column 'time': 2 of 3 times had a fraction of a second")
    assert "(first '2024-01-01T10:00:00.900')" in msg


@pytest.mark.parametrize("engine", ["python", "arrow"])
def test_deal_csv_counts_the_times_with_a_fraction(tmp_path: Path, engine: str) -> None:
    if engine == "arrow":
        pytest.importorskip("pyarrow")
    path = tmp_path / "deals.csv"
    path.write_text(
        "deal,stage,time\n1,Lead,2024-01-01T10:00:00\n1,Demo,2024-01-02T10:00:00.250\n",
        encoding="utf-8",
    )
    (msg,) = _caught(lambda: DealLog.from_csv(path, PIPE, engine=engine))
    assert "1 of 2 times had a fraction of a second (first '2024-01-02T10:00:00.250')" in msg
    log = DealLog.from_csv(path, PIPE, engine=engine)
    assert log.time.tolist()[1] == dt.datetime(2024, 1, 2, 10, 0, 0)  # floored


@pytest.mark.parametrize(
    "value",
    [
        "2024-01-01T10:00:00.5",
        dt.datetime(2024, 1, 1, 10, 0, 0, 1),
        np.datetime64("2024-01-01T10:00:00.001"),
        dt.datetime(2024, 1, 1, 10, 0, 0, 500000, tzinfo=dt.timezone.utc),
    ],
)
def test_records_with_a_fraction_warn(value: object) -> None:
    rows = [{"deal": 1, "stage": "Lead", "time": value}]
    (msg,) = _caught(lambda: DealLog.from_records(rows, PIPE))
    assert msg.startswith("column 'time': 1 of 1 times had a fraction of a second")
    ev = [{"user": 1, "event": "view", "time": value}]
    assert len(_caught(lambda: EventLog.from_records(ev, **EV))) == 1


@pytest.mark.parametrize(
    "value",
    ["2024-01-01T10:00:00", "2024-01-01T10:00:00.000", "2024-01-01", dt.datetime(2024, 1, 1)],
)
def test_times_without_a_fraction_do_not_warn(value: object) -> None:
    rows = [{"deal": 1, "stage": "Lead", "time": value}]
    assert _caught(lambda: DealLog.from_records(rows, PIPE)) == []
    ev = [{"user": 1, "event": "view", "time": value}]
    assert _caught(lambda: EventLog.from_records(ev, **EV)) == []


@pytest.mark.parametrize("unit", ["ms", "us", "ns"])
def test_frames_with_a_fraction_warn(unit: str) -> None:
    pd = pytest.importorskip("pandas")
    times = np.array(
        ["2024-01-01T10:00:00.250", "2024-01-01T10:00:01", "NaT"], f"datetime64[{unit}]"
    )
    df = pd.DataFrame({"user": [1, 1, 2], "event": ["view", "buy", "view"], "time": times})
    (msg,) = _caught(lambda: EventLog.from_pandas(df, drop_invalid=True, **EV))
    assert "1 of 2 times had a fraction of a second" in msg
    whole = df.assign(time=df["time"].dt.floor("s"))
    assert _caught(lambda: EventLog.from_pandas(whole, drop_invalid=True, **EV)) == []


def test_wide_files_name_their_date_columns(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text("deal,lead,demo\n1,2024-01-01,2024-01-03T09:00:00.7\n", encoding="utf-8")
    (msg,) = _caught(
        lambda: DealLog.from_wide(
            path, PIPE, deal="deal", stage_dates={"Lead": "lead", "Demo": "demo"}
        )
    )
    assert msg.startswith(f"{path}, columns ['lead', 'demo']: 1 of 2 times had a fraction")


def test_the_command_line_says_it_as_a_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ev.csv"
    path.write_text(EVENTS, encoding="utf-8")
    assert (
        main(["events", str(path), "--steps", "view,cart", "--window", "30min", "--unit", "user"])
        == 0
    )
    err = capsys.readouterr().err
    assert f"salesfunnel: note: {path}, column 'time': 2 of 3 times had a fraction" in err


def test_why_it_matters_an_order_inside_one_second_is_lost() -> None:
    # cart (10:00:00.1) came before view (10:00:00.9): no view -> cart conversion really.
    # Kept to the second the two are simultaneous, and equal times are taken in step
    # order (PostHog's rule), so the unit converts: the warning is what tells.
    ev = [
        {"user": 1, "event": "cart", "time": "2024-01-01T10:00:00.100"},
        {"user": 1, "event": "view", "time": "2024-01-01T10:00:00.900"},
    ]
    with pytest.warns(SubsecondTimesWarning):
        log = EventLog.from_records(ev, **EV)
    f = event_funnel(log, ["view", "cart"], window=dt.timedelta(minutes=1))
    assert [s.count for s in f.funnel.stages] == [1, 1]


@given(st.lists(st.integers(-(10**15), 10**15), max_size=30))
def test_floor_column_floors_and_counts_like_python(ms: list[int]) -> None:
    arr = np.array(ms, dtype="datetime64[ms]")
    parser = TimeParser()
    out = parser.floor_column(arr)
    assert out.dtype == np.dtype("datetime64[s]")
    assert out.view(np.int64).tolist() == [m // 1000 for m in ms]  # floor, also before 1970
    assert parser.floored == sum(m % 1000 != 0 for m in ms)

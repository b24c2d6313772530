"""'No date' placeholders read as dates are said once (PlaceholderTimesWarning), never
silently: 9999-12-31 (and any time from the year 9000 on), Unix time 0, and the first
days of SQL Server's and Excel's calendars at midnight. They stay dates (they are valid
times); the warning counts them so that a cycle of eight thousand years is not a surprise.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from salesfunnel import DealLog, Pipeline, PlaceholderTimesWarning, time_to_close
from salesfunnel.__main__ import main

P = Pipeline(["Call"], won="Won", lost="Lost")


def said(call) -> list[str]:  # type: ignore[no-untyped-def]
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        call()
    return [str(w.message) for w in got if issubclass(w.category, PlaceholderTimesWarning)]


def records(times: list[str]) -> list[dict[str, str]]:
    return [{"deal": f"D{i}", "stage": "Call", "time": t} for i, t in enumerate(times)]


def test_the_sentinels_are_counted_by_kind() -> None:
    times = ["2024-01-02", "9999-12-31", "9999-12-31T23:59:59", "9000-01-01", "1970-01-01",
             "1900-01-01", "1899-12-30", "1899-12-31T00:00:00", "2024-02-01"]  # fmt: skip
    (msg,) = said(lambda: DealLog.from_records(records(times), P))
    assert msg.startswith(
        "the deal log's times: of 9 times, 3 from the year 9000 on (such as 9999-12-31) and "
        "1 at 1970-01-01T00:00:00 (Unix time 0) and 1 at 1900-01-01T00:00:00 and 1 at "
        "1899-12-31T00:00:00 and 1 at 1899-12-30T00:00:00 (Excel's day 0): dates that "
        "databases and spreadsheets write for 'no date'."
    )


@pytest.mark.parametrize(
    "times",
    [
        ["2024-01-02", "8999-12-31T23:59:59"],  # the last second before the year 9000
        ["1970-01-01T00:00:01", "1969-12-31T23:59:59", "1900-01-01T00:00:01"],  # not midnight
        ["1899-12-29", "1900-01-02"],
    ],
)
def test_near_misses_are_not_said(times: list[str]) -> None:
    assert said(lambda: DealLog.from_records(records(times), P)) == []


def test_the_dates_are_kept_and_the_durations_show_why_it_matters() -> None:
    recs = [{"deal": "A", "stage": "Call", "time": "2024-01-02"},
            {"deal": "A", "stage": "Won", "time": "9999-12-31"}]  # fmt: skip
    with pytest.warns(PlaceholderTimesWarning):
        log = DealLog.from_records(recs, P)
    assert log.time.tolist()[-1] == np.datetime64("9999-12-31", "s").item()
    cycle = time_to_close(log)
    assert cycle.median > 365 * 7000  # days: why the warning is there


@pytest.mark.parametrize("engine", ["python", "arrow"])
def test_both_csv_engines_and_the_frames_say_it(tmp_path: Path, engine: str) -> None:
    if engine == "arrow":
        pytest.importorskip("pyarrow")
    path = tmp_path / "log.csv"
    path.write_text("deal,stage,time\nA,Call,2024-01-02\nA,Won,9999-12-31\n", "utf-8")
    (msg,) = said(lambda: DealLog.from_csv(path, P, engine=engine))
    assert "of 2 times, 1 from the year 9000 on" in msg
    columns = {"deal": np.array(["A", "A"]), "stage": np.array(["Call", "Won"]),
               "time": np.array(["1970-01-01", "2024-01-02"], dtype="datetime64[s]")}  # fmt: skip
    (msg,) = said(lambda: DealLog.from_columns(columns, P))
    assert "1 at 1970-01-01T00:00:00 (Unix time 0)" in msg


def test_the_wide_forms_blank_dates_are_not_placeholders() -> None:
    rows = [
        {"id": "A", "status": "", "call": ""},
        {"id": "B", "status": "Won", "call": "2024-01-02"},
    ]
    assert said(lambda: DealLog.from_wide(rows, P, deal="id", stage_dates={"Call": "call"},
                                          outcome="status")) == []  # fmt: skip


def test_the_command_line_says_it_as_a_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "log.csv"
    path.write_text("deal,stage,time\nA,Call,2024-01-02\nA,Won,9999-12-31\n", "utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("always", PlaceholderTimesWarning)  # the suite ignores it
        assert main(["metrics", str(path), "--pipeline", "Call", "--json"]) == 0
    err = capsys.readouterr().err
    assert err.startswith("salesfunnel: note: the deal log's times: of 2 times, 1 from the year")


@pytest.mark.parametrize("engine", ["python", "arrow"])
def test_event_logs_say_it_too(tmp_path: Path, engine: str) -> None:
    from salesfunnel import EventLog

    if engine == "arrow":
        pytest.importorskip("pyarrow")
    path = tmp_path / "events.csv"
    path.write_text("user,event,time\nu1,view,9999-12-31T00:00:00\nu1,buy,2024-01-02\n", "utf-8")
    (msg,) = said(lambda: EventLog.from_csv(path, engine=engine, entity="user"))
    assert msg == (
        "the event log's times: of 2 times, 1 from the year 9000 on (such as 9999-12-31): "
        "dates that databases and spreadsheets write for 'no date'. They are kept as dates, "
        "and stretch durations and periods to them; if they mean no date, drop those rows"
    )
    recs = [{"user": "u", "event": "view", "time": "1900-01-01"}]
    (msg,) = said(lambda: EventLog.from_records(recs, entity="user"))
    assert "1 at 1900-01-01T00:00:00" in msg
    fine = [{"user": "u", "event": "view", "time": "2024-01-01"}]
    assert said(lambda: EventLog.from_records(fine, entity="user")) == []

"""Trends cut on a zone's calendar (``event_funnel(..., tz=)``), as PostHog and Mixpanel
cut funnel trends in the project's zone: hand examples around midnight, a week's and a
month's edge and both changes of daylight-saving time, and a hypothesis check against
an independent reading (each event's local day from ``datetime.astimezone``, put on the
events as a property, and step 1 filtered to one day)."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from salesfunnel import EventLog, FunnelDataError, event_funnel

from cli_helpers import run_cli

HOUR = dt.timedelta(hours=1)
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def _log(*events: tuple[str, str, str]) -> EventLog:
    """``(unit, event, UTC time 'YYYY-MM-DDTHH:MM')``."""
    rows = [{"user": u, "event": e, "time": f"{t}:00+00:00"} for u, e, t in events]
    rows.append({"user": "zz", "event": "buy", "time": "2030-01-01T00:00:00+00:00"})  # no view
    return EventLog.from_records(rows, entity="user")


def _trend(log: EventLog, period: str, tz: object) -> dict[str, tuple[int, ...]]:
    f = event_funnel(log, ["view", "buy"], window=HOUR, period=period, tz=tz)  # type: ignore[arg-type]
    return {label: sub.counts for label, sub in f.trend.items()}


def test_a_day_is_cut_at_the_zones_midnight() -> None:
    # 23:30 UTC on 1 January is 00:30 on the 2nd in Berlin (+01:00) and 18:30 on the
    # 1st in New York (-05:00); 22:30 UTC is 23:30 on the 1st in Berlin.
    log = _log(("a", "view", "2024-01-01T23:30"), ("a", "buy", "2024-01-01T23:40"),
               ("b", "view", "2024-01-01T22:30"))  # fmt: skip
    assert _trend(log, "D", None) == {"2024-01-01": (2, 1)}
    assert _trend(log, "D", "Europe/Berlin") == {"2024-01-01": (1, 0), "2024-01-02": (1, 1)}
    assert _trend(log, "D", "America/New_York") == {"2024-01-01": (2, 1)}
    assert _trend(log, "D", zoneinfo.ZoneInfo("Asia/Tokyo")) == {"2024-01-02": (2, 1)}


def test_weeks_and_months_too() -> None:
    # Sunday 7 January 23:30 UTC is Monday 8 January 00:30 in Berlin: the next ISO week.
    # 31 January 23:30 UTC is 1 February 00:30 in Berlin: the next month.
    week = _log(("a", "view", "2024-01-07T23:30"))
    assert list(_trend(week, "W", None)) == ["2024-01-01"]
    assert list(_trend(week, "W", "Europe/Berlin")) == ["2024-01-08"]
    month = _log(("a", "view", "2024-01-31T23:30"))
    assert list(_trend(month, "M", None)) == ["2024-01"]
    assert list(_trend(month, "M", "Europe/Berlin")) == ["2024-02"]


def test_both_changes_of_daylight_saving_time() -> None:
    # Berlin is +01:00 until 2024-03-31 01:00 UTC, then +02:00 until 2024-10-27 01:00 UTC.
    # 30 March 23:30 UTC is 00:30 on 31 March (+01:00); 26 October 22:30 UTC is 00:30 on
    # 27 October (+02:00); 27 October 22:30 UTC is 23:30 on the 27th (+01:00 again).
    log = _log(("a", "view", "2024-03-30T23:30"), ("b", "view", "2024-10-26T22:30"),
               ("c", "view", "2024-10-27T22:30"))  # fmt: skip
    assert _trend(log, "D", "Europe/Berlin") == {
        "2024-03-31": (1, 0),
        "2024-10-27": (2, 0),
    }


def test_a_timedelta_period_is_the_same_in_every_zone() -> None:
    log = _log(("a", "view", "2024-01-01T23:30"), ("b", "view", "2024-01-02T05:30"))
    six = dt.timedelta(hours=6)
    plain = event_funnel(log, ["view"], window=HOUR, period=six)
    zoned = event_funnel(log, ["view"], window=HOUR, period=six, tz="Europe/Berlin")
    assert {k: v.counts for k, v in plain.trend.items()} == {
        k: v.counts for k, v in zoned.trend.items()
    }


def test_start_and_end_without_an_offset_are_read_in_the_zone() -> None:
    # Midnight of 2 January in Berlin is 23:00 UTC on the 1st: b's view at 22:30 UTC is
    # before it, a's at 23:30 after it.
    log = _log(("a", "view", "2024-01-01T23:30"), ("b", "view", "2024-01-01T22:30"))
    f = event_funnel(log, ["view"], window=HOUR, start="2024-01-02", tz="Europe/Berlin")
    assert (f.counts, f.start, f.tz) == ((1,), "2024-01-01T23:00:00", "Europe/Berlin")
    payload = json.loads(f.to_json())
    assert payload["tz"] == "Europe/Berlin"
    assert "tz" not in json.loads(event_funnel(log, ["view"], window=HOUR).to_json())


def test_an_unknown_zone_is_refused() -> None:
    log = _log(("a", "view", "2024-01-01T23:30"))
    with pytest.raises(FunnelDataError, match="unknown time zone 'Mars/Olympus'") as err:
        event_funnel(log, ["view"], window=HOUR, period="D", tz="Mars/Olympus")
    assert err.value.column == "tz"


ZONES = ["Europe/Berlin", "America/St_Johns", "Australia/Lord_Howe", "Asia/Kathmandu", "UTC"]


@settings(max_examples=40, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    period=st.sampled_from(["D", "W", "M"]),
    # Times within two weeks of Berlin's and St. John's change in March 2024, so that
    # midnights, week and month edges and the changes all fall among them.
    events=st.lists(
        st.tuples(
            st.integers(0, 4),
            st.sampled_from(["view", "buy"]),
            st.integers(1_709_300_000, 1_712_000_000),
        ),
        min_size=1,
        max_size=25,
    ),
)
def test_each_period_is_the_funnel_whose_step_one_fell_on_that_local_calendar(
    zone: str, period: str, events: list[tuple[int, str, int]]
) -> None:
    tzinfo = zoneinfo.ZoneInfo(zone)

    def label(t: int) -> str:
        local = (EPOCH + dt.timedelta(seconds=t)).astimezone(tzinfo).date()
        if period == "W":
            local -= dt.timedelta(days=local.weekday())
        return local.isoformat()[:7] if period == "M" else local.isoformat()

    zz = 1_893_456_000  # 2030-01-01T00:00:00Z: both names occur, on unit 5 ("u5")
    events = [*events, (5, "view", zz), (5, "buy", zz)]
    rows = [
        {"user": f"u{u}", "event": e, "time": str(np.datetime64(t, "s")) + "+00:00",
         "cal": label(t)}
        for u, e, t in events
    ]  # fmt: skip
    log = EventLog.from_records(rows, entity="user", properties=["cal"])
    steps = ["view", "buy"]
    got = event_funnel(log, steps, window=dt.timedelta(hours=30), period=period, tz=zone)
    expected = {}
    for p in sorted({label(t) for _, e, t in events if e == "view"}):
        only_p = [("view", {"cal": ("==", p)}), "buy"]
        expected[p] = event_funnel(log, only_p, window=dt.timedelta(hours=30)).counts
    assert {k: v.counts for k, v in got.trend.items()} == expected


def test_the_command_line_tz_cuts_the_periods(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text("user,event,time\na,view,2024-01-01T23:30:00Z\nb,view,2024-01-01T22:30:00Z\n",
                    encoding="utf-8")  # fmt: skip
    args = ("events", path, "--steps", "view", "--window", "1h", "--period", "D", "--unit", "user",
            "--json")  # fmt: skip
    plain = run_cli(*args)
    assert plain.returncode == 0, plain.stderr
    utc = json.loads(plain.stdout)
    berlin = run_cli(*args, "--tz", "Europe/Berlin")
    assert berlin.returncode == 0, berlin.stderr
    assert list(utc["trend"]) == ["2024-01-01"]
    assert list(json.loads(berlin.stdout)["trend"]) == ["2024-01-01", "2024-01-02"]

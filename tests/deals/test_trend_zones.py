"""Deal trends and monthly volume on a zone's calendar (``tz=``).

Checked against the standard library's reading of the IANA rules: each deal's
closing (or first) instant, turned into the zone's wall clock with
``datetime.astimezone``, names the period it must count in. Times are drawn
around daylight-saving changes that fall on the last days of a month (Berlin
changed on 31 March 2024, at the end of a month and a quarter) and around
midnights, where UTC's calendar and the zone's disagree.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import zoneinfo
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

from salesfunnel import (
    DealLog,
    FunnelDataError,
    Pipeline,
    closed_funnel,
    cohort_funnel,
    monthly_volume,
    trend,
)

P = Pipeline(["Call", "Offer"], won="Won", lost="Lost")
UTC = dt.timezone.utc
ZONES = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu",
         "America/Sao_Paulo", "Pacific/Chatham", "UTC"]  # fmt: skip
# Four days before each of: Berlin's spring change (also the end of March and of Q1),
# its autumn change, New York's spring change, and Sao Paulo's skipped midnight.
BASES = [dt.datetime(2024, 3, 29, tzinfo=UTC), dt.datetime(2024, 10, 25, tzinfo=UTC),
         dt.datetime(2024, 3, 8, tzinfo=UTC), dt.datetime(2018, 11, 1, tzinfo=UTC)]  # fmt: skip


def label(moment: dt.datetime, period: str) -> str:
    """The period a wall-clock moment falls in, written as :func:`trend` writes it."""
    if period == "D":
        return moment.date().isoformat()
    if period == "W":
        year, week, _ = moment.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "M":
        return f"{moment.year}-{moment.month:02d}"
    return f"{moment.year}-Q{(moment.month - 1) // 3 + 1}"


@st.composite
def zoned_deals(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[tuple[dt.datetime, str]]]:
    """Records of deals (Call, maybe Offer, maybe an outcome, in time order), and per
    deal its first instant and its outcome ("" while open) with the outcome's instant."""
    base = draw(st.sampled_from(BASES))
    records: list[dict[str, Any]] = []
    deals: list[tuple[dt.datetime, str]] = []
    for d in range(draw(st.integers(1, 12))):
        times = sorted(draw(st.lists(st.integers(0, 5 * 86_400), min_size=1, max_size=2)))
        stages = ["Call", "Offer"][: len(times)]
        outcome = draw(st.sampled_from(["", "Won", "Lost"]))
        if outcome:
            times.append(times[-1] + draw(st.integers(0, 2 * 86_400)))
            stages.append(outcome)
        for stage, t in zip(stages, times, strict=True):
            when = base + dt.timedelta(seconds=t)
            records.append({"deal": f"d{d}", "stage": stage, "time": when, "amount": 10.0})
        # The closing instant (the outcome is the deal's last event), or the first one.
        deals.append((base + dt.timedelta(seconds=times[-1 if outcome else 0]), outcome))
    return records, deals


def build(records: list[dict[str, Any]]) -> DealLog:
    return DealLog.from_records(records, P, amount="amount")


@settings(max_examples=60, deadline=None)
@given(zoned_deals(), st.sampled_from(ZONES), st.sampled_from(["D", "W", "M", "Q"]))
def test_closed_deals_count_in_the_period_of_their_closing_on_the_zones_calendar(
    data: tuple[list[dict[str, Any]], list[tuple[dt.datetime, str]]], name: str, period: str
) -> None:
    records, deals = data
    zone = zoneinfo.ZoneInfo(name)
    t = trend(build(records), period=period, tz=name)  # type: ignore[arg-type]
    expected: collections.Counter[str] = collections.Counter()
    won: collections.Counter[str] = collections.Counter()
    for when, outcome in deals:
        if outcome:
            expected[label(when.astimezone(zone), period)] += 1
            won[label(when.astimezone(zone), period)] += outcome == "Won"
    got = dict(zip(t.table.column("period"), t.table.column("deals"), strict=True))
    assert {k: v for k, v in got.items() if v} == dict(expected)
    got_won = dict(zip(t.table.column("period"), t.table.column("won"), strict=True))
    assert {k: v for k, v in got_won.items() if v} == {k: v for k, v in won.items() if v}
    # Each row is the closed funnel of its start and end (written with the zone's
    # offset), and the rows begin where the one before ends.
    starts, ends = t.table.column("start"), t.table.column("end")
    assert list(starts[1:]) == list(ends[:-1])
    for row, result in zip(t.table.rows, t.results, strict=True):
        cells = dict(zip(t.table.columns, row, strict=True))
        alone = closed_funnel(build(records), start=cells["start"], end=cells["end"])
        assert (result.deals, result.won, result.lost) == (alone.deals, alone.won, alone.lost)
        # The start is a midnight of the zone (or the first instant of that day).
        begins = dt.datetime.fromisoformat(str(cells["start"]))
        assert label(begins, period) == cells["period"]
        assert t.tz == name


@settings(max_examples=40, deadline=None)
@given(zoned_deals(), st.sampled_from(ZONES), st.sampled_from(["D", "M"]))
def test_cohorts_count_by_the_zones_day_of_their_first_event(
    data: tuple[list[dict[str, Any]], list[tuple[dt.datetime, str]]], name: str, period: str
) -> None:
    records, _ = data
    zone = zoneinfo.ZoneInfo(name)
    first: dict[str, dt.datetime] = {}
    for r in records:
        first.setdefault(r["deal"], r["time"])
        first[r["deal"]] = min(first[r["deal"]], r["time"])
    expected = collections.Counter(label(w.astimezone(zone), period) for w in first.values())
    t = trend(build(records), period=period, kind="cohort", tz=zone)  # type: ignore[arg-type]
    got = dict(zip(t.table.column("period"), t.table.column("deals"), strict=True))
    assert {k: v for k, v in got.items() if v} == dict(expected)
    for row, result in zip(t.table.rows, t.results, strict=True):
        cells = dict(zip(t.table.columns, row, strict=True))
        alone = cohort_funnel(build(records), start=cells["start"], end=cells["end"])
        assert (result.deals, result.open_deals) == (alone.deals, alone.open_deals)


@settings(max_examples=40, deadline=None)
@given(zoned_deals(), st.sampled_from(ZONES))
def test_monthly_volume_counts_wins_in_the_zones_month(
    data: tuple[list[dict[str, Any]], list[tuple[dt.datetime, str]]], name: str
) -> None:
    records, deals = data
    zone = zoneinfo.ZoneInfo(name)
    expected = collections.Counter(
        label(when.astimezone(zone), "M") for when, outcome in deals if outcome == "Won"
    )
    v = monthly_volume(build(records), by=None, tz=name)
    got = dict(zip(v.table.column("month"), v.table.column("won_deals"), strict=True))
    assert {k: n for k, n in got.items() if n} == dict(expected)
    assert sum(v.table.column("won_amount")) == 10.0 * sum(expected.values())


def test_worked_example_a_berlin_new_year() -> None:
    # Won at 23:30 UTC on 31 December 2023: 00:30 on 1 January 2024 in Berlin.
    records = [
        {"deal": "A", "stage": "Call", "time": "2023-12-20T10:00:00Z"},
        {"deal": "A", "stage": "Won", "time": "2023-12-31T23:30:00Z"},
        {"deal": "B", "stage": "Call", "time": "2023-12-20T10:00:00Z"},
        {"deal": "B", "stage": "Lost", "time": "2023-12-31T22:30:00Z"},  # 23:30 in Berlin
    ]
    log = DealLog.from_records(records, P)
    utc = trend(log, period="M")
    assert utc.table.column("period") == ["2023-12"]
    assert utc.table.column("won") == [1]
    berlin = trend(log, period="M", tz="Europe/Berlin")
    assert berlin.table.column("period") == ["2023-12", "2024-01"]
    assert berlin.table.column("won") == [0, 1]
    assert berlin.table.column("lost") == [1, 0]
    assert berlin.table.column("start") == [
        "2023-12-01T00:00:00+01:00",
        "2024-01-01T00:00:00+01:00",
    ]
    assert berlin.table.column("end") == ["2024-01-01T00:00:00+01:00", "2024-02-01T00:00:00+01:00"]
    assert json.loads(berlin.to_json())["tz"] == "Europe/Berlin"
    assert "tz" not in json.loads(utc.to_json())
    # A naive start is read in the zone: Berlin's 1 January begins at 23:00 UTC.
    jan = trend(log, period="M", tz="Europe/Berlin", start="2024-01-01")
    assert jan.table.column("won") == [1]
    assert jan.table.column("start") == ["2024-01-01T00:00:00+01:00"]
    volume = monthly_volume(log, by=None, tz="Europe/Berlin")
    assert volume.table.column("month") == ["2024-01"]
    assert monthly_volume(log, by=None).table.column("month") == ["2023-12"]
    assert monthly_volume(log, by=None, tz="Europe/Berlin", end="2024-01-01").table.rows == ()


def test_a_skipped_midnight_begins_the_day_at_the_change() -> None:
    # Sao Paulo's clocks went from 23:59:59 on 3 November 2018 to 01:00 on the 4th (-02:00).
    records = [
        {"deal": "A", "stage": "Call", "time": "2018-11-01T12:00:00Z"},
        {"deal": "A", "stage": "Won", "time": "2018-11-04T03:00:00Z"},  # 01:00 on the 4th
        {"deal": "B", "stage": "Call", "time": "2018-11-01T12:00:00Z"},
        {"deal": "B", "stage": "Won", "time": "2018-11-04T02:59:59Z"},  # 23:59:59 on the 3rd
    ]
    t = trend(DealLog.from_records(records, P), period="D", tz="America/Sao_Paulo")
    rows = {r[0]: r for r in t.table.rows}
    assert rows["2018-11-03"][2] == "2018-11-04T01:00:00-02:00"  # ends at the change
    assert rows["2018-11-04"][1] == "2018-11-04T01:00:00-02:00"
    assert (rows["2018-11-03"][3], rows["2018-11-04"][3]) == (1, 1)


def test_a_bad_zone_is_named() -> None:
    log = DealLog.from_records([{"deal": "A", "stage": "Won", "time": "2024-01-01"}], P)
    with pytest.raises(FunnelDataError, match="unknown time zone 'Mars/Olympus'"):
        trend(log, tz="Mars/Olympus")
    with pytest.raises(FunnelDataError, match="unknown time zone"):
        monthly_volume(log, by=None, tz="Mars/Olympus")
    with pytest.raises(FunnelDataError, match="does not exist in Europe/Berlin"):
        trend(log, tz="Europe/Berlin", start="2024-03-31T02:30:00")


def test_analyze_and_the_report_read_their_bounds_in_the_zone() -> None:
    from salesfunnel import build_report
    from salesfunnel.analysis import analyze, period_text

    records = [
        {"deal": "A", "stage": "Call", "time": "2023-12-20T10:00:00Z", "owner": "Ann"},
        {"deal": "A", "stage": "Won", "time": "2023-12-31T23:30:00Z", "owner": "Ann"},
        {"deal": "B", "stage": "Call", "time": "2023-12-20T10:00:00Z", "owner": "Bob"},
        {"deal": "B", "stage": "Won", "time": "2024-01-31T23:30:00Z", "owner": "Bob"},
    ]
    log = DealLog.from_records(records, P, owner="owner")
    a = analyze(log, start="2024-01-01", end="2024-02-01", tz="Europe/Berlin")
    # Berlin's January: 23:00 UTC on 31 December to 23:00 UTC on 31 January.
    assert (a.start, a.end, a.tz) == (
        "2024-01-01T00:00:00+01:00", "2024-02-01T00:00:00+01:00", "Europe/Berlin",
    )  # fmt: skip
    assert a.closed.won == 1  # A's; B's win (00:30 on 1 February in Berlin) is after the end
    assert a.closed.won == closed_funnel(log, start=a.start, end=a.end).won
    assert period_text(a) == "closed from 2024-01-01 up to 2024-02-01, Europe/Berlin time"
    assert a.to_dict()["period"]["tz"] == "Europe/Berlin"
    months = {(r[0], r[1]): r[2] for r in a.monthly.table.rows}
    assert months == {("Ann", "2024-01"): 1, ("Bob", "2024-01"): 0}
    utc = analyze(log, start="2024-01-01", end="2024-02-01")
    assert (utc.closed.won, utc.tz, "tz" in utc.to_dict()["period"]) == (1, None, False)
    assert utc.closed.won == 1  # B's win at 23:30 UTC on 31 January; A's was in December
    html = build_report(log, start="2024-01-01", end="2024-02-01", tz="Europe/Berlin", period="M")
    assert "closed from 2024-01-01 up to 2024-02-01, Europe/Berlin time" in html


def test_a_cohort_trends_naive_as_of_is_read_in_the_zone() -> None:
    # A won at 23:30 UTC on 31 January: 00:30 on 1 February in Berlin. As of Berlin's
    # midnight (23:00 UTC) A is still open; as of 00:31 Berlin time it has won.
    records = [
        {"deal": "A", "stage": "Call", "time": "2024-01-10T10:00:00Z"},
        {"deal": "A", "stage": "Won", "time": "2024-01-31T23:30:00Z"},
        {"deal": "B", "stage": "Call", "time": "2024-01-20T10:00:00Z"},
    ]
    log = DealLog.from_records(records, P)
    at_midnight = trend(log, kind="cohort", tz="Europe/Berlin", as_of="2024-02-01")
    assert at_midnight.table.rows[0][:6] == (
        "2024-01", "2024-01-01T00:00:00+01:00", "2024-02-01T00:00:00+01:00", 2, 2, 0,
    )  # fmt: skip
    later = trend(log, kind="cohort", tz="Europe/Berlin", as_of="2024-02-01T00:31:00")
    assert later.table.rows[0][3:7] == (2, 1, 1, 0)  # deals, open, won, lost
    # Without tz the same naive as_of is UTC's midnight, after the win.
    assert trend(log, kind="cohort", as_of="2024-02-01").table.rows[0][3:7] == (2, 1, 1, 0)


@pytest.mark.parametrize(
    ("period", "zone", "label"),
    [
        ("D", "Asia/Tokyo", "10000-01-01"),
        ("D", "America/New_York", "9999-12-31"),
        ("W", "Asia/Tokyo", "9999-W52"),  # Saturday 1 January 10000: the week of Monday 27th
        ("M", "Asia/Tokyo", "10000-01"),
        ("Q", "America/New_York", "9999-Q4"),
        ("Q", None, "9999-Q4"),
    ],
)
def test_the_no_date_sentinel_9999_12_31_is_placed_not_crashed(
    period: str, zone: str | None, label: str
) -> None:
    # 9999-12-31 stands for "no date" in many databases; at 23:30 UTC its hour (and, east
    # of Greenwich, its local day) ends in the year 10000, past what datetime holds.
    records = [{"deal": "A", "stage": "Call", "time": "9999-12-31T23:30:00Z"},
               {"deal": "A", "stage": "Won", "time": "9999-12-31T23:30:00Z"}]  # fmt: skip
    t = trend(DealLog.from_records(records, P), period=period, tz=zone)  # type: ignore[arg-type]
    assert t.table.column("period") == [label]
    assert t.table.column("won") == [1]


def test_too_many_zoned_periods_are_named_in_utc() -> None:
    records = [{"deal": "A", "stage": "Call", "time": "2024-01-01T00:00:00Z"},
               {"deal": "A", "stage": "Won", "time": "9999-12-31T23:30:00Z"}]  # fmt: skip
    with pytest.raises(FunnelDataError, match="from 2024-01-01T00:00:00 to 9999-12-31T23:30:01"):
        trend(DealLog.from_records(records, P), tz="Asia/Tokyo")

"""``_calendar.local_seconds``: a zone's wall clock for UTC times, checked per time
against ``datetime.astimezone`` (the standard library's reading of the IANA rules)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import numpy as np
from hypothesis import given, settings, strategies as st

from salesfunnel._calendar import local_seconds, month_numbers, utc_of_local, wall_text

# Whole-hour DST, half-hour DST (Lord Howe), +05:45, -03:30 with DST, +12:45 with DST,
# DST that pauses for Ramadan (Casablanca), and a zone with no changes.
ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "America/St_Johns",
    "Pacific/Chatham",
    "Africa/Casablanca",
    "UTC",
]
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def _reference(t: int, zone: dt.tzinfo) -> int:
    local = (EPOCH + dt.timedelta(seconds=t)).astimezone(zone).replace(tzinfo=None)
    return int((local - EPOCH.replace(tzinfo=None)).total_seconds())


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(ZONES),
    # A random stretch of time (1900 to 2100), then times in it: around a change of
    # offset often enough when the stretch is short.
    start=st.integers(-2_208_988_800, 4_102_444_800),
    span=st.sampled_from([7_200, 86_400, 40 * 86_400, 400 * 86_400]),
    offsets=st.lists(st.integers(0, 10**9), min_size=1, max_size=60),
)
def test_local_seconds_equal_astimezone_per_time(
    name: str, start: int, span: int, offsets: list[int]
) -> None:
    zone = zoneinfo.ZoneInfo(name)
    t = np.array([start + o % span for o in offsets], dtype=np.int64)
    got = local_seconds(t, zone)
    assert got.tolist() == [_reference(int(x), zone) for x in t]


def test_every_second_around_a_change_of_offset() -> None:
    # Berlin moved from +01:00 to +02:00 at 2024-03-31 01:00:00 UTC and back at
    # 2024-10-27 01:00:00 UTC; Lord Howe moves by 30 minutes at 15:00 UTC.
    # St. John's (-03:30) changes at 02:00 local, half past a UTC hour; Kathmandu went
    # from +05:30 to +05:45 at 1986-01-01 00:00 local, 18:30 UTC.
    cases = [
        ("Europe/Berlin", 1_711_846_800),  # 2024-03-31T01:00:00Z
        ("Europe/Berlin", 1_729_990_800),  # 2024-10-27T01:00:00Z
        ("Australia/Lord_Howe", 1_712_415_600),  # 2024-04-06T15:00:00Z
        ("America/St_Johns", 1_710_048_600),  # 2024-03-10T05:30:00Z
        ("America/St_Johns", 1_730_608_200),  # 2024-11-03T04:30:00Z
        ("Asia/Kathmandu", 504_901_800),  # 1985-12-31T18:30:00Z
    ]
    for name, change in cases:
        zone = zoneinfo.ZoneInfo(name)
        t = np.arange(change - 3_700, change + 3_700, dtype=np.int64)
        assert local_seconds(t, zone).tolist() == [_reference(int(x), zone) for x in t]


def test_hand_example_and_no_zone() -> None:
    t = np.array([1_704_151_800], dtype=np.int64)  # 2024-01-01T23:30:00Z
    berlin = local_seconds(t, zoneinfo.ZoneInfo("Europe/Berlin"))
    assert str(berlin.astype("datetime64[s]")[0]) == "2024-01-02T00:30:00"
    assert local_seconds(t, None).tolist() == t.tolist()
    assert local_seconds(np.array([], dtype=np.int64), zoneinfo.ZoneInfo("UTC")).size == 0


@settings(max_examples=40, deadline=None)
@given(
    name=st.sampled_from([*ZONES, "America/Sao_Paulo", "America/Havana", "Asia/Gaza"]),
    # Wall-clock times in 1900..2100, often near the changes: midnights and 01:00-03:00.
    day=st.integers(-25_567, 47_482),
    second=st.sampled_from([0, 1_800, 3_600, 5_400, 7_200, 9_000, 86_399]) | st.integers(0, 86_399),
)
def test_utc_of_local_is_the_first_second_showing_that_wall_time(
    name: str, day: int, second: int
) -> None:
    zone = zoneinfo.ZoneInfo(name)
    wall = day * 86_400 + second
    u = utc_of_local(wall, zone)
    assert local_seconds(np.array([u]), zone)[0] >= wall
    # Every second of the 27 hours before shows an earlier wall-clock time: u is the first.
    before = np.arange(u - 27 * 3_600, u, dtype=np.int64)
    assert (local_seconds(before, zone) < wall).all()


def test_utc_of_local_worked_examples() -> None:
    berlin, sao_paulo = zoneinfo.ZoneInfo("Europe/Berlin"), zoneinfo.ZoneInfo("America/Sao_Paulo")

    def wall(text: str) -> int:
        return int((dt.datetime.fromisoformat(text) - EPOCH.replace(tzinfo=None)).total_seconds())

    def utc(text: str) -> int:
        return int((dt.datetime.fromisoformat(text + "+00:00") - EPOCH).total_seconds())

    # Winter: +01:00. The skipped 02:30 of 31 March begins at the change (01:00 UTC); the
    # repeated 02:30 of 27 October is its first instant (still +02:00).
    assert utc_of_local(wall("2024-01-01T00:00:00"), berlin) == utc("2023-12-31T23:00:00")
    assert utc_of_local(wall("2024-03-31T02:30:00"), berlin) == utc("2024-03-31T01:00:00")
    assert utc_of_local(wall("2024-10-27T02:30:00"), berlin) == utc("2024-10-27T00:30:00")
    # Sao Paulo skipped the midnight of 4 November 2018 (23:59:59 -03:00, then 01:00 -02:00):
    # that day began at 03:00 UTC.
    assert utc_of_local(wall("2018-11-04T00:00:00"), sao_paulo) == utc("2018-11-04T03:00:00")


@settings(max_examples=40, deadline=None)
@given(
    name=st.sampled_from([*ZONES, "America/Sao_Paulo"]),
    start=st.integers(-2_208_988_800, 4_102_444_800),
    span=st.sampled_from([7_200, 86_400, 40 * 86_400, 400 * 86_400]),
    offsets=st.lists(st.integers(0, 10**9), min_size=1, max_size=40),
)
def test_month_numbers_are_the_months_of_astimezone(
    name: str, start: int, span: int, offsets: list[int]
) -> None:
    zone = zoneinfo.ZoneInfo(name)
    t = np.array([start + o % span for o in offsets], dtype=np.int64)
    expected = []
    for x in t.tolist():
        local = (EPOCH + dt.timedelta(seconds=x)).astimezone(zone)
        expected.append((local.year - 1970) * 12 + local.month - 1)
    assert month_numbers(t, zone).tolist() == expected


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(ZONES), second=st.integers(-62_135_000_000, 253_402_000_000))
def test_wall_text_is_isoformat_of_the_zones_datetime(name: str, second: int) -> None:
    zone = zoneinfo.ZoneInfo(name)
    assert wall_text(second, zone) == dt.datetime.fromtimestamp(second, zone).isoformat()


def test_the_ends_of_datetimes_range_take_the_offset_two_days_in() -> None:
    # 9999-12-31T23:30Z is a common "no date" sentinel; its hour ends in the year 10000,
    # which datetime cannot hold. Tokyo (+09:00) shows it on 1 January 10000.
    tokyo, new_york = zoneinfo.ZoneInfo("Asia/Tokyo"), zoneinfo.ZoneInfo("America/New_York")
    sentinel = 253_402_299_000  # 9999-12-31T23:30:00Z
    assert local_seconds(np.array([sentinel]), tokyo).tolist() == [sentinel + 9 * 3600]
    assert local_seconds(np.array([sentinel]), new_york).tolist() == [sentinel - 5 * 3600]
    assert wall_text(sentinel, tokyo) == "10000-01-01T08:30:00+09:00"
    assert utc_of_local(sentinel + 9 * 3600, tokyo) == sentinel
    assert month_numbers(np.array([sentinel]), tokyo).tolist() == [(10000 - 1970) * 12]

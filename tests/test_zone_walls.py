"""Wall-clock times of a zone read as UTC for a whole column at once
(``_calendar.utc_of_walls``, ``TimeParser.walls_to_utc``), checked against the
value-by-value rule (``_time.local_to_utc``: the standard library's reading of
the IANA rules, refusing a time the clocks skip or show twice), and the CSV
engines that now use it with ``tz=`` against each other."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from salesfunnel import DealLog, EventLog, FunnelDataError, Pipeline
from salesfunnel._calendar import local_seconds, utc_of_walls
from salesfunnel._time import TimeParser, local_to_utc

# Whole-hour DST both ways of the equator, half-hour DST (Lord Howe), +05:45, -03:30
# with DST, +12:45 with DST, DST paused for Ramadan (Casablanca), a skipped midnight
# (Sao Paulo), a skipped day (Apia, 2011-12-30), many changes of standard time
# (Moscow), a local mean time of +15:56 before 1844 (Manila), and no changes at all.
ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "America/St_Johns",
    "Pacific/Chatham",
    "Africa/Casablanca",
    "America/Sao_Paulo",
    "Pacific/Apia",
    "Europe/Moscow",
    "Asia/Manila",
    "UTC",
]
NAIVE_EPOCH = dt.datetime(1970, 1, 1)


def _reference(wall: int, zone: dt.tzinfo) -> int | None:
    """The rule, one value: the UTC second, or None where it refuses the time."""
    try:
        utc = local_to_utc(NAIVE_EPOCH + dt.timedelta(seconds=wall), zone)
    except ValueError:
        return None
    return int((utc - NAIVE_EPOCH).total_seconds())


@settings(max_examples=80, deadline=None)
@given(
    name=st.sampled_from(ZONES),
    # A random stretch of wall-clock time (1800 to 2100), then times in it: across a
    # change of offset often enough when the stretch is short.
    start=st.integers(-5_364_662_400, 4_102_444_800),
    span=st.sampled_from([3_600, 7_200, 86_400, 3 * 86_400, 200 * 86_400]),
    picks=st.lists(st.integers(0, 10**9), min_size=1, max_size=40),
)
def test_each_wall_time_as_the_rule_reads_it(
    name: str, start: int, span: int, picks: list[int]
) -> None:
    zone = zoneinfo.ZoneInfo(name)
    walls = np.array([start + p % span for p in picks], dtype=np.int64)
    expected = [_reference(int(w), zone) for w in walls]
    got = utc_of_walls(walls, zone)
    if None in expected:
        assert got is None  # one refused time: the whole column goes value by value
    else:
        assert got is not None
        assert got.tolist() == expected
    for w, e in zip(walls.tolist(), expected, strict=True):
        one = utc_of_walls(np.array([w], dtype=np.int64), zone)
        assert (None if one is None else int(one[0])) == e


@pytest.mark.parametrize(
    ("name", "day"),
    [
        ("Europe/Berlin", "2024-03-31"),  # 02:00-02:59 skipped
        ("Europe/Berlin", "2024-10-27"),  # 02:00-02:59 twice
        ("America/Sao_Paulo", "2018-11-04"),  # 00:00-00:59 skipped
        ("America/Sao_Paulo", "2019-02-16"),  # 23:00-23:59 twice
        ("Australia/Lord_Howe", "2024-04-07"),  # 01:30-01:59 twice
        ("Pacific/Apia", "2011-12-29"),  # the next day, 30 December, skipped whole
        ("Pacific/Apia", "2011-12-30"),
        ("Pacific/Apia", "2011-12-31"),
    ],
)
def test_every_minute_of_a_day_with_a_change(name: str, day: str) -> None:
    zone = zoneinfo.ZoneInfo(name)
    first = int(np.datetime64(day, "s").astype(np.int64))
    walls = first + np.arange(-3_600, 86_400 + 3_600, 60, dtype=np.int64) + 59
    expected = [_reference(int(w), zone) for w in walls]
    for w, e in zip(walls.tolist(), expected, strict=True):
        one = utc_of_walls(np.array([w], dtype=np.int64), zone)
        assert (None if one is None else int(one[0])) == e, (name, np.datetime64(w, "s"))
    kept = np.array([w for w, e in zip(walls, expected, strict=True) if e is not None])
    got = utc_of_walls(kept, zone)
    assert got is not None
    assert got.tolist() == [e for e in expected if e is not None]


def test_refused_by_hand() -> None:
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")

    def wall(text: str) -> np.ndarray:
        return np.array([np.datetime64(text, "s").astype(np.int64)])

    assert utc_of_walls(wall("2024-03-31T02:30:00"), berlin) is None  # skipped
    assert utc_of_walls(wall("2024-10-27T02:30:00"), berlin) is None  # twice
    got = utc_of_walls(wall("2024-10-27T03:00:00"), berlin)
    assert got is not None
    assert np.datetime64(int(got[0]), "s") == np.datetime64("2024-10-27T02:00:00")
    # Near the ends of datetime's range the caller's own path decides.
    assert utc_of_walls(wall("9999-12-31T12:00:00"), berlin) is None


def test_local_seconds_of_times_far_apart() -> None:
    # A "no date" 9000-01-01 beside this year's times: a table of the distinct hours
    # (not of the 61 million between them), the same offsets.
    tokyo, berlin = zoneinfo.ZoneInfo("Asia/Tokyo"), zoneinfo.ZoneInfo("Europe/Berlin")
    t = np.array(["2024-03-31T00:59:59", "9000-01-01", "2024-03-31T01:00:00", "1969-12-31"],
                 dtype="datetime64[s]").astype(np.int64)  # fmt: skip
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
    for zone in (tokyo, berlin):
        ref = [
            int(((epoch + dt.timedelta(seconds=int(x))).astimezone(zone).replace(tzinfo=None)
                 - epoch.replace(tzinfo=None)).total_seconds())
            for x in t
        ]  # fmt: skip
        assert local_seconds(t, zone).tolist() == ref


def test_walls_to_utc_keeps_nat_and_leaves_a_refused_column_alone() -> None:
    parser = TimeParser("Europe/Berlin")
    out = np.array(["2024-01-01T10:00:00", "NaT", "2024-07-01T10:00:00"], "datetime64[s]")
    assert parser.walls_to_utc(out)
    assert out.astype(str).tolist() == ["2024-01-01T09:00:00", "NaT", "2024-07-01T08:00:00"]
    bad = np.array(["2024-01-01T10:00:00", "2024-03-31T02:30:00"], "datetime64[s]")
    before = bad.copy()
    assert not parser.walls_to_utc(bad)
    assert (bad == before).all()


# -- the CSV engines with tz= ---------------------------------------------------------
PIPE = Pipeline(["Lead", "Offer"])
_TIMES = st.integers(0, 4 * 86_400 - 1).map(
    # Four days around Berlin's autumn change, so that some draws fall in the repeated hour.
    lambda s: str(np.datetime64("2024-10-25T12:00:00") + np.timedelta64(s, "s")).replace("T", " ")
)


def _engines() -> list[str]:
    pytest.importorskip("pyarrow")
    return ["python", "arrow"]


@settings(max_examples=40, deadline=None)
@given(times=st.lists(_TIMES, min_size=1, max_size=30), dates=st.booleans())
def test_both_engines_read_zoned_files_alike(tmp_path_factory: pytest.TempPathFactory,
                                             times: list[str], dates: bool) -> None:  # fmt: skip
    engines = _engines()
    if dates:
        times = [t[:10] for t in times]  # midnight in the zone
    path = tmp_path_factory.mktemp("tz") / "log.csv"
    rows = [f"{i % 7},{'Offer' if i % 3 == 0 else 'Lead'},{t}" for i, t in enumerate(times)]
    path.write_text("deal,stage,time\n" + "\n".join(rows) + "\n")
    zone = zoneinfo.ZoneInfo("Europe/Berlin")
    bad = [i for i, t in enumerate(times) if _reference(_seconds(t), zone) is None]
    for engine in engines:
        for load in (_deals, _events):
            if bad:
                with pytest.raises(FunnelDataError, match=f"line {bad[0] + 2}, column 'time'"):
                    load(path, engine)
            else:
                got = load(path, engine).time.astype(np.int64).tolist()
                assert got == [_reference(_seconds(t), zone) for t in times]


def _seconds(text: str) -> int:
    return int(np.datetime64(text.replace(" ", "T"), "s").astype(np.int64))


def _deals(path: Path, engine: str) -> DealLog:
    return DealLog.from_csv(path, PIPE, engine=engine, tz="Europe/Berlin")


def _events(path: Path, engine: str) -> EventLog:
    return EventLog.from_csv(
        path, entity="deal", event="stage", time="time", engine=engine, tz="Europe/Berlin"
    )

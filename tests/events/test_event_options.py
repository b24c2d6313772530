"""Trends (``period=``), units of several columns, breakdowns of several columns and
``attribution='step_<n>'``: worked examples, and hypothesis against tests/events/reference.py."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest
from hypothesis import given, strategies as st

from events.reference import funnel_counts, step_n_groups, trend_counts
from salesfunnel import EventLog, FunnelDataError, event_funnel

from strategies import event_logs, funnel_steps

BASE = np.datetime64("2024-01-01T00:00:00", "s")  # a Monday
HOUR = dt.timedelta(hours=1)


def _log(*events: tuple[str, str, str, dict[str, object]]) -> EventLog:
    """``(unit, event, 'YYYY-MM-DDTHH:MM', props)``."""
    rows = [{"user": e[0], "event": e[1], "time": e[2], **e[3]} for e in events]
    names = sorted({k for e in events for k in e[3]})
    return EventLog.from_records(rows, entity="user", properties=names)


# -- trends -------------------------------------------------------------------------
def test_weekly_trend_counts_each_unit_in_the_week_it_entered() -> None:
    # u enters in week 1 (Mon 1 Jan) and converts across the week boundary (Sun 23:30
    # -> Mon 00:10: the window, not the week, bounds it); u enters again in week 2
    # without converting; v enters in week 2 only.
    log = _log(("u", "view", "2024-01-07T23:30", {}), ("u", "buy", "2024-01-08T00:10", {}),
               ("u", "view", "2024-01-10T10:00", {}), ("v", "view", "2024-01-09T10:00", {}),
               ("v", "buy", "2024-01-09T10:30", {}))  # fmt: skip
    f = event_funnel(log, ["view", "buy"], window=HOUR, period="W")
    assert list(f.trend) == ["2024-01-01", "2024-01-08"]
    assert f.trend["2024-01-01"].counts == (1, 1)
    assert f.trend["2024-01-08"].counts == (2, 1)
    assert f.trend["2024-01-08"].units[1].tolist() == ["v"]
    assert f.counts == (2, 2)  # the whole funnel is unchanged by period
    rows = f.trend_table.to_records()
    assert rows[1] == {"period": "2024-01-01", "step": "buy", "units": 1, "step_conversion": 1.0,
                       "conversion_from_first": 1.0, "still_open": 0}  # fmt: skip
    assert rows[3]["step_conversion"] == 0.5
    payload = json.loads(f.to_json())
    assert payload["period"] == "W"
    assert payload["trend"]["2024-01-08"]["steps"][0]["units"] == 2
    assert "event funnel by period" in str(f)


def test_daily_monthly_and_timedelta_periods_name_their_buckets() -> None:
    log = _log(("u", "view", "2024-01-31T23:00", {}), ("v", "view", "2024-02-01T01:00", {}),
               ("w", "view", "2024-02-01T07:00", {}))  # fmt: skip
    steps = ["view"]
    assert list(event_funnel(log, steps, window=HOUR, period="D").trend) == [
        "2024-01-31", "2024-02-01"]  # fmt: skip
    monthly = event_funnel(log, steps, window=HOUR, period="M").trend
    assert {k: v.counts for k, v in monthly.items()} == {"2024-01": (1,), "2024-02": (2,)}
    six = event_funnel(log, steps, window=HOUR, period=dt.timedelta(hours=6)).trend
    assert list(six) == ["2024-01-31T18:00:00", "2024-02-01T00:00:00", "2024-02-01T06:00:00"]
    anchored = event_funnel(log, steps, window=HOUR, period=dt.timedelta(hours=6),
                            start="2024-01-31T22:00").trend  # fmt: skip
    assert {k: v.counts for k, v in anchored.items()} == {
        "2024-01-31T22:00:00": (2,), "2024-02-01T04:00:00": (1,)}  # fmt: skip


def _events_log(events) -> EventLog:  # type: ignore[no-untyped-def]
    return EventLog.from_columns(
        {
            "entity": [e[0] for e in events],
            "event": [e[1] for e in events],
            "time": BASE + np.array([e[2] for e in events], dtype="timedelta64[s]"),
            "device": [e[3]["device"] for e in events],
        },
        properties=["device"],
    )


def _step(names: tuple[str, ...]) -> str | tuple[str, ...]:
    return names[0] if len(names) == 1 else names


windows = st.integers(min_value=1, max_value=8)


@given(event_logs(), funnel_steps(overlap=False), windows, st.sampled_from([1, 2, 3, 4, 6]),
       st.sampled_from(["ordered", "strict", "clickhouse"]))  # fmt: skip
def test_trend_matches_the_reference(events, steps, window, length, order) -> None:  # type: ignore[no-untyped-def]
    f = event_funnel(_events_log(events), [_step(s) for s in steps],
                     window=dt.timedelta(seconds=window), order=order,
                     period=dt.timedelta(seconds=length))  # fmt: skip
    got = {int((np.datetime64(k) - BASE) // np.timedelta64(length, "s")): list(v.counts)
           for k, v in f.trend.items()}  # fmt: skip
    if order == "clickhouse":  # not the reference's rules; step 1 is reached by entering
        entered = {b: {u for u, n, t, _ in events if n in steps[0] and t // length == b}
                   for b in got}  # fmt: skip
        assert {b: c[0] for b, c in got.items()} == {b: len(u) for b, u in entered.items()}
        return
    assert got == trend_counts(events, steps, window, length, order=order)


# -- units of several columns ----------------------------------------------------------
def test_a_unit_of_two_columns_counts_pairs() -> None:
    log = _log(("u", "view", "2024-01-01T10:00", {"session": "s1"}),
               ("u", "buy", "2024-01-01T10:05", {"session": "s2"}),
               ("u", "view", "2024-01-01T10:10", {"session": "s2"}))  # fmt: skip
    by_user = event_funnel(log, ["view", "buy"], window=HOUR)
    by_pair = event_funnel(log, ["view", "buy"], window=HOUR, unit=("user", "session"))
    by_session = event_funnel(log, ["view", "buy"], window=HOUR, unit="session")
    assert by_user.counts == (1, 1)
    assert by_pair.counts == (2, 0)  # s2's buy came before its view
    assert by_pair.units[0].tolist() == [("u", "s1"), ("u", "s2")]
    assert by_session.units[0].tolist() == ["s1", "s2"]
    assert json.loads(by_pair.to_json())["unit"] == ["user", "session"]


def test_a_missing_unit_value_names_the_row() -> None:
    log = _log(("u", "view", "2024-01-01T10:00", {"session": "s1"}),
               ("u", "buy", "2024-01-01T10:05", {"session": ""}))  # fmt: skip
    with pytest.raises(FunnelDataError, match=r"row 1, column 'session'.*missing unit"):
        event_funnel(log, ["view", "buy"], window=HOUR, unit=("user", "session"))


@given(event_logs(), funnel_steps(), windows, st.sampled_from(["ordered", "strict"]))
def test_unit_of_two_columns_matches_the_reference(events, steps, window, order) -> None:  # type: ignore[no-untyped-def]
    events = [(u, n, t, {"device": p["device"] or "none"}) for u, n, t, p in events]
    f = event_funnel(_events_log(events), [_step(s) for s in steps],
                     window=dt.timedelta(seconds=window), order=order,
                     unit=("entity", "device"))  # fmt: skip
    paired = [(f"{u}|{p['device']}", n, t, p) for u, n, t, p in events]
    counts, _, units = funnel_counts(paired, steps, window, order=order)
    assert list(f.counts) == counts
    last = sorted("|".join(u) for u in f.units[-1].tolist())
    assert last == sorted(u for u, r in units.items() if r.reached == len(steps))


# -- breakdowns ---------------------------------------------------------------------
def test_a_breakdown_of_two_columns_joins_the_values() -> None:
    log = _log(("u", "view", "2024-01-01T10:00", {"device": "ios", "country": ""}),
               ("v", "view", "2024-01-01T10:00", {"device": "web", "country": "DE"}),
               ("w", "view", "2024-01-01T10:00", {"device": "", "country": ""}))  # fmt: skip
    f = event_funnel(log, ["view"], window=HOUR, breakdown=("device", "country"))
    assert {k: v.counts for k, v in f.by.items()} == {
        "(none)": (1,), "ios / (none)": (1,), "web / DE": (1,)}  # fmt: skip
    rows = f.by_table.to_records()
    assert [r["group"] for r in rows] == ["(none)", "ios / (none)", "web / DE"]


def test_step_n_attribution_takes_the_value_on_step_n() -> None:
    # u views on ios, then buys on web; v buys twice, on ios (outside the window) and
    # web. step_1 groups by the view's device, step_2 by the buy's that completes.
    log = _log(("u", "view", "2024-01-01T10:00", {"device": "ios"}),
               ("u", "buy", "2024-01-01T10:05", {"device": "web"}),
               ("v", "view", "2024-01-01T10:00", {"device": "web"}),
               ("v", "buy", "2024-01-01T10:10", {"device": "web"}),
               ("v", "buy", "2024-01-01T12:00", {"device": "ios"}),
               ("w", "view", "2024-01-01T10:00", {"device": "ios"}))  # fmt: skip
    one = event_funnel(log, ["view", "buy"], window=HOUR, breakdown="device",
                       attribution="step_1")  # fmt: skip
    two = event_funnel(log, ["view", "buy"], window=HOUR, breakdown="device",
                       attribution="step_2")  # fmt: skip
    assert {k: v.counts for k, v in one.by.items()} == {"ios": (2, 1), "web": (1, 1)}
    assert {k: v.counts for k, v in two.by.items()} == {"(none)": (1, 0), "web": (2, 2)}
    assert two.counts == (3, 2)


@given(event_logs(), funnel_steps(overlap=False), windows, st.data())
def test_step_n_matches_the_reference(events, steps, window, data) -> None:  # type: ignore[no-untyped-def]
    n = data.draw(st.integers(min_value=1, max_value=len(steps)))
    order = data.draw(st.sampled_from(["ordered", "strict"]))
    f = event_funnel(_events_log(events), [_step(s) for s in steps],
                     window=dt.timedelta(seconds=window), order=order, breakdown="device",
                     attribution=f"step_{n}")  # fmt: skip
    want = step_n_groups(events, steps, window, n, order=order)
    assert set(f.by) == {g for g, units in want.items() if units}
    for g, sub in f.by.items():
        for j in range(len(steps)):
            expected = sorted(u for u, level in want[g].items() if level >= j + 1)
            assert sorted(sub.units[j].tolist()) == expected
    for j in range(len(steps)):
        assert sum(g.counts[j] for g in f.by.values()) == f.counts[j]
    if order == "ordered":  # the value funnels together reach what the plain one does
        assert f.counts == event_funnel(_events_log(events), [_step(s) for s in steps],
                                        window=dt.timedelta(seconds=window)).counts  # fmt: skip


# -- tables -------------------------------------------------------------------------
def test_to_polars_and_to_pandas_give_each_table() -> None:
    pl = pytest.importorskip("polars")
    log = _log(("u", "view", "2024-01-01T10:00", {"device": "ios"}),
               ("u", "buy", "2024-01-01T10:05", {"device": "ios"}),
               ("v", "view", "2024-01-02T10:00", {"device": "web"}))  # fmt: skip
    f = event_funnel(log, ["view", "buy"], window=HOUR, breakdown="device", period="D")
    steps = f.to_polars()
    assert steps["units"].to_list() == [2, 1]
    assert steps["median_s"].to_list() == [None, 300.0]
    by = f.to_polars("by")
    assert by.filter(pl.col("group") == "web")["units"].to_list() == [1, 0]
    trend = f.to_polars("trend")
    assert trend["period"].to_list() == ["2024-01-01", "2024-01-01", "2024-01-02", "2024-01-02"]
    assert trend["step_conversion"].to_list() == [1.0, 1.0, 1.0, 0.0]
    pytest.importorskip("pandas")
    assert list(f.to_pandas("trend")["units"]) == [1, 1, 1, 0]
    with pytest.raises(FunnelDataError, match="table must be"):
        f.to_polars("nope")


# -- windows given as numpy timedelta64 ----------------------------------------------------
def test_a_numpy_window_is_read_as_the_same_timedelta() -> None:
    # B is exactly 30 minutes after A: inside a 30-minute window (inclusive), outside 29.
    log = _log(("u", "A", "2024-01-01T00:00", {}), ("u", "B", "2024-01-01T00:30", {}))
    for window, counts in [
        (np.timedelta64(30, "m"), (1, 1)),
        (np.timedelta64(29, "m"), (1, 0)),
        (np.timedelta64(1_800_000_000_000, "ns"), (1, 1)),
        (np.timedelta64(1, "D").astype("timedelta64[2h]"), (1, 1)),  # 12 units of 2 h
    ]:
        f = event_funnel(log, ["A", "B"], window=window)  # type: ignore[arg-type]
        assert f.counts == counts
        assert isinstance(f.window, dt.timedelta)
    assert event_funnel(log, ["A"], window=np.timedelta64(30, "m")).window == dt.timedelta(
        minutes=30
    )  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "window",
    [
        np.timedelta64(1, "M"),
        np.timedelta64("NaT"),
        np.timedelta64(-5, "m"),
        np.timedelta64(10**18, "W"),
    ],
)
def test_a_numpy_window_without_a_fixed_positive_length_is_refused(window: object) -> None:
    log = _log(("u", "A", "2024-01-01T00:00", {}))
    with pytest.raises(FunnelDataError, match="window must be a positive") as err:
        event_funnel(log, ["A"], window=window)  # type: ignore[arg-type]
    assert f"(got {window!r})" in str(err.value)  # named as given, not as converted


@given(
    n=st.integers(0, 10**12),
    unit=st.sampled_from(["W", "D", "h", "m", "s", "ms", "us", "ns"]),
)
def test_numpy_durations_convert_as_pandas_reads_them(n: int, unit: str) -> None:
    from salesfunnel._time import as_timedelta

    pd = pytest.importorskip("pandas")
    try:  # pandas' count of nanoseconds in it, where it fits (about 292 years)
        nanos = pd.Timedelta(n, unit=unit).value
    except (OverflowError, ValueError):
        return
    expected = dt.timedelta(microseconds=nanos // 1000)  # floored to the microsecond
    value = np.timedelta64(n, unit)
    if expected <= dt.timedelta(0):  # no positive length: left as given, for the error
        assert as_timedelta(value) is value
    else:
        assert as_timedelta(value) == expected

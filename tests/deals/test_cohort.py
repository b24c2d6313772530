"""The cohort funnel: hand-computed examples and a plain-Python reference on random logs.

Pipeline A > B > C, outcomes W (won), L (lost), F (frozen); days of January
2024 (day 0 is 2024-01-01; negative days fall in December 2023). Cohort
``start`` = day 1, ``end`` = day 10, ``as_of`` = day 20. Worked out on paper:

deal reopen:  A d1, L d2, B d3, W d9     lost, reopened, won: won, every stage
deal wonlost: A d1, B d2, W d4, L d6     the first win counts: won, every stage
deal open:    A d2, C d5                 skipped B, open at C (censored at 18 d)
deal frozen:  A d3, B d4, F d6           frozen at B (censored at 17 d)
deal lost:    A d4, L d5                 lost at A (competing at 1 d)
deal early:   A d-3, B d3                entered before start: in no cohort here
deal late:    A d12, W d13               entered after end: in no cohort here
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import statistics
from collections import defaultdict

import numpy as np
import pytest
from hypothesis import given, strategies as st

from salesfunnel import (
    CohortFunnel,
    DealLog,
    FunnelChart,
    FunnelDataError,
    Pipeline,
    closed_funnel,
    cohort_funnel,
    compare,
    cumulative_incidence,
)
from salesfunnel.deals import cohort as cohort_module

from strategies import BASE_DAY, deal_events

P = Pipeline(["A", "B", "C"], won="W", lost="L", frozen="F")
EVENTS = [
    ("reopen", "A", 1, "ann"),
    ("reopen", "L", 2, "ann"),
    ("reopen", "B", 3, "ann"),
    ("reopen", "W", 9, "ann"),
    ("wonlost", "A", 1, "bob"),
    ("wonlost", "B", 2, "bob"),
    ("wonlost", "W", 4, "bob"),
    ("wonlost", "L", 6, "bob"),
    ("open", "A", 2, "ann"),
    ("open", "C", 5, "ann"),
    ("frozen", "A", 3, "bob"),
    ("frozen", "B", 4, "bob"),
    ("frozen", "F", 6, "bob"),
    ("lost", "A", 4, "cy"),
    ("lost", "L", 5, "cy"),
    ("early", "A", -3, "cy"),
    ("early", "B", 3, "cy"),
    ("late", "A", 12, "ann"),
    ("late", "W", 13, "ann"),
]
MODES = st.sampled_from(["cumulative", "classic", "strict"])
Records = list[dict[str, object]]


def day(d: int) -> dt.datetime:
    return BASE_DAY + dt.timedelta(days=d)


def worked_log() -> DealLog:
    rows = [{"deal": i, "stage": s, "time": day(d), "owner": o} for i, s, d, o in EVENTS]
    return DealLog.from_records(rows, P, owner="owner")


def cohort(mode: str = "cumulative") -> CohortFunnel:
    return cohort_funnel(worked_log(), start=day(1), end=day(10), as_of=day(20), mode=mode)  # type: ignore[arg-type]


def ids(cf: CohortFunnel) -> list[set[str]]:
    return [{str(x) for x in np.asarray(s.data)} for s in cf.funnel.stages]


def test_cumulative_worked_example() -> None:
    cf = cohort()
    assert ids(cf) == [
        {"reopen", "wonlost", "open", "frozen", "lost"},
        {"reopen", "wonlost", "open", "frozen"},
        {"reopen", "wonlost", "open"},
        {"reopen", "wonlost"},
    ]
    assert cf.funnel.counts.tolist() == [5, 4, 3, 2]
    assert (cf.deals, cf.won, cf.lost, cf.open_deals, cf.frozen) == (5, 2, 1, 1, 1)
    assert (cf.censored, cf.unknown_time_deals) == (2, 0)
    # Time to first reach, from entry: B 2, 1, 3, 1; C 8 (by winning), 3, 3; W 8, 3.
    a, b, c, w = cf.time_to_reach
    assert (a.count, a.median_days, a.p90_days) == (5, 0.0, 0.0)
    assert (b.count, b.mean_days, b.median_days) == (4, 1.75, 1.5)
    assert b.p90_days == pytest.approx(2.7)  # linear: 2 + 0.7 * (3 - 2)
    assert (c.count, c.mean_days, c.median_days) == (3, 14 / 3, 3.0)
    assert (w.count, w.mean_days, w.median_days) == (2, 5.5, 5.5)


def test_time_to_won_counts_open_deals_as_censored_and_losses_as_competing() -> None:
    curve = cohort().time_to_won
    # Lost at 1 d (5 at risk), won at 3 d (4 at risk), won at 8 d (3 at risk);
    # open and frozen censored at 18 and 17 d.
    assert curve.time.tolist() == [0.0, 1.0, 3.0, 8.0]
    assert curve.at_risk.tolist() == [5, 5, 4, 3]
    assert curve.censored.tolist() == [0, 0, 0, 2]
    assert (1 - curve.survival).round(12).tolist() == [0.0, 0.0, 0.2, 0.4]
    assert math.isnan(curve.median)


def test_the_first_win_counts_where_the_closed_funnel_reopens() -> None:
    log = worked_log()
    closed = closed_funnel(log, start=day(1), end=day(10))
    assert sorted(closed.funnel["W"].data.tolist()) == ["reopen"]  # wonlost is lost there
    assert sorted(cohort().funnel["W"].data.tolist()) == ["reopen", "wonlost"]


def test_classic_and_strict_ignore_events_after_the_first_win() -> None:
    classic, strict = cohort("classic"), cohort("strict")
    # Classic: stages with an event of their own; open has no B, reopen no C.
    assert classic.funnel.counts.tolist() == [5, 3, 1, 2]
    assert ids(classic)[2] == {"open"}
    # Strict: A then B in order (reopen, wonlost, frozen); nobody passes C.
    assert strict.funnel.counts.tolist() == [5, 3, 0, 0]
    late_b = [{"deal": "x", "stage": s, "time": day(d)} for s, d in (("A", 1), ("W", 2), ("B", 3))]
    log = DealLog.from_records(late_b, P)
    assert cohort_funnel(log, mode="classic").funnel.counts.tolist() == [1, 0, 0, 1]
    assert cohort_funnel(log).funnel.counts.tolist() == [1, 1, 1, 1]


def test_entry_period_is_half_open_and_as_of_hides_later_deals() -> None:
    log = worked_log()
    everyone = cohort_funnel(log, as_of=day(20))
    assert everyone.deals == 7
    assert cohort_funnel(log, start=day(-3), end=day(1), as_of=day(20)).deals == 1  # early
    assert cohort_funnel(log, start=day(1), end=day(2), as_of=day(20)).deals == 2
    # As of day 4: wonlost has won, reopen is open at B (its loss was undone), late unseen.
    snap = cohort_funnel(log, start=day(1), as_of=day(4))
    assert (snap.deals, snap.won, snap.lost, snap.open_deals) == (5, 1, 0, 4)
    assert snap.time_to_won.n == 5


def test_per_owner_results_and_serialisation() -> None:
    per = cohort_funnel(worked_log(), start=day(1), end=day(10), as_of=day(20), by="owner")
    assert list(per) == ["ann", "bob", "cy"]
    assert [r.deals for r in per.values()] == [2, 2, 1]
    assert per["cy"].funnel.counts.tolist() == [1, 0, 0, 0]
    cf = cohort()
    data = json.loads(cf.to_json())
    assert (data["deals"], data["censored"]) == (5, 2)
    assert data["stages"][3]["median_days"] == 5.5
    assert data["time_to_reach"][1]["count"] == 4
    assert data["time_to_won"]["median_days"] is None
    text = str(cf)
    assert "5 deals entered: 2 won, 1 lost, 1 open, 1 frozen (2 censored)" in text
    assert "<table" in cf._repr_html_()
    assert cf.table.column("deals") == [5, 4, 3, 2]
    # The funnel is a plain Funnel: the chart and compare accept it.
    FunnelChart(cf.funnel).to_png()
    assert compare({"ann": per["ann"].funnel, "bob": per["bob"].funnel}) is not None


def test_undated_wide_form_entries_count_only_when_surely_inside() -> None:
    wp = Pipeline(["Call", "Meeting", "Offer"], won="Won", lost="Lost")
    wide = [
        {"id": "A", "status": "Won", "meet": "2024-01-02", "closed": "2024-01-09"},
        {"id": "B", "status": "Call", "meet": "", "closed": ""},  # no date at all
        {"id": "E", "status": "Offer", "meet": "2024-01-03", "closed": ""},  # Offer undated
    ]
    log = DealLog.from_wide(
        wide, wp, deal="id", stage_dates={"Meeting": "meet"}, outcome="status",
        outcome_date="closed",
    )  # fmt: skip
    every = cohort_funnel(log)  # no period: every deal, B included
    assert every.funnel.counts.tolist() == [3, 2, 2, 1]
    offer = every.time_to_reach[2]  # A reached Offer by winning after 7 days; E's time is unknown
    assert (offer.count, offer.unknown, offer.median_days) == (1, 1, 7.0)
    assert every.time_to_won.unknown_time == 1  # B: open, entered at an unknown time
    # E is censored (open, entry known); B is not (its time is unknown), with or without the curve.
    assert every.censored == cohort_funnel(log, time_to_won=False).censored == 1
    # B's entry has no date: in no dated period, and counted as unknown.
    jan = cohort_funnel(log, start="2024-01-01", end="2024-02-01")
    assert (jan.deals, jan.unknown_time_deals) == (2, 1)
    # E's undated Offer may fall on either side of 01-04: E is left out there.
    snap = cohort_funnel(log, as_of="2024-01-04")
    assert (snap.deals, snap.unknown_time_deals) == (1, 2)


def test_bad_arguments_are_named() -> None:
    log = worked_log()
    with pytest.raises(FunnelDataError, match="mode"):
        cohort_funnel(log, mode="loose")  # type: ignore[arg-type]
    with pytest.raises(FunnelDataError, match="end must not be before start"):
        cohort_funnel(log, start="2024-02-01", end="2024-01-01")
    with pytest.raises(FunnelDataError, match="as_of"):
        cohort_funnel(log, as_of="soon")
    with pytest.raises(FunnelDataError, match="by must be"):
        cohort_funnel(log, by="team")  # type: ignore[call-overload]
    # A new analysis has no old positional form: its options are keyword-only.
    with pytest.raises(TypeError, match="at most 2 positional arguments"):
        cohort_funnel(log, None, day(1))  # type: ignore[misc]


# -- the reference: one deal at a time, from the documented rule ------------------
def reference(
    pipeline: Pipeline,
    records: Records,
    start: dt.datetime | None,
    end: dt.datetime | None,
    as_of: dt.datetime | None,
    mode: str,
) -> dict[str, object]:
    k = pipeline.n_stages
    hist: dict[str, list[tuple[dt.datetime, int, str]]] = defaultdict(list)
    for r in records:
        t = r["time"]
        assert isinstance(t, dt.datetime)
        if as_of is None or t <= as_of:
            hist[str(r["deal"])].append((t, pipeline.code(str(r["stage"])), str(r["owner"])))
    t_cens = as_of or max(r["time"] for r in records)  # type: ignore[type-var]
    members: list[set[str]] = [set() for _ in range(k + 1)]
    times: list[list[float]] = [[] for _ in range(k + 1)]
    states: dict[str, str] = {}
    owners: dict[str, str] = {}
    curve: list[tuple[float, int]] = []
    for deal, events in hist.items():
        events.sort(key=lambda e: (e[0], e[1], e[2]))
        entry = events[0][0]
        if (start is not None and entry < start) or (end is not None and entry >= end):
            continue
        owners[deal] = events[-1][2]
        wins = [i for i, e in enumerate(events) if e[1] == pipeline.won_code]
        kept = events[: wins[0] + 1] if wins else events
        first: dict[int, dt.datetime] = {}
        if mode == "cumulative":
            for t, c, _ in kept:
                for j in range(c + 1 if c <= k else 0):
                    first.setdefault(j, t)
        elif mode == "classic":
            for t, c, _ in kept:
                if c <= k:
                    first.setdefault(c, t)
        else:
            for t, c, _ in kept:
                if c == len(first):
                    first[c] = t
        for j, t in first.items():
            members[j].add(deal)
            times[j].append((t - entry).total_seconds() / 86400)
        last = events[-1][1]
        if wins:
            states[deal] = "won"
            curve.append(((events[wins[0]][0] - entry).total_seconds() / 86400, 1))
        elif last == pipeline.lost_code:
            states[deal] = "lost"
            curve.append(((events[-1][0] - entry).total_seconds() / 86400, 2))
        else:
            states[deal] = "frozen" if last == pipeline.frozen_code else "open"
            curve.append(((t_cens - entry).total_seconds() / 86400, 0))  # type: ignore[operator]
    return {"members": members, "times": times, "states": states, "curve": curve, "owners": owners}


def maybe_day(d: int | None) -> dt.datetime | None:
    return None if d is None else day(d)


days = st.none() | st.integers(min_value=-1, max_value=22)


@given(deal_events(), MODES, days, days, days)
def test_engine_matches_the_plain_python_reference(
    case: tuple[Pipeline, Records], mode: str, s: int | None, length: int | None, t: int | None
) -> None:
    pipeline, records = case
    start, as_of = maybe_day(s), maybe_day(t)
    end = None if length is None else day((s or 0) + abs(length))
    ref = reference(pipeline, records, start, end, as_of, mode)
    log = DealLog.from_records(records, pipeline, owner="owner")
    cf = cohort_funnel(log, start=start, end=end, as_of=as_of, mode=mode)  # type: ignore[arg-type]
    assert ids(cf) == ref["members"]
    states = ref["states"]
    assert isinstance(states, dict)
    assert cf.deals == len(states)
    for name in ("won", "lost", "frozen"):
        assert getattr(cf, name) == sum(v == name for v in states.values())
    assert cf.open_deals == sum(v == "open" for v in states.values())
    ref_times = ref["times"]
    assert isinstance(ref_times, list)
    for stats, values in zip(cf.time_to_reach, ref_times, strict=True):
        assert stats.count == len(values)
        if values:
            assert stats.mean_days == pytest.approx(statistics.fmean(values), abs=1e-9)
            assert stats.median_days == pytest.approx(statistics.median(values), abs=1e-9)
            assert stats.p90_days == pytest.approx(float(np.quantile(values, 0.9)), abs=1e-9)
    curve = ref["curve"]
    assert isinstance(curve, list)
    assert cf.censored == sum(kind == 0 for _, kind in curve)
    if curve:
        expected = cumulative_incidence([d for d, _ in curve], [kind for _, kind in curve])
        assert np.allclose(cf.time_to_won.time, expected.time)
        assert np.allclose(cf.time_to_won.survival, expected.survival)


@given(deal_events(), days, days)
def test_cumulative_counts_never_increase_along_the_stages(
    case: tuple[Pipeline, Records], s: int | None, t: int | None
) -> None:
    pipeline, records = case
    log = DealLog.from_records(records, pipeline, owner="owner")
    counts = cohort_funnel(log, start=maybe_day(s), as_of=maybe_day(t)).funnel.counts
    assert np.all(np.diff(counts) <= 0)
    strict = cohort_funnel(log, start=maybe_day(s), as_of=maybe_day(t), mode="strict")
    assert np.all(np.diff(strict.funnel.counts) <= 0)


@given(deal_events(), MODES, days, days)
def test_per_owner_results_add_up_to_the_team(
    case: tuple[Pipeline, Records], mode: str, s: int | None, t: int | None
) -> None:
    pipeline, records = case
    log = DealLog.from_records(records, pipeline, owner="owner")
    kw = {"start": maybe_day(s), "as_of": maybe_day(t), "mode": mode}
    team = cohort_funnel(log, **kw)  # type: ignore[arg-type]
    per = cohort_funnel(log, by="owner", **kw)  # type: ignore[arg-type]
    assert isinstance(per, dict)
    assert not isinstance(team, dict)
    assert list(per) == sorted(log.owners)
    assert np.array_equal(sum(r.funnel.counts for r in per.values()), team.funnel.counts)
    for name in ("deals", "won", "lost", "open_deals", "frozen", "censored"):
        assert sum(getattr(r, name) for r in per.values()) == getattr(team, name)
    for j, stats in enumerate(team.time_to_reach):
        assert sum(r.time_to_reach[j].count for r in per.values()) == stats.count
    assert sum(r.time_to_won.n for r in per.values()) == team.time_to_won.n


@given(deal_events(), days, days, days)
def test_time_to_won_is_exactly_the_estimator_on_the_reference_durations(
    case: tuple[Pipeline, Records], s: int | None, length: int | None, t: int | None
) -> None:
    """The cohort builds the curve's input itself (one gather for the ending times,
    one sort of packed keys, one group at a time) and skips the estimator's checks:
    every array equals ``cumulative_incidence`` of the reference's (days, kind)."""
    pipeline, records = case
    start, as_of = maybe_day(s), maybe_day(t)
    end = None if length is None else day((s or 0) + abs(length))
    ref = reference(pipeline, records, start, end, as_of, "cumulative")
    log = DealLog.from_records(records, pipeline, owner="owner")
    got = cohort_funnel(log, start=start, end=end, as_of=as_of).time_to_won
    curve = ref["curve"]
    assert isinstance(curve, list)
    want = cumulative_incidence([d for d, _ in curve], [k for _, k in curve])
    for name in ("time", "at_risk", "events", "competing", "censored", "survival"):
        assert np.array_equal(getattr(got, name), getattr(want, name)), name
    assert (got.n, got.unknown_time) == (want.n, 0)
    assert got.median == want.median or (math.isnan(got.median) and math.isnan(want.median))


def test_without_time_to_won_only_the_curve_is_left_out() -> None:
    """``time_to_won=False`` by hand: no curve, the two censored deals (open and
    frozen) still counted, the same summary without the median, JSON null."""
    cf = cohort_funnel(worked_log(), start=day(1), end=day(10), as_of=day(20), time_to_won=False)
    assert cf.time_to_won is None
    assert (cf.deals, cf.won, cf.lost, cf.open_deals, cf.frozen, cf.censored) == (5, 2, 1, 1, 1, 2)
    assert json.loads(cf.to_json())["time_to_won"] is None
    assert "5 deals entered: 2 won, 1 lost, 1 open, 1 frozen (2 censored)" in str(cf)
    with pytest.raises(TypeError, match="at most 2 positional"):
        cohort_funnel(worked_log(), None, None, None, None, None, "cumulative", False)  # type: ignore[misc]


@pytest.mark.parametrize("threaded", [False, True])
@given(deal_events(), MODES, days, days)
def test_without_time_to_won_every_other_field_is_the_default_calls(
    threaded: bool, case: tuple[Pipeline, Records], mode: str, s: int | None, t: int | None
) -> None:
    """Per owner and for the team, every mode: the results without the curves equal
    the default call's field by field (``censored`` too, counted without them),
    with the curves built behind the funnels on a thread or not (``_THREADED``)."""
    pipeline, records = case
    log = DealLog.from_records(records, pipeline, owner="owner")
    kw = {"start": maybe_day(s), "as_of": maybe_day(t), "mode": mode}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cohort_module, "_THREADED", 0 if threaded else 1 << 20)
        for by in (None, "owner"):
            full = cohort_funnel(log, by=by, **kw)  # type: ignore[call-overload]
            lean = cohort_funnel(log, by=by, time_to_won=False, **kw)  # type: ignore[call-overload]
            pairs = zip(full.values(), lean.values(), strict=True) if by else [(full, lean)]
            for a, b in pairs:
                assert b.time_to_won is None
                for f in dataclasses.fields(CohortFunnel):
                    if f.name in ("time_to_won", "funnel"):
                        continue
                    assert getattr(a, f.name) == getattr(b, f.name), f.name
                assert a.funnel.counts.tolist() == b.funnel.counts.tolist()
                assert [x.data.tolist() for x in a.funnel.stages] == [
                    x.data.tolist() for x in b.funnel.stages
                ]
                assert a.censored == a.time_to_won.censored.sum()

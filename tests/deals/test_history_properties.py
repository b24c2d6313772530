"""Properties of the deal-history engine, checked on random logs.

The vectorised engine is compared with a plain-Python reference written from
the documented rules (one deal at a time, no numpy), and with the invariants
the issue asks for.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
import statistics
from collections import defaultdict

import numpy as np
from hypothesis import given, strategies as st

from salesfunnel import (
    DealLog,
    Pipeline,
    active_funnel,
    closed_funnel,
    forecast,
    monthly_volume,
    time_to_close,
)

from strategies import BASE_DAY, deal_events

Records = list[dict[str, object]]
MODES = st.sampled_from(["cumulative", "classic", "strict"])


def build(pipeline: Pipeline, records: Records) -> DealLog:
    return DealLog.from_records(records, pipeline, owner="owner")


def histories(
    pipeline: Pipeline, records: Records, upto: dt.datetime | None, inclusive: bool
) -> dict[str, list[tuple[dt.datetime, int, str]]]:
    out: dict[str, list[tuple[dt.datetime, int, str]]] = defaultdict(list)
    for r in records:
        t = r["time"]
        assert isinstance(t, dt.datetime)
        if upto is not None and (t > upto if inclusive else t >= upto):
            continue
        out[str(r["deal"])].append((t, pipeline.code(str(r["stage"])), str(r["owner"])))
    for events in out.values():
        events.sort(key=lambda e: (e[0], e[1], e[2]))
    return dict(out)


def reference_closed(
    pipeline: Pipeline, records: Records, mode: str, end: dt.datetime | None
) -> dict[str, object]:
    k = pipeline.n_stages
    members: list[set[str]] = [set() for _ in range(k + 1)]
    won = lost = 0
    cycles: list[float] = []
    in_stage: list[list[float]] = [[] for _ in range(k)]
    # A deal counts in the period of its final closing: none with an event from ``end`` on.
    later = {str(r["deal"]) for r in records if end is not None and r["time"] >= end}  # type: ignore[operator]
    for deal, events in histories(pipeline, records, end, inclusive=False).items():
        last = events[-1][1]
        if deal in later:
            continue
        if last not in (pipeline.won_code, pipeline.lost_code):
            continue
        is_won = last == pipeline.won_code
        won += is_won
        lost += not is_won
        codes = [c for _, c, _ in events]
        if mode == "cumulative":
            reach = k if is_won else max((c for c in codes if c < k), default=-1)
            stages = set(range(reach + 1))
        elif mode == "classic":
            stages = {c for c in codes if c < k} | ({k} if is_won else set())
        else:
            depth = -1
            for c in codes:
                if c == depth + 1 and c <= k:
                    depth = c
            stages = set(range(depth + 1))
            if not is_won:
                stages.discard(k)
        for s in stages:
            members[s].add(deal)
        cycles.append((events[-1][0] - events[0][0]).total_seconds() / 86400)
        totals: dict[int, float] = defaultdict(float)
        for (t0, c0, _), (t1, _, _) in itertools.pairwise(events):
            if c0 < k:
                totals[c0] += (t1 - t0).total_seconds() / 86400
        for s, v in totals.items():
            in_stage[s].append(v)
    return {"members": members, "won": won, "lost": lost, "cycles": cycles, "in_stage": in_stage}


def stage_ids(result: object) -> list[set[str]]:
    funnel = result.funnel  # type: ignore[attr-defined]
    return [{str(x) for x in np.asarray(s.data)} for s in funnel.stages]


@given(deal_events(), MODES, st.none() | st.integers(min_value=0, max_value=22))
def test_engine_matches_plain_python_reference(
    case: tuple[Pipeline, Records], mode: str, end_day: int | None
) -> None:
    pipeline, records = case
    end = None if end_day is None else BASE_DAY + dt.timedelta(days=end_day)
    ref = reference_closed(pipeline, records, mode, end)
    cf = closed_funnel(build(pipeline, records), end=end, mode=mode)  # type: ignore[arg-type]
    assert stage_ids(cf) == ref["members"]
    assert cf.funnel.counts.tolist() == [len(m) for m in ref["members"]]  # type: ignore[attr-defined]
    assert (cf.won, cf.lost) == (ref["won"], ref["lost"])
    assert cf.durations is not None
    cycles = ref["cycles"]
    assert isinstance(cycles, list)
    assert cf.cycle.count == len(cycles)
    if cycles:
        assert cf.cycle.median_days == statistics.median(cycles)
        assert np.isclose(cf.cycle.mean_days, statistics.fmean(cycles))
    in_stage = ref["in_stage"]
    assert isinstance(in_stage, list)
    for label, values in zip(pipeline.stages, in_stage, strict=True):
        got = cf.durations.stage(label)
        assert got.count == len(values)
        if values:
            assert got.median_days == statistics.median(values)
            assert np.isclose(got.p90_days, np.quantile(values, 0.9))


@given(
    deal_events(),
    MODES,
    st.lists(st.integers(min_value=0, max_value=22), min_size=1, max_size=4, unique=True),
    st.booleans(),
)
def test_consecutive_periods_count_each_deal_once_and_add_up(
    case: tuple[Pipeline, Records], mode: str, cuts: list[int], open_ended: bool
) -> None:
    pipeline, records = case
    log = build(pipeline, records)
    days: list[dt.datetime | None] = [BASE_DAY + dt.timedelta(days=c) for c in sorted(cuts)]
    bounds = [None, *days, None] if open_ended else days
    whole = closed_funnel(log, start=bounds[0], end=bounds[-1], mode=mode)  # type: ignore[arg-type]
    parts = [
        closed_funnel(log, start=a, end=b, mode=mode)  # type: ignore[arg-type]
        for a, b in itertools.pairwise(bounds)
    ]
    for j, ids in enumerate(stage_ids(whole)):
        pieces = [stage_ids(p)[j] for p in parts]
        assert sum(len(x) for x in pieces) == len(ids)  # no deal twice
        assert set().union(*pieces) == ids
    assert sum(p.won for p in parts) == whole.won
    assert sum(p.lost for p in parts) == whole.lost
    volume = monthly_volume(log, by=None, start=bounds[0], end=bounds[-1]).table
    pieces_won = [
        sum(monthly_volume(log, by=None, start=a, end=b).table.column("won_deals"))  # type: ignore[arg-type]
        for a, b in itertools.pairwise(bounds)
    ]
    assert sum(pieces_won) == sum(volume.column("won_deals")) == whole.won  # type: ignore[arg-type]


@given(deal_events())
def test_cumulative_counts_never_increase_along_the_pipeline(
    case: tuple[Pipeline, Records],
) -> None:
    pipeline, records = case
    counts = closed_funnel(build(pipeline, records)).funnel.counts
    assert (np.diff(counts) <= 0).all()


@given(deal_events())
def test_classic_counts_at_least_strict_counts(case: tuple[Pipeline, Records]) -> None:
    pipeline, records = case
    log = build(pipeline, records)
    classic = closed_funnel(log, mode="classic").funnel.counts
    strict = closed_funnel(log, mode="strict").funnel.counts
    assert (classic >= strict).all()


@given(deal_events(), st.integers(min_value=-1, max_value=21))
def test_snapshot_plus_closed_and_frozen_is_every_started_deal(
    case: tuple[Pipeline, Records], t_day: int
) -> None:
    pipeline, records = case
    as_of = BASE_DAY + dt.timedelta(days=t_day)
    af = active_funnel(build(pipeline, records), as_of=as_of)
    assert not isinstance(af, dict)
    started = {r["deal"] for r in records if r["time"] <= as_of}  # type: ignore[operator]
    assert int(af.funnel.counts.sum()) + af.won + af.lost + af.frozen == len(started)
    # And each open deal sits at the label of its last event at or before as_of.
    hist = histories(pipeline, records, as_of, inclusive=True)
    for j, stage in enumerate(af.funnel.stages):
        expected = {d for d, ev in hist.items() if ev[-1][1] == j}
        assert {str(x) for x in stage.data} == expected


@given(deal_events(), st.none() | st.integers(min_value=-1, max_value=21))
def test_deal_states_agree_with_the_reference_and_the_active_funnel(
    case: tuple[Pipeline, Records], t_day: int | None
) -> None:
    from salesfunnel.deals.status import NOT_STARTED, deal_states

    pipeline, records = case
    log = build(pipeline, records)
    as_of = None if t_day is None else BASE_DAY + dt.timedelta(days=t_day)
    st_ = deal_states(log, None, as_of)
    hist = histories(pipeline, records, as_of, inclusive=True)
    everything = histories(pipeline, records, None, inclusive=True)
    for d, ident in enumerate(st_.ids.tolist()):
        ev = hist.get(str(ident))
        assert int(st_.label[d]) == (NOT_STARTED if ev is None else ev[-1][1])
        owner = (ev or everything[str(ident)])[-1][2]
        assert log.owners[int(st_.owner[d])] == owner
    af = active_funnel(log, as_of=as_of)
    assert not isinstance(af, dict)
    for j, stage in enumerate(af.funnel.stages):
        at_j = {str(i) for i, c in zip(st_.ids.tolist(), st_.label.tolist(), strict=True) if c == j}
        assert {str(x) for x in stage.data} == at_j
    assert af.won == int(np.count_nonzero(st_.label == pipeline.won_code))


@given(
    deal_events(),
    st.integers(min_value=-1, max_value=21),
    st.data(),
)
def test_forecast_amount_sums_the_known_amounts_or_is_undefined(
    case: tuple[Pipeline, Records], t_day: int, data: st.DataObject
) -> None:
    pipeline, records = case
    deals = sorted({str(r["deal"]) for r in records})
    # One amount per deal on every event (or none at all), so "the deal's amount"
    # does not depend on which of two simultaneous events comes last.
    amount: dict[str, int | None] = {
        d: data.draw(st.none() | st.integers(0, 1000), label=d) for d in deals
    }
    prob = data.draw(st.lists(st.sampled_from([0.0, 0.25, 0.5, 1.0]), min_size=9, max_size=9))
    probabilities = dict(zip(pipeline.stages, prob, strict=False))
    with_amounts = [{**r, "amount": amount[str(r["deal"])]} for r in records]
    log = DealLog.from_records(with_amounts, pipeline, owner="owner", amount="amount")
    as_of = BASE_DAY + dt.timedelta(days=t_day)
    fc = forecast(log, as_of=as_of, method="weighted", probabilities=probabilities)

    # Reference, one deal at a time: open deals and the known amounts among them.
    k = pipeline.n_stages
    hist = histories(pipeline, records, as_of, inclusive=True)
    open_at = {d: ev[-1][1] for d, ev in hist.items() if ev[-1][1] < k}
    known: dict[str, int] = {d: a for d in open_at if (a := amount[d]) is not None}
    per_stage_open = [sum(1 for s in open_at.values() if s == j) for j in range(k)]
    per_stage_known = [[a for d, a in known.items() if open_at[d] == j] for j in range(k)]
    assert fc.table.column("open_deals") == per_stage_open
    assert fc.table.column("amount_unknown") == [
        n - len(a) for n, a in zip(per_stage_open, per_stage_known, strict=True)
    ]
    # A stage whose open deals all lack an amount has none; an empty stage has 0.
    assert fc.table.column("amount") == [
        None if n and not a else float(sum(a))
        for n, a in zip(per_stage_open, per_stage_known, strict=True)
    ]
    assert fc.amount_unknown == len(open_at) - len(known)
    if open_at and not known:
        assert math.isnan(fc.expected_amount)
    else:
        want = sum(prob[open_at[d]] * a for d, a in known.items())
        assert math.isclose(fc.expected_amount, want, abs_tol=1e-9)


@given(deal_events(), MODES)
def test_per_owner_funnels_sum_to_the_team_funnel(
    case: tuple[Pipeline, Records], mode: str
) -> None:
    pipeline, records = case
    log = build(pipeline, records)
    team = closed_funnel(log, mode=mode)  # type: ignore[arg-type]
    per_owner = closed_funnel(log, by="owner", mode=mode)  # type: ignore[arg-type]
    assert isinstance(per_owner, dict)
    assert not isinstance(team, dict)
    total = sum(r.funnel.counts for r in per_owner.values())
    assert np.array_equal(total, team.funnel.counts)
    assert sum(r.won for r in per_owner.values()) == team.won
    assert sum(r.lost for r in per_owner.values()) == team.lost
    active_team = active_funnel(log)
    active_owner = active_funnel(log, by="owner")
    assert isinstance(active_owner, dict)
    assert not isinstance(active_team, dict)
    assert np.array_equal(
        sum(r.funnel.counts for r in active_owner.values()), active_team.funnel.counts
    )


@given(deal_events(), MODES, st.randoms(use_true_random=False))
def test_shuffling_event_rows_changes_nothing(
    case: tuple[Pipeline, Records], mode: str, rnd: random.Random
) -> None:
    pipeline, records = case
    shuffled = list(records)
    rnd.shuffle(shuffled)
    a, b = build(pipeline, records), build(pipeline, shuffled)
    ca = closed_funnel(a, mode=mode)  # type: ignore[arg-type]
    cb = closed_funnel(b, mode=mode)  # type: ignore[arg-type]
    assert ca.to_json() == cb.to_json()
    assert stage_ids(ca) == stage_ids(cb)
    as_of = BASE_DAY + dt.timedelta(days=10)
    assert active_funnel(a, as_of=as_of).to_json() == active_funnel(b, as_of=as_of).to_json()
    assert time_to_close(a).to_json() == time_to_close(b).to_json()


@given(deal_events())
def test_a_reordered_pipeline_object_gives_the_same_answers(case: tuple[Pipeline, Records]) -> None:
    pipeline, records = case
    log = build(pipeline, records)
    # An equal pipeline built separately and one that adds a frozen label both work.
    same = Pipeline(list(pipeline.stages), won="Won", lost="Lost", frozen=pipeline.frozen)
    assert closed_funnel(log, same).to_json() == closed_funnel(log).to_json()
    if pipeline.frozen is None:
        wider = Pipeline(list(pipeline.stages), won="Won", lost="Lost", frozen="Frozen")
        assert closed_funnel(log, wider).to_json() == closed_funnel(log).to_json()


def _runs_and_reference(
    runs: list[list[int]],
) -> tuple[np.ndarray, np.ndarray, list[tuple[float, float, float] | None]]:
    values = np.concatenate([np.sort(np.array(r, np.int64)) for r in runs])
    bounds = np.zeros(len(runs) + 1, np.int64)
    np.cumsum([len(r) for r in runs], out=bounds[1:])
    ref: list[tuple[float, float, float] | None] = []
    for r in runs:
        seg = np.sort(np.array(r, np.int64))
        ref.append(
            None
            if not r
            else (float(seg.sum()) / len(r), float(np.median(seg)), float(np.quantile(seg, 0.9)))
        )
    return values, bounds, ref


@given(
    st.lists(
        st.lists(st.integers(min_value=0, max_value=2**40), max_size=40), min_size=1, max_size=6
    )
)
def test_run_statistics_are_exactly_numpys(runs: list[list[int]]) -> None:
    """The all-runs-at-once mean, median and p90 equal numpy's per-run results bit for bit."""
    from salesfunnel.deals.durations import DAY, _stats_of_runs

    values, bounds, ref = _runs_and_reference(runs)
    got = _stats_of_runs(values, bounds, np.zeros(len(runs), np.int64))
    for stats, expected in zip(got, ref, strict=True):
        if expected is None:
            assert stats.count == 0
            assert np.isnan(stats.median_days)
            continue
        mean, median, p90 = expected
        assert (stats.mean_days, stats.median_days, stats.p90_days) == (
            mean / DAY,
            median / DAY,
            p90 / DAY,
        )


def test_sorted_quantile_matches_numpy_for_every_small_run_length() -> None:
    from salesfunnel.deals.durations import _sorted_quantile

    rng = np.random.default_rng(7)
    for n in range(1, 400):
        run = np.sort(rng.integers(0, 10**9, n))
        got = _sorted_quantile(run, np.array([0]), np.array([n]), 0.9)
        assert got[0] == np.quantile(run, 0.9), n


@given(deal_events(max_deals=40), st.sampled_from([2, 300]))
def test_low_byte_unpacking_matches_a_plain_sort(
    case: tuple[Pipeline, Records], owners: int
) -> None:
    """Code, owner and open-stage code read off the key's low byte (the fast path)
    equal the columns sorted by a plain stable lexsort; 300 owners force the wide path."""
    from salesfunnel.deals import engine as eng

    pipeline, records = case
    for i, r in enumerate(records):
        r["owner"] = f"o{i % owners}"  # > 32 distinct owners no longer fit the low byte
    log = build(pipeline, records)
    ev = eng.sorted_events(log, log.code)
    assert log.owner is not None
    # Ties (one deal, time and code) stay in row order: the owner never decides.
    order = np.lexsort((log.code, log._lo, log.deal))
    assert ev.code.tolist() == log.code[order].tolist()
    assert ev.owner is not None
    assert ev.owner.tolist() == log.owner[order].tolist()
    k = pipeline.n_stages
    expected_open = np.where(log.code[order] < k, log.code[order], -1)
    assert ev.open_codes(k).tolist() == expected_open.tolist()
    assert ev.last("code").tolist() == log.code[order][ev.ends].tolist()

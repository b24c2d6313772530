"""The cohort funnel's scatter path (no sort) gives exactly what the sorted path gives.

:mod:`salesfunnel.deals.cohortscatter` reads each deal's facts with
``np.minimum.at`` / ``np.maximum.at`` over the deal codes; the sorted path of
:mod:`salesfunnel.deals.cohort` reads them off events sorted by (deal, time,
code). Both run here on random logs with ties at equal times, owners changing
within a deal, deals won twice, events after a win, lost then reopened,
frozen, unknown and huge amounts, sparse and dense integer ids and text ids,
periods and snapshots (before everything, in the middle, after everything),
and every per-deal array and every result must be equal.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import random
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from hypothesis import example, given, strategies as st

from salesfunnel import DealLog, Pipeline, cohort_funnel
from salesfunnel.deals import closed, cohort, cohorthalves, cohortscatter, engine as eng
from salesfunnel.deals.cohorthalves import Halves
from salesfunnel.deals.cohortscatter import CohortDeals, cohort_deals
from salesfunnel.deals.idlookup import ids_at
from salesfunnel.deals.shared import latest_time, parse_instant, period

from strategies import BASE_DAY, pipelines

AMOUNTS = [None, math.nan, 0.0, 1.0, 2.5, 1e308]


@st.composite
def logs(draw: st.DrawFn) -> tuple[Pipeline, DealLog, str]:
    """A log of 1..8 deals (one row included), ids of one of three kinds."""
    pipeline = draw(pipelines(max_stages=5))
    labels = pipeline.labels
    # Outcomes drawn often: wins twice, events after a win, lost then reopened.
    weights = st.sampled_from([*labels, pipeline.won, pipeline.lost])
    ids = draw(st.sampled_from(["str", "dense", "sparse"]))
    n_deals = draw(st.integers(min_value=1, max_value=8))
    records = []
    for d in range(n_deals):
        deal: object = {"str": f"d{d}", "dense": d, "sparse": d * 1000 + 5}[ids]
        for _ in range(draw(st.integers(min_value=1, max_value=6))):
            records.append(
                {
                    "deal": deal,
                    "stage": draw(weights),
                    "time": BASE_DAY + dt.timedelta(days=draw(st.integers(0, 9))),
                    "owner": draw(st.sampled_from(["ann", "bob", "cy"])),
                    "amount": draw(st.sampled_from(AMOUNTS)),
                }
            )
    records = draw(st.permutations(records))
    with_amount = draw(st.booleans())
    if not with_amount:
        for r in records:
            del r["amount"]
    log = DealLog.from_records(
        records, pipeline, owner="owner", amount="amount" if with_amount else None
    )
    return pipeline, log, ids


def _day(d: int | None) -> dt.datetime | None:
    return None if d is None else BASE_DAY + dt.timedelta(days=d)


WINDOWS = st.tuples(
    st.sampled_from([None, 0, 3, 6]),
    st.sampled_from([None, 4, 8, 20]),
    st.sampled_from([None, -5, 2, 5, 9, 30]),
)


def _ids(deals: CohortDeals) -> list[object]:
    """The deals' ids, looked up if held as codes (:class:`CodedIds`) or made if held
    as a :class:`Later`."""
    return ids_at(deals.ids, None).tolist()


def _assert_same_deals(fast: CohortDeals, slow: CohortDeals) -> None:
    if fast.ids_in_order:  # made in the stage sets' order (the positions every stage shares)
        assert fast.sets is not None
        slow_ids = _ids(slow)
        assert _ids(fast) == [slow_ids[i] for i in fast.sets[1][0][0].tolist()]
    else:
        assert _ids(fast) == _ids(slow)
    if slow.amounts is None:
        assert fast.amounts is None
    else:
        assert fast.amounts is not None
        assert np.array_equal(fast.amounts, slow.amounts, equal_nan=True)
    assert fast.group.tolist() == slow.group.tolist()
    assert slow.reach is not None
    assert fast.reach is not None
    assert fast.reach.tolist() == slow.reach.tolist()
    assert fast.times == slow.times
    assert fast.kind.tolist() == slow.kind.tolist()
    assert fast.known.tolist() == slow.known.tolist()
    known = slow.known
    assert fast.seconds[known].tolist() == slow.seconds[known].tolist()
    assert fast.state.tolist() == slow.state.tolist()
    assert fast.unknown.tolist() == slow.unknown.tolist()


@given(
    logs(),
    WINDOWS,
    st.booleans(),
    st.booleans(),
    st.sampled_from([1, 2, 3, 1 << 18]),
    st.sampled_from([1, 2, 1 << 8]),
    st.booleans(),
    st.booleans(),
)
def test_scatter_per_deal_arrays_equal_the_sorted_paths(
    case: tuple[Pipeline, DealLog, str],
    window: tuple[int | None, int | None, int | None],
    by_owner: bool,
    other_pipeline: bool,
    chunk: int,
    few_groups: int,
    threaded: bool,
    owner_in_key: bool,
) -> None:
    """Every per-deal fact of the cohort (ids, amounts, owner, reach, times to each
    stage, time to won and its kind, state) is the sorted path's, with or without a
    period and a snapshot, by owner or not, in the log's pipeline or a reordered one,
    the events scattered in one chunk or in chunks of 1 to 3, the stage times in
    runs per owner (few owners) or by one sort (``_FEW_GROUPS`` lowered), on one
    thread or with half the stages on a second (``_STAGES_THREADED`` lowered), the
    scatter's chunks in pairs (``_THREADED`` lowered) and the
    per-deal steps in two halves at once (``_HALVES`` lowered), the owner packed
    in the last-event key or read off its row (``_OWNER_IN_KEY``)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cohortscatter, "_CHUNK", chunk)
        mp.setattr(cohortscatter, "_FEW_GROUPS", few_groups)
        mp.setattr(cohortscatter, "_STAGE_WORKERS", 2 if threaded else 1)
        mp.setattr(cohortscatter, "_THREADED", 0 if threaded else 1 << 20)
        mp.setattr(cohortscatter, "_STAGES_THREADED", 0 if threaded else 1 << 18)
        mp.setattr(cohortscatter, "_HALVES", 0 if threaded else 1 << 18)
        mp.setattr(cohortscatter, "_OWNER_IN_KEY", owner_in_key)
        _compare_deals(case, window, by_owner, other_pipeline)


def _compare_deals(
    case: tuple[Pipeline, DealLog, str],
    window: tuple[int | None, int | None, int | None],
    by_owner: bool,
    other_pipeline: bool,
) -> None:
    pipeline, log, _ = case
    if other_pipeline:  # the same labels, stages in reverse: codes re-expressed
        pipeline = Pipeline(
            pipeline.stages[::-1], won=pipeline.won, lost=pipeline.lost, frozen=pipeline.frozen
        )
    pipe, codes = eng.label_codes(log, pipeline)
    a, b = window[0], window[1]
    if a is not None and b is not None and b < a:
        a, b = b, a
    s, e = period(_day(a), _day(b))
    t = parse_instant(_day(window[2]), "as_of")
    t_cens = t if t is not None else latest_time(log)
    n_groups = len(log.owners) if by_owner else 1
    by = "owner" if by_owner else None
    fast = cohort_deals(log, pipe, codes, (s, e), t, t_cens, by_owner, n_groups)
    slow = cohort._sorted_deals(log, pipe, "cumulative", by, n_groups, codes, ((s, e), t, t_cens))
    if fast is None:  # taken only when no event falls by as_of
        assert t is not None
        assert not (log.order_bounds[0] <= t).any()
        assert len(slow.ids) == 0
        return
    _assert_same_deals(fast, slow)
    # The stage sets handed on with the deals are those the caller would compute.
    assert fast.sets is not None
    assert fast.reach is not None
    counts, runs = closed._stage_sets(fast.group, n_groups, pipe.n_stages + 1, fast.reach, None)
    assert fast.sets[0].tolist() == counts.tolist()
    for (got_pos, got_begin), (pos, begin) in zip(fast.sets[1], runs, strict=True):
        assert (got_pos.tolist(), got_begin.tolist()) == (pos.tolist(), begin.tolist())


@given(logs(), WINDOWS, st.booleans(), st.booleans())
def test_scatter_results_equal_the_sorted_paths(
    case: tuple[Pipeline, DealLog, str],
    window: tuple[int | None, int | None, int | None],
    by_owner: bool,
    threaded: bool,
) -> None:
    """The whole results (JSON, per-stage ids, curves) through the public call, the
    curves built on threads behind the funnels or not (``cohort._THREADED`` lowered)."""
    _, log, _ = case
    start, end, as_of = (_day(d) for d in window)
    if start is not None and end is not None and end < start:
        start, end = end, start
    options: dict[str, object] = {"start": start, "end": end, "as_of": as_of}
    options["by"] = "owner" if by_owner else None
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cohort, "WORKERS", 2)
        mp.setattr(cohort, "_THREADED", 0 if threaded else 1 << 20)
        fast = cohort_funnel(log, **options)  # type: ignore[call-overload]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cohort, "_SCATTER", False)
        slow = cohort_funnel(log, **options)  # type: ignore[call-overload]
    if not by_owner:
        fast, slow = {"": fast}, {"": slow}
    assert list(fast) == list(slow)
    for k, v in fast.items():
        w = slow[k]
        assert v.to_json() == w.to_json()
        assert v.time_to_reach == w.time_to_reach
        assert v.time_to_won.to_json() == w.time_to_won.to_json()
        for a, b in zip(v.funnel.stages, w.funnel.stages, strict=True):
            assert a.data.tolist() == b.data.tolist()
            assert a.amount == b.amount


def test_a_worked_example_through_the_scatter_path() -> None:
    """By hand: A (owner x, then y at a tie on day 3, a later row) jumps to S1 on day 2,
    wins on day 3, wins again and is lost after; B enters on day 1, is lost on day 2 and
    reopened at S0 on day 4; C enters on day 5, after the snapshot."""
    p = Pipeline(["S0", "S1"], won="W", lost="L")
    rows = [
        ("A", "S0", 0, "x"), ("B", "S0", 1, "x"), ("A", "S1", 2, "x"), ("B", "L", 2, "x"),
        ("A", "W", 3, "x"), ("A", "L", 3, "y"), ("A", "S0", 3, "y"), ("A", "W", 4, "x"),
        ("B", "S0", 4, "y"), ("C", "S0", 5, "x"),
    ]  # fmt: skip
    log = DealLog.from_records(
        [{"deal": d, "stage": s, "time": _day(t), "owner": o} for d, s, t, o in rows],
        p,
        owner="owner",
    )
    pipe, codes = eng.label_codes(log, None)
    t = parse_instant(_day(4), "as_of")
    got = cohort_deals(log, pipe, codes, (None, None), t, t, True, 2)
    assert got is not None
    assert _ids(got) == ["A", "B"]
    # A's last event by (time, code, row): day 4 W (owner x); B's: day 4 S0 (owner y).
    assert got.group.tolist() == [0, 1]
    assert got.reach.tolist() == [2, 0]  # A won (reached S0, S1, W); B only S0
    assert got.state.tolist() == [2, 0]  # won; B reopened at S0
    assert got.kind.tolist() == [1, 0]  # B is open again: censored at as_of
    assert (got.seconds // 86_400).tolist() == [3, 3]
    s1 = got.times[1]  # S1: A on day 2, by owner x
    assert (s1[0].count, s1[0].median_days, s1[1].count) == (1, 2.0, 0)


def test_undated_events_take_the_sorted_path() -> None:
    """A wide-form log with a blank date is left to the sorted path (``None``)."""
    p = Pipeline(["S0", "S1"], won="W", lost="L")
    rows = [{"id": "a", "t0": "2024-01-01", "t1": "", "status": "S1"}]
    log = DealLog.from_wide(
        rows, p, deal="id", stage_dates={"S0": "t0", "S1": "t1"}, outcome="status"
    )
    pipe, codes = eng.label_codes(log, None)
    assert log.has_undated
    assert cohort_deals(log, pipe, codes, (None, None), None, None, False, 1) is None


@given(
    st.sets(st.integers(0, 3000), min_size=1, max_size=40) | st.sets(st.integers(0, 200)),
    st.sampled_from([2, 5]),
    st.sampled_from([0, 1, 15, 16, 17, 31, 32, 33, 65_535]),
    st.sampled_from([1, 3, 1 << 18]),
    st.randoms(use_true_random=False),
    st.booleans(),
    st.sampled_from([1, 4, 40]),
)
@example(set(range(100)), 2, 0, 1 << 18, random.Random(0), False, 1)  # 16 codes in every word
@example(set(range(100)), 5, 1, 3, random.Random(0), True, 1)  # two threads, small chunks
@example({0, 3, 6}, 3, 0, 1, random.Random(0), False, 40)  # 3 of 19 codes, 121 events
@example({0, 1, 2, 4}, 2, 0, 1, random.Random(0), False, 40)  # 4 of 9 codes: renumbered
@example({0, 1, 2, 3}, 3, 0, 1, random.Random(0), False, 40)  # 4 of 10: not renumbered
def test_rank_of_sparse_codes_is_their_place_among_the_present_codes(
    present: set[int], step: int, shift: int, chunk: int, rnd: object, threaded: bool, repeat: int
) -> None:
    """The bit-set renumbering gives each deal code its place among the codes that
    occur (a plain sorted-list reference): codes at every bit of a 32-bit word,
    many in one word, across words, the first and the last code, one deal,
    repeated events, chunks, on one thread or two (``_THREADED`` lowered). With
    fewer codes than events (``repeat``), the codes are renumbered when the
    tables outgrow the cache (``_CACHED`` lowered to 0) and at most half of them
    occur, and kept otherwise."""
    codes = sorted(present)
    deal_ids = [c * step + shift for c in codes]  # sparse: more codes than events
    events = deal_ids * repeat + deal_ids[: len(deal_ids) // 2]
    rnd.shuffle(events)  # type: ignore[attr-defined]
    cols = {
        "deal": np.array(events, dtype=np.int64),
        "stage": np.zeros(len(events), dtype=np.int64),
        "time": np.full(len(events), "2024-01-01", dtype="datetime64[s]"),
    }
    log = DealLog.from_columns(cols, Pipeline(["S0"], won="W", lost="L"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cohortscatter, "_CHUNK", chunk)
        mp.setattr(cohortscatter, "_STAGE_WORKERS", 2 if threaded else 1)
        mp.setattr(cohortscatter, "_THREADED", 0 if threaded else 1 << 20)
        mp.setattr(cohortscatter, "_CACHED", 0)
        rank, n_deals, old = cohortscatter._rank(log, 40)
    if log.codes_held:  # coded densely at load (no deals, or ids kept in a table)
        assert rank is None
        assert n_deals == log.deal_bound == len(codes)
        return
    code_range = max(deal_ids) - min(deal_ids) + 1
    assert log.deal_bound == code_range
    if code_range <= len(log) and 2 * len(codes) > code_range:  # dense enough: kept
        assert rank is None
        assert n_deals == code_range
        return
    assert rank is not None
    assert old is not None
    assert n_deals == len(codes)
    code = np.array(events, dtype=np.intp) - log.deal_offset
    want = [sorted(set(code.tolist())).index(c) for c in code.tolist()]
    assert rank.of(code).tolist() == want
    assert (old + log.deal_offset).tolist() == sorted(set(events))


@pytest.mark.parametrize("chunk", [1, 2, 5, 64])
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("step", [13, 3, 1])
@pytest.mark.parametrize("by_time", [False, True])
def test_codes_in_pairs_of_chunks_equal_the_sorted_paths(
    chunk: int, seed: int, step: int, by_time: bool
) -> None:
    """Sparse (renumbered: more codes than events with ``step`` 13; with 3, fewer,
    renumbered as the tables outgrow a ``_CACHED`` lowered to 0) or dense
    integer ids on two threads (``_THREADED``
    lowered): each pair of chunks has its inputs (deal codes, slot indices, keys, the
    keys of known amounts) taken half here and half on the other thread, and
    scatters to the sorted path's per-deal facts, with a snapshot that sinks the
    later events, rows in random order or sorted by time. Every pair mixes deals,
    so inputs put in the wrong place show."""
    rng = np.random.default_rng(seed)
    n_deals, n = 40, 300
    deal = rng.integers(0, n_deals, n) * step + 1000  # sparse: 13 codes per deal
    p = Pipeline(["S0", "S1", "S2"], won="W", lost="L")
    amount = rng.integers(0, 5, n).astype(np.float64)
    amount[rng.random(n) < 0.3] = np.nan
    time = np.datetime64("2024-01-01", "s") + rng.integers(0, 90, n) * 86_400
    order = np.argsort(time, kind="stable") if by_time else np.arange(n)
    cols = {
        "deal": deal[order],
        "stage": rng.integers(0, len(p.labels), n)[order],
        "time": time[order],
        "owner": np.array(["ann", "bob", "cy"])[rng.integers(0, 3, n)][order],
        "amount": amount[order],
    }
    log = DealLog.from_columns(cols, p, owner="owner", amount="amount")
    assert (log.deal_bound > len(log)) == (step > 3)  # more codes than events
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cohortscatter, "_CACHED", 0)
        assert (cohortscatter._rank(log, 8)[0] is None) == (step == 1)
        mp.setattr(cohortscatter, "_CHUNK", chunk)
        mp.setattr(cohortscatter, "_STAGE_WORKERS", 2)
        mp.setattr(cohortscatter, "_THREADED", 0)
        mp.setattr(cohortscatter, "_HALVES", 0)
        for as_of in (None, 60):
            _compare_deals((p, log, "sparse"), (None, None, as_of), True, False)


@pytest.mark.parametrize("threaded", [False, True])
def test_a_span_of_centuries_scatters_64_bit_times(threaded: bool) -> None:
    """Times over 136 years apart do not fit the 32-bit per-slot table: the scatter
    keeps 64-bit times (a copy of each chunk's times, whose keys are then packed in
    place), one chunk at a time or in pairs, and equals the sorted path."""
    rng = np.random.default_rng(5)
    n = 120
    p = Pipeline(["S0", "S1", "S2"], won="W", lost="L")
    years = rng.choice(np.array([1850, 1990, 2030]), n).astype(str)
    time = years.astype("datetime64[s]") + rng.integers(0, 90, n) * 86_400
    cols = {
        "deal": rng.integers(0, 30, n) * 7 + 100,
        "stage": rng.integers(0, len(p.labels), n),
        "time": time,
        "owner": np.array(["ann", "bob"])[rng.integers(0, 2, n)],
    }
    log = DealLog.from_columns(cols, p, owner="owner")
    span = int(log.order_bounds[0].max() - log.order_bounds[0].min())
    assert span > np.iinfo(np.uint32).max
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cohortscatter, "_CHUNK", 4)
        mp.setattr(cohortscatter, "_STAGE_WORKERS", 2 if threaded else 1)
        mp.setattr(cohortscatter, "_THREADED", 0 if threaded else 1 << 20)
        mp.setattr(cohortscatter, "_HALVES", 0 if threaded else 1 << 18)
        for as_of in (None, 20):
            _compare_deals((p, log, "sparse"), (None, None, as_of), True, False)


def test_curves_built_behind_the_funnels_keep_their_owners() -> None:
    """By hand, the curves on threads behind the funnels (``cohort._THREADED``
    lowered): x's deal won on day 3; of y's, one lost on day 4, one won on day 7."""
    p = Pipeline(["S0"], won="W", lost="L")
    rows = [
        ("A", "S0", 0, "x"), ("A", "W", 3, "x"), ("B", "S0", 1, "y"),
        ("B", "L", 5, "y"), ("C", "S0", 2, "y"), ("C", "W", 9, "y"),
    ]  # fmt: skip
    log = DealLog.from_records(
        [{"deal": d, "stage": s, "time": _day(t), "owner": o} for d, s, t, o in rows],
        p,
        owner="owner",
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cohort, "WORKERS", 2)
        mp.setattr(cohort, "_THREADED", 0)
        got = cohort_funnel(log, by="owner")
    assert {k: v.time_to_won.median for k, v in got.items()} == {"x": 3.0, "y": 7.0}
    assert {k: v.censored for k, v in got.items()} == {"x": 0, "y": 0}


@given(
    st.lists(st.tuples(st.integers(0, 4), st.integers(-1, 3)), max_size=60),
    st.sampled_from([1, 5, 600]),
    st.booleans(),
)
def test_stage_sets_sorted_by_halves_are_the_one_sorts(
    deals: list[tuple[int, int]], n_groups: int, threaded: bool
) -> None:
    """Each half of the deals sorted on its own thread and put together key by key:
    the counts and the one order of ``closed._stage_sets`` (a stable sort of the
    whole), for no deal, one, odd and even numbers, empty groups, and more keys
    than are merged (600 groups: the one sort itself)."""
    group = np.array([min(g, n_groups - 1) for g, _ in deals], dtype=np.int32)
    reach = np.array([r for _, r in deals], dtype=np.int16)
    k1 = 4
    with ThreadPoolExecutor(1) if threaded else contextlib.nullcontext() as pool:
        counts, runs = cohorthalves.sets_by_halves(group, n_groups, k1, reach, Halves(pool))
    want_counts, want_runs = closed._stage_sets(group, n_groups, k1, reach, None)
    assert counts.tolist() == want_counts.tolist()
    assert len(runs) == len(want_runs) == k1
    for (pos, begin), (want_pos, want_begin) in zip(runs, want_runs, strict=True):
        assert (pos.tolist(), begin.tolist()) == (want_pos.tolist(), want_begin.tolist())


def test_two_threads_from_2_18_events_only_when_the_tables_miss_the_cache() -> None:
    """The scatter and the marking take a second thread from 2**20 events, or from
    2**18 when their tables outgrow ``_CACHED`` (in cache, a thread costs more than it
    saves there); never with one worker."""
    big, small = cohortscatter._CACHED + 1, cohortscatter._CACHED
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cohortscatter, "_STAGE_WORKERS", 2)
        two = cohortscatter._two_threads
        assert two(1 << 20, 0)
        assert two(1 << 18, big)
        assert not two(1 << 18, small)
        assert not two((1 << 18) - 1, big)
        mp.setattr(cohortscatter, "_STAGE_WORKERS", 1)
        assert not two(1 << 20, big)

"""Time to won with only the won and lost deals sorted gives the curves of the full sort.

:func:`salesfunnel.deals.survival.split_incidence` sorts the events (won, lost)
of each group and puts each censored deal in its row by a search;
:func:`salesfunnel.deals.survival.incidence_of_parts` builds the curve from the
two parts. Both are compared here, array for array and bit for bit, with the
general path (one sort of every deal, :func:`incidence_of_valid` of the
sorted whole) on random inputs: ties, zeros, no events, no censorings, one
deal, nothing at all, spans that need a 64-bit key, and many groups.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import example, given, strategies as st

from salesfunnel.deals import cohort, durations, survival
from salesfunnel.deals.durations import run_stats
from salesfunnel.deals.survival import (
    SurvivalCurve,
    incidence_of_parts,
    incidence_of_seconds,
    incidence_of_valid,
)

DAY = 86_400.0
FIELDS = ("time", "at_risk", "events", "competing", "censored", "survival", "std_error")


def _assert_same_curve(got: SurvivalCurve, want: SurvivalCurve) -> None:
    for name in FIELDS:
        a, b = getattr(got, name), getattr(want, name)
        assert a.dtype == b.dtype, name
        assert np.array_equal(a, b, equal_nan=True), name
    assert (got.n, got.unknown_time, got.method) == (want.n, want.unknown_time, want.method)
    assert got.median == want.median or (math.isnan(got.median) and math.isnan(want.median))
    assert got.to_json() == want.to_json()


def _assert_equals_sorted_path(found, group, secs, kind, known, n_groups) -> None:  # type: ignore[no-untyped-def]
    """``found`` (curves, censored) equals ``_time_to_won`` without the split sort."""
    got, got_cens = found
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cohort, "_SPLIT_SORT", False)
        want, want_cens = cohort._time_to_won(group, secs.copy(), kind, known, n_groups)
    assert got_cens.tolist() == want_cens.tolist()
    assert len(got) == len(want) == n_groups
    for a, b in zip(got, want, strict=True):
        _assert_same_curve(a, b)


# Small ranges make ties and flats at one half; the huge values need more than 32 bits.
seconds = st.one_of(
    st.integers(0, 6), st.integers(0, 6).map(lambda d: d * 86_400), st.integers(0, 2**40)
)
subjects = st.lists(st.tuples(seconds, st.sampled_from([0, 1, 2])), max_size=40)


@given(subjects, st.randoms(use_true_random=False))
def test_incidence_of_parts_is_incidence_of_the_sorted_whole(
    rows: list[tuple[int, int]], rnd: object
) -> None:
    """Hits sorted by time (ties in a random order of kind), censorings in any order."""
    rows = sorted(rows)
    t = np.array([s for s, _ in rows], dtype=np.float64) / DAY
    kind = np.array([k for _, k in rows], dtype=np.int64)
    want = incidence_of_valid(t, kind)
    hits = [(s, k) for s, k in rows if k]
    rnd.shuffle(hits)  # type: ignore[attr-defined]
    hits.sort(key=lambda r: r[0])  # sorted by time only: ties keep a random order of kinds
    cens = [s for s, k in rows if not k]
    rnd.shuffle(cens)  # type: ignore[attr-defined]
    got = incidence_of_parts(
        np.array([s for s, _ in hits], dtype=np.float64) / DAY,
        np.array([k for _, k in hits], dtype=np.int64),
        np.array(cens, dtype=np.float64) / DAY,
    )
    _assert_same_curve(got, want)


@st.composite
def cohorts(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    n_groups = draw(st.sampled_from([1, 2, 3, 300]))
    rows = draw(
        st.lists(
            st.tuples(
                st.integers(0, n_groups - 1), seconds, st.sampled_from([0, 1, 2]), st.booleans()
            ),
            max_size=50,
        )
    )
    group = np.array([r[0] for r in rows], dtype=np.int32)
    secs = np.array([r[1] for r in rows], dtype=np.int64)
    kind = np.array([r[2] for r in rows], dtype=np.int8)
    known = np.array([r[3] or draw(st.booleans()) for r in rows], dtype=bool)
    return group, secs, kind, known, n_groups


@given(cohorts(), st.sampled_from([1, 2, 3]))
def test_split_time_to_won_equals_the_full_sort(
    case: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int], workers: int
) -> None:
    """Per group the same curves and censored counts, with 32- and 64-bit keys, the
    groups' curves built in one thread or in two or three."""
    group, secs, kind, known, n_groups = case
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cohort, "WORKERS", workers)
        mp.setattr(cohort, "_THREADED", 0)
        got, got_cens = cohort._time_to_won(group, secs.copy(), kind, known, n_groups)
    _assert_equals_sorted_path((got, got_cens), group, secs, kind, known, n_groups)


def test_a_worked_example_of_the_split() -> None:
    """By hand: won at 1 and 3 days, lost at 2, censored at 0, 2 and 4 days (six deals).

    Rows at 0, 1, 2, 3; at risk 6, 5, 4, 2 (the censoring at 2 is still at risk at 2);
    the censorings at 0, 2, 4 fall in rows 0, 2 and 3."""
    got = incidence_of_parts(
        np.array([1.0, 2.0, 3.0]), np.array([1, 2, 1]), np.array([4.0, 0.0, 2.0])
    )
    assert got.time.tolist() == [0.0, 1.0, 2.0, 3.0]
    assert got.at_risk.tolist() == [6, 5, 4, 2]
    assert (got.events.tolist(), got.competing.tolist()) == ([0, 1, 0, 1], [0, 0, 1, 0])
    assert got.censored.tolist() == [1, 0, 1, 1]
    # CIF: 1/5 at day 1 of those at risk then S(2-) = 4/5, S(3-) = 4/5 * 3/4 = 3/5: +3/5 * 1/2.
    assert (1 - got.survival).round(12).tolist() == [0.0, 0.2, 0.2, 0.5]
    assert got.median == 3.5  # flat at exactly 1/2 from 3 to the largest duration, 4


@example([2**32 - 1, 2**32 - 1], [])
@given(
    st.lists(st.one_of(st.integers(0, 9), st.integers(2**31, 2**32 - 1)), max_size=30),
    st.lists(st.integers(0, 30), max_size=4),
)
def test_run_stats_of_32_bit_times_are_those_of_64_bit_times(
    values: list[int], cuts: list[int]
) -> None:
    """The scatter path hands times to first reach over in 32 bits; the sums must not wrap
    (a few values near 2**32 add up past it) and every statistic must be the int64 one's."""
    n = len(values)
    bounds = np.array(sorted({0, n, *(min(c, n) for c in cuts)}), dtype=np.int64)
    unknown = np.zeros(bounds.size - 1, dtype=np.int64)
    wide = np.array(values, dtype=np.int64)
    got = run_stats(wide.astype(np.uint32), bounds, unknown)
    want = run_stats(wide.copy(), bounds, unknown)
    assert got == want
    for stats, a, b in zip(got, bounds[:-1], bounds[1:], strict=True):
        if b > a:
            assert stats.mean_days == float(sum(values[a:b])) / (b - a) / 86_400


@given(
    st.lists(st.one_of(st.integers(0, 9), st.integers(2**31, 2**32 - 1)), max_size=30),
    st.lists(st.integers(0, 30), max_size=5),
    st.sampled_from([0, 1, 256]),
)
def test_run_sums_run_by_run_or_at_once_are_the_plain_sums(
    values: list[int], cuts: list[int], sum_runs: int
) -> None:
    """32-bit times summed run by run (no whole 64-bit copy) or by one ``reduceat``
    (``_SUM_RUNS`` lowered): every mean is the plain Python sum over the run's length,
    with empty runs, one value, and sums past 2**32."""
    n = len(values)
    bounds = np.array(sorted({0, n, *(min(c, n) for c in cuts)}), dtype=np.int64)
    unknown = np.zeros(bounds.size - 1, dtype=np.int64)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(durations, "_SUM_RUNS", sum_runs)
        got = run_stats(np.array(values, dtype=np.uint32), bounds, unknown)
    for stats, a, b in zip(got, bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        assert stats.count == b - a
        if b > a:
            assert stats.mean_days == float(sum(values[a:b])) / (b - a) / 86_400


@given(cohorts(), st.sampled_from([1, 2, 3]), st.randoms(use_true_random=False))
def test_curves_of_deals_already_in_group_order_equal_the_full_sort(
    case: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int], workers: int, rnd: object
) -> None:
    """Handed the deals in group order (any order within a group, as the cohort
    funnel's stage sets give them), each group's run is split and sorted on its own:
    the same curves and censored counts, on one to three threads, empty groups included."""
    group, secs, kind, _, n_groups = case
    known = np.ones(group.size, dtype=bool)
    shuffled = list(range(group.size))
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    perm = np.array(shuffled, dtype=np.int64)
    order = perm[np.argsort(group[perm], kind="stable")]
    begin = np.searchsorted(group[order], np.arange(n_groups)).astype(np.int64)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cohort, "WORKERS", workers)
        mp.setattr(cohort, "_THREADED", 0)
        got, got_cens = cohort._time_to_won(
            group, secs.copy(), kind, known, n_groups, (order, begin)
        )
    _assert_equals_sorted_path((got, got_cens), group, secs, kind, known, n_groups)


# Whole seconds as the cohort funnel hands them over: up to the 32-bit limit.
whole = st.one_of(
    st.integers(0, 6),
    st.integers(0, 6).map(lambda d: d * 86_400),
    st.integers(2**32 - 3, 2**32 - 1),
    st.integers(0, 2**32 - 1),
)


@example([(0, 1), (0, 0)])  # a hit and a censoring at 0
@example([(5, 0), (3, 1)])  # a censoring after the last hit: in the last row
@example([(2**32 - 1, 2), (2**32 - 2, 0), (2**32 - 1, 0)])  # at the 32-bit limit
@given(st.lists(st.tuples(whole, st.sampled_from([0, 1, 2])), max_size=40))
def test_incidence_of_seconds_is_incidence_of_parts_in_days(rows: list[tuple[int, int]]) -> None:
    """Rows found on the integer seconds (censorings past the last row time not
    searched) give the curve of the seconds divided into days, bit for bit: ties,
    zeros, nothing censored, no event, nothing at all, values at 2**32 - 1."""
    hits = sorted((s, k) for s, k in rows if k)
    cens = [s for s, k in rows if not k]
    secs = np.array([s for s, _ in hits], dtype=np.uint32)
    kinds = np.array([k for _, k in hits], dtype=np.uint32)
    got = incidence_of_seconds(secs, kinds, np.array(cens, dtype=np.int64))
    want = incidence_of_parts(secs / DAY, kinds, np.array(cens, dtype=np.int64) / DAY)
    _assert_same_curve(got, want)
    with pytest.MonkeyPatch.context() as mp:  # the arithmetic in place, and with ``where``
        mp.setattr(survival, "_IN_PLACE", False)
        plain = incidence_of_parts(secs / DAY, kinds, np.array(cens, dtype=np.int64) / DAY)
    _assert_same_curve(got, plain)

"""The cohort funnel: the deals that entered in a period, by the furthest stage reached so far.

Counting rules (the shared rules are in :mod:`salesfunnel.deals.shared`):

* **Cohort**: a deal belongs to the period ``start <= t < end`` that holds its
  *entry*, the time of its first event. Only events at or before ``as_of``
  are looked at, so a deal that enters after ``as_of`` is in no cohort yet.
* **Reaching a stage** is decided as in :func:`~salesfunnel.closed_funnel`
  (``mode``), over every deal of the cohort, open ones included, with one
  difference: **the first win counts**. Events after a deal's first win are
  ignored, so a won deal stays won (and keeps its stages) whatever happens
  later. Lost and frozen deals count by the stages they reached before.
* **Time to first reach** a stage runs from the deal's entry to the first
  event that makes it reach the stage (cumulatively, a stage skipped on the
  way is reached by the event that jumps past it). Only deals that reached
  the stage have one.
* **Time to won with censoring**: an open or frozen deal is censored at
  ``as_of`` (default: the latest dated event of the log) minus its entry; a
  lost deal is a competing outcome at its loss, not a censoring (see
  :func:`~salesfunnel.time_to_close`).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from typing import Any, TypeVar, overload

import numpy as np
import numpy.typing as npt

from .._arrays import CORES
from . import engine as eng
from .closed import _funnels, _stage_sets, amount_unknown
from .cohortresult import CohortFunnel
from .cohortscatter import CohortDeals, cohort_deals
from .durations import DurationStats, group_stats, run_stats
from .groups import GroupBy, grouping
from .log import DealLog
from .perdeal import ids_and_amounts
from .pipeline import Pipeline
from .shared import (
    DAY,
    I64,
    B,
    By,
    Instant,
    Mode,
    bincount,
    check_mode,
    group_names,
    iso,
    keyword_options,
    latest_time,
    left_out_counts,
    parse_instant,
    period,
    segments,
)
from .survival import SurvivalCurve, incidence_of_valid, split_incidence

__all__ = ["CohortFunnel", "cohort_funnel"]

_NONE = np.iinfo(np.int64).max  # "no such event" in a per-deal position or time
_MIN = np.iinfo(np.int64).min
Index = I64 | slice  # cohort deals: positions, or a slice when they are all the deals
_WHOLE_AS_SLICE = True  # the fast path (tests turn it off to compare)
_CUMULATIVE_AT_ONCE = True  # the fast path of cumulative mode (tests turn it off to compare)
_SCATTER = True  # cumulative mode without sorting, where it applies (tests turn it off to compare)
_SPLIT_SORT = True  # time to won sorting only the won and lost deals (tests turn it off)
# Threads for the per-group curves of time to won (1: none); the curves are the same.
WORKERS = min(CORES, 4)
_THREADED = 1 << 18  # deals from which the curves are worth threads (fewer: tiny runs)
_BEHIND = True  # the curves built behind the funnels, from _THREADED deals on (tests)
Groups = npt.NDArray[np.int32] | I64  # per cohort deal, its result group


def _entered(ev: eng.Events, s: int | None, e: int | None) -> tuple[B, B]:
    """Per deal: surely entered in ``[s, e)``, and maybe (an undated entry straddles a bound)."""
    entry = ev.first("lo")
    n = len(ev.starts)
    if s is None and e is None:
        return np.ones(n, dtype=bool), np.zeros(n, dtype=bool)
    if ev.all_known:
        lower = upper = entry
    else:
        # An undated entry lies between its ordering bound (``lo``) and the
        # deal's first dated event, which comes no earlier.
        lower = entry
        dated = np.where(ev.known, ev.lo, _NONE)
        upper = np.minimum.reduceat(dated, ev.starts)
    sure = np.ones(n, dtype=bool)
    out = np.zeros(n, dtype=bool)
    if s is not None:
        sure &= lower >= s
        out |= upper < s
    if e is not None:
        sure &= upper < e
        out |= lower >= e
    return sure, ~sure & ~out


def _first_reach(ev: eng.Events, pipe: Pipeline, mode: str, first_win: I64) -> Iterator[I64]:
    """Per funnel stage (open stages, then won), each deal's first-reach event position.

    ``_NONE`` where the deal did not reach the stage. Events after a deal's
    first win are ignored. One ``reduceat`` pass over the events per stage
    (cumulative mode: see :func:`_first_reach_cumulative`).
    """
    k = pipe.n_stages
    code = ev.code
    out: list[I64] = []
    if mode == "cumulative":
        yield from _first_reach_cumulative(ev, pipe)
        yield first_win
        return
    deal = ev.group()
    pos = np.arange(len(code), dtype=np.int64)
    before_win = pos <= first_win[deal]
    prev = np.full(len(ev.starts), -1, dtype=np.int64)
    for j in range(k):
        cand = (code == j) & before_win
        if mode == "strict":
            cand &= pos > prev[deal]  # after the chain's previous link
        first = np.minimum.reduceat(np.where(cand, pos, _NONE), ev.starts)
        out.append(first)
        prev = first
    won = first_win
    if mode == "strict":
        won = np.where(first_win > prev, first_win, _NONE)  # prev = _NONE: chain broken
    out.append(won)
    yield from out


def _first_reach_cumulative(ev: eng.Events, pipe: Pipeline) -> Iterator[I64]:
    """Per open stage j, each deal's first event of stage j or beyond or won (``_NONE`` if none).

    Lost and frozen reach nothing; the first win reaches every stage. The
    first reach of stage j is the event where the deal's reach so far
    (:func:`~salesfunnel.deals.engine.reach_so_far`) passes j. One stage at a
    time: a per-deal array each, so the caller holds one at once.
    """
    group = ev.group()
    now, before = eng.reach_so_far(ev, pipe.won_code)
    for j in range(pipe.n_stages):
        hit = now > j
        hit &= before <= j
        at = np.flatnonzero(hit)
        del hit
        first = np.full(len(ev.starts), _NONE, dtype=np.int64)
        first[group[at]] = at
        yield first


def _reached_cumulative(
    ev: eng.Events,
    pipe: Pipeline,
    idx: Index,
    owner_of: npt.NDArray[np.int32] | None,
    in_cohort: B,
    n_groups: int,
) -> tuple[npt.NDArray[np.int16], list[list[DurationStats]]]:
    """Cumulative mode at once: each cohort deal's reach and, per funnel stage, the times.

    The general path (:func:`_reached`) builds per stage a per-deal array of
    first-reach positions and regroups the stage's deals by owner. Here the
    events where a deal's reach grows are taken once: each is the first reach
    of the stages from the reach before it up to the new one (a jump reaches
    the stages it skips, a win all). They are put in owner order once (a radix
    sort of a byte per event, up to 256 owners); each stage's times are then a
    compress of that order, already grouped. The statistics read only order
    statistics and exact integer sums: those of the general path (tested).
    """
    k1 = pipe.n_stages + 1
    now, before = eng.reach_so_far(ev, pipe.won_code)
    reach = now[ev.ends][idx].astype(np.int16)  # the running maximum ends at the deal's reach + 1
    reach -= 1
    grow = now > before  # a mask, not positions: 1 byte per event, not 8
    if not isinstance(idx, slice):
        grow &= in_cohort[ev.group()]
    deal = ev.group()[grow].astype(np.intp)  # gathers would widen int32 positions each time
    # A bit per funnel stage that the event reaches first: lo .. hi - 1.
    width = next(t for t in (np.uint8, np.uint16, np.uint32, np.uint64) if k1 < 8 * t().itemsize)
    bits = np.left_shift(width(1), now[grow].view(np.uint8), dtype=width)
    bits -= np.left_shift(width(1), before[grow].view(np.uint8), dtype=width)
    del now, before
    seconds = ev.at("lo", grow)
    v = np.empty_like(seconds)  # scratch: entry times here, then the times in owner order
    seconds -= np.take(ev.first("lo"), deal, out=v, mode="clip")  # "raise" would buffer
    known = None
    if not ev.all_known:
        known = ev.at("known", grow) & ev.first("known")[deal]
    del grow
    runs = np.array([0, deal.size], dtype=np.int64)
    if owner_of is not None and n_groups > 1:
        g = owner_of.astype(np.uint8)[deal]
        del deal
        runs = np.zeros(n_groups + 1, dtype=np.int64)
        np.cumsum(np.bincount(g, minlength=n_groups), out=runs[1:])
        order = np.argsort(g, kind="stable")  # a radix sort: linear in the events
        del g
        np.take(seconds, order, out=v, mode="clip")  # positions are valid: no check
        seconds, v = v, seconds
        bits = bits[order]
        known = None if known is None else known[order]
        del order
    del v
    flag, sel = np.empty_like(bits), np.empty(bits.size, bool)  # reused: no fresh pages per stage
    edges = list(pairwise(runs.tolist()))

    def per_run(mask: B) -> I64:
        return np.array([np.count_nonzero(mask[a:b]) for a, b in edges], dtype=np.int64)

    times = []
    for j in range(k1):
        np.bitwise_and(bits, width(1 << j), out=flag)
        np.not_equal(flag, 0, out=sel)
        counts = per_run(sel)
        unknown = np.zeros(n_groups, dtype=np.int64)
        if known is not None:
            sel &= known
            unknown = counts - per_run(sel)
            counts -= unknown
        bounds = np.zeros(n_groups + 1, dtype=np.int64)
        np.cumsum(counts, out=bounds[1:])
        times.append(run_stats(seconds[sel], bounds, unknown))
    return reach, times


def _first_of(ev: eng.Events, hit: B) -> I64:
    """Per deal, the position of its first event where ``hit`` is True (``_NONE`` if none)."""
    at = np.flatnonzero(hit)
    deal = ev.group()[at]
    new = np.ones(at.size, dtype=bool)
    np.not_equal(deal[1:], deal[:-1], out=new[1:])
    first = np.full(len(ev.starts), _NONE, dtype=np.int64)
    first[deal[new]] = at[new]
    return first


def _reached(
    ev: eng.Events,
    pipe: Pipeline,
    mode: str,
    idx: Index,
    group: Groups,
    first_win: I64,
    n_groups: int,
) -> tuple[list[B], list[list[DurationStats]]]:
    """Per funnel stage: which cohort deals ``idx`` reached it, and per group their times."""
    entry = ev.first("lo")[idx]
    entry_known = None if ev.all_known else ev.first("known")[idx]
    masks: list[B] = []
    times: list[list[DurationStats]] = []
    for first in _first_reach(ev, pipe, mode, first_win):
        at = first[idx]
        hit = at != _NONE
        masks.append(hit)
        where = at[hit]
        seconds = ev.at("lo", where) - entry[hit]
        known = None
        if entry_known is not None:
            known = ev.at("known", where) & entry_known[hit]
        times.append(group_stats(group[hit], seconds, known, n_groups))
    return masks, times


def _won_times(
    ev: eng.Events,
    pipe: Pipeline,
    idx: Index,
    first_win: I64,
    t_cens: int | None,
) -> tuple[I64, npt.NDArray[np.int8], B]:
    """Per cohort deal, its time to won (to the first win, the loss or the censoring),
    its kind (1 won, 2 lost, 0 censored) and whether the time is known."""
    # In place on few per-deal arrays where it can: at 1e7 events each is 36 MB.
    win = first_win[idx]
    won = win != _NONE
    lost = ev.last("code")[idx] == pipe.lost_code
    lost &= ~won
    kind = np.left_shift(lost.view(np.int8), 1)  # 1 won, 2 lost, 0 censored
    kind |= won.view(np.int8)
    del lost
    # A won deal ends at its first win, any other at its last event (a lost
    # deal at its loss): one gather of the key reads both.
    at = np.where(won, win, ev.ends[idx])
    del win, won
    end = ev.at("lo", at)
    censored = kind == 0
    np.copyto(end, 0 if t_cens is None else t_cens, where=censored)
    known = np.ones(end.size, dtype=bool) if t_cens is not None else ~censored
    if not ev.all_known:
        known &= ev.first("known")[idx]
        known &= ev.at("known", at) | censored  # the ending event's time, if it has one
    del at, censored
    end -= ev.first("lo")[idx]
    return np.maximum(end, 0, out=end), kind, known


def _time_to_won(
    group: Groups,
    seconds: I64,
    kind: npt.NDArray[np.int8],
    known: B,
    n_groups: int,
    runs: tuple[I64, I64] | None = None,
) -> tuple[list[SurvivalCurve], I64]:
    """Per group, the cumulative incidence of winning and the number of censored deals.

    ``runs``: the deals already put in group order, if they are (see
    :func:`~salesfunnel.deals.survival.split_incidence`).
    """
    unknown = np.bincount(group[~known], minlength=n_groups)
    if not known.all():
        group, seconds, kind = group[known], seconds[known], kind[known]
        runs = None  # positions of all the deals: no longer those of the known ones
    if _SPLIT_SORT:
        split = split_incidence(group, seconds, kind, n_groups, runs, _per_group)
        if split is not None:
            curves = [
                dataclasses.replace(c, unknown_time=int(u))
                for c, u in zip(split[0], unknown.tolist(), strict=True)
            ]
            return curves, split[1]
    # Hand each group's times to the estimator already sorted (one sort of a
    # packed (group, seconds, kind) key): its searches then run over sorted
    # data, several times faster than over times in deal order.
    shift = int(max(int(seconds.max(initial=0)), 1)).bit_length() + 2
    if shift + int(max(n_groups, 1)).bit_length() <= 62:
        key = np.left_shift(group, shift, dtype=np.int64)
        seconds <<= 2  # this function's own array by now
        key |= seconds
        del seconds
        key |= kind
        key.sort()
        bounds = np.searchsorted(key, np.arange(n_groups + 1, dtype=np.int64) << shift)
    else:  # pragma: no cover - needs spans of billions of years
        order = np.lexsort((kind, seconds, group))
        group, seconds, kind = group[order], seconds[order], kind[order]
        bounds = segments(group.astype(np.int64), n_groups)
        key = None
    curves = []
    censored = np.zeros(n_groups, dtype=np.int64)
    for g in range(n_groups):
        # One group's run at a time: no whole-cohort copies of the times and kinds.
        a, b = int(bounds[g]), int(bounds[g + 1])
        if key is not None:
            run = key[a:b]
            kind_g = (run & 3).astype(np.int8)
            secs = run & ((1 << shift) - 1)
            secs >>= 2
        else:  # pragma: no cover
            kind_g, secs = kind[a:b], seconds[a:b]
        # Built here, so valid by construction: the estimator's input checks are skipped.
        curve = incidence_of_valid(secs / DAY, kind_g)
        curves.append(dataclasses.replace(curve, unknown_time=int(unknown[g])))
        censored[g] = np.count_nonzero(kind_g == 0)
    return curves, censored


def _censored(per_state: I64, pipe: Pipeline, d: CohortDeals, group: Groups) -> I64:
    """Per group, the deals censored in time to won (open or frozen, a known time)."""
    if d.known.all():  # neither won nor lost by the counts by state: no pass over the deals
        out: I64 = per_state.sum(axis=1)
        out -= per_state[:, pipe.won_code] + per_state[:, pipe.lost_code]
        return out
    return bincount(group[(d.kind == 0) & d.known], per_state.shape[0])


T = TypeVar("T")


def _per_group(task: Callable[[int], T], n_groups: int, n: int) -> list[T]:
    """``task(g)`` for every group, on worker threads when ``n`` deals make it worth it."""
    workers = min(WORKERS, n_groups)
    if workers > 1 and n >= _THREADED:
        with ThreadPoolExecutor(workers) as pool:  # numpy releases the GIL in its loops
            return list(pool.map(task, range(n_groups)))
    return [task(g) for g in range(n_groups)]


def _sorted_deals(
    log: DealLog,
    pipe: Pipeline,
    mode: str,
    by: By,
    n_groups: int,
    codes: npt.NDArray[np.int8],
    bounds: tuple[tuple[int | None, int | None], int | None, int | None],
) -> CohortDeals:
    """The cohort's per-deal facts off the events sorted by (deal, time, code): any mode.

    ``bounds`` is (the entry period, as_of, the censoring time).
    """
    (s, e), t, t_cens = bounds
    ev = eng.sorted_events(log, codes, upto=t, inclusive=True, amount=log.amount is not None)
    owner_of = None if by is None else ev.last("owner")  # int32: no 8-byte copy per deal
    unknown = left_out_counts(ev, by, n_groups)
    sure, maybe = _entered(ev, s, e)
    if maybe.any():
        unknown += np.bincount(
            np.zeros(int(maybe.sum()), np.int64) if owner_of is None else owner_of[maybe],
            minlength=n_groups,
        )
    # Every deal in the cohort (no period, or one holding them all): a slice, so the
    # per-deal arrays are read as views, not gathered (none is written through idx).
    whole = _WHOLE_AS_SLICE and bool(sure.all())
    idx: Index = slice(None) if whole else np.flatnonzero(sure)
    n_in = int(np.count_nonzero(sure))
    group: Groups = np.zeros(n_in, dtype=np.int32) if owner_of is None else owner_of[idx]
    first_win = _first_of(ev, ev.code == pipe.won_code)
    k1 = pipe.n_stages + 1
    reach: npt.NDArray[np.int16] | None = None
    masks: list[B] | None = None
    if mode == "cumulative" and _CUMULATIVE_AT_ONCE and k1 < 64 and n_groups <= 1 << 8:
        reach, times = _reached_cumulative(ev, pipe, idx, owner_of, sure, n_groups)
    else:
        masks, times = _reached(ev, pipe, mode, idx, group, first_win, n_groups)
        if mode == "cumulative":  # nested stages: the furthest one says it all
            reach = (np.sum(masks, axis=0, dtype=np.int16) - 1).astype(np.int16)
            masks = None
    ev.forget("group", "code")  # per-event arrays the rest does not read
    ids, amounts = ids_and_amounts(log, ev, idx)
    seconds, kind, known = _won_times(ev, pipe, idx, first_win, t_cens)
    # State at as_of: won after any win (the first win counts), else the last label.
    state = np.where(first_win[idx] != _NONE, pipe.won_code, ev.last("code")[idx])
    return CohortDeals(
        ids, amounts, group, reach, times, seconds, kind, known, state, unknown, masks
    )


def _cohort(
    log: DealLog,
    pipeline: Pipeline | None,
    start: Instant,
    end: Instant,
    as_of: Instant,
    by: By,
    mode: str,
    curves_wanted: bool = True,
) -> list[CohortFunnel]:
    check_mode(mode)
    names = group_names(log, by)
    n_groups = len(names)
    pipe, codes = eng.label_codes(log, pipeline)
    s, e = period(start, end)
    t = parse_instant(as_of, "as_of")
    t_cens = t if t is not None else latest_time(log)
    d = None
    if mode == "cumulative" and _SCATTER:
        d = cohort_deals(log, pipe, codes, (s, e), t, t_cens, by is not None, n_groups)
    if d is None:
        d = _sorted_deals(log, pipe, mode, by, n_groups, codes, ((s, e), t, t_cens))
    group, k1 = d.group, pipe.n_stages + 1
    counts, runs = d.sets or _stage_sets(group, n_groups, k1, d.reach, d.masks)
    order = None if d.sets is None else d.sets[1][0]

    def time_to_won() -> tuple[list[SurvivalCurve], I64]:
        return _time_to_won(group, d.seconds, d.kind, d.known, n_groups, order)

    # The curves (on their own threads) start first, and the funnels are counted
    # here meanwhile: no core waits while one thread counts. Same results.
    behind = _BEHIND and curves_wanted and WORKERS > 1 and group.size >= _THREADED
    with ThreadPoolExecutor(1) if behind else contextlib.nullcontext() as pool:
        pending = None if pool is None else pool.submit(time_to_won)
        funnels = _funnels(d.ids, d.amounts, pipe, names, counts, runs, d.ids_in_order)
        no_amount = amount_unknown(d.amounts, group, n_groups)
        n_labels = len(pipe.labels)
        per_state = bincount(group * n_labels + d.state, n_groups * n_labels)
        per_state = per_state.reshape(n_groups, n_labels)
        curves: list[SurvivalCurve] | list[None]
        if curves_wanted:
            curves, censored = time_to_won() if pending is None else pending.result()
        else:  # only the censored count: open or frozen, with a known time
            curves, censored = [None] * n_groups, _censored(per_state, pipe, d, group)
    out = []
    for g, name in enumerate(names):
        frozen = 0 if pipe.frozen_code is None else int(per_state[g, pipe.frozen_code])
        out.append(
            CohortFunnel(
                funnel=funnels[g],
                name=name,
                mode=mode,  # type: ignore[arg-type]
                start=iso(s),
                end=iso(e),
                as_of=iso(t),
                deals=int(per_state[g].sum()),
                open_deals=int(per_state[g, : pipe.n_stages].sum()),
                won=int(per_state[g, pipe.won_code]),
                lost=int(per_state[g, pipe.lost_code]),
                frozen=frozen,
                time_to_reach=tuple(d.times[j][g] for j in range(k1)),
                time_to_won=curves[g],
                censored=int(censored[g]),
                unknown_time_deals=int(d.unknown[g]),
                amount_unknown=int(no_amount[g]),
            )
        )
    return out


@overload
def cohort_funnel(
    log: DealLog,
    pipeline: Pipeline | None = None,
    *,
    start: Instant = None,
    end: Instant = None,
    as_of: Instant = None,
    by: None = None,
    mode: Mode = "cumulative",
    time_to_won: bool = True,
) -> CohortFunnel: ...
@overload
def cohort_funnel(
    log: DealLog,
    pipeline: Pipeline | None = None,
    *,
    start: Instant = None,
    end: Instant = None,
    as_of: Instant = None,
    by: str | list[str] | tuple[str, ...],
    mode: Mode = "cumulative",
    time_to_won: bool = True,
) -> dict[Any, CohortFunnel]: ...
@keyword_options()  # new: no positional form to deprecate, options are keyword-only
def cohort_funnel(
    log: DealLog,
    pipeline: Pipeline | None = None,
    *,
    start: Instant = None,
    end: Instant = None,
    as_of: Instant = None,
    by: GroupBy = None,
    mode: Mode = "cumulative",
    time_to_won: bool = True,
) -> CohortFunnel | dict[Any, CohortFunnel]:
    """The deals that entered in a period, counted by the furthest stage reached by ``as_of``.

    Parameters
    ----------
    log
        The deal events.
    pipeline
        Stages and outcomes to analyse with; default the log's own.
    start, end
        The period ``start <= t < end`` (either may be ``None``) of each
        deal's entry, the time of its first event.
    as_of
        Look at the events at or before this time (default: every event);
        open and frozen deals are censored here in ``time_to_won`` (default:
        at the latest dated event of the log).
    by
        ``None`` (default) for one result for the team, ``"owner"`` for a dict
        of one result per owner of the log (sorted by name; a deal's owner is
        the one on its last event by ``as_of``), a kept column or a list of
        them (tuple keys), as in :func:`~salesfunnel.closed_funnel`.
    mode
        ``"cumulative"`` (a won deal reached every stage, another deal every
        stage up to the furthest open stage it had), ``"classic"`` or
        ``"strict"``, as in :func:`~salesfunnel.closed_funnel`.
    time_to_won
        ``False`` leaves out the cumulative incidence of winning: the
        result's ``time_to_won`` is then ``None`` (``censored`` is still
        counted), and a large cohort takes about a fifth less time when only
        the counts and the times to first reach are read.

    Returns
    -------
    CohortFunnel or dict of str to CohortFunnel

    Raises
    ------
    FunnelDataError
        Unknown mode or ``by``, unparsable times, ``end`` before ``start``.

    Examples
    --------
    A won after 9 days, B lost at Call, C still open at Offer; D entered
    later than the period.

    >>> p = Pipeline(["Call", "Offer"], won="Won", lost="Lost")
    >>> rows = [("A", "Call", "2024-01-01"), ("A", "Won", "2024-01-10"),
    ...         ("B", "Call", "2024-01-02"), ("B", "Lost", "2024-01-04"),
    ...         ("C", "Call", "2024-01-05"), ("C", "Offer", "2024-01-07"),
    ...         ("D", "Call", "2024-02-01")]
    >>> log = DealLog.from_records([dict(zip(("deal", "stage", "time"), r)) for r in rows], p)
    >>> cf = cohort_funnel(log, start="2024-01-01", end="2024-02-01", as_of="2024-01-31")
    >>> cf.funnel.counts, cf.won, cf.lost, cf.open_deals, cf.censored
    (array([3., 2., 1.]), 1, 1, 1, 1)
    >>> cf.time_to_reach[1].median_days    # Offer: A at day 9 (by winning), C at day 2
    5.5
    """
    g = grouping(log, by)
    return g.result(_cohort(g.log, pipeline, start, end, as_of, g.by, mode, time_to_won))

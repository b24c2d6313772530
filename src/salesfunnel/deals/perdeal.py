"""Per-deal results: what each closed deal contributes to the closed-deal funnel.

:func:`closed_deals` runs the engine on a log and returns, per deal closed in
the period, everything :func:`~salesfunnel.closed_funnel` reads (outcome,
stage membership, last known amount, cycle time, time in each stage), in
deal-id order; :func:`closed_funnels <salesfunnel.deals.closed>` turns that
into results. The single-machine function is exactly these two steps, so a
cluster that computes :func:`closed_deals` per partition of whole deals,
concatenates the parts with :func:`concat_closed` (which restores deal-id
order) and finishes them gets the same results, bit for bit: amount sums are
taken over the same values in the same order.

The cost of that exactness is memory at the merge: one row per closed deal
(its id, a few integers per stage), not one per event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from . import engine as eng
from .durations import DealTimes
from .idlookup import CodedIds
from .log import DealLog
from .pipeline import Pipeline
from .shared import F64, I64, B, By, Instant, check_mode, group_names, left_out_counts, period

__all__ = ["ClosedDeals", "StageTimes", "closed_deals", "concat_closed", "concat_times"]

StageTimes = tuple[I64, I64, B]
"""Per open stage: positions (into the closed deals) of the deals that visited it,
their summed visit times (s), and whether every visit's time was known."""


@dataclass(frozen=True, slots=True)
class ClosedDeals:
    """The deals closed in a period, one row each, sorted by deal id.

    ``names`` are the result groups (``[None]`` without ``by``) and ``unknown``
    their counts of deals left out for an unknown time; ``group`` indexes
    ``names`` per deal. ``reach`` (cumulative mode) or ``masks`` (one
    membership mask per funnel stage: classic and strict modes) say which
    funnel stages a deal counts in. ``amount`` is the deal's last known amount
    (NaN when none; ``None`` without an amount column). ``stage_times`` is
    ``None`` when durations were not asked for.
    """

    pipeline: Pipeline
    mode: str
    start: int | None
    end: int | None
    names: list[str | None]
    unknown: I64
    ids: np.ndarray | CodedIds  # an array but on one machine (``lazy_ids``)
    group: I64
    won: B
    reach: npt.NDArray[np.int16] | None
    masks: list[B] | None
    amount: F64 | None
    cycle: I64
    cycle_known: B | None
    stage_times: list[StageTimes] | None


def _membership(
    ev: eng.Events, pipe: Pipeline, mode: str, idx: I64, won: B
) -> tuple[npt.NDArray[np.int16] | None, list[B] | None]:
    """Reach per deal (cumulative) or per-stage membership masks (classic, strict)."""
    k = pipe.n_stages
    if mode == "cumulative":
        # 2-byte reach (stage codes fit easily): the stage-set sort key is 2 bytes too.
        reach = eng.furthest_open(ev, k)[idx].astype(np.int16)
        reach[won] = k
        return reach, None
    if mode == "classic":
        bits = eng.entered_bits(ev)[idx]
        masks = [((bits >> j) & 1).astype(bool) for j in range(k)]
    else:
        depth = eng.strict_depth(ev, k)[idx]
        masks = [depth >= j for j in range(k)]
        won = won & (depth >= k)
    return None, [*masks, won]


def _stage_times(ev: eng.Events, pipe: Pipeline, idx: I64) -> list[StageTimes]:
    """Time in each open stage of the closed deals ``idx``, by position in ``idx``."""
    chosen = np.zeros(len(ev.starts), dtype=bool)
    chosen[idx] = True
    return [
        (np.searchsorted(idx, deals), totals, known)
        for deals, totals, known in eng.stage_times(ev, chosen, pipe.n_stages)
    ]


def ids_and_amounts(
    log: DealLog, ev: eng.Events, idx: I64 | slice, *, lazy_ids: bool = True
) -> tuple[np.ndarray | CodedIds, F64 | None]:
    """The ids of the deals ``idx`` (positions or a slice) of ``ev`` (looked up where
    read with ``lazy_ids``) and their last known amounts (NaN when none)."""
    amount = None
    if ev.amount is not None:
        amount = eng.last_amount(ev)[idx]
    ids = log.ids_later(ev.first("deal")[idx])
    return ids if lazy_ids else ids.all(), amount


def closed_deals(
    log: DealLog,
    pipeline: Pipeline | None,
    start: Instant,
    end: Instant,
    by: By,
    mode: str,
    durations: bool,
    *,
    lazy_ids: bool = True,
) -> ClosedDeals:
    """The deals of ``log`` whose final closing falls in ``[start, end)``, with what they count.

    With ``lazy_ids`` the ids are looked up only where the funnels read them; a
    partial that leaves its worker needs them all (``lazy_ids=False``: the lookup
    would carry the log's table of ids), as :func:`~.snapdeals.snap_deals`."""
    check_mode(mode)
    names = group_names(log, by)
    pipe, codes = eng.label_codes(log, pipeline)
    s, e = period(start, end)
    ev = eng.sorted_events(log, codes, upto=e, inclusive=False, amount=log.amount is not None)
    last = ev.last("code")
    closed = last >= pipe.won_code
    if pipe.frozen_code is not None:
        closed &= last != pipe.frozen_code
    if e is not None:
        # Periods tile: a deal counts in the period of its final closing, so a deal
        # with a later event (reopened, frozen or closed again) is not closed here.
        closed &= ~eng.deals_with_event_from(log, e)[ev.first("deal")]
    n_groups = len(names)
    unknown = left_out_counts(ev, by, n_groups)
    close_lo = ev.last("lo")
    all_known = ev.all_known
    if s is not None:
        in_period = close_lo >= s
        if not all_known:
            unsure = np.flatnonzero(closed & ~in_period & ~ev.last("known"))
            if by is None:
                unknown[0] += unsure.size
            else:
                unknown += np.bincount(ev.last("owner")[unsure], minlength=n_groups)
        closed &= in_period
    idx = np.flatnonzero(closed)
    won = last[idx] == pipe.won_code
    if by is None:
        group = np.zeros(idx.size, dtype=np.int64)
    else:
        assert log.owner is not None
        group = ev.last("owner")[idx]
    reach, masks = _membership(ev, pipe, mode, idx, won)
    ids, amount = ids_and_amounts(log, ev, idx, lazy_ids=lazy_ids)
    cycle = close_lo[idx]
    cycle -= ev.first("lo")[idx]
    cycle_known = None if all_known else (ev.first("known") & ev.last("known"))[idx]
    return ClosedDeals(
        pipeline=pipe,
        mode=mode,
        start=s,
        end=e,
        names=names,
        unknown=unknown,
        ids=ids,
        group=group,
        won=won,
        reach=reach,
        masks=masks,
        amount=amount,
        cycle=cycle,
        cycle_known=cycle_known,
        stage_times=_stage_times(ev, pipe, idx) if durations else None,
    )


def _cat(arrays: Sequence[np.ndarray], order: I64) -> np.ndarray:
    return np.concatenate(arrays)[order]


def concat_closed(parts: Sequence[ClosedDeals]) -> ClosedDeals:
    """The :class:`ClosedDeals` of the union of logs of disjoint deals (at least one part).

    Groups are the sorted union of the parts' groups, and the rows are put
    back in deal-id order (the order :func:`closed_deals` gives on the whole
    log), so finishing the result equals finishing the whole log's.
    """
    parts = [p if isinstance(p.ids, np.ndarray) else replace(p, ids=p.ids.all()) for p in parts]
    first = parts[0]
    names, unknown, groups, ids, order = _regrouped(parts, [p.unknown for p in parts])
    inverse = np.empty_like(order)
    inverse[order] = np.arange(order.size)
    offsets = np.cumsum([0, *(len(p.ids) for p in parts)])
    masks = None
    if first.masks is not None:
        masks = [_cat([p.masks[j] for p in parts], order) for j in range(len(first.masks))]  # type: ignore[index]
    stage_times = None
    if first.stage_times is not None:
        stage_times = []
        for j in range(len(first.stage_times)):
            pos = np.concatenate(
                [inverse[p.stage_times[j][0] + o] for p, o in zip(parts, offsets, strict=False)]  # type: ignore[index]
            )
            back = np.argsort(pos, kind="stable")  # deal order within the stage, as on one log
            totals = _cat([p.stage_times[j][1] for p in parts], back)  # type: ignore[index]
            known = _cat([p.stage_times[j][2] for p in parts], back)  # type: ignore[index]
            stage_times.append((pos[back], totals, known))
    known_parts = [p.cycle_known for p in parts]
    cycle_known = None
    if any(k is not None for k in known_parts):
        cycle_known = _cat(
            [
                np.ones(len(p.ids), bool) if k is None else k
                for p, k in zip(parts, known_parts, strict=True)
            ],
            order,
        )
    return ClosedDeals(
        pipeline=first.pipeline,
        mode=first.mode,
        start=first.start,
        end=first.end,
        names=names,
        unknown=unknown,
        ids=ids[order],
        group=_cat(groups, order),
        won=_cat([p.won for p in parts], order),
        reach=None if first.reach is None else _cat([p.reach for p in parts], order),  # type: ignore[misc]
        masks=masks,
        amount=None if first.amount is None else _cat([p.amount for p in parts], order),  # type: ignore[misc]
        cycle=_cat([p.cycle for p in parts], order),
        cycle_known=cycle_known,
        stage_times=stage_times,
    )


class _Grouped(Protocol):
    """Per-deal rows of one part: its group names, each deal's group and id."""

    @property
    def names(self) -> list[str | None]: ...
    @property
    def group(self) -> I64: ...
    @property
    def ids(self) -> Any: ...  # an array of ids


def _regrouped(
    parts: Sequence[_Grouped], counts: Sequence[I64]
) -> tuple[list[str | None], I64, list[I64], np.ndarray, I64]:
    """The union of the parts' groups (sorted), ``counts`` per group summed over the
    parts, each part's deal groups recoded into the union, the ids, and their order."""
    names: list[str | None] = [None]
    if parts[0].names != [None]:
        names = [*sorted({str(n) for p in parts for n in p.names})]
    where = {n: i for i, n in enumerate(names)}
    total = np.zeros(len(names), dtype=np.int64)
    groups = []
    for p, c in zip(parts, counts, strict=True):
        recode = np.array([where[n] for n in p.names], dtype=np.int64)
        np.add.at(total, recode, c)
        groups.append(recode[p.group])
    ids = np.concatenate([p.ids for p in parts])
    return names, total, groups, ids, np.argsort(ids, kind="stable")


def concat_times(parts: Sequence[DealTimes]) -> DealTimes:
    """The :class:`~salesfunnel.deals.durations.DealTimes` of the union of logs of
    disjoint deals (at least one part), in deal-id order with the union of groups."""
    names, left_out, groups, ids, order = _regrouped(parts, [p.left_out for p in parts])
    return DealTimes(
        names=names,
        left_out=left_out,
        ids=ids[order],
        group=_cat(groups, order),
        first=_cat([p.first for p in parts], order),
        close=_cat([p.close for p in parts], order),
        won=_cat([p.won for p in parts], order),
        lost=_cat([p.lost for p in parts], order),
        known=_cat([p.known for p in parts], order),
    )

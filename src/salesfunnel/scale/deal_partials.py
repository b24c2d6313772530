"""The deal analyses' partition function and merge, shared by the Dask and Spark adapters.

The adapters shuffle the events by deal, so each partition holds every event
of its deals and the single-machine engine runs on it unchanged
(:func:`salesfunnel.deals.perdeal.closed_deals`, the first half of
:func:`~salesfunnel.closed_funnel`). What a partition returns is one row per
deal closed in the period (id, group, outcome, stages counted, last amount,
cycle time, time in each stage): the per-deal values that medians,
percentiles, the ids behind a stage and bit-exact amount sums need. The merge
concatenates them and restores deal-id order, the order the single machine
sums in, and the second half of :func:`~salesfunnel.closed_funnel`
(:func:`salesfunnel.deals.closed.closed_funnels`) finishes them. So the results
equal the single machine's bit for bit, at the memory cost of one row per
*closed deal of the period* on the client (not one per event).

:func:`~salesfunnel.time_to_close` works the same way with one row per deal
(:func:`salesfunnel.deals.durations.deal_times`): its first event, outcome and
outcome time. Without ``as_of`` each partition also reports its latest event,
and open deals are censored at the latest of them, as on one machine.

A partition with no events returns ``None`` and merges as nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..deals.closed import ClosedFunnel, closed_funnels
from ..deals.durations import DealTimes, Outcome, StageDurations, deal_times, survival_curves
from ..deals.groups import grouping
from ..deals.log import DealLog
from ..deals.perdeal import ClosedDeals, closed_deals, concat_closed, concat_times
from ..deals.pipeline import Pipeline
from ..deals.shared import Instant, Mode, latest_time, parse_instant
from ..deals.survival import SurvivalCurve
from ..errors import FunnelDataError

__all__ = [
    "ClosedQuery",
    "TimesPartial",
    "closed_partial",
    "finish_closed",
    "finish_durations",
    "finish_times",
    "merge_closed",
    "merge_times",
    "times_partial",
]


@dataclass(frozen=True, slots=True)
class ClosedQuery:
    """A :func:`~salesfunnel.closed_funnel` call to run on partitions: its options and columns."""

    pipeline: Pipeline
    start: Instant
    end: Instant
    by: str | None
    mode: Mode
    durations: bool
    columns: dict[str, Any]

    def __post_init__(self) -> None:
        if self.by is not None and not isinstance(self.by, str):
            msg = f"on a cluster, by must be None or one column name (got {self.by!r})"
            raise FunnelDataError(msg, column="by", value=self.by)

    @property
    def deal_column(self) -> str:
        """The column to shuffle by."""
        name: str = self.columns.get("deal", "deal")
        return name


def closed_partial(log: DealLog, query: ClosedQuery) -> ClosedDeals | None:
    """The per-deal results of one partition (every event of its deals); ``None`` if empty."""
    if not len(log):
        return None
    return _deals(log, query)


def _deals(log: DealLog, query: ClosedQuery) -> ClosedDeals:
    g = grouping(log, query.by)
    q = query
    return closed_deals(
        g.log, q.pipeline, q.start, q.end, g.by, q.mode, q.durations, lazy_ids=False
    )


def merge_closed(parts: Iterable[ClosedDeals | None]) -> ClosedDeals | None:
    """The per-deal results of the union of partitions (``None`` when all were empty)."""
    got = [p for p in parts if p is not None]
    return concat_closed(got) if got else None


def finish_closed(
    merged: ClosedDeals | None, empty: DealLog, query: ClosedQuery
) -> ClosedFunnel | dict[Any, ClosedFunnel]:
    """The result :func:`~salesfunnel.closed_funnel` gives on the whole log.

    ``empty`` is a log with the columns and no events: its result stands for
    a DataFrame without rows (and it checks the options before any work).
    """
    deals = _deals(empty, query) if merged is None else merged
    results = closed_funnels(deals)
    if query.by is None:
        return results[0]
    return dict(zip(deals.names, results, strict=True))


def finish_durations(
    merged: ClosedDeals | None, empty: DealLog, query: ClosedQuery
) -> StageDurations | dict[Any, StageDurations]:
    """The result :func:`~salesfunnel.stage_durations` gives on the whole log.

    ``query`` must ask for durations in cumulative mode, as that function does.
    """
    results = finish_closed(merged, empty, query)
    if isinstance(results, dict):
        return {k: _durations(r) for k, r in results.items()}
    return _durations(results)


def _durations(result: ClosedFunnel) -> StageDurations:
    assert result.durations is not None  # the query asked for them
    return result.durations


TimesPartial = tuple[DealTimes, "int | None"]
"""A partition's per-deal times and its latest event (seconds; ``None`` without one)."""


def times_partial(
    log: DealLog, pipeline: Pipeline, as_of: Instant, by: str | None
) -> TimesPartial | None:
    """The per-deal times of one partition at ``as_of`` (all its events when ``None``)."""
    if not len(log):
        return None
    g = grouping(log, by)
    return deal_times(g.log, pipeline, as_of, g.by), latest_time(log)


def merge_times(parts: Iterable[TimesPartial | None]) -> TimesPartial | None:
    """The per-deal times of the union of partitions (``None`` when all were empty)."""
    got = [p for p in parts if p is not None]
    if not got:
        return None
    latest = [t for _, t in got if t is not None]
    return concat_times([d for d, _ in got]), max(latest) if latest else None


def finish_times(
    merged: TimesPartial | None,
    empty: DealLog,
    pipeline: Pipeline,
    as_of: Instant,
    by: str | None,
    outcome: Outcome,
) -> SurvivalCurve | dict[Any, SurvivalCurve]:
    """The result :func:`~salesfunnel.time_to_close` gives on the whole log."""
    if outcome not in ("any", "won", "lost"):
        msg = f"outcome must be 'any', 'won' or 'lost' (got {outcome!r})"
        raise FunnelDataError(msg)
    if by is not None and not isinstance(by, str):
        msg = f"on a cluster, by must be None or one column name (got {by!r})"
        raise FunnelDataError(msg, column="by", value=by)
    t = parse_instant(as_of, "as_of")
    if merged is None:
        g = grouping(empty, by)
        times = deal_times(g.log, pipeline, as_of, g.by)
    else:
        times, latest = merged
        t = latest if as_of is None else t
    curves = survival_curves(times, t, outcome)
    if by is None:
        return curves[0]
    return dict(zip(times.names, curves, strict=True))

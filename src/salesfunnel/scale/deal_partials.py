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

A partition with no events returns ``None`` and merges as nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..deals.closed import ClosedFunnel, closed_funnels
from ..deals.durations import StageDurations
from ..deals.groups import grouping
from ..deals.log import DealLog
from ..deals.perdeal import ClosedDeals, closed_deals, concat_closed
from ..deals.pipeline import Pipeline
from ..deals.shared import Instant, Mode
from ..errors import FunnelDataError

__all__ = ["ClosedQuery", "closed_partial", "finish_closed", "finish_durations", "merge_closed"]


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
    return closed_deals(g.log, q.pipeline, q.start, q.end, g.by, q.mode, q.durations)


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

"""Stalled deals: open deals whose last event is older than their stage's threshold.

:func:`stalled_deals` reads the snapshot at ``as_of`` (:func:`.shared.snapshot`)
as :func:`~salesfunnel.active_funnel` does, and lists the deals idle too long
as one table.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .._table import Cell, ResultTable, TableView
from ..errors import FunnelDataError
from . import engine as eng
from .groups import GroupBy, grouping
from .log import DealLog
from .pipeline import Pipeline
from .shared import DAY, Instant, as_of_or_latest, dumps, iso, keyword_options, snapshot

__all__ = ["StalledDeals", "stalled_deals"]


@dataclass(frozen=True, slots=True)
class StalledDeals(TableView):
    """Open deals with no event for longer than their stage's threshold.

    ``table`` columns: ``deal``, ``owner``, ``stage``, ``last_event`` (ISO),
    ``idle_days``; longest idle first, then by deal id.
    """

    as_of: str | None
    table: ResultTable
    unknown_time_deals: int

    @property
    def deal_ids(self) -> list[Cell]:
        """The stalled deals' ids, in table order."""
        return self.table.column("deal")

    def to_json(self, *, indent: int | None = None) -> str:
        """The rows as strict JSON."""
        payload = {
            "as_of": self.as_of,
            "unknown_time_deals": self.unknown_time_deals,
            "rows": self.to_records(),
        }
        return dumps(payload, indent)

    def __len__(self) -> int:
        return len(self.table)

    def __repr__(self) -> str:
        return f"StalledDeals(as_of={self.as_of!r}, deals={len(self.table)})"


@keyword_options("as_of", "max_days")
def stalled_deals(
    log: DealLog,
    pipeline: Pipeline | None = None,
    *,
    as_of: Instant = None,
    max_days: float | Mapping[str, float] = 30.0,
    by: GroupBy = None,
) -> StalledDeals:
    """Open deals at ``as_of`` whose last event is more than ``max_days`` old.

    ``max_days`` is one threshold for every stage or a mapping of stage to
    threshold; stages missing from the mapping are never reported. A deal
    whose last event is undated cannot be judged and is counted in
    ``unknown_time_deals``. ``as_of`` defaults to the latest dated event.
    The result is one table of rows with an ``owner`` column: it never
    becomes a dict (see "Calling convention" in the Deal history docs).
    ``by`` (a kept column, or a list of them) puts those columns in the
    owner column's place, with each deal's value on its last event.

    Examples
    --------
    >>> p = Pipeline(["Call", "Offer"], won="Won", lost="Lost")
    >>> rows = [("A", "Call", "2024-01-01"), ("B", "Offer", "2024-01-20"),
    ...         ("C", "Call", "2024-01-25")]
    >>> log = DealLog.from_records([dict(zip(("deal", "stage", "time"), r)) for r in rows], p)
    >>> stalled_deals(log, as_of="2024-01-31", max_days={"Call": 5, "Offer": 30}).deal_ids
    ['A', 'C']
    """
    pipe, _ = eng.label_codes(log, pipeline)
    k = pipe.n_stages
    if isinstance(max_days, Mapping):
        unknown_stage = [s for s in max_days if s not in pipe.stages]
        if unknown_stage:
            msg = f"max_days names {unknown_stage[0]!r}, not an open stage of {pipe.stages!r}"
            raise FunnelDataError(msg)
        limits = [max_days.get(s, math.inf) for s in pipe.stages]
    else:
        limits = [max_days] * k
    for s, v in zip(pipe.stages, limits, strict=True):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or math.isnan(v) or v < 0:
            msg = f"max_days for {s!r} must be a number >= 0 (got {v!r})"
            raise FunnelDataError(msg)
    groups = grouping(log, by if by is not None or log.owner is None else "owner")
    log = groups.log
    snap = snapshot(log, pipeline, as_of_or_latest(log, as_of), None, amount=False)
    ev, last = snap.ev, snap.last
    is_open = last < k
    known = ev.at("known", ev.ends)
    unknown = ev.unknown + int(np.count_nonzero(is_open & ~known))
    t = snap.t if snap.t is not None else 0
    last_lo = ev.at("lo", ev.ends)
    idle = (t - last_lo) / DAY
    limit = np.array(limits, dtype=np.float64)[np.where(is_open, last, 0)]
    hit = np.flatnonzero(is_open & known & (idle > limit))
    ids = log.ids_of(ev.at("deal", ev.starts[hit]))
    owners = ev.at("owner", ev.ends) if log.owner is not None else None
    order = sorted(range(hit.size), key=lambda i: (-idle[hit[i]], str(ids[i])))
    rows: list[tuple[Cell, ...]] = []
    for i in order:
        d = int(hit[i])
        group = groups.cells(int(owners[d])) if owners is not None else (None,)
        ident = ids[i].item() if isinstance(ids[i], np.generic) else ids[i]
        state = (pipe.stages[int(last[d])], iso(int(last_lo[d])), float(idle[d]))
        rows.append((ident, *group, *state))
    cols = ("deal", *(groups.columns or ("owner",)), "stage", "last_event", "idle_days")
    return StalledDeals(iso(snap.t), ResultTable("stalled deals", cols, tuple(rows)), unknown)

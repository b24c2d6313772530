"""Won deals and won amount per calendar month of the win.

A deal counts in the month of its final win, the time of its last event when
that event is won: a deal won, reopened and still open (or won again later)
does not count for the earlier win. So every deal counts at most once, in one
month, whatever the periods asked for: consecutive periods add up.
"""

from __future__ import annotations

import enum
import math
import warnings
from dataclasses import dataclass

import numpy as np

from .._table import Cell, ResultTable, TableView
from .._time import zone_argument
from .groups import GroupBy, Grouping, grouping
from .log import DealLog
from .pipeline import Pipeline
from .shared import F64, I64, Instant, amount_scale, dumps, keyword_options
from .snapdeals import WonDeals, won_deals

__all__ = ["DefaultBy", "MonthlyVolume", "monthly_volume", "volume_of"]


class DefaultBy(enum.Enum):
    """``by`` left out: per owner (with a warning) until the next release, then ``None``."""

    BY = "default"

    def __repr__(self) -> str:
        return "None"  # the documented default, as the signature shows it


@dataclass(frozen=True, slots=True)
class MonthlyVolume(TableView):
    """Won deals and won amount per calendar month of the win (and owner).

    ``table`` columns: ``owner`` (with ``by="owner"``), ``month`` (``YYYY-MM``),
    ``won_deals``, ``won_amount`` (known amounts; NaN without an amount
    column), ``amount_unknown``. Every month from the first to the last win
    is listed for every owner, zeros included, so rows line up side by side.
    """

    by: GroupBy
    table: ResultTable
    unknown_time_deals: int

    def to_json(self, *, indent: int | None = None) -> str:
        """The rows as strict JSON."""
        payload = {
            "by": self.by,
            "unknown_time_deals": self.unknown_time_deals,
            "rows": self.to_records(),
        }
        return dumps(payload, indent)

    def __str__(self) -> str:
        return str(self.table)

    def __repr__(self) -> str:
        return f"MonthlyVolume(by={self.by!r}, rows={len(self.table)})"


def _rows(groups: Grouping, months: I64, grp: I64, amt: F64 | None) -> list[tuple[Cell, ...]]:
    """Rows per (group,) month from the first to the last month, zeros included."""
    names = groups.keys
    rows: list[tuple[Cell, ...]] = []
    if months.size:
        m0, m1 = int(months.min()), int(months.max())
        n_m = m1 - m0 + 1
        key = grp * n_m + (months - m0)
        size = len(names) * n_m
        count = np.bincount(key, minlength=size)
        total: np.ndarray = np.zeros(size)
        miss = np.zeros(size, dtype=np.int64)
        scale = 1.0
        if amt is not None:
            ok = ~np.isnan(amt)
            scale = amount_scale(amt)  # no overflow in the sums; inf only where the total is
            total = np.bincount(key[ok], weights=amt[ok] / scale, minlength=size)
            miss = np.bincount(key[~ok], minlength=size)
        for g in range(len(names)):
            head = groups.cells(g) if groups.by is not None else ()
            for m in range(n_m):
                i = g * n_m + m
                label = str(np.datetime64(m0 + m, "M"))
                value: float = float(total[i]) * scale if amt is not None else math.nan
                row: tuple[Cell, ...] = (label, int(count[i]), value, int(miss[i]))
                rows.append((*head, *row))
    return rows


@keyword_options("by", "start", "end")
def monthly_volume(
    log: DealLog,
    pipeline: Pipeline | None = None,
    *,
    start: Instant = None,
    end: Instant = None,
    by: GroupBy | DefaultBy = DefaultBy.BY,
    tz: object = None,
) -> MonthlyVolume:
    """Won amount and count per calendar month of the win.

    A deal counts in the month of its final win (the time of its last event,
    when that event is won), if that falls in ``start <= t < end``; a deal
    won, then reopened, counts for its later win or not at all. Consecutive
    periods therefore add up. Wins with an unknown date are left out and
    counted in ``unknown_time_deals``.

    ``by=None`` gives one row per month; ``by="owner"`` one row per owner and
    month, with an ``owner`` column (a table of rows never becomes a dict,
    see the calling convention in the Deal history docs); a kept column, or
    a list of them, gives one column per name in the same way. Leaving ``by`` out
    on a log with owners still gives per-owner rows, with a
    ``DeprecationWarning``: from the next release the default is ``None``, as
    for every analysis.

    Months are UTC's, or those of the zone ``tz`` (an IANA name such as
    ``"Europe/Berlin"``, or a ``tzinfo``; a naive ``start``/``end`` is then
    read in it), as for :func:`~salesfunnel.trend`: a win at 23:30 UTC on
    31 January is February's in Berlin.

    Examples
    --------
    >>> p = Pipeline(["Call"], won="Won", lost="Lost")
    >>> rows = [("A", "Won", "2024-01-10", 100, "Ann"), ("B", "Won", "2024-03-02", 50, "Ann"),
    ...         ("C", "Won", "2024-01-20", 70, "Bob")]
    >>> recs = [dict(zip(("deal", "stage", "time", "amount", "owner"), r)) for r in rows]
    >>> log = DealLog.from_records(recs, p, amount="amount", owner="owner")
    >>> print(monthly_volume(log, by="owner"))
    won by month
    owner  month    won_deals  won_amount  amount_unknown
    -----  -------  ---------  ----------  --------------
    Ann    2024-01          1         100               0
    Ann    2024-02          0           0               0
    Ann    2024-03          1          50               0
    Bob    2024-01          1          70               0
    Bob    2024-02          0           0               0
    Bob    2024-03          0           0               0
    """
    if isinstance(by, DefaultBy):
        by = None
        if log.owner is not None:
            by = "owner"
            warnings.warn(
                "monthly_volume(): the default by='owner' becomes by=None in the next "
                "release; pass by='owner' to keep one row per owner and month",
                DeprecationWarning,
                stacklevel=3,  # past keyword_options
            )
    groups = grouping(log, by)
    zone = zone_argument(tz)
    won = won_deals(groups.log, pipeline, start, end, groups.by, zone=zone)
    return volume_of(groups, won, by)


def volume_of(groups: Grouping, won: WonDeals, by: GroupBy) -> MonthlyVolume:
    """The :class:`MonthlyVolume` of the won deals ``won`` (their groups are ``groups``)."""
    rows = _rows(groups, won.month, won.group, won.amount)
    cols = (*groups.columns, "month", "won_deals", "won_amount", "amount_unknown")
    return MonthlyVolume(by, ResultTable("won by month", cols, tuple(rows)), won.unknown)

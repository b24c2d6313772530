"""Receivables aging: money customers owe, bucketed by days overdue.

An invoice's outstanding amount at ``as_of`` is its amount minus what was
paid by then (a payment with a blank date counts as already paid; one dated
after ``as_of`` does not). Days overdue are ``as_of - due`` in whole days;
buckets follow the usual aging report: ``current`` (not yet due, or due
today), ``1-30``, ``31-60``, ``61-90`` and ``90+``. Invoices with nothing
outstanding are counted as settled, never silently dropped; an invoice paid
beyond its amount is settled too, and what was paid over is reported as a
credit (the customer's money, not a receivable: it is not netted against the
amounts owed, so :attr:`ReceivablesAging.total` stays the gross amount owed).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._csvio import IN_MEMORY
from .._format import fmt_number
from .._numbers import number
from .._table import Cell, ResultTable
from .._time import is_blank, one_time
from ..errors import FunnelDataError

__all__ = ["BUCKETS", "ReceivablesAging", "receivables_aging"]

BUCKETS = ("current", "1-30", "31-60", "61-90", "90+")
"""Aging bucket names, in order."""


def _bucket(days: int) -> str:
    if days <= 0:
        return BUCKETS[0]
    if days <= 30:
        return BUCKETS[1]
    if days <= 60:
        return BUCKETS[2]
    if days <= 90:
        return BUCKETS[3]
    return BUCKETS[4]


@dataclass(frozen=True, slots=True)
class ReceivablesAging:
    """Outstanding receivables at ``as_of``, per bucket and per invoice.

    Attributes
    ----------
    as_of
        The reporting date (ISO).
    buckets
        One row per bucket: ``bucket``, ``invoices``, ``outstanding``.
    invoices
        One row per invoice with money outstanding: ``key``, ``due``,
        ``outstanding``, ``days_overdue``, ``bucket``; most overdue first.
    settled
        Invoices with nothing outstanding at ``as_of`` (the overpaid ones included).
    overpaid, credit
        How many of the settled invoices were paid beyond their amount by
        ``as_of``, and the sum paid over (owed back to the customers or to be
        applied to later invoices; not subtracted from :attr:`total`).
    """

    as_of: str
    buckets: ResultTable
    invoices: ResultTable
    settled: int
    overpaid: int = 0
    credit: float = 0.0

    @property
    def total(self) -> float:
        """Total outstanding amount."""
        return float(sum(float(v or 0) for v in self.buckets.column("outstanding")))

    @property
    def overdue(self) -> float:
        """Outstanding amount past its due date."""
        rows = self.buckets.rows[1:]
        return float(sum(float(r[2] or 0) for r in rows))

    def to_records(self) -> list[dict[str, Cell]]:
        """One JSON-ready dict per bucket."""
        return self.buckets.to_records()

    def to_json(self, *, indent: int | None = None) -> str:
        """Buckets and invoices as strict JSON."""
        payload = {
            "as_of": self.as_of,
            "settled": self.settled,
            "overpaid": self.overpaid,
            "credit": self.credit,
            "buckets": self.buckets.to_records(),
            "invoices": self.invoices.to_records(),
        }
        return json.dumps(payload, indent=indent, ensure_ascii=False, allow_nan=False)

    @property
    def table(self) -> ResultTable:
        """The bucket rows (:attr:`buckets`), as every result names its table."""
        return self.buckets

    def to_pandas(self) -> Any:
        """The bucket table as a DataFrame (requires pandas)."""
        return self.buckets.to_pandas()

    def to_polars(self) -> Any:
        """The bucket table as a polars DataFrame (requires polars)."""
        return self.buckets.to_polars()

    def _repr_html_(self) -> str:
        return self.buckets._repr_html_()

    def __str__(self) -> str:
        if not self.overpaid:
            return str(self.buckets)
        n = self.overpaid
        invoices = f"{fmt_number(n)} invoice{'s' if n != 1 else ''}"
        return (
            f"{self.buckets}\npaid beyond the amount: {invoices}, credit {fmt_number(self.credit)}"
        )

    def __repr__(self) -> str:
        return (
            f"ReceivablesAging(as_of={self.as_of!r}, total={self.total!r}, "
            f"overdue={self.overdue!r}, invoices={len(self.invoices)}, settled={self.settled}, "
            f"overpaid={self.overpaid}, credit={self.credit!r})"
        )


def _money(row: int, column: str, value: object, *, blank_is_zero: bool, decimal: str) -> float:
    if is_blank(value):
        if blank_is_zero:
            return 0.0
        raise IN_MEMORY.error(row, "missing amount", column=column, value=value)
    try:
        number_ = number(value, decimal) if isinstance(value, str) else float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError) as exc:
        detail = f"{exc}" if isinstance(value, str) else f"not a number (got {value!r})"
        raise IN_MEMORY.error(row, detail, column=column, value=value) from None
    if not math.isfinite(number_) or number_ < 0:
        detail = f"must be finite and >= 0 (got {value!r})"
        raise IN_MEMORY.error(row, detail, column=column, value=value)
    return number_


def _date(row: int, column: str, value: object, tz: object) -> np.datetime64 | None:
    try:
        return one_time(value, tz)
    except ValueError as exc:
        detail = f"unparsable date ({exc})"
        raise IN_MEMORY.error(row, detail, column=column, value=value) from None


def receivables_aging(  # over 80 lines: half of them are the docstring and its example
    invoices: Iterable[Mapping[str, Any]],
    as_of: object,
    *,
    key: str = "customer",
    amount: str = "amount",
    due: str = "due",
    paid: str | None = "paid",
    paid_date: str | None = "paid_date",
    decimal: str = ".",
    tz: object = None,
) -> ReceivablesAging:
    """Bucket the amounts still owed at ``as_of`` by days overdue.

    Parameters
    ----------
    invoices
        One mapping per invoice; the column names are parameters. ``key``
        identifies the invoice (a deal or a customer); ``paid`` and
        ``paid_date`` are optional (``None`` or a blank cell: nothing paid,
        or paid at an unknown date that counts as paid).
    as_of
        Reporting date (date, datetime or ISO string).
    decimal
        The decimal mark of amounts written as text (``'.'`` or ``','``);
        the other mark is accepted only as a thousands separator in full
        groups of three (see :doc:`/data-hygiene`).
    tz
        The zone of dates without a UTC offset (converted to UTC), as for
        :meth:`DealLog.from_columns <salesfunnel.DealLog.from_columns>`.

    Raises
    ------
    FunnelDataError
        Naming the row and column of a missing or bad amount or date, also
        as the error's ``index``, ``column`` and ``value``.

    Examples
    --------
    >>> inv = [
    ...     {"customer": "Acme", "amount": 100, "due": "2024-03-01"},
    ...     {"customer": "Beta", "amount": 50, "due": "2024-01-15", "paid": 20,
    ...      "paid_date": "2024-02-01"},
    ...     {"customer": "Core", "amount": 70, "due": "2024-01-01", "paid": 70},
    ... ]
    >>> aging = receivables_aging(inv, "2024-03-01")
    >>> print(aging)
    receivables at 2024-03-01
    bucket   invoices  outstanding
    -------  --------  -----------
    current         1          100
    1-30            0            0
    31-60           1           30
    61-90           0            0
    90+             0            0
    >>> aging.settled, aging.overdue
    (1, 30.0)

    Paid beyond the amount: settled, and the excess reported as a credit.

    >>> over = receivables_aging([{"customer": "Dex", "amount": 80, "due": "2024-01-01",
    ...                            "paid": 100}], "2024-03-01")
    >>> over.settled, over.overpaid, over.credit, over.total
    (1, 1, 20.0, 0.0)
    """
    if decimal not in (".", ","):
        msg = f"decimal must be '.' or ',' (got {decimal!r})"
        raise FunnelDataError(msg, column="decimal", value=decimal)
    try:
        t = one_time(as_of, tz)
    except ValueError as exc:
        msg = f"as_of: unparsable date ({exc})"
        raise FunnelDataError(msg, column="as_of", value=as_of) from None
    if t is None:
        raise FunnelDataError("as_of must be a date (got a blank value)", column="as_of")
    day = int(t.astype("datetime64[D]").astype(np.int64))
    as_of_s = int(t.astype(np.int64))
    per_bucket = {b: [0, 0.0] for b in BUCKETS}
    rows: list[tuple[Cell, ...]] = []
    settled = overpaid = 0
    credit = 0.0
    for i, inv in enumerate(invoices):
        if not isinstance(inv, Mapping):
            detail = f"an invoice must be a mapping of column to value (got {type(inv).__name__})"
            raise IN_MEMORY.error(i, detail, value=inv)
        ident = inv.get(key)
        if is_blank(ident):
            raise IN_MEMORY.error(i, "missing key", column=key, value=ident)
        total = _money(i, amount, inv.get(amount), blank_is_zero=False, decimal=decimal)
        due_t = _date(i, due, inv.get(due), tz)
        if due_t is None:
            raise IN_MEMORY.error(i, "missing due date", column=due, value=inv.get(due))
        paid_now = 0.0
        if paid is not None:
            value = _money(i, paid, inv.get(paid), blank_is_zero=True, decimal=decimal)
            when = None if paid_date is None else _date(i, paid_date, inv.get(paid_date), tz)
            if when is None or int(when.astype(np.int64)) <= as_of_s:
                paid_now = value
        outstanding = total - paid_now
        if outstanding <= 0:
            settled += 1
            if outstanding < 0:
                overpaid += 1
                credit -= outstanding
            continue
        days = day - int(due_t.astype("datetime64[D]").astype(np.int64))
        bucket = _bucket(days)
        per_bucket[bucket][0] += 1
        per_bucket[bucket][1] += outstanding
        due_day = str(due_t.astype("datetime64[D]"))
        rows.append((str(ident), due_day, outstanding, max(days, 0), bucket))
    rows.sort(key=lambda r: (-int(r[3] or 0), str(r[0])))
    label = str(t.astype("datetime64[D]"))
    buckets = ResultTable(
        f"receivables at {label}",
        ("bucket", "invoices", "outstanding"),
        tuple((b, int(per_bucket[b][0]), float(per_bucket[b][1])) for b in BUCKETS),
    )
    table = ResultTable(
        "outstanding invoices",
        ("key", "due", "outstanding", "days_overdue", "bucket"),
        tuple(rows),
    )
    return ReceivablesAging(label, buckets, table, settled, overpaid, credit)

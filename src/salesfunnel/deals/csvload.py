"""A CSV file's columns converted batch by batch, as :func:`~.columns.convert` converts them whole.

``DealLog.from_csv`` reads a file in batches (:meth:`~salesfunnel._csvio.CsvFile.batches`)
and hands each to :class:`TextColumns`, which turns it into its final compact
form at once (label codes, ranked deal ids and owners, ``datetime64[s]``,
float amounts) and lets the text go: the memory of a load is the log plus
one batch, not the file's cells as Python strings.

The result, and the error, are those of converting the whole columns in one
pass. An error is kept, not raised, until the file has been read, since an
error of the reader anywhere (a malformed line) comes first; among the
columns' errors the order of :func:`~.columns.convert` holds (labels, deal
ids, times, amounts, each at its first bad value), with two rules of a whole
column that a batch alone cannot see:

* times: an unparsable time (or one that mixes time zones) anywhere comes
  before a blank time;
* amounts: when one cell anywhere is not a plain number, every cell is read
  by :func:`~salesfunnel._csvio.number`, which refuses a few cells that
  ``float()`` reads (``+nan``); a bad cell comes before a negative or
  infinite amount.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from .._csvio import IN_MEMORY, Rows
from ..errors import FunnelDataError
from . import columns as _c
from .columns import Columns
from .pipeline import Pipeline

__all__ = ["TextColumns"]

# Error ranks: the lower one wins (see the module docstring).
_PIPELINE, _LABEL, _DEAL, _TIME, _UNDATED, _AMOUNT, _RANGE = range(7)


class TextColumns:
    """Text columns of a file, added batch by batch; :meth:`finish` gives the log's fields."""

    def __init__(self, pipeline: object, spec: Columns) -> None:
        self.pipeline = pipeline
        self.spec = spec
        self.parser = spec.parser()
        self.errors: dict[int, FunnelDataError] = {}
        self.rows = 0
        self.kept = 0
        self.codes: list[np.ndarray] = []
        self.deals: list[npt.NDArray[np.int64]] = []  # codes in order of first sight
        self.deal_ids: dict[str, int] = {}
        self.owners: list[tuple[np.ndarray, np.ndarray]] = []
        self.extra: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {c: [] for c in spec.keep}
        self.times: list[npt.NDArray[np.datetime64]] = []
        self.amounts: list[npt.NDArray[np.float64]] = []
        self.amount_cell: FunnelDataError | None = None  # first cell number() refuses
        self.amount_slow = False  # some cell is not a plain number: number() reads them all
        try:
            _c.check_pipeline(pipeline)
        except FunnelDataError as exc:
            self._keep(_PIPELINE, exc)

    def _open(self, rank: int) -> bool:
        """True while an error of ``rank`` would still win over those kept."""
        return not self.errors or rank < min(self.errors)

    def _keep(self, rank: int, error: FunnelDataError) -> None:
        self.errors.setdefault(rank, error.with_traceback(None))

    def _check(self, rank: int, check: Callable[..., None], *args: Any) -> None:
        """Run ``check``, keeping its error at ``rank``."""
        try:
            check(*args)
        except FunnelDataError as exc:
            self._keep(rank, exc)

    def add(self, cells: Mapping[str, list[str]], where: Rows) -> None:
        """Convert one batch (``where`` locates its records in the whole file)."""
        n = len(cells[self.spec.stage])
        self.rows += n
        if not self._open(_LABEL):
            return
        spec = self.spec
        assert isinstance(self.pipeline, Pipeline)
        try:
            stage = np.array([v.strip() for v in cells[spec.stage]], dtype=str)
            codes, keep = _c.text_label_codes(
                stage, self.pipeline, spec.stage, where, spec.drop_unknown
            )
        except FunnelDataError as exc:
            self._keep(_LABEL, exc)
            return
        index = None if keep.all() else np.flatnonzero(keep)
        self.codes.append(codes if index is None else codes[index])

        def take(name: str) -> list[str]:
            values = cells[name]
            return values if index is None else [values[i] for i in index.tolist()]

        row_of = where if index is None else where.taken(index)
        self.kept += n if index is None else len(index)
        if self._open(_DEAL):
            self._deal(take(spec.deal), row_of)
        if self._open(_TIME):
            self._time(take(spec.time), row_of)
        if spec.owner is not None and not self.errors:
            self.owners.append(_c.ranked([v.strip() or _c.UNASSIGNED for v in take(spec.owner)]))
        for c, parts in self.extra.items():
            if not self.errors:
                parts.append(_c.ranked([v.strip() or _c.UNASSIGNED for v in take(c)]))
        if spec.amount is not None and self._open(_AMOUNT):
            self._amount(take(spec.amount), row_of)

    def _deal(self, values: list[str], where: Rows) -> None:
        stripped = [v.strip() for v in values]
        if not all(stripped):
            i = stripped.index("")
            v = values[i]
            self._keep(
                _DEAL,
                where.error(i, f"missing deal id (got {v!r})", column=self.spec.deal, value=v),
            )
            return
        # Codes in order of first sight; the ids themselves are kept once, as the table.
        table, inverse = np.unique(np.array(stripped, dtype=str), return_inverse=True)
        seen, first = self.deal_ids, self.deal_ids.setdefault
        codes = (first(v, len(seen)) for v in table.tolist())  # len() comes before the insert
        self.deals.append(np.fromiter(codes, np.int64, len(table))[inverse.reshape(-1)])

    def _time(self, values: list[str], where: Rows) -> None:
        column = self.spec.time
        try:
            out = _c._iso_naive(values, self.parser)
            if out is None:
                obj = np.array(values, dtype=object)
                out = _c._times_each(obj, column, where, self.parser)
        except FunnelDataError as exc:
            self._keep(_TIME, exc)
            return
        self._check(_UNDATED, _c._check_dated, out, values, column, where)
        self.times.append(out)

    def _amount(self, values: list[str], where: Rows) -> None:
        column, decimal = self.spec.amount, self.spec.decimal
        assert column is not None
        out = _c._plain_floats(values) if decimal == "." else None
        if out is None:
            self.amount_slow = True
            out = np.empty(len(values), np.float64)
            try:
                for i, v in enumerate(values):
                    out[i] = _c._amount(v, i, column, where, decimal)
            except FunnelDataError as exc:
                if self.amount_cell is None:
                    self.amount_cell = exc.with_traceback(None)
        elif self.amount_cell is None:
            # Plain numbers that number() would still refuse (NaN with a sign): they
            # matter only if some cell of the file sends every cell through number().
            for i in np.flatnonzero(~np.isfinite(out)).tolist():
                try:
                    _c._amount(values[i], i, column, where, decimal)
                except FunnelDataError as exc:
                    self.amount_cell = exc.with_traceback(None)
                    break
        if self.amount_slow and self.amount_cell is not None:
            self._keep(_AMOUNT, self.amount_cell)
            return
        self._check(_RANGE, _c._check_amounts, out, values, column, where)
        self.amounts.append(out)

    def finish(self) -> dict[str, Any]:
        """The log's fields; raises the error that one pass over the whole columns would."""
        if self.errors:
            raise self.errors[min(self.errors)]
        spec = self.spec
        assert isinstance(self.pipeline, Pipeline)
        if self.kept == 0:
            empty = {c: np.array([], dtype=object) for c in spec.wanted}
            fields = _c.convert(self.pipeline, spec, empty, IN_MEMORY)
            if self.codes:
                fields["code"] = np.concatenate(self.codes)
            fields["dropped"] = self.rows
            return fields
        # Codes in order of first sight -> ranks in the sorted table, as np.unique gives.
        firsts = list(self.deal_ids)
        self.deal_ids.clear()
        order = np.argsort(np.array(firsts, dtype=str), kind="stable")
        rank = np.empty(len(order), np.int64)
        rank[order] = np.arange(len(order))
        deal = _joined(self.deals)
        np.take(rank, deal, out=deal)
        table = np.array(firsts, dtype=object)[order]
        del firsts
        owner: np.ndarray | None = None
        owners: tuple[str, ...] = ()
        if spec.owner is not None:
            names, owner = _c.merge_ranked(self.owners, np.int32)
            owners = tuple(str(u) for u in names)
        return _c.fields_of(
            self.pipeline,
            _joined(self.codes),
            deal,
            table,
            0,
            _joined(self.times),
            owner,
            owners,
            None if spec.amount is None else _joined(self.amounts),
            self.rows - self.kept,
            {c: _kept(parts) for c, parts in self.extra.items()},
        )


def _kept(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, tuple[str, ...]]:
    names, codes = _c.merge_ranked(parts, np.int32)
    return codes, tuple(str(u) for u in names)


def _joined(parts: list[Any]) -> Any:
    """The batches' arrays as one, letting them go (the peak holds one column twice, not all)."""
    whole = np.concatenate(parts)
    parts.clear()
    return whole

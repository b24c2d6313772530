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
  by :func:`~salesfunnel._numbers.number`, which refuses a few cells that
  ``float()`` reads (``+nan``); a bad cell comes before a negative or
  infinite amount.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from .._csvio import IN_MEMORY, Rows
from .._csvplain import PlainCells
from ..errors import FunnelDataError
from . import columns as _c, csvtext as _t
from .amountcolumn import amount_cell, check_amounts
from .arrowdeals import arrow_fields
from .columns import Columns
from .pipeline import Pipeline

__all__ = ["TextColumns", "arrow_fields"]

_Grab = Callable[[str, int], "tuple[np.ndarray, np.ndarray] | None"]
"""``grab(column, longest)``: a plain batch's column as padded bytes and sizes, or ``None``."""

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
        # Ids as numbers while every one is plain digits (see csvtext.digit_ids), else
        # codes into deal_ids: the ids themselves are kept once, as the table.
        self.deals: list[npt.NDArray[np.int64]] = []
        self.digits = True
        self.deal_ids: dict[str, int] = {}
        self.owners = _t.TextCoder(_c.UNASSIGNED)
        self.extra = {c: _t.TextCoder(_c.UNASSIGNED) for c in spec.keep}
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
        """Convert one batch (``where`` locates its records in the whole file).

        A batch of plain lines (:class:`~salesfunnel._csvplain.PlainCells`) is read
        column by column from its bytes where the column has the shape for it; any
        other column, or batch, cell by cell (whose results and errors decide).
        """
        plain = cells if isinstance(cells, PlainCells) else None
        n = plain.rows if plain is not None else len(cells[self.spec.stage])
        self.rows += n
        if not self._open(_LABEL):
            return
        spec = self.spec
        assert isinstance(self.pipeline, Pipeline)
        codes = _known_labels(cells, spec.stage, self.pipeline)
        index = None
        if codes is None:
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

        def grab(name: str, longest: int) -> tuple[np.ndarray, np.ndarray] | None:
            if plain is None or (index is not None and not len(index)):
                return None  # not plain, or no row kept: the text path says what to do
            return plain.column_bytes(name, longest, index)

        row_of = where if index is None else where.taken(index)
        self.kept += n if index is None else len(index)
        if self._open(_DEAL):
            self._deal(take, grab, row_of)
        if self._open(_TIME):
            self._time(take, grab, row_of)
        for c, coder in [(spec.owner, self.owners), *self.extra.items()]:
            if c is not None and not self.errors:
                kept = plain is not None and (index is None or len(index) > 0)
                keys = plain.column_keys(c, index) if plain is not None and kept else None
                got = grab(c, 64) if keys is None else None
                if keys is not None:
                    coder.add_distinct(*_t.distinct_keys(keys))
                elif got is not None:
                    coder.add_distinct(*_t.distinct_cells(got[0]))
                else:
                    coder.add(take(c))
        if spec.amount is not None and self._open(_AMOUNT):
            self._amount(take(spec.amount), row_of)

    def _deal(self, take: Callable[[str], list[str]], grab: _Grab, where: Rows) -> None:
        column = self.spec.deal
        if self.digits:
            got = grab(column, 18)
            numbers = _t.digit_ids(take(column)) if got is None else _t.digit_matrix(*got)
            if numbers is not None:
                self.deals.append(numbers)
                return
            self._deal_texts()
        values = take(column)
        seen = self.deal_ids
        distinct = dict.fromkeys(values)
        if list(map(str.strip, distinct)) == list(distinct) and "" not in distinct:
            # Stripped and not blank: codes in any order (finish() ranks them by text).
            fresh = distinct.keys() - seen.keys()
            seen.update(zip(fresh, itertools.count(len(seen))))
            self.deals.append(np.fromiter(map(seen.__getitem__, values), np.int64, len(values)))
            return
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

    def _deal_texts(self) -> None:
        """Leave the ids-as-numbers form: the numbers read so far become codes of their texts."""
        self.digits = False
        if self.deals:
            numbers, place = np.unique(_joined(self.deals), return_inverse=True)
            self.deal_ids.update(zip(map(str, numbers.tolist()), itertools.count()))
            self.deals.append(place.reshape(-1).astype(np.int64))

    def _time(self, take: Callable[[str], list[str]], grab: _Grab, where: Rows) -> None:
        column, parser = self.spec.time, self.parser
        if parser.reads_digits:
            got = grab(column, 19)
            out = None
            if got is not None and got[1].min() == got[1].max() == got[0].shape[1]:
                out = _t.iso_matrix(got[0])
            if out is not None and not parser.digits_read(out):
                out = None  # a time the clocks skip or repeat: named cell by cell below
            if out is not None:
                if parser.first_aware is None and got is not None and got[0].shape[1] == 19:
                    parser.saw(False, bytes(got[0][0]).decode("ascii"))  # the first time of day
                self.times.append(out)
                return
        values = take(column)
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
        out = _t.text_floats(values) if decimal == "." else None
        if out is None:
            self.amount_slow = True
            out = np.empty(len(values), np.float64)
            try:
                for i, v in enumerate(values):
                    out[i] = amount_cell(v, i, column, where, decimal)
            except FunnelDataError as exc:
                if self.amount_cell is None:
                    self.amount_cell = exc.with_traceback(None)
        elif self.amount_cell is None:
            # Plain numbers that number() would still refuse (NaN with a sign): they
            # matter only if some cell of the file sends every cell through number().
            for i in np.flatnonzero(~np.isfinite(out)).tolist():
                try:
                    amount_cell(values[i], i, column, where, decimal)
                except FunnelDataError as exc:
                    self.amount_cell = exc.with_traceback(None)
                    break
        if self.amount_slow and self.amount_cell is not None:
            self._keep(_AMOUNT, self.amount_cell)
            return
        self._check(_RANGE, check_amounts, out, values, column, where)
        self.amounts.append(out)

    def finish(self, source: str | None = None) -> dict[str, Any]:
        """The log's fields; raises the error that one pass over the whole columns would.

        Warns (``SubsecondTimesWarning``, naming ``source``) if times lost fractions.
        """
        if self.errors:
            raise self.errors[min(self.errors)]
        self.parser.warn_floored(self.spec.time, source, self.kept)
        spec = self.spec
        assert isinstance(self.pipeline, Pipeline)
        if self.kept == 0:
            empty = {c: np.array([], dtype=object) for c in spec.wanted}
            fields = _c.convert(self.pipeline, spec, empty, IN_MEMORY)
            if self.codes:
                fields["code"] = np.concatenate(self.codes)
            fields["dropped"] = self.rows
            return fields
        deal, table = self._deal_codes()
        owner: np.ndarray | None = None
        owners: tuple[str, ...] = ()
        if spec.owner is not None:
            owner, owners = _kept(self.owners)
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
            {c: _kept(coder) for c, coder in self.extra.items()},
        )

    def _deal_codes(self) -> tuple[npt.NDArray[np.int64], np.ndarray | _t.NumberTable]:
        """Each row's rank among the ids sorted as text (as ``np.unique`` ranks), and the ids."""
        if self.digits:  # the table stays numbers, made text when read (NumberTable)
            deal = _joined(self.deals)
            table = _t.number_text_codes(deal)
            assert table is not None  # sorted when sparse
            return deal, _t.NumberTable(table)
        # Codes in order of first sight -> ranks in the sorted table, as np.unique gives.
        firsts: Sequence[str] = list(self.deal_ids)
        self.deal_ids.clear()
        order = np.argsort(np.array(firsts, dtype=str), kind="stable")
        deal = _joined(self.deals)
        ranked = np.array(firsts, dtype=object)[order]
        del firsts
        rank = np.empty(len(order), np.int64)
        rank[order] = np.arange(len(order))
        np.take(rank, deal, out=deal)
        return deal, ranked


def _known_labels(
    cells: Mapping[str, list[str]], column: str, pipeline: Pipeline
) -> np.ndarray | None:
    """The codes of a batch's labels when the pipeline knows each one, else ``None``."""
    labels, dtype = pipeline.labels, _c.code_dtype(pipeline)
    texts: list[str] | None = None
    if isinstance(cells, PlainCells):
        keys = cells.column_keys(column)
        got = cells.column_bytes(column, 64) if keys is None else None
        if keys is not None:
            texts, inverse = _t.distinct_keys(keys)
        elif got is not None:
            texts, inverse = _t.distinct_cells(got[0])
    if texts is not None:
        known = [labels.index(u.strip()) if u.strip() in pipeline else -1 for u in texts]
        return None if -1 in known else np.array(known, dtype)[inverse]
    values = cells[column]
    lut = {
        u: labels.index(u.strip()) if u.strip() in pipeline else -1 for u in dict.fromkeys(values)
    }
    if -1 in lut.values():
        return None
    return np.fromiter(map(lut.__getitem__, values), dtype, len(values))


def _kept(coder: _t.TextCoder) -> tuple[np.ndarray, tuple[str, ...]]:
    codes, names = coder.finish()
    return codes, tuple(str(u) for u in names)


def _joined(parts: list[Any]) -> Any:
    """The batches' arrays as one, letting them go (the peak holds one column twice, not all)."""
    whole = np.concatenate(parts)
    parts.clear()
    return whole

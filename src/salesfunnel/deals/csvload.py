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
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import numpy.typing as npt

from .._csvio import IN_MEMORY, CsvFile, Rows
from .._csvplain import PlainCells
from ..errors import FunnelDataError
from . import arrowcsv as _arrow, columns as _c, csvtext as _t
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
        if parser.date_format is None and parser.tz is None and not parser.first_aware:
            got = grab(column, 19)
            out = None
            if got is not None and got[1].min() == got[1].max() == got[0].shape[1]:
                out = _t.iso_matrix(got[0])
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


def arrow_fields(file: CsvFile, pipeline: object, spec: Columns, delimiter: str) -> dict[str, Any]:
    """The log's fields read by pyarrow, as :class:`TextColumns` would give them.

    Raises :class:`~.arrowcsv.Unfit` wherever the two could differ, errors
    included: the caller then reads the file with the pure reader.
    """
    import pyarrow as pa

    if not isinstance(pipeline, Pipeline) or spec.date_format is not None:
        raise _arrow.Unfit
    text = pa.dictionary(pa.int32(), pa.string())
    roles = {spec.deal: pa.string(), spec.stage: text}
    roles[spec.time] = pa.timestamp("s") if spec.tz is None else pa.string()
    if spec.owner is not None:
        roles[spec.owner] = text
    if spec.amount is not None:
        roles[spec.amount] = pa.float64() if spec.decimal == "." else pa.string()
    if len(roles) != len(spec.wanted):
        raise _arrow.Unfit  # one column in two roles
    table = _arrow.read_body(file.source, file.header, file.header_lines, roles, delimiter)
    rows = table.num_rows
    labels, index = _arrow.stripped_dictionary(table.column(spec.stage))
    lut = np.array([pipeline.labels.index(u) if u in pipeline else -1 for u in labels], np.int16)
    codes = lut[index] if len(labels) else np.zeros(0, np.int16)
    keep = codes >= 0
    kept: Any = None
    if not keep.all():
        if not spec.drop_unknown or not keep.any():
            raise _arrow.Unfit
        kept = _arrow.int_array(np.flatnonzero(keep))
        table = table.take(kept)
        codes = codes[keep]
    del index, keep
    # The ids (their table read later) are coded beside the other columns: Arrow's
    # and numpy's loops release the GIL.
    with ThreadPoolExecutor(1) as pool:
        coding = pool.submit(_arrow.sorted_text_codes, table.column(spec.deal), lazy=True)
        try:
            times, owner, owners, amount = _other_columns(table, spec)
        finally:
            deal = coding.result()
    if deal is None:
        raise _arrow.Unfit  # a blank id
    return _c.fields_of(
        pipeline,
        codes.astype(_c.code_dtype(pipeline)),
        deal[0],
        deal[1],
        0,
        times,
        owner,
        owners,
        amount,
        rows - len(codes),
    )


def _other_columns(table: Any, spec: Columns) -> tuple[Any, Any, tuple[str, ...], Any]:
    """``(times, owner, owners, amount)`` of the fast path's ``table``, or :class:`Unfit`."""
    time = table.column(spec.time)
    if time.null_count:
        raise _arrow.Unfit  # a blank time
    times = _times(time, spec)
    owner: np.ndarray | None = None
    owners: tuple[str, ...] = ()
    if spec.owner is not None:
        owner, owners = _owners(table.column(spec.owner))
    amount = None if spec.amount is None else _amounts(table.column(spec.amount), spec)
    return times, owner, owners, amount


def _times(column: Any, spec: Columns) -> npt.NDArray[np.datetime64]:
    if spec.tz is None:  # parsed by pyarrow: plain ISO 8601 without offsets
        # numpy_of, not to_numpy: the latter imports pandas (a quarter second of a fresh CLI)
        out: npt.NDArray[np.datetime64] = _arrow.numpy_of(column)
        return out.astype("datetime64[s]", copy=False)
    values = np.array(column.to_pylist(), dtype=object)
    try:
        return _c.times(values, spec.time, IN_MEMORY, spec.parser())
    except FunnelDataError:
        raise _arrow.Unfit from None


def _owners(column: Any) -> tuple[np.ndarray, tuple[str, ...]]:
    names, index = _arrow.stripped_dictionary(column)
    names = [n or _c.UNASSIGNED for n in names]
    table, place = np.unique(np.array(names, dtype=str), return_inverse=True)
    owner = place.reshape(-1).astype(np.int32)[index] if len(names) else index
    return owner, tuple(str(u) for u in table)


def _amounts(column: Any, spec: Columns) -> npt.NDArray[np.float64]:
    assert spec.amount is not None
    if spec.decimal == ".":  # parsed by pyarrow; a blank cell is null
        out: npt.NDArray[np.float64] = column.to_numpy(zero_copy_only=False).astype(np.float64)
        # NaN only for blank cells: a written 'nan' is left to the pure reader's rules.
        if not (np.isfinite(out).sum() + column.null_count == len(out) and (out >= 0).all()):
            if int(np.isnan(out).sum()) != column.null_count or (out[~np.isnan(out)] < 0).any():
                raise _arrow.Unfit
            if not np.isfinite(out[~np.isnan(out)]).all():
                raise _arrow.Unfit
        return out
    values = np.array(column.to_pylist(), dtype=object)
    try:
        return _c.amounts(values, spec.amount, IN_MEMORY, spec.decimal)
    except FunnelDataError:
        raise _arrow.Unfit from None

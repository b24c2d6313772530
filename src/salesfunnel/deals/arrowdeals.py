"""``DealLog.from_csv``'s pyarrow fast path: the parsed columns as the log's fields.

:func:`arrow_fields` gives what :class:`~.csvload.TextColumns` (the pure reader)
would give, or stands aside (:class:`~.arrowcsv.Unfit`) wherever the two could
differ, errors included; see :mod:`.arrowcsv` for the rules.

After pyarrow's parse the deal ids are ranked on a second thread
(:func:`.dealids.prepare`: Arrow's and numpy's loops release the GIL) while
this one sets up the other columns. The labels, times and owners are then
filled chunk by chunk (:data:`~.arrowcsv.Fill`) into arrays of their own in
small pages (:func:`~salesfunnel._arrays.fresh_array`): the labels and owners gathered
through their dictionaries, with no array of every row's dictionary index;
the check for over-long cells is one more fill. Both threads run the fills
from one list, the ids' thread once its ids are ranked; then both read each
row's rank (:meth:`.dealids.Prepared.fills`).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import numpy as np
import numpy.typing as npt

from .._csvio import IN_MEMORY, CsvFile
from .._time import TimeParser
from ..errors import FunnelDataError
from . import arrowcsv as _arrow, columns as _c, dealids
from .amountcolumn import amounts
from .arrowcsv import Fill
from .columns import Columns
from .pipeline import Pipeline

__all__ = ["arrow_fields"]


def arrow_fields(file: CsvFile, pipeline: object, spec: Columns, delimiter: str) -> dict[str, Any]:
    """The log's fields read by pyarrow, as :class:`~.csvload.TextColumns` would give them.

    Raises :class:`~.arrowcsv.Unfit` wherever the two could differ, errors
    included: the caller then reads the file with the pure reader.
    """
    import pyarrow as pa

    if not isinstance(pipeline, Pipeline) or spec.date_format is not None:
        raise _arrow.Unfit
    text = pa.dictionary(pa.int32(), pa.string())
    roles = {spec.deal: pa.string(), spec.stage: text}
    roles[spec.time] = pa.timestamp("s")  # wall-clock times of spec.tz, if given
    if spec.owner is not None:
        roles[spec.owner] = text
    if spec.amount is not None:
        roles[spec.amount] = pa.float64() if spec.decimal == "." else pa.string()
    if len(roles) != len(spec.wanted):
        raise _arrow.Unfit  # one column in two roles
    table = _arrow.read_body(
        file.source, file.header, file.header_lines, roles, delimiter, cells_checked=False
    )
    rows = table.num_rows
    long: list[bool] = []
    # Every row's cells, the dropped rows' too (as the pure reader reads them).
    fills: list[Fill] = [partial(_long_cells, table, long)]
    codes, table = _label_codes(table, spec, pipeline, fills)
    with ThreadPoolExecutor(1) as pool:
        coding = pool.submit(_ids_then_fills, table.column(spec.deal), fills)
        try:
            times, owner, owners, amount = _other_columns(table, spec, fills)
            _arrow.run_fills(fills)
        finally:
            prepared = coding.result()
        deal: tuple[npt.NDArray[np.int64], Any] | None
        if isinstance(prepared, dealids.Prepared):  # each row's rank: on both threads
            fills = prepared.fills()
            other = pool.submit(_arrow.run_fills, fills)
            _arrow.run_fills(fills)
            other.result()
            deal = prepared.codes()
        else:
            deal = prepared
    if deal is None or long != [False]:
        raise _arrow.Unfit  # a blank id, or a cell too long for the pure reader
    return _c.fields_of(
        pipeline,
        codes,
        deal[0],
        deal[1],
        0,
        times,
        owner,
        owners,
        amount,
        rows - len(codes),
    )


def _long_cells(table: Any, out: list[bool]) -> None:
    out.append(_arrow.long_cell(table))


def _ids_then_fills(
    column: Any, fills: list[Fill]
) -> dealids.Prepared | tuple[npt.NDArray[np.int64], Any] | None:
    """The ids ranked by slot, or coded (:func:`.dealids.prepare`), then a share of the
    ``fills`` left."""
    coded = dealids.prepare(column)
    _arrow.run_fills(fills)
    return coded


def _label_codes(
    table: Any, spec: Columns, pipeline: Pipeline, fills: list[Fill]
) -> tuple[npt.NDArray[np.int8], Any]:
    """The rows' label codes (full once ``fills`` have run) and the table of the rows kept.

    When the pipeline knows every label of the column's dictionary (so every row's),
    the codes are gathered chunk by chunk through the dictionary; otherwise the rows
    of unknown labels are dropped (``drop_unknown``) or the fast path stands aside.
    """
    column = table.column(spec.stage)
    luts: list[np.ndarray] = []

    def lookup(labels: list[str]) -> np.ndarray:
        known = [pipeline.labels.index(u) if u in pipeline else -1 for u in labels]
        luts.append(np.array(known, np.int16))
        return luts[-1].astype(_c.code_dtype(pipeline))

    codes, parts = _arrow.dictionary_fills(column, lookup)
    if not luts[0].size or int(luts[0].min()) >= 0:
        fills += parts
        return codes, table
    _, index = _arrow.stripped_dictionary(column)
    keep = luts[0][index] >= 0
    if keep.all():  # an unknown entry of the dictionary that no row has
        return luts[0][index].astype(_c.code_dtype(pipeline)), table
    if not spec.drop_unknown or not keep.any():
        raise _arrow.Unfit
    kept = _arrow.int_array(np.flatnonzero(keep))
    return luts[0][index[keep]].astype(_c.code_dtype(pipeline)), _used_entries(table.take(kept))


def _used_entries(table: Any) -> Any:
    """``table`` with each dictionary column coded afresh: a dictionary then holds only
    the values some row has, as the pure reader sees them (an owner named only on the
    rows dropped is no owner of the log)."""
    import pyarrow as pa

    for i, field in enumerate(table.schema):
        if pa.types.is_dictionary(field.type):
            values = table.column(i).cast(field.type.value_type).dictionary_encode()
            table = table.set_column(i, field.name, values)
    return table


def _other_columns(
    table: Any, spec: Columns, fills: list[Fill]
) -> tuple[Any, Any, tuple[str, ...], Any]:
    """``(times, owner, owners, amount)`` of the fast path's ``table`` (full once ``fills``
    have run), or :class:`~.arrowcsv.Unfit`."""
    time = table.column(spec.time)
    if time.null_count:
        raise _arrow.Unfit  # a blank time
    times = _times(time, spec, fills)
    owner: np.ndarray | None = None
    owners: tuple[str, ...] = ()
    if spec.owner is not None:
        owner, owners = _owners(table.column(spec.owner), fills)
    amount = None if spec.amount is None else _amounts(table.column(spec.amount), spec)
    return times, owner, owners, amount


def _times(column: Any, spec: Columns, fills: list[Fill]) -> npt.NDArray[np.datetime64]:
    # Parsed by pyarrow: plain ISO 8601 without offsets (pyarrow refuses a time with one).
    if spec.tz is not None:
        return zoned_times(column, spec.parser())
    # numpy's, not to_numpy: the latter imports pandas (a quarter second of a fresh CLI)
    out, parts = _arrow.numpy_fills(column)  # timestamp("s"): datetime64[s]
    fills += parts
    return out


def zoned_times(values: Any, parser: TimeParser) -> npt.NDArray[np.datetime64]:
    """A ``timestamp("s")`` column of wall-clock times of ``parser.tz`` as UTC
    ``datetime64[s]`` (one copy, converted in place), or :class:`Unfit` when a time
    the clocks skip or show twice is among them: the pure reader names it."""
    out = _arrow.numpy_of(values, writable=True)
    if not parser.walls_to_utc(out):
        raise _arrow.Unfit
    return out


def _owners(column: Any, fills: list[Fill]) -> tuple[np.ndarray, tuple[str, ...]]:
    """Owner codes into the sorted names (a blank one is ``UNASSIGNED``), full once
    ``fills`` have run, and the names."""
    found: list[str] = []

    def lookup(names: list[str]) -> np.ndarray:
        named = np.array([n or _c.UNASSIGNED for n in names], dtype=str)
        table, place = np.unique(named, return_inverse=True)
        found.extend(str(u) for u in table)
        return place.reshape(-1).astype(np.int32)

    owner, parts = _arrow.dictionary_fills(column, lookup)
    fills += parts
    return owner, tuple(found)


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
        return amounts(values, spec.amount, IN_MEMORY, spec.decimal)
    except FunnelDataError:
        raise _arrow.Unfit from None

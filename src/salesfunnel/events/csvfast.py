"""``EventLog.from_csv``'s fast path: the body parsed by pyarrow, then coded on two threads.

:func:`arrow_fields` gives the fields of an :class:`~salesfunnel.EventLog`
as the pure reader would build them, or raises
:class:`~salesfunnel.deals.arrowcsv.Unfit` (the pure reader then reads the
file and names any error); see :mod:`salesfunnel.deals.arrowcsv` for when it
stands aside. Text properties stay coded (:mod:`.props`).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from .._csvio import CsvFile
from ..deals.arrowcsv import (
    Fill,
    Unfit,
    dictionary_fills,
    long_cell,
    numpy_fills,
    read_body,
    run_fills,
    sorted_text_codes,
)
from ..deals.arrowdeals import zoned_times
from .props import CodedText

if TYPE_CHECKING:
    from .log import _Spec

__all__ = ["arrow_fields"]

I64 = npt.NDArray[np.int64]


def _text_array(values: list[str]) -> np.ndarray:
    return np.array(values, dtype=str)


def arrow_fields(file: CsvFile, spec: _Spec, delimiter: str) -> dict[str, Any]:
    """The log's fields read by pyarrow, as the pure reader gives them, or :class:`Unfit`."""
    import pyarrow as pa

    if spec.date_format is not None:
        raise Unfit
    roles = {
        spec.entity: pa.string(),
        spec.event: pa.dictionary(pa.int32(), pa.string()),
        spec.time: pa.timestamp("s"),  # wall-clock times of spec.tz, if given
    }
    # Properties as dictionaries: each distinct text stripped once, not once per row.
    roles.update({p: pa.dictionary(pa.int32(), pa.string()) for p in spec.properties
                  if p not in roles})  # fmt: skip
    if len(roles) != 3 + len(spec.properties):
        raise Unfit  # one column in two roles
    table = read_body(
        file.source, file.header, file.header_lines, roles, delimiter, cells_checked=False
    )
    time = table.column(spec.time)
    if time.null_count:
        raise Unfit  # a blank cell: an error, or a row to drop
    # The ids are coded on a second thread (Arrow's and numpy's loops release the GIL)
    # while this one sets up the other columns; then both threads fill those columns
    # chunk by chunk from one list, so neither core idles while the other finishes.
    # The check for over-long cells is one more fill. The ids' table stays in Arrow
    # (strings built when ids_of reads them).
    long: list[bool] = []
    fills: list[Fill] = [lambda: long.append(long_cell(table))]
    with ThreadPoolExecutor(1) as pool:
        coding = pool.submit(_ids_then_fills, table.column(spec.entity), fills)
        try:
            fields = _other_fields(table, spec, fills)
            run_fills(fills)
        finally:
            entity = coding.result()
    if entity is None or long != [False]:
        raise Unfit  # a blank id (an error, or a row to drop), or a cell too long
    return {"entity": entity[0], **fields, "entity_column": spec.entity, "_table": entity[1]}


def _ids_then_fills(column: Any, fills: list[Fill]) -> tuple[I64, Any] | None:
    """The ids coded (:func:`sorted_text_codes`), then a share of the ``fills`` left."""
    coded = sorted_text_codes(column, lazy=True, ids=True)
    run_fills(fills)
    return coded


def _other_fields(table: Any, spec: _Spec, fills: list[Fill]) -> dict[str, Any]:
    """The events, times and properties of the fast path's ``table``, or :class:`Unfit`.

    Their arrays are full once the :data:`Fill` s added to ``fills`` have run.
    """
    time = table.column(spec.time)
    names: list[str] = []

    def event_codes(values: list[str]) -> npt.NDArray[np.int16]:
        uniq, place = np.unique(np.array(values, dtype=str), return_inverse=True)
        if "" in values or len(uniq) > np.iinfo(np.int16).max:
            raise Unfit  # a blank event name, or too many names: the pure reader says so
        names.extend(str(n) for n in uniq)
        return place.reshape(-1).astype(np.int16)

    event, parts = dictionary_fills(table.column(spec.event), event_codes)
    fills += parts
    if spec.tz is None:
        times, parts = numpy_fills(time)  # timestamp("s"): datetime64[s]
        fills += parts
    else:
        times = zoned_times(time, spec.columns.parser())
    props: dict[str, CodedText] = {}
    for p in spec.properties:
        # Kept as codes into the distinct texts: the text array is built when read.
        texts: list[np.ndarray] = []

        def place(values: list[str], texts: list[np.ndarray] = texts) -> np.ndarray:
            texts.append(_text_array(values))
            return np.arange(len(values), dtype=np.min_scalar_type(max(len(values) - 1, 0)))

        codes, parts = dictionary_fills(table.column(p), place)
        props[p] = CodedText(codes, texts[0])
        fills += parts
    return {"event": event, "time": times, "names": tuple(names), "properties": props}

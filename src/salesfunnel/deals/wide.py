"""The wide form: one row per deal, one date column per stage (``DealLog.from_wide``).

:func:`events` turns the rows into the long form's event arrays: one event per
non-blank stage date and one for the outcome column, in pipeline order,
with ordering bounds for the events whose date is blank.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any

import numpy as np

from .._csvio import IN_MEMORY, Rows, read_csv
from .._format import near_name
from .._time import TimeParser, is_blank
from ..errors import FunnelDataError
from . import columns as _c
from .amountcolumn import amounts
from .columns import DROP_NOTE, Columns
from .denseids import dense_ids
from .pipeline import Pipeline

__all__ = ["events"]

_MIN = np.iinfo(np.int64).min
_MAX = np.iinfo(np.int64).max
Event = tuple[np.datetime64 | None, str]  # (time or None, the column it came from)


class _Row:
    """Cells of one input row, located for errors."""

    __slots__ = ("i", "parser", "row", "where")

    def __init__(self, row: Mapping[str, Any], i: int, where: Rows, parser: TimeParser) -> None:
        self.row, self.i, self.where, self.parser = row, i, where, parser

    def cell(self, col: str) -> Any:
        if col not in self.row:
            detail = f"no such column (columns are {list(self.row)!r})"
            raise self.where.error(self.i, detail, column=col)
        return self.row[col]

    def time(self, col: str) -> np.datetime64 | None:
        value = self.cell(col)
        try:
            return self.parser.one(value)
        except ValueError as exc:
            detail = f"unparsable timestamp ({exc})"
            raise self.where.error(self.i, detail, column=col, value=value) from None

    def error(self, detail: str, col: str, value: object, note: str | None = None) -> Exception:
        return self.where.error(self.i, detail, column=col, value=value, note=note)


def _rows(
    source: Iterable[Mapping[str, Any]] | str | os.PathLike[str] | IO[Any] | Any,
    needed: Sequence[str],
    csv_options: Mapping[str, Any],
) -> tuple[Sequence[Mapping[str, Any]], Rows]:
    if isinstance(source, (str, os.PathLike)) or hasattr(source, "read"):
        body = read_csv(source, needed, **csv_options)  # type: ignore[arg-type]
        names = list(body.columns)
        cells = zip(*body.columns.values(), strict=True)
        return [dict(zip(names, r, strict=True)) for r in cells], body.rows
    if _is_frame(source):
        return _frame_rows(source, needed), IN_MEMORY
    rows = list(source)
    for i, r in enumerate(rows):
        if not isinstance(r, Mapping):
            detail = f"a row must be a mapping of column to value (got {type(r).__name__})"
            raise IN_MEMORY.error(i, detail, value=r)
    return rows, IN_MEMORY


def _is_frame(source: object) -> bool:
    """A pandas or polars DataFrame: iterating it would give column names, not rows."""
    return hasattr(source, "columns") and (hasattr(source, "to_dicts") or hasattr(source, "iloc"))


def _frame_rows(frame: Any, needed: Sequence[str]) -> list[dict[str, Any]]:
    """The rows of a pandas or polars DataFrame as dicts of the ``needed`` columns."""
    have = [str(c) for c in frame.columns]
    missing = [c for c in needed if c not in have]
    if missing:
        detail = f"the frame has no column {missing[0]!r}; its columns are {have!r}"
        detail += near_name(missing[0], have)
        raise FunnelDataError(detail, column=missing[0])
    if hasattr(frame, "to_dicts"):  # polars
        rows: list[dict[str, Any]] = frame.select(list(needed)).to_dicts()
        return rows
    return frame[list(needed)].to_dict("records")  # type: ignore[no-any-return]


def _row_events(
    r: _Row,
    pipeline: Pipeline,
    date_cols: list[tuple[int, str]],
    status: int | None,
    outcome_date: str | None,
) -> dict[int, Event]:
    """The row's events by label code, checked for order against the pipeline."""
    events: dict[int, Event] = {}
    for code, col in date_cols:
        t = r.time(col)
        if t is not None:
            events[code] = (t, col)
    if status is not None and status < pipeline.n_stages:
        beyond = [c for c in events if c > status]
        if beyond:
            col = events[beyond[0]][1]
            detail = (
                f"the deal is open at {pipeline.labels[status]!r} but has a date "
                f"for the later label {pipeline.labels[beyond[0]]!r}"
            )
            raise r.error(detail, col, r.row[col])
        events.setdefault(status, (None, ""))
    elif status is not None:
        t = None if outcome_date is None else r.time(outcome_date)
        if t is not None:
            events[status] = (t, outcome_date or "")
        else:
            events.setdefault(status, (None, ""))
    if not events:
        events[0] = (None, "")
    dated = [(c, events[c][0]) for c in sorted(events) if events[c][0] is not None]
    for (c1, t1), (c2, t2) in itertools.pairwise(dated):
        if t2 is not None and t1 is not None and t2 < t1:
            detail = (
                f"{pipeline.labels[c2]!r} date {t2} is before the {pipeline.labels[c1]!r} date {t1}"
            )
            col = events[c2][1]
            raise r.error(detail, col, r.row[col])
    return events


def _bounds(known: list[np.datetime64 | None]) -> tuple[list[int], list[int]]:
    """Per event, the nearest dated time at or before it and at or after it (in seconds)."""
    secs = [None if t is None else int(t.astype(np.int64)) for t in known]
    los, his = [], []
    lo, hi = _MIN, _MAX
    for s in secs:
        lo = s if s is not None else lo
        los.append(lo)
    for s in reversed(secs):
        hi = s if s is not None else hi
        his.append(hi)
    his.reverse()
    return los, his


def events(
    source: Iterable[Mapping[str, Any]] | str | os.PathLike[str] | IO[Any] | Any,
    pipeline: Pipeline,
    spec: Columns,
    stage_dates: Mapping[str, str],
    outcome_columns: tuple[str | None, str | None],
    csv_options: Mapping[str, Any],
) -> dict[str, Any]:
    """The keyword arguments of ``DealLog(...)`` (all but the pipeline) for a wide input.

    ``outcome_columns`` is ``(outcome, outcome_date)``; ``csv_options`` go to
    :func:`~salesfunnel._csvio.read_csv` when ``source`` is a file.
    """
    outcome, outcome_date = outcome_columns
    if not isinstance(pipeline, Pipeline):
        msg = f"pipeline must be a Pipeline (got {type(pipeline).__name__})"
        raise FunnelDataError(msg, column="pipeline", value=pipeline)
    for label in stage_dates:
        if label not in pipeline:
            msg = (
                f"stage_dates names {label!r}, which is not a pipeline label "
                f"{list(pipeline.labels)!r}"
            )
            raise FunnelDataError(msg, column="stage_dates", value=label)
    needed = [spec.deal, *stage_dates.values(), outcome, outcome_date, spec.owner, spec.amount]
    needed += spec.keep
    rows, where = _rows(
        source, list(dict.fromkeys(c for c in needed if c is not None)), csv_options
    )
    date_cols = sorted((pipeline.code(lab), col) for lab, col in stage_dates.items())
    parser = spec.parser()  # one parser: all the date columns are one input for the zone rule
    ev: dict[str, list[Any]] = {k: [] for k in ("deal", "code", "time", "lo", "hi", "own", "amt")}
    kept: dict[str, list[Any]] = {c: [] for c in spec.keep}  # per event, the row's cell
    seen: dict[object, int] = {}
    dropped = 0
    for i, row in enumerate(rows):
        r = _Row(row, i, where, parser)
        status = None
        if outcome is not None and not is_blank(r.cell(outcome)):
            label = str(r.cell(outcome)).strip()
            if label not in pipeline:
                if spec.drop_unknown:
                    dropped += 1
                    continue
                raise r.error(pipeline.unknown(label), outcome, label, DROP_NOTE)
            status = pipeline.code(label)
        key = r.cell(spec.deal)
        if is_blank(key):
            raise r.error(f"missing deal id (got {key!r})", spec.deal, key)
        key = key.strip() if isinstance(key, str) else key
        if key in seen:
            note = f"first seen at {where.text(seen[key])}"
            raise r.error(f"duplicate deal id {key!r}", spec.deal, key, note)
        seen[key] = i
        found = _row_events(r, pipeline, date_cols, status, outcome_date)
        order = sorted(found)
        known = [found[c][0] for c in order]
        los, his = _bounds(known)
        own = None if spec.owner is None else r.cell(spec.owner)
        amt = None if spec.amount is None else r.cell(spec.amount)
        for j, c in enumerate(order):
            for name, value in zip(
                ev,
                (key, c, known[j], los[j], his[j], own, amt if j == len(order) - 1 else None),
                strict=True,
            ):
                ev[name].append(value)
        for column, cells in kept.items():
            cells += [r.cell(column)] * len(order)
    arrays = _arrays(ev, spec, where, seen, dropped)
    dated = [c for _, c in date_cols] + ([outcome_date] if outcome_date else [])
    parser.warn_floored(dated, where.source, len(ev["time"]))
    arrays["kept"] = {c: _c.owner_codes(np.array(cells, dtype=object)) for c, cells in kept.items()}
    return arrays


def _arrays(
    ev: dict[str, list[Any]], spec: Columns, where: Rows, seen: dict[object, int], dropped: int
) -> dict[str, Any]:
    # Event rows are not file rows: map an event back to its deal's row for messages.
    ev_where = where.taken(np.array([seen[k] for k in ev["deal"]], dtype=np.int64))
    deal_codes, table, offset = dense_ids(np.array(ev["deal"], dtype=object), spec.deal, ev_where)
    nat = np.datetime64("NaT", "s")
    times = np.array([nat if t is None else t for t in ev["time"]], dtype="datetime64[s]")
    owner_codes, owners = (None, ()) if spec.owner is None else _c.owner_codes(np.array(ev["own"]))
    amount = None
    if spec.amount is not None:
        amt = np.array(ev["amt"], dtype=object)
        amount = amounts(amt, spec.amount, ev_where, spec.decimal)
    return {
        "deal": deal_codes,
        "code": np.array(ev["code"], dtype=np.int8),
        "time": times,
        "owner": owner_codes,
        "amount": amount,
        "owners": owners,
        "dropped": dropped,
        "_table": table,
        "_offset": offset,
        "_lo": np.array(ev["lo"], dtype=np.int64),
        "_hi": np.array(ev["hi"], dtype=np.int64),
    }

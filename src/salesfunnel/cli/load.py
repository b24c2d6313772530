"""Reading the deal log named on the command line (long or wide form).

Every mistake in the file is a :class:`~salesfunnel.cli.text.CliError` naming
the file, the row (as a spreadsheet shows it: the header is row 1 and blank
lines count) and the column. A line longer than :data:`LINE_LIMIT` characters
or holding a NUL character is refused when it is read, so a binary or
corrupt file fails at once, in bounded memory.
"""

from __future__ import annotations

import argparse
import codecs
import csv
import datetime as dt
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any

import numpy as np

from .._format import fmt_number
from ..deals.log import DealLog
from ..deals.pipeline import Pipeline
from ..errors import FunnelDataError
from .text import CliError, Progress

LINE_LIMIT = 1 << 20
"""The longest line of a deal log, in characters (1,048,576)."""


def _lines(fh: IO[str], path: str, size: int, progress: Progress) -> Iterator[str]:
    """The file's lines, reporting the share read so far; refuses binary and endless lines."""
    read = 0
    number = 0
    while line := fh.readline(LINE_LIMIT + 1):
        number += 1
        nul = line.find("\x00")
        if nul >= 0:
            msg = (
                f"{path}, row {number}: a NUL character at column {nul + 1} "
                "(a binary file, or UTF-16 text: set --encoding)"
            )
            raise CliError(msg)
        if len(line) > LINE_LIMIT:
            msg = f"{path}, row {number}: a line longer than {LINE_LIMIT:,} characters"
            raise CliError(msg)
        read += len(line)
        if progress.enabled:
            share = min(read / size, 1.0) if size else 1.0
            progress.show(f"reading {path}: {share:.0%}", force=False)
        yield line


def _undecodable(path: str, encoding: str) -> CliError | None:
    """Where the first byte ``encoding`` cannot decode is, in file terms.

    A text file decodes in chunks, so a decode error's position is within a
    chunk; this reads the file again, as bytes, to name the byte offset in the
    file and (for encodings that write a newline as the one byte ``\\n``) its row.
    """
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = newlines = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 16):
            pending = len(decoder.getstate()[0])  # bytes held back from the last chunk
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                at = offset - pending + exc.start
                where = f"{path}, byte {at}"
                if "a\n".encode(encoding).endswith(b"a\n"):  # a BOM may come first
                    row = 1 + newlines + chunk[: max(at - offset, 0)].count(b"\n")
                    where = f"{path}, row {row}, byte {at}"
                return CliError(f"{where}: not {exc.encoding} text ({exc.reason}; set --encoding)")
            newlines += chunk.count(b"\n")
            offset += len(chunk)
    return None


def _read_rows(
    path: str, *, delimiter: str, encoding: str, progress: Progress
) -> tuple[list[str], list[dict[str | None, Any]], list[int]]:
    """Header, data rows and each row's number in the file (header = row 1)."""
    try:
        return _decoded_rows(path, delimiter=delimiter, encoding=encoding, progress=progress)
    except UnicodeDecodeError:
        located = _undecodable(path, encoding)
        if located is None:  # pragma: no cover - the second read decoded what the first did not
            raise
        raise located from None


def _decoded_rows(
    path: str, *, delimiter: str, encoding: str, progress: Progress
) -> tuple[list[str], list[dict[str | None, Any]], list[int]]:
    size = os.path.getsize(path)
    with open(path, newline="", encoding=encoding) as fh:
        reader = csv.DictReader(_lines(fh, path, size, progress), delimiter=delimiter)
        rows: list[dict[str | None, Any]] = []
        numbers: list[int] = []
        try:
            raw = reader.fieldnames
            if not raw or not any(h.strip() for h in raw):
                msg = f"{path}: the file is empty (expected a header row naming the columns)"
                raise CliError(msg)
            header = [h.strip() for h in raw]
            reader.fieldnames = header
            for row in reader:
                rows.append(row)
                numbers.append(reader.line_num)
        except csv.Error as exc:
            detail = str(exc)
            if "field larger than field limit" in detail:
                limit = csv.field_size_limit()
                detail = f"a cell longer than {limit:,} characters (is a quote left open?)"
            # DictReader updates its line_num after a row succeeds; its reader's is current.
            raise CliError(f"{path}, row {reader.reader.line_num}: {detail}") from None
    if not rows:
        msg = f"{path}: no data rows below the header"
        raise CliError(msg)
    return header, rows, numbers


def _require(path: str, header: list[str], column: str, what: str, option: str) -> None:
    if column not in header:
        msg = (
            f"{path}, row 1: missing column {column!r} for the {what} "
            f"(header is {header!r}; name the column with {option})"
        )
        raise CliError(msg)


def parse_date(text: str, fmt: str) -> dt.datetime:
    """``text`` read with the strptime format ``fmt`` (surrounding spaces ignored)."""
    return dt.datetime.strptime(text.strip(), fmt)


def _convert_dates(
    path: str,
    rows: list[dict[str | None, Any]],
    numbers: list[int],
    columns: Sequence[str],
    fmt: str,
) -> None:
    """Parse date cells with ``fmt`` in place (blank cells stay blank)."""
    for row, n in zip(rows, numbers, strict=True):
        for col in columns:
            cell = row.get(col)
            if cell is None or not str(cell).strip():
                continue
            try:
                row[col] = parse_date(str(cell), fmt)
            except ValueError:
                msg = (
                    f"{path}, row {n}, column {col!r}: {cell!r} does not match "
                    f"the date format {fmt!r}"
                )
                raise CliError(msg) from None


def _in_file(
    exc: FunnelDataError,
    path: str,
    rows: list[dict[str | None, Any]],
    numbers: list[int],
    pipe: Pipeline,
    label_column: str | None,
    deal_column: str,
) -> CliError:
    """A DealLog error about in-memory row ``exc.index``, restated with the file's row numbers.

    The library's notes speak Python (``pass drop_unknown=True``) and count
    in-memory rows from 0, so the two that can arise here are said again in
    the command line's terms.
    """
    if exc.index is None:
        return CliError(f"{path}: {exc}")
    where = f"{path}, row {numbers[exc.index]}"
    if exc.column is not None:
        where += f", column {exc.column!r}"
    note = ""
    if exc.column == label_column and isinstance(exc.value, str) and exc.value not in pipe:
        note = " (use --drop-unknown to drop such rows)"
    elif exc.column == deal_column and isinstance(exc.value, str) and exc.value:
        # A deal id that an earlier row already holds: the wide form's duplicate.
        first = next(
            (
                n
                for row, n in zip(rows[: exc.index], numbers[: exc.index], strict=True)
                if _cell(row, deal_column) == exc.value
            ),
            None,
        )
        if first is not None:
            note = f" (first seen at row {first})"
    return CliError(f"{where}: {exc.detail}{note}")


def _cell(row: dict[str | None, Any], column: str) -> str:
    value = row.get(column)
    return value.strip() if isinstance(value, str) else ""


def _pipeline(args: argparse.Namespace) -> Pipeline:
    stages = [s.strip() for s in args.pipeline.split(",")]
    if any(not s for s in stages):
        msg = f"--pipeline: empty stage name in {args.pipeline!r} (give 'A,B,C')"
        raise CliError(msg)
    try:
        return Pipeline(tuple(stages), won=args.won, lost=args.lost, frozen=args.frozen)
    except FunnelDataError as exc:
        raise CliError(f"--pipeline: {exc}") from None


def _stage_dates(args: argparse.Namespace, pipe: Pipeline) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in args.stage_date or []:
        label, sep, column = item.partition("=")
        if not sep or not label.strip() or not column.strip():
            msg = f"--stage-date: expected LABEL=COLUMN (got {item!r})"
            raise CliError(msg)
        if label.strip() not in pipe:
            msg = (
                f"--stage-date: {label.strip()!r} is not a pipeline label "
                f"(labels are {list(pipe.labels)!r})"
            )
            raise CliError(msg)
        out[label.strip()] = column.strip()
    return out


def _optional_column(path: str, header: list[str], given: str | None, name: str) -> str | None:
    """The owner or amount column: as given (it must exist), else ``name`` if the header has it."""
    if given is None:
        return name if name in header else None
    _require(path, header, given, name, f"--{name}-column")
    return given


@dataclass(frozen=True, slots=True)
class _Table:
    """A read file: its path, header, data rows and each row's number in the file."""

    path: str
    header: list[str]
    rows: list[dict[str | None, Any]]
    numbers: list[int]

    def require(self, column: str, what: str, option: str) -> None:
        _require(self.path, self.header, column, what, option)

    def convert_dates(self, columns: Sequence[str], fmt: str) -> None:
        _convert_dates(self.path, self.rows, self.numbers, columns, fmt)

    def error(self, exc: FunnelDataError, pipe: Pipeline, label: str | None, deal: str) -> CliError:
        return _in_file(exc, self.path, self.rows, self.numbers, pipe, label, deal)


def load_log(args: argparse.Namespace, progress: Progress) -> DealLog:
    """Read the deal log named on the command line, long or wide form."""
    pipe = _pipeline(args)
    table = _Table(
        args.log,
        *_read_rows(args.log, delimiter=args.delimiter, encoding=args.encoding, progress=progress),
    )
    owner = _optional_column(table.path, table.header, args.owner_column, "owner")
    amount = _optional_column(table.path, table.header, args.amount_column, "amount")
    progress.show(f"building the deal log ({fmt_number(len(table.rows))} rows)")
    common = {"owner": owner, "amount": amount, "drop_unknown": args.drop_unknown}
    if args.wide:
        return _wide(args, pipe, table, common)
    return _long(args, pipe, table, common)


def _wide(
    args: argparse.Namespace, pipe: Pipeline, table: _Table, common: dict[str, Any]
) -> DealLog:
    """The wide form: one row per deal (``common``: owner, amount, drop_unknown)."""
    dates = _stage_dates(args, pipe)
    if not dates and args.outcome_column is None:
        raise CliError("--wide needs --stage-date LABEL=COLUMN and/or --outcome-column")
    table.require(args.deal_column, "deal id", "--deal-column")
    for label, col in dates.items():
        table.require(col, f"date of {label!r}", "--stage-date")
    if args.outcome_column is not None:
        table.require(args.outcome_column, "stage or outcome", "--outcome-column")
    if args.outcome_date_column is not None:
        table.require(args.outcome_date_column, "outcome date", "--outcome-date-column")
    if args.date_format:
        cols = [*dates.values()]
        if args.outcome_date_column is not None:
            cols.append(args.outcome_date_column)
        table.convert_dates(cols, args.date_format)
    try:
        return DealLog.from_wide(
            table.rows,  # type: ignore[arg-type]
            pipe,
            deal=args.deal_column,
            stage_dates=dates,
            outcome=args.outcome_column,
            outcome_date=args.outcome_date_column,
            **common,
        )
    except FunnelDataError as exc:
        raise table.error(exc, pipe, args.outcome_column, args.deal_column) from None


def _long(
    args: argparse.Namespace, pipe: Pipeline, table: _Table, common: dict[str, Any]
) -> DealLog:
    """The long form: one event per row (``common``: owner, amount, drop_unknown)."""
    for col, what, option in (
        (args.deal_column, "deal id", "--deal-column"),
        (args.stage_column, "stage", "--stage-column"),
        (args.time_column, "event time", "--time-column"),
    ):
        table.require(col, what, option)
    if args.date_format:
        table.convert_dates([args.time_column], args.date_format)
    wanted = [args.deal_column, args.stage_column, args.time_column]
    wanted += [c for c in (common["owner"], common["amount"]) if c is not None]
    # Object arrays keep cells as plain str, so messages quote '' rather than np.str_('').
    columns = {
        c: np.array([row.get(c) for row in table.rows], dtype=object) for c in dict.fromkeys(wanted)
    }
    try:
        return DealLog.from_columns(
            columns,
            pipe,
            deal=args.deal_column,
            stage=args.stage_column,
            time=args.time_column,
            **common,
        )
    except FunnelDataError as exc:
        raise table.error(exc, pipe, args.stage_column, args.deal_column) from None

"""Reading the deal log named on the command line (long or wide form).

The library reads the file (:meth:`~salesfunnel.DealLog.from_csv`,
:meth:`~salesfunnel.DealLog.from_wide`, one CSV reader for both); this module
maps the options onto it and says its errors again in the command line's
terms. Every mistake in the file is a :class:`~salesfunnel.cli.text.CliError`
naming the file, the row (as a spreadsheet shows it: the header is row 1 and
blank lines count, which is the library's ``line``) and the column, with the
option that fixes it where there is one.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from .._csvio import CsvFile, header_hint, read_csv, read_header
from .._format import near_miss
from .._timehints import DATE_FORMAT_ADVICE, date_format_examples, mismatch_hint
from ..deals.log import DealLog
from ..deals.pipeline import Pipeline
from ..errors import FunnelDataError
from .text import CliError, Progress

# The library's advice in Python terms, said again in the command line's.
_CLI_TERMS = (
    ("pass tz=", "set --tz ZONE"),
    ("pass decimal=','", "set --decimal ,"),
    ("pass encoding= (e.g. 'latin-1')", "set --encoding (e.g. latin-1)"),
    ("pass encoding='utf-16'", "set --encoding utf-16"),
    ("pass delimiter=", "set --delimiter "),
    ("pass drop_invalid=True to drop such rows", "set --drop-invalid to drop such rows"),
)
# The deal commands' own wording: rows, and the date format named by a note (see _note).
_OPTIONS = (*_CLI_TERMS, ("header line", "header row"))


def in_cli_terms(message: str, terms: tuple[tuple[str, str], ...] = _CLI_TERMS) -> str:
    """A library error's advice (``pass tz=`` ...) as the command line's options (``set --tz``)."""
    for python, cli in terms:
        message = message.replace(python, cli)
    return message.replace("pass date_format=", "set --date-format")


def parse_date(text: str, fmt: str) -> dt.datetime:
    """``text`` read with the strptime format ``fmt`` (surrounding spaces ignored)."""
    return dt.datetime.strptime(text.strip(), fmt)


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


@dataclass(frozen=True, slots=True)
class _Roles:
    """What the command line knows about the columns, to restate an error in its terms."""

    pipeline: Pipeline
    deal: str
    labels: str | None  # the column of stage or outcome labels
    times: Collection[str]
    date_format: str | None


def _located(exc: FunnelDataError) -> str:
    """The file, row and column as the library's message gives them, in the CLI's words."""
    source = str(exc.source)
    text = str(exc)
    if exc.line is None or not text.startswith(f"{source}, line {exc.line}"):
        return source
    if exc.column is not None and text.startswith(
        f"{source}, line {exc.line}, column {exc.column!r}: "
    ):
        return f"{source}, row {exc.line}, column {exc.column!r}"
    return f"{source}, row {exc.line}"


def _detail(exc: FunnelDataError, roles: _Roles) -> str:
    detail = exc.detail
    if (
        roles.date_format is not None
        and exc.column in roles.times
        and "does not match the date format" in detail
    ):
        value = exc.value
        hint = mismatch_hint(value) if isinstance(value, str) else ""
        return f"{value!r} does not match the date format {roles.date_format!r}{hint}"
    at = detail.find(DATE_FORMAT_ADVICE)
    if at >= 0:  # said by the note instead (see _note), in the command line's words
        detail = detail[:at] + (")" if detail.endswith(")") else "")
    return in_cli_terms(detail, _OPTIONS)


def _note(exc: FunnelDataError, roles: _Roles, first_seen: Callable[[str], int | None]) -> str:
    """The command line's parenthetical advice for the error, or ''."""
    detail = exc.detail
    if detail.startswith("a NUL character"):
        return "UTF-16 text? set --encoding"
    if detail.startswith("a cell longer than"):
        return "is a quote left open?"
    if "not an ISO 8601 date" in detail and exc.column in roles.times:
        example = date_format_examples(str(exc.value))
        return f"for dates in another format, give it with --date-format, e.g. {example}"
    if exc.column is not None and exc.column == roles.labels:
        value = exc.value
        if isinstance(value, str) and value not in roles.pipeline:
            return "use --drop-unknown to drop such rows"
    if exc.column == roles.deal and detail.startswith("duplicate deal id"):
        first = first_seen(str(exc.value))
        if first is not None:
            return f"first seen at row {first}"
    return ""


def _restated(
    exc: FunnelDataError, path: str, roles: _Roles, first_seen: Callable[[str], int | None]
) -> CliError:
    """A library error about the file, said with the file's rows and the CLI's options."""
    if exc.source is None:
        return CliError(f"{path}: {exc}")
    note = _note(exc, roles, first_seen)
    tail = f" ({note})" if note else ""
    return CliError(f"{_located(exc)}: {_detail(exc, roles)}{tail}")


class Header:
    """The file's header, read before the body, for the CLI's own column checks."""

    def __init__(self, path: str, args: argparse.Namespace) -> None:
        self.path = path
        with open(path, "rb") as fh:
            file: CsvFile = read_header(fh, path, encoding=args.encoding, delimiter=args.delimiter)
        self.header = list(file.header)
        self.delimiter = args.delimiter

    def require(self, column: str, what: str, option: str) -> None:
        if column not in self.header:
            hint = f"name the column with {option}"
            near = near_miss(column, self.header)
            near = f"{near}: " if near else ""
            if other := header_hint(self.header, self.delimiter):
                hint = in_cli_terms(other)
            msg = (
                f"{self.path}, row 1: missing column {column!r} for the {what} "
                f"(header is {self.header!r}; {near}{hint})"
            )
            raise CliError(msg)

    def optional(self, given: str | None, name: str) -> str | None:
        """The owner or amount column: as given (it must exist), else ``name`` if present."""
        if given is None:
            return name if name in self.header else None
        self.require(given, name, f"--{name}-column")
        return given


def _reading(path: str, progress: Progress) -> Callable[[int, int | None], None]:
    """The loaders' ``progress(done, total)`` callback, shown as the share read."""
    finished = False

    def show(done: int, total: int | None) -> None:
        nonlocal finished
        if not progress.enabled or finished:
            return
        share = min(done / total, 1.0) if total else 1.0
        progress.show(f"reading {path}: {share:.0%}", force=False)
        if share >= 1.0:
            finished = True
            progress.show("building the deal log")

    return show


def load_log(args: argparse.Namespace, progress: Progress) -> DealLog:
    """Read the deal log named on the command line, long or wide form."""
    pipe = _pipeline(args)
    path = str(args.log)
    try:
        head = Header(path, args)
    except FunnelDataError as exc:
        raise _restated(exc, path, _Roles(pipe, "", None, (), None), lambda _: None) from None
    options: dict[str, Any] = {
        "owner": head.optional(args.owner_column, "owner"),
        "amount": head.optional(args.amount_column, "amount"),
        "drop_unknown": args.drop_unknown,
        "delimiter": args.delimiter,
        "encoding": args.encoding,
        "date_format": args.date_format,
        "decimal": args.decimal,
        "tz": args.tz,
        "progress": _reading(path, progress),
        **({"keep": args.keep} if getattr(args, "keep", ()) else {}),  # --by a column
    }

    def first_seen(deal: str) -> int | None:
        """The row of the first deal ``deal`` (an error path: the file is read again)."""
        body = read_csv(path, [args.deal_column], encoding=args.encoding, delimiter=args.delimiter)
        cells = body.columns[args.deal_column]
        return next((body.lines[i] for i, c in enumerate(cells) if c.strip() == deal), None)

    load, roles = _wide(args, pipe, head) if args.wide else _long(args, pipe, head)
    try:
        log = load(options)
    except FunnelDataError as exc:
        raise _restated(exc, path, roles, first_seen) from None
    if len(log) == 0 and log.dropped == 0:
        raise CliError(f"{path}: no data rows below the header")
    return log


Loader = Callable[[dict[str, Any]], DealLog]


def _wide(args: argparse.Namespace, pipe: Pipeline, head: Header) -> tuple[Loader, _Roles]:
    """The wide form: one row per deal."""
    dates = _stage_dates(args, pipe)
    if not dates and args.outcome_column is None:
        raise CliError("--wide needs --stage-date LABEL=COLUMN and/or --outcome-column")
    head.require(args.deal_column, "deal id", "--deal-column")
    for label, col in dates.items():
        head.require(col, f"date of {label!r}", "--stage-date")
    if args.outcome_column is not None:
        head.require(args.outcome_column, "stage or outcome", "--outcome-column")
    if args.outcome_date_column is not None:
        head.require(args.outcome_date_column, "outcome date", "--outcome-date-column")

    def load(options: dict[str, Any]) -> DealLog:
        return DealLog.from_wide(
            head.path,
            pipe,
            deal=args.deal_column,
            stage_dates=dates,
            outcome=args.outcome_column,
            outcome_date=args.outcome_date_column,
            **options,
        )

    times = {*dates.values(), args.outcome_date_column} - {None}
    roles = _Roles(pipe, args.deal_column, args.outcome_column, times, args.date_format)
    return load, roles


def _long(args: argparse.Namespace, pipe: Pipeline, head: Header) -> tuple[Loader, _Roles]:
    """The long form: one event per row."""
    for col, what, option in (
        (args.deal_column, "deal id", "--deal-column"),
        (args.stage_column, "stage", "--stage-column"),
        (args.time_column, "event time", "--time-column"),
    ):
        head.require(col, what, option)

    def load(options: dict[str, Any]) -> DealLog:
        return DealLog.from_csv(
            head.path,
            pipe,
            deal=args.deal_column,
            stage=args.stage_column,
            time=args.time_column,
            **options,
        )

    roles = _Roles(pipe, args.deal_column, args.stage_column, {args.time_column}, args.date_format)
    return load, roles

"""The ``events`` command: the funnel of an event log.

The file is read by :meth:`~salesfunnel.EventLog.from_csv` (the library's one
CSV reader: errors name the file, the line, the column and the value), and the
funnel computed by :func:`~salesfunnel.event_funnel`; this module maps the
options onto them. A name list option (``--steps``, ``--unit``,
``--breakdown``) is comma-separated. ``-o`` also writes the funnel
(:attr:`~salesfunnel.EventFunnel.funnel`, the total) as a chart: PNG, SVG,
an HTML page with both (as ``render`` writes), or the JSON of ``--json``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..chart import FunnelChart
from ..errors import FunnelDataError
from ..events.funnel import EventFunnel, event_funnel
from ..events.log import EventLog
from ..output.events import build_event_report
from .load import Header, in_cli_terms
from .text import CliError, echo

__all__ = ["events"]


def _names(text: str, option: str) -> tuple[str, ...]:
    names = tuple(n.strip() for n in text.split(","))
    if not all(names):
        msg = f"{option}: empty name in {text!r} (give 'a,b,c')"
        raise CliError(msg)
    return names


def _load(args: argparse.Namespace, unit: tuple[str, ...], breakdown: tuple[str, ...]) -> EventLog:
    try:
        # The columns first, each named with the option that names it (as metrics does).
        head = Header(str(args.log), args)
        head.require(args.event_column, "event name", "--event-column")
        head.require(args.time_column, "event time", "--time-column")
        for col in unit:
            head.require(col, "unit", "--unit")
        for col in breakdown:
            head.require(col, "breakdown", "--breakdown")
        return _read(args, unit, breakdown)
    except FunnelDataError as exc:
        raise CliError(in_cli_terms(str(exc))) from None


def _read(args: argparse.Namespace, unit: tuple[str, ...], breakdown: tuple[str, ...]) -> EventLog:
    return EventLog.from_csv(
        args.log,
        delimiter=args.delimiter,
        encoding=args.encoding,
        entity=unit[0],
        event=args.event_column,
        time=args.time_column,
        properties=list(dict.fromkeys((*unit[1:], *breakdown))),
        tz=args.tz,
        date_format=args.date_format,
        drop_invalid=args.drop_invalid,
    )


def events(args: argparse.Namespace) -> int:
    """Print the funnel of an event log as tables or JSON."""
    steps = _names(args.steps, "--steps")
    unit = _names(args.unit, "--unit")
    breakdown = _names(args.breakdown, "--breakdown") if args.breakdown else ()
    fmt = _format(args.output) if args.output is not None else ""
    log = _load(args, unit, breakdown)
    f = event_funnel(
        log,
        list(steps),
        window=args.window,
        order=args.order,
        modes=tuple(args.mode),
        unit=unit if len(unit) > 1 else None,
        breakdown=(breakdown if len(breakdown) > 1 else breakdown[0]) if breakdown else None,
        attribution=args.attribution,
        start=args.start,
        end=args.end,
        period=args.period,
        tz=args.tz,
    )
    if args.output is not None:
        _write(f, Path(args.output), fmt, f"{Path(args.log).name}: {' -> '.join(steps)}")
    if args.json:
        echo(f.to_json(indent=2))
        return 0
    head = f"{args.log}: {len(log):,} events"
    if log.dropped:
        head += f" ({log.dropped:,} invalid rows dropped)"
    echo(f"{head}\n\n{f}")
    return 0


def _format(output: str) -> str:
    """The format ``-o`` asks for, from its suffix (checked before the log is read)."""
    fmt = Path(output).suffix.lstrip(".").lower()
    if fmt not in ("png", "svg", "html", "htm", "json"):
        msg = f"-o {output}: end the name in .png, .svg, .html or .json"
        raise CliError(msg)
    return fmt


def _write(f: EventFunnel, out: Path, fmt: str, title: str) -> None:
    """``-o``: the total funnel as a PNG or SVG chart, the event report (HTML) or JSON."""
    if fmt == "json":
        out.write_text(f.to_json(indent=2) + "\n", encoding="utf-8")
    elif fmt in ("html", "htm"):  # the event report: a click on a step lists its units
        out.write_text(build_event_report(f, title=title), encoding="utf-8")
    else:
        FunnelChart(f.funnel, title=title).save(out, format=fmt)

"""The ``salesfunnel`` argument parser.

A mistake on the command line is one line, ``salesfunnel: error: ...`` with
a pointer to ``--help``, and exit status 2, like every other user mistake:
:class:`_Parser` raises :class:`~salesfunnel.cli.text.CliError` instead of
printing argparse's usage block.
"""

from __future__ import annotations

import argparse
import codecs
import datetime as dt
import math
from collections.abc import Callable
from typing import NoReturn

from .. import __version__
from .._time import zone
from .text import PROG, CliError

MAX_DEMO_DEALS = 100_000
"""The largest ``demo --deals``: about 12 s, 240 MB and a 7 MB report."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise CliError(f"{message} (try '{self.prog} --help')")


def _integer(low: int, high: int | None = None, unit: str = "") -> Callable[[str], int]:
    """An argparse type: an integer from ``low`` to ``high`` (no upper bound if None)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer (got {text!r})") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"expected an integer >= {low} (got {text!r})")
        if high is not None and value > high:
            msg = f"expected at most {high:,}{unit} (got {text!r})"
            raise argparse.ArgumentTypeError(msg)
        return value

    return parse


_positive_int = _integer(1)


def _render_options(render: argparse.ArgumentParser) -> None:
    """How render draws: percentages, grouping, delimiter, width mapping, grid."""
    choices = (
        ("--percent", ("both", "first", "previous", "none"), "percentages in labels: "
         "of first, of previous, both or none"),
        ("--width-mapping", ("linear", "sqrt", "log", "rank"), "stage width: proportional "
         "to count, its square root, log(1 + count) or rank"),
    )  # fmt: skip
    for flag, options, text in choices:
        render.add_argument(flag, default=options[0], choices=options, help=text)
    render.add_argument(
        "--by", default=None, help="CSV column naming each row's group: one funnel per group"
    )
    render.add_argument("--delimiter", default=",", help="CSV field delimiter (default ',')")
    render.add_argument(
        "--min-visible",
        type=_share,
        default=0.0,
        help="minimum width of non-zero stages, a share of the widest in [0, 1]",
    )
    render.add_argument(
        "--columns", type=_positive_int, default=None, help="funnels per row (a grid)"
    )


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1] (got {text!r})") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1] (got {text!r})")
    return value


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number (got {text!r})") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0 (got {text!r})")
    return value


def _delimiter(text: str) -> str:
    r"""One character; ``\t`` (backslash, t) stands for a tab, which a shell makes hard to type."""
    value = "\t" if text == "\\t" else text
    if len(value) != 1 or value in '"\r\n':
        msg = f"expected one character other than a quote or a line break, or \\t (got {text!r})"
        raise argparse.ArgumentTypeError(msg)
    return value


def _confidence(text: str) -> float:
    """A confidence level strictly between 0 and 1 (``0.95``), or a percentage (``95%``)."""
    percent = text.strip().endswith("%")
    try:
        value = float(text.strip().rstrip("%")) / (100 if percent else 1)
    except ValueError:
        value = math.nan
    if not 0 < value < 1:
        msg = (
            "expected a level between 0 and 1 such as 0.95, "
            f"or a percentage such as 95% (got {text!r})"
        )
        raise argparse.ArgumentTypeError(msg)
    return value


def _encoding(text: str) -> str:
    """A text encoding Python knows; UTF-8 with a signature is UTF-8 (the reader skips a BOM)."""
    try:
        # LookupError for unknown names and for codecs that are not text (empty input
        # would skip the lookup).
        b"a".decode(text)
    except UnicodeDecodeError:
        pass  # a known text encoding (utf-16 needs two bytes)
    except LookupError:
        msg = f"unknown text encoding {text!r} (e.g. utf-8, latin-1, cp1252, utf-16)"
        raise argparse.ArgumentTypeError(msg) from None
    # The reader skips a UTF-8 byte order mark itself, and names a bad byte by its
    # offset in the file only when the codec does not strip the mark first.
    return "utf-8" if codecs.lookup(text).name == "utf-8-sig" else text


def _zone(text: str) -> str:
    """An IANA time zone name (``UTC``, ``Europe/Berlin``), checked here so a typo is one line."""
    try:
        zone(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _log_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("log", help="deal log CSV (long form: one event per row; or --wide)")
    g = p.add_argument_group("pipeline")
    g.add_argument("--pipeline", required=True, metavar="A,B,C", help="open stages in funnel order")
    g.add_argument("--won", default="Won", help="label of the won outcome (default: Won)")
    g.add_argument("--lost", default="Lost", help="label of the lost outcome (default: Lost)")
    g.add_argument("--frozen", default=None, help="label of an on-hold state (optional)")
    g.add_argument(
        "--drop-unknown", action="store_true", help="drop rows whose label is not in the pipeline"
    )
    c = p.add_argument_group("columns (long form: deal, stage, time[, owner, amount])")
    c.add_argument("--deal-column", default="deal", help="deal id column (default: deal)")
    c.add_argument("--stage-column", default="stage", help="stage label column (default: stage)")
    c.add_argument(
        "--time-column", default="time", help="event time column (default: time, as in Python)"
    )
    c.add_argument("--owner-column", default=None, help="owner column (default: owner, if present)")
    c.add_argument(
        "--amount-column", default=None, help="amount column (default: amount, if present)"
    )
    w = p.add_argument_group("wide form (one row per deal)")
    w.add_argument("--wide", action="store_true", help="read one row per deal")
    w.add_argument(
        "--stage-date",
        action="append",
        metavar="LABEL=COLUMN",
        help="column with the date a stage was reached (repeat per stage)",
    )
    w.add_argument("--outcome-column", default=None, help="column of the current stage or outcome")
    w.add_argument("--outcome-date-column", default=None, help="column of the outcome's date")
    f = p.add_argument_group("file and period")
    f.add_argument(
        "--date-format",
        default=None,
        metavar="FMT",
        help="strptime format of the dates, e.g. '%%d.%%m.%%Y' (default: ISO 8601)",
    )
    f.add_argument(
        "--delimiter",
        type=_delimiter,
        default=",",
        help="CSV delimiter, \\t for a tab (default: ,)",
    )
    f.add_argument(
        "--encoding", type=_encoding, default="utf-8", help="file encoding (default: UTF-8)"
    )
    f.add_argument(
        "--tz",
        type=_zone,
        default=None,
        metavar="ZONE",
        help="zone of times written without a UTC offset (file, --start, --end, --as-of), "
        "e.g. UTC or Europe/Berlin, and of the calendar of --period and the monthly volume; "
        "needed when a file mixes times with and without one (default: UTC's calendar)",
    )
    f.add_argument(
        "--decimal",
        choices=(".", ","),
        default=".",
        help="decimal mark of amounts: . (1234.5) or , (1234,5) (default: .)",
    )
    f.add_argument("--start", default=None, metavar="DATE", help="period start (inclusive)")
    f.add_argument("--end", default=None, metavar="DATE", help="period end (exclusive)")
    f.add_argument("--as-of", default=None, metavar="DATE", help="snapshot time of open deals")
    f.add_argument(
        "--mode",
        default="cumulative",
        choices=("cumulative", "classic", "strict"),
        help="what counts as reaching a stage (default: cumulative)",
    )


def _duration(text: str) -> dt.timedelta:
    """A duration: a number and a unit, ``45s``, ``30m`` (or ``30min``), ``2h``, ``1d``, ``1w``."""
    units = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}
    number = text.strip().rstrip("abcdefghijklmnopqrstuvwxyz")
    unit = text.strip()[len(number) :]
    try:
        seconds = float(number) * units[unit]
    except (ValueError, KeyError):
        msg = f"expected a duration like 45s, 30m, 2h, 1d or 1w (got {text!r})"
        raise argparse.ArgumentTypeError(msg) from None
    if math.isnan(seconds) or seconds < 1:
        raise argparse.ArgumentTypeError(f"expected a duration of at least 1 s (got {text!r})")
    if seconds >= dt.timedelta.max.total_seconds():
        msg = f"expected a duration below {dt.timedelta.max.days} days (got {text!r})"
        raise argparse.ArgumentTypeError(msg)
    return dt.timedelta(seconds=seconds)


def _period(text: str) -> str | dt.timedelta:
    """``D``, ``W``, ``M`` or a duration."""
    return text if text in ("D", "W", "M") else _duration(text)


def _events_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("log", help="event log CSV: one event per row")
    p.add_argument("--steps", required=True, metavar="A,B,C", help="event names in funnel order")
    p.add_argument(
        "--window", required=True, type=_duration, help="conversion window: 30m, 2h, 1d, ..."
    )
    p.add_argument(
        "--unit", required=True, metavar="COL[,COL]", help="the unit's column(s): user, session"
    )
    p.add_argument("--event-column", default="event", help="event name column (default: event)")
    p.add_argument("--time-column", default="time", help="event time column (default: time)")
    p.add_argument(
        "--order",
        default="ordered",
        choices=("ordered", "strict", "unordered", "clickhouse"),
        help="step order rules (default: ordered, PostHog's)",
    )
    p.add_argument(
        "--mode",
        action="append",
        default=[],
        metavar="MODE",
        help="a ClickHouse windowFunnel mode with --order clickhouse (repeat for several)",
    )
    p.add_argument("--breakdown", default=None, metavar="COL[,COL]", help="group units by")
    p.add_argument(
        "--attribution",
        default="first_touch",
        help="first_touch (default), last_touch, all_events or step_N",
    )
    p.add_argument("--period", type=_period, default=None, help="trend by D, W, M or a duration")
    p.add_argument("--start", default=None, metavar="DATE", help="first time seen (inclusive)")
    p.add_argument("--end", default=None, metavar="DATE", help="end of the log (exclusive)")
    p.add_argument("--delimiter", type=_delimiter, default=",", help="CSV delimiter, \\t for a tab")
    p.add_argument(
        "--encoding", type=_encoding, default="utf-8", help="file encoding (default: UTF-8)"
    )
    p.add_argument(
        "--tz",
        type=_zone,
        default=None,
        metavar="ZONE",
        help="zone of naive times (file, --start, --end) and of the calendar of --period "
        "D, W, M (default: UTC)",
    )
    p.add_argument("--date-format", default=None, metavar="FMT", help="strptime format of times")
    p.add_argument(
        "--drop-invalid", action="store_true", help="drop rows with a missing or bad cell"
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    p.add_argument(
        "-o", "--output", default=None, metavar="FILE", help="also write chart.png|svg|html|json"
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``salesfunnel`` command (commands set ``func`` by name)."""
    parser = _Parser(
        prog=PROG,
        description="Sales funnels: metrics, pictures and a click-through HTML report.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser(
        "demo",
        help="run the main job on a built-in synthetic CRM history",
        description="Write funnels (PNG, SVG), report.html and metrics.json for a seeded "
        "synthetic CRM history, and print a summary.",
    )
    demo.add_argument("--out", default="salesfunnel-demo", help="output folder")
    demo.add_argument(
        "--deals",
        type=_integer(1, MAX_DEMO_DEALS, " deals"),
        default=1200,
        help=f"number of deals, 1 to {MAX_DEMO_DEALS:,}",
    )
    demo.add_argument(
        "--owners", type=int, choices=range(2, 9), default=4, metavar="N", help="managers, 2 to 8"
    )
    demo.add_argument("--seed", type=_integer(0), default=7, help="random seed (an integer >= 0)")

    render = sub.add_parser(
        "render",
        help="draw a funnel from aggregate counts (CSV or JSON)",
        description="Draw a funnel from stage,count[,amount] CSV or JSON.",
    )
    render.add_argument("counts", help="counts file: CSV (stage,count[,amount]) or .json")
    render.add_argument("-o", "--output", required=True, help="out.png, out.svg or out.html")
    render.add_argument("--format", default=None, help="output format (default: from the suffix)")
    render.add_argument("--width", type=_positive_int, default=800, help="width in pixels")
    render.add_argument("--height", type=_positive_int, default=600, help="height in pixels")
    render.add_argument("--title", default=None, help="chart title")
    render.add_argument("--scale", type=_number, default=1.0, help="pixel scale (2 for high-DPI)")
    _render_options(render)

    metrics = sub.add_parser(
        "metrics",
        help="print the funnel metrics of a deal log",
        description="Closed-deal funnel, active snapshot, durations and forecast of a deal log.",
    )
    _log_options(metrics)
    _breakdown_options(metrics)
    _comparison_options(metrics)
    metrics.add_argument("--json", action="store_true", help="print JSON instead of tables")

    report = sub.add_parser(
        "report",
        help="write the self-contained HTML report of a deal log",
        description="Write the full click-through HTML report of a deal log.",
    )
    _log_options(report)
    report.add_argument("-o", "--output", required=True, help="report.html")
    report.add_argument("--title", default="Sales funnel report", help="report title")
    _breakdown_options(report)
    _comparison_options(report)

    events = sub.add_parser(
        "events",
        help="print the funnel of an event log (users or sessions doing events)",
        description="Ordered, strict, unordered or ClickHouse-style funnel of an event log "
        "within a conversion window, with breakdown and trend.",
    )
    _events_options(events)
    return parser


def _comparison_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("comparison of owners")
    g.add_argument(
        "--confidence",
        type=_confidence,
        default=0.95,
        metavar="LEVEL",
        help="confidence level of the owner comparison (default: 0.95)",
    )
    g.add_argument(
        "--correction",
        choices=("holm", "bh", "none"),
        default="holm",
        help="multiple-comparison correction of its p-values: Holm (default), "
        "Benjamini-Hochberg, or none",
    )


def _breakdown_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--by",
        default=None,
        metavar="COLUMN[,COLUMN]",
        help="also per owner, or per value of any column(s) of the log "
        "(product, region,product...)",
    )
    p.add_argument(
        "--period",
        default=None,
        choices=("D", "W", "M", "Q"),
        help="also the trend of closed deals per day, ISO week, month or quarter",
    )

"""The ``salesfunnel`` command line (private: the entry point is ``salesfunnel.__main__:main``).

Every user mistake (a missing file, a bad cell, a bad option) ends as one line
``salesfunnel: error: <file>, row N, column 'x': ...`` on stderr and exit
status 2; never a traceback. Rows are numbered as a spreadsheet shows them:
the header is row 1.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import math
import os
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any, TextIO

import numpy as np

from .. import __version__
from .._format import EM_DASH, fmt_compact, fmt_number, fmt_percent
from .._table import ResultTable
from ..analysis import Analysis, analyze
from ..analysis import expected_amount_card as _expected_amount_card
from ..analysis import period_text as _period_text
from ..chart import FunnelChart
from ..datasets import CRM_OUTCOMES, CRM_STAGES, synthetic_crm
from ..deals.log import DealLog
from ..deals.pipeline import Pipeline
from ..errors import FunnelDataError
from ..funnel.metrics import metrics_table
from ..funnel.readers import read_counts
from ..output.html import escape, page
from ..output.report import build_report
from ..render.style import Style

PROG = "salesfunnel"
PROGRESS_MIN_BYTES = 1_000_000
"""Logs at least this large show progress on stderr (when stderr is a terminal)."""


class CliError(Exception):
    """A user mistake reported as one line, exit status 2."""


# -- progress ------------------------------------------------------------------------
class Progress:
    """One self-overwriting status line on stderr; silent unless enabled."""

    def __init__(self, enabled: bool, stream: TextIO | None = None) -> None:
        self.enabled = enabled
        self.stream = stream if stream is not None else sys.stderr
        self._last = 0.0
        self._shown = False

    def show(self, text: str, *, force: bool = True) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last < 0.1:
            return
        self._last = now
        self.stream.write(f"\r\x1b[K{PROG}: {text}")
        self.stream.flush()
        self._shown = True

    def done(self) -> None:
        if self.enabled and self._shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._shown = False


def _counting(fh: IO[str], size: int, progress: Progress, label: str) -> Iterator[str]:
    """The file's lines, reporting the share read so far."""
    read = 0
    for line in fh:
        read += len(line)
        if progress.enabled:
            share = min(read / size, 1.0) if size else 1.0
            progress.show(f"reading {label}: {share:.0%}", force=False)
        yield line


# -- reading deal logs ------------------------------------------------------------------
def _read_rows(
    path: str, *, delimiter: str, encoding: str, progress: Progress
) -> tuple[list[str], list[dict[str | None, Any]], list[int]]:
    """Header, data rows and each row's number in the file (header = row 1)."""
    size = os.path.getsize(path)
    with open(path, newline="", encoding=encoding) as fh:
        reader = csv.DictReader(_counting(fh, size, progress, path), delimiter=delimiter)
        raw = reader.fieldnames
        if not raw or not any(h.strip() for h in raw):
            msg = f"{path}: the file is empty (expected a header row naming the columns)"
            raise CliError(msg)
        header = [h.strip() for h in raw]
        reader.fieldnames = header
        rows: list[dict[str | None, Any]] = []
        numbers: list[int] = []
        for row in reader:
            rows.append(row)
            numbers.append(reader.line_num)
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


def _parse_date(text: str, fmt: str) -> dt.datetime:
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
                row[col] = _parse_date(str(cell), fmt)
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


def load_log(args: argparse.Namespace, progress: Progress) -> DealLog:
    """Read the deal log named on the command line, long or wide form."""
    path = args.log
    pipe = _pipeline(args)
    header, rows, numbers = _read_rows(
        path, delimiter=args.delimiter, encoding=args.encoding, progress=progress
    )
    owner = args.owner_column
    if owner is None and "owner" in header:
        owner = "owner"
    elif owner is not None:
        _require(path, header, owner, "owner", "--owner-column")
    amount = args.amount_column
    if amount is None and "amount" in header:
        amount = "amount"
    elif amount is not None:
        _require(path, header, amount, "amount", "--amount-column")
    progress.show(f"building the deal log ({fmt_number(len(rows))} rows)")
    if args.wide:
        dates = _stage_dates(args, pipe)
        if not dates and args.outcome_column is None:
            raise CliError("--wide needs --stage-date LABEL=COLUMN and/or --outcome-column")
        _require(path, header, args.deal_column, "deal id", "--deal-column")
        for label, col in dates.items():
            _require(path, header, col, f"date of {label!r}", "--stage-date")
        if args.outcome_column is not None:
            _require(path, header, args.outcome_column, "stage or outcome", "--outcome-column")
        if args.outcome_date_column is not None:
            _require(
                path, header, args.outcome_date_column, "outcome date", "--outcome-date-column"
            )
        if args.date_format:
            cols = [*dates.values()]
            if args.outcome_date_column is not None:
                cols.append(args.outcome_date_column)
            _convert_dates(path, rows, numbers, cols, args.date_format)
        try:
            return DealLog.from_wide(
                rows,  # type: ignore[arg-type]
                pipe,
                deal=args.deal_column,
                stage_dates=dates,
                outcome=args.outcome_column,
                outcome_date=args.outcome_date_column,
                owner=owner,
                amount=amount,
                drop_unknown=args.drop_unknown,
            )
        except FunnelDataError as exc:
            raise _in_file(
                exc, path, rows, numbers, pipe, args.outcome_column, args.deal_column
            ) from None
    for col, what, option in (
        (args.deal_column, "deal id", "--deal-column"),
        (args.stage_column, "stage", "--stage-column"),
        (args.time_column, "event time", "--time-column"),
    ):
        _require(path, header, col, what, option)
    if args.date_format:
        _convert_dates(path, rows, numbers, [args.time_column], args.date_format)
    wanted = [args.deal_column, args.stage_column, args.time_column]
    wanted += [c for c in (owner, amount) if c is not None]
    # Object arrays keep cells as plain str, so messages quote '' rather than np.str_('').
    columns = {
        c: np.array([row.get(c) for row in rows], dtype=object) for c in dict.fromkeys(wanted)
    }
    try:
        return DealLog.from_columns(
            columns,
            pipe,
            deal=args.deal_column,
            stage=args.stage_column,
            time=args.time_column,
            owner=owner,
            amount=amount,
            drop_unknown=args.drop_unknown,
        )
    except FunnelDataError as exc:
        raise _in_file(
            exc, path, rows, numbers, pipe, args.stage_column, args.deal_column
        ) from None


def _instant(text: str | None, option: str, fmt: str | None) -> str | None:
    """A period bound from the command line, as ISO text."""
    if text is None:
        return None
    try:
        return dt.datetime.fromisoformat(text.strip()).isoformat()
    except ValueError:
        pass
    if fmt:
        try:
            return _parse_date(text, fmt).isoformat()
        except ValueError:
            pass
    expected = "ISO 8601 like 2026-01-31" + (f" or the format {fmt!r}" if fmt else "")
    msg = f"{option}: unparsable date {text!r} (expected {expected})"
    raise CliError(msg)


def _analysis(args: argparse.Namespace, progress: Progress) -> tuple[DealLog, Analysis]:
    fmt = args.date_format
    start = _instant(args.start, "--start", fmt)
    end = _instant(args.end, "--end", fmt)
    as_of = _instant(args.as_of, "--as-of", fmt)
    if start is not None and end is not None and end < start:
        msg = f"--end {args.end} is before --start {args.start}"
        raise CliError(msg)
    size = os.path.getsize(args.log)
    progress.enabled = progress.enabled and size >= PROGRESS_MIN_BYTES
    log = load_log(args, progress)
    if getattr(args, "by", None) == "owner" and log.owner is None:
        raise CliError("--by owner needs an owner column (name it with --owner-column)")
    analysis = analyze(
        log,
        start=start,
        end=end,
        as_of=as_of,
        mode=args.mode,
        progress=lambda step: progress.show(f"computing {step}"),
    )
    return log, analysis


# -- text output -----------------------------------------------------------------------
_RATES = {"step_conversion", "conversion_from_first", "probability", "win_rate"}
_HEADS = {
    "step_conversion": "of previous",
    "conversion_from_first": "of first",
    "unknown_time": "unknown time",
    "median_days": "median days",
    "mean_days": "mean days",
    "p90_days": "p90 days",
    "open_deals": "open deals",
    "amount_unknown": "amount unknown",
    "expected_won": "expected wins",
    "expected_amount": "expected amount",
    "win_rate": "win rate",
    "median_cycle_days": "median cycle days",
}


def _text(t: ResultTable) -> str:
    """A result table for people: rates as percentages, numbers right-aligned."""

    def cell(col: str, value: object) -> str:
        if col in _RATES:
            return fmt_percent(value if isinstance(value, (int, float)) else None)
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, (int, float)):
            return fmt_number(round(float(value), 2))
        return EM_DASH if value is None else str(value)

    heads = [_HEADS.get(c, c) for c in t.columns]
    body = [[cell(c, v) for c, v in zip(t.columns, row, strict=True)] for row in t.rows]
    numeric = [
        j > 0 and all(isinstance(r[j], (int, float)) or r[j] is None for r in t.rows)
        for j in range(len(t.columns))
    ]
    widths = [max([len(heads[j])] + [len(r[j]) for r in body]) for j in range(len(heads))]
    lines = []
    for k, row in enumerate([heads, *body]):
        cells = [
            c.rjust(widths[j]) if numeric[j] else c.ljust(widths[j]) for j, c in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _owner_table(a: Analysis) -> ResultTable:
    rows = []
    for o, cf in a.closed_by_owner.items():
        cyc = cf.durations.cycle.median_days if cf.durations is not None else math.nan
        fc = a.forecast_by_owner[o]
        rows.append(
            (
                o,
                cf.deals,
                cf.won,
                cf.win_rate,
                a.active_by_owner[o].open_deals,
                fc.expected_won,
                cyc,
            )
        )
    cols = (
        "owner",
        "closed",
        "won",
        "win_rate",
        "open",
        "expected_won",
        "median_cycle_days",
    )
    return ResultTable("per owner", cols, tuple(rows))


def _expected_amount(a: Analysis) -> str:
    value, note = _expected_amount_card(a)
    return value + note[len("expected won amount") :]


def _bottleneck_line(a: Analysis) -> str:
    neck = a.bottleneck
    if neck is None:
        return f"bottleneck: {EM_DASH} (no stage conversion is defined)"
    prev = a.closed.funnel.names[neck.index - 1]
    return f"bottleneck: {neck.name} ({fmt_percent(neck.rate)} of the deals at {prev} moved on)"


def _weakest_lines(a: Analysis) -> list[str]:
    c = a.comparison
    if c is None:
        return []
    lines = []
    width = max((len(g) for g in c.groups), default=0)
    for g in c.groups:
        w = c.weakest(g)
        if w is None:
            why = (
                "no stage below the rest of the team"
                if c.ranked(g)
                else "not enough closed deals to rank the stages"
            )
            lines.append(f"  {g.ljust(width)}  {why}")
            continue
        p = EM_DASH if w.p_value is None else f"{w.p_value:.2g}"
        verdict = "significant" if w.significant else "not significant"
        lines.append(
            f"  {g.ljust(width)}  {w.stage}: {fmt_percent(w.rate)} vs rest of team "
            f"{fmt_percent(w.rest_rate)} (p={p}, {verdict} at {c.confidence:.0%})"
        )
    return lines


def _metrics_text(a: Analysis, by_owner: bool, source: str) -> str:
    cf, af = a.closed, a.active
    out = [
        f"{source}: {fmt_number(a.log.n_deals)} deals, {fmt_number(len(a.log))} events"
        + (f", {len(a.owners)} owners" if a.owners else ""),
        "",
        f"Closed deals ({_period_text(a)})",
        _text(cf.table),
        cf._summary(),
        _bottleneck_line(a),
        "",
        f"Open deals (as of {a.as_of or 'the latest event'})",
        _text(af.table),
        f"{af.open_deals} open deals, {af.won} won, {af.lost} lost, {af.frozen} frozen",
        "",
    ]
    if cf.durations is not None:
        cy = cf.durations.cycle
        out += [
            "Time in stage, days (closed deals)",
            _text(cf.durations.stages),
            f"whole cycle: median {fmt_number(round(cy.median_days, 2))} d, "
            f"mean {fmt_number(round(cy.mean_days, 2))} d, "
            f"p90 {fmt_number(round(cy.p90_days, 2))} d ({cy.count} deals)",
            "",
        ]
    fc = a.forecast
    out += [
        f"Forecast (win probability learned from {fmt_number(fc.trained_on)} closed deals)",
        _text(fc.table),
        f"expected wins: {fmt_number(round(fc.expected_won, 2))}, "
        f"expected amount: {_expected_amount(a)}",
        "",
    ]
    if by_owner:
        out += ["Per owner", _text(_owner_table(a)), ""]
        if a.comparison is not None:
            out += ["Weakest stage per owner:", *_weakest_lines(a), ""]
    return "\n".join(out).rstrip() + "\n"


# -- commands ----------------------------------------------------------------------
def _cmd_demo(args: argparse.Namespace) -> int:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    start, end = "2026-01-01", "2026-07-01"
    cols = synthetic_crm(
        args.deals, owners=args.owners, seed=args.seed, start=start, end="2026-06-30"
    )
    pipe = Pipeline(
        CRM_STAGES,
        won=CRM_OUTCOMES["won"],
        lost=CRM_OUTCOMES["lost"],
        frozen=CRM_OUTCOMES["frozen"],
    )
    log = DealLog.from_columns(
        cols, pipe, deal="deal_id", time="timestamp", owner="owner", amount="amount"
    )
    a = analyze(log, start=start, end=end, as_of=end)
    written: list[Path] = []

    def save(chart: FunnelChart, stem: str) -> None:
        for suffix in ("png", "svg"):
            path = out / f"{stem}.{suffix}"
            chart.save(path)
            written.append(path)

    save(
        FunnelChart(
            a.closed.funnel,
            width=800,
            height=600,
            title="Team: closed deals",
            amount_format=fmt_compact,
        ),
        "team-closed",
    )
    save(
        FunnelChart(
            a.active.funnel,
            width=800,
            height=600,
            title="Team: open deals",
            amount_format=fmt_compact,
            percent="none",
            style=Style(label_gutter=0.0),
        ),
        "team-active",
    )
    save(
        FunnelChart(
            {o: c.funnel for o, c in a.closed_by_owner.items()},
            width=1200,
            height=520,
            title="Closed deals by manager",
            amount_format=fmt_compact,
            percent="previous",
        ),
        "managers-closed",
    )
    report = out / "report.html"
    report.write_text(
        build_report(a, title="salesfunnel demo: synthetic CRM, first half of 2026"),
        encoding="utf-8",
    )
    metrics = out / "metrics.json"
    metrics.write_text(a.to_json() + "\n", encoding="utf-8")
    written += [report, metrics]

    cf, fc = a.closed, a.forecast
    lines = [
        f"salesfunnel demo: synthetic CRM with {fmt_number(log.n_deals)} deals, "
        f"{len(a.owners)} managers, {start} to 2026-06-30 (seed {args.seed})",
        cf._summary(),
        _bottleneck_line(a),
        "weakest stage per manager:",
        *_weakest_lines(a),
        f"open deals as of {a.as_of}: {a.active.open_deals}; forecast: "
        f"{fmt_number(round(fc.expected_won, 1))} expected wins worth "
        f"{fmt_number(round(fc.expected_amount, 2))}",
        "wrote:",
        *(f"  {p}" for p in written),
    ]
    print("\n".join(lines))
    return 0


def _cmd_render(args: argparse.Namespace) -> int:
    funnel = read_counts(args.counts, name=args.title)
    out = Path(args.output)
    fmt = (args.format or out.suffix.lstrip(".")).lower()
    if not fmt:
        msg = f"-o {args.output}: cannot tell the format (end the name in .png, .svg or .html)"
        raise CliError(msg)
    opts: dict[str, Any] = {
        "width": args.width,
        "height": args.height,
        "title": args.title,
        "scale": args.scale,
        "percent": args.percent,
    }
    if fmt in ("html", "htm"):
        out.write_text(_render_page(funnel, opts), encoding="utf-8")
    else:
        FunnelChart(funnel, **opts).save(out, format=fmt)
    print(out)
    return 0


def _render_page(funnel: Any, opts: dict[str, Any]) -> str:
    import base64

    from ..render.hitmap import image_map

    title = opts["title"] or funnel.name or "Sales funnel"
    plain_opts = {**opts, "scale": 1}
    svg_chart = FunnelChart(funnel, **plain_opts)
    png_chart = FunnelChart(funnel, **opts)
    w, h = svg_chart.size
    png = base64.b64encode(png_chart.to_png()).decode("ascii")
    regions = tuple(r for r in svg_chart.regions if r.stage is not None)
    # Without deals behind the counts, a click on a stage jumps to its row of the table.
    rows = "".join(
        f'<tr id="stage-{i}"><td>{escape(r.name)}</td><td class="num">{fmt_number(r.count)}</td>'
        f'<td class="num">{fmt_percent(r.step_conversion)}</td>'
        f'<td class="num">{fmt_percent(r.conversion_from_first)}</td></tr>'
        for i, r in enumerate(metrics_table(funnel))
    )
    body = (
        f"<h1>{escape(title)}</h1>"
        '<div class="grid">'
        f'<figure data-chart="svg">{svg_chart.to_svg()}<figcaption>SVG</figcaption></figure>'
        f'<figure data-chart="png"><div style="overflow-x:auto">'
        f'<img src="data:image/png;base64,{png}" usemap="#funnel-map" width="{w}" height="{h}" '
        f'style="width:{w}px;height:{h}px;max-width:none" alt="{escape(svg_chart.alt_text())}">'
        f"{image_map(regions, 'funnel-map', lambda r: f'#stage-{r.stage}')}</div>"
        "<figcaption>PNG with an HTML image map: hover a stage for its numbers, "
        "click it for its row below</figcaption></figure></div>"
        '<table><caption>Stages</caption><thead><tr><th scope="col">stage</th>'
        '<th scope="col" class="num">count</th><th scope="col" class="num">of previous</th>'
        f'<th scope="col" class="num">of first</th></tr></thead><tbody>{rows}</tbody></table>'
    )
    return page(title, body, {}, {}, css="tr:target td{background:#fff3c4}")


def _cmd_metrics(args: argparse.Namespace) -> int:
    progress = Progress(sys.stderr.isatty())
    try:
        _, a = _analysis(args, progress)
    finally:
        progress.done()
    by_owner = args.by == "owner"
    if args.json:
        payload = a.to_dict()
        if not by_owner:
            for key in ("by_owner", "comparison", "weakest_stage"):
                payload.pop(key, None)
        import json

        print(json.dumps(payload, indent=2, ensure_ascii=False, allow_nan=False))
    else:
        sys.stdout.write(_metrics_text(a, by_owner, args.log))
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    progress = Progress(sys.stderr.isatty())
    try:
        _, a = _analysis(args, progress)
        progress.show("writing the report")
        html = build_report(a, title=args.title)
        Path(args.output).write_text(html, encoding="utf-8")
    finally:
        progress.done()
    print(args.output)
    return 0


# -- parser ---------------------------------------------------------------------------
def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer (got {text!r})") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1 (got {text!r})")
    return value


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number (got {text!r})") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0 (got {text!r})")
    return value


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
    c = p.add_argument_group("columns (long form: deal, stage, timestamp[, owner, amount])")
    c.add_argument("--deal-column", default="deal", help="deal id column (default: deal)")
    c.add_argument("--stage-column", default="stage", help="stage label column (default: stage)")
    c.add_argument(
        "--time-column", default="timestamp", help="event time column (default: timestamp)"
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
    f.add_argument("--delimiter", default=",", help="CSV delimiter (default: ,)")
    f.add_argument("--encoding", default="utf-8-sig", help="file encoding (default: UTF-8)")
    f.add_argument("--start", default=None, metavar="DATE", help="period start (inclusive)")
    f.add_argument("--end", default=None, metavar="DATE", help="period end (exclusive)")
    f.add_argument("--as-of", default=None, metavar="DATE", help="snapshot time of open deals")
    f.add_argument(
        "--mode",
        default="cumulative",
        choices=("cumulative", "classic", "strict"),
        help="what counts as reaching a stage (default: cumulative)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``salesfunnel`` command."""
    parser = argparse.ArgumentParser(
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
    demo.add_argument("--deals", type=_positive_int, default=1200, help="number of deals")
    demo.add_argument(
        "--owners", type=int, choices=range(2, 9), default=4, metavar="N", help="managers, 2 to 8"
    )
    demo.add_argument("--seed", type=int, default=7, help="random seed")
    demo.set_defaults(func=_cmd_demo)

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
    render.add_argument(
        "--percent",
        default="both",
        choices=("both", "first", "previous", "none"),
        help="percentages in labels: of first, of previous, both or none",
    )
    render.set_defaults(func=_cmd_render)

    metrics = sub.add_parser(
        "metrics",
        help="print the funnel metrics of a deal log",
        description="Closed-deal funnel, active snapshot, durations and forecast of a deal log.",
    )
    _log_options(metrics)
    metrics.add_argument("--by", choices=("owner",), default=None, help="also per owner")
    metrics.add_argument("--json", action="store_true", help="print JSON instead of tables")
    metrics.set_defaults(func=_cmd_metrics)

    report = sub.add_parser(
        "report",
        help="write the self-contained HTML report of a deal log",
        description="Write the full click-through HTML report of a deal log.",
    )
    _log_options(report)
    report.add_argument("-o", "--output", required=True, help="report.html")
    report.add_argument("--title", default="Sales funnel report", help="report title")
    report.set_defaults(func=_cmd_report)
    return parser


def _one_line(text: str) -> str:
    return " ".join(text.split())


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``salesfunnel`` command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result: int = args.func(args)
    except (CliError, FunnelDataError) as exc:
        print(f"{PROG}: error: {_one_line(str(exc))}", file=sys.stderr)
        return 2
    except UnicodeDecodeError as exc:
        where = getattr(args, "log", None) or getattr(args, "counts", "input")
        msg = f"{where}: not {exc.encoding} text at byte {exc.start} (set --encoding)"
        print(f"{PROG}: error: {msg}", file=sys.stderr)
        return 2
    except OSError as exc:
        name = exc.filename if exc.filename is not None else ""
        what = exc.strerror or str(exc)
        print(
            f"{PROG}: error: {name}: {what}" if name else f"{PROG}: error: {what}", file=sys.stderr
        )
        missing = isinstance(exc, (FileNotFoundError, IsADirectoryError, NotADirectoryError))
        return 2 if missing else 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    return result

"""The commands: ``demo``, ``render``, ``metrics``, ``report`` (and ``events``, in ``events.py``).

Each takes the parsed arguments and returns the exit status; a user mistake
is raised as :class:`~salesfunnel.cli.text.CliError` (or a library error) and
reported by :func:`salesfunnel.cli.main.main`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import sys
import warnings
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

from .._csvio import open_csv
from .._format import fmt_compact, fmt_number, fmt_percent
from .._numbers import number
from .._table import ResultTable
from ..analysis import Analysis, analyze, period_text
from ..chart import FunnelChart
from ..datasets import CRM_OUTCOMES, CRM_STAGES, synthetic_crm
from ..deals.closed import closed_funnel
from ..deals.log import DealLog
from ..deals.pipeline import Pipeline
from ..deals.status import LooksLikeEventLogWarning, event_log_note
from ..deals.trend import breakdown_table, trend
from ..errors import FunnelDataError
from ..funnel.metrics import metrics_table
from ..funnel.model import Funnel
from ..funnel.readers import read_counts
from ..output.html import escape, page
from ..output.report import build_report
from ..render.style import Style
from .events import events
from .load import load_log, parse_date
from .text import (
    PROG,
    CliError,
    Progress,
    bottleneck_line,
    dropped_line,
    echo,
    metrics_text,
    table_text,
    weakest_lines,
)

PROGRESS_MIN_BYTES = 1_000_000
"""Logs at least this large show progress on stderr (when stderr is a terminal)."""

MAX_COUNTS_BYTES = 16 << 20
"""The largest counts file ``render`` reads (16 MiB): one short row per stage needs far less."""


# -- reading a deal log and analysing it ------------------------------------------------
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
            return parse_date(text, fmt).isoformat()
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
    by = _by(args)
    args.keep = tuple(c for c in (by or ()) if c != "owner")
    with warnings.catch_warnings():
        # The warning is said once, as a note line, after the command's work (_say_reopened).
        warnings.simplefilter("ignore", LooksLikeEventLogWarning)
        log = load_log(args, progress)
    if by is not None and "owner" in by and log.owner is None:
        raise CliError("--by owner needs an owner column (name it with --owner-column)")
    analysis = analyze(
        log,
        start=start,
        end=end,
        as_of=as_of,
        mode=args.mode,
        confidence=args.confidence,
        correction=args.correction,
        progress=lambda step: progress.show(f"computing {step}"),
        tz=args.tz,
    )
    return log, analysis


def _by(args: argparse.Namespace) -> list[str] | None:
    """The ``--by`` names (the owner column's own name means the owner)."""
    text = getattr(args, "by", None)
    if text is None:
        return None
    names = [c.strip() for c in text.split(",")]
    if not all(names):
        raise CliError(f"--by: a blank column name in {text!r}")
    return ["owner" if c == args.owner_column else c for c in names]


def _breakdown(args: argparse.Namespace, a: Analysis) -> tuple[list[ResultTable], dict[str, Any]]:
    """The tables (and JSON) of ``--by`` a column other than owner, and of ``--period``."""
    tables: list[ResultTable] = []
    payload: dict[str, Any] = {}
    by = _by(args)
    if by is not None and by != ["owner"]:
        key: str | list[str] = by[0] if len(by) == 1 else by
        found = closed_funnel(a.log, a.pipeline, start=a.start, end=a.end, by=key, mode=args.mode)
        title = f"Closed deals by {', '.join(by)} ({period_text(a)})"
        tables.append(breakdown_table(found, by, title))
        payload["breakdown"] = {"by": by, "rows": tables[-1].to_records()}
    if args.period is not None:
        by_key = None if by is None else (by[0] if len(by) == 1 else by)
        t = trend(
            a.log, a.pipeline, period=args.period, start=a.start, end=a.end, by=by_key, tz=a.tz
        )
        shown = [j for j, c in enumerate(t.table.columns) if c not in ("start", "end")]
        rows = tuple(tuple(row[j] for j in shown) for row in t.table.rows)
        columns = tuple(t.table.columns[j] for j in shown)
        tables.append(ResultTable(f"{t.table.name.capitalize()} ({period_text(a)})", columns, rows))
        payload["trend"] = json.loads(t.to_json())
    return tables, payload


# -- demo -------------------------------------------------------------------------------
def _demo_charts(a: Analysis) -> dict[str, FunnelChart]:
    """The demo's three charts by file stem."""
    owners = {o: c.funnel for o, c in a.closed_by_owner.items()}
    open_style: dict[str, Any] = {"percent": "none", "style": Style(label_gutter=0.0)}
    specs: tuple[tuple[str, Any, int, int, str, dict[str, Any]], ...] = (
        ("team-closed", a.closed.funnel, 800, 600, "Team: closed deals", {}),
        ("team-active", a.active.funnel, 800, 600, "Team: open deals", open_style),
        ("managers-closed", owners, 1200, 520, "Closed deals by manager", {"percent": "previous"}),
    )
    return {
        stem: FunnelChart(
            data, width=w, height=h, title=title, amount_format=fmt_compact, **options
        )
        for stem, data, w, h, title, options in specs
    }


def demo(args: argparse.Namespace) -> int:
    """Analyse a seeded synthetic CRM history, write charts, report and JSON, print a summary."""
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
    for stem, chart in _demo_charts(a).items():
        for suffix in ("png", "svg"):
            path = out / f"{stem}.{suffix}"
            chart.save(path)
            written.append(path)
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
        bottleneck_line(a),
        "weakest stage per manager:",
        *weakest_lines(a),
        f"open deals as of {a.as_of}: {fmt_number(a.active.open_deals)}; forecast: "
        f"{fmt_number(round(fc.expected_won, 1))} expected wins worth "
        f"{fmt_number(round(fc.expected_amount, 2))}",
        "wrote:",
        *(f"  {p}" for p in written),
    ]
    echo("\n".join(lines))
    return 0


# -- render -----------------------------------------------------------------------------
def _read_counts(path: str, title: str | None) -> Funnel:
    """The counts file, refused when too large to be one, or holding numbers or names no
    output can carry."""
    if os.path.isfile(path) and os.path.getsize(path) > MAX_COUNTS_BYTES:
        msg = f"{path}: {os.path.getsize(path):,} bytes is too large for a counts file "
        msg += f"(at most {MAX_COUNTS_BYTES:,})"
        raise CliError(msg)
    funnel = read_counts(path, name=title)  # a count beyond a float is the model's error
    for i, name in enumerate(funnel.names):
        try:
            name.encode("utf-8")
        except UnicodeEncodeError as exc:  # a lone surrogate from a JSON \ud800 escape
            bad = name[exc.start : exc.end]
            msg = f"{path}, stage {i}: the name {name!r} holds {bad!r}, which is not text"
            raise CliError(msg) from None
    return funnel


def render(args: argparse.Namespace) -> int:
    """Draw a counts file as PNG, SVG or an HTML page with both."""
    out = Path(args.output)
    fmt = (args.format or out.suffix.lstrip(".")).lower()
    if not fmt:
        msg = f"-o {args.output}: cannot tell the format (end the name in .png, .svg or .html)"
        raise CliError(msg)
    data: Funnel | dict[Hashable, Funnel]
    if args.by is None and args.delimiter == ",":
        data = _read_counts(args.counts, args.title)
    else:
        data = _read_groups(args.counts, args.by, args.delimiter, args.title)
    opts: dict[str, Any] = {
        "width": args.width,
        "height": args.height,
        "title": args.title,
        "scale": args.scale,
        "percent": args.percent,
        "width_mapping": args.width_mapping,
        "min_visible": args.min_visible,
        "columns": args.columns,
    }
    if fmt in ("html", "htm"):
        if not isinstance(data, Funnel):
            raise CliError("--by draws PNG or SVG (-o ending in .png or .svg), not an HTML page")
        out.write_text(_render_page(data, opts), encoding="utf-8")
    else:
        FunnelChart(data, **opts).save(out, format=fmt)
    echo(str(out))
    return 0


def _read_groups(
    path: str, by: str | None, delimiter: str, title: str | None
) -> Funnel | dict[Hashable, Funnel]:
    """A counts CSV with any delimiter; with ``by``, one funnel per value of that column
    (groups and their stages in the order they first appear)."""
    if path.lower().endswith(".json"):
        raise CliError(f"{path}: --by and --delimiter read CSV files, not JSON")
    groups: dict[str, list[tuple[str, float, float | None]]] = {}
    with open_csv(path, delimiter=delimiter) as file:
        header = [h.strip().lower() for h in file.header]
        needed = ["stage", "count"] + ([by.strip().lower()] if by else [])
        for name in needed:
            if name not in header:
                msg = f"{path}, row 1: missing column {name!r} (header is {list(file.header)!r})"
                raise CliError(msg)
        at = {name: header.index(name) for name in needed}
        i_amount = header.index("amount") if "amount" in header else None
        for line, row in file.records():
            if not any(cell.strip() for cell in row):
                continue
            if len(row) < len(header):
                raise CliError(f"{path}, row {line}: expected {len(header)} columns (got {row!r})")
            key = row[at[by.strip().lower()]].strip() if by else (title or "")
            amount = None
            if i_amount is not None and row[i_amount].strip():
                amount = _cell_number(row[i_amount], path, line, "amount")
            count = _cell_number(row[at["count"]], path, line, "count")
            groups.setdefault(key, []).append((row[at["stage"]].strip(), count, amount))
    if not groups:
        raise CliError(f"{path}: no stages below the header")
    funnels: dict[Hashable, Funnel] = {}
    for key, stages in groups.items():
        try:
            funnels[key] = Funnel.from_counts(stages, name=key or None)
        except FunnelDataError as exc:
            raise CliError(f"{path}, group {key!r}: {exc}") from None
    return funnels if by else funnels[next(iter(funnels))]


def _cell_number(text: str, path: str, line: int, column: str) -> float:
    try:
        value = number(text.strip())
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        msg = f"{path}, row {line}, column {column!r}: expected a number >= 0 (got {text!r})"
        raise CliError(msg)
    return value


def _render_page(funnel: Funnel, opts: dict[str, Any]) -> str:
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


# -- metrics and report -------------------------------------------------------------------
def _say_reopened(log: DealLog) -> None:
    """One line on stderr when deals have events after an outcome (nothing is reread)."""
    note = event_log_note(log)
    if note is not None:
        echo(f"{PROG}: note: {note}", sys.stderr)


def metrics(args: argparse.Namespace) -> int:
    """Print the metrics of a deal log as tables or JSON."""
    progress = Progress(sys.stderr.isatty())
    try:
        log, a = _analysis(args, progress)
    finally:
        progress.done()
    _say_reopened(log)
    by_owner = "owner" in (_by(args) or ())
    dropped = log.dropped if args.drop_unknown else None
    tables, extra = _breakdown(args, a)
    if args.json:
        payload = a.to_dict()
        if not by_owner:
            for key in ("by_owner", "comparison", "weakest_stage"):
                payload.pop(key, None)
        payload.update(extra)
        echo(json.dumps(payload, indent=2, ensure_ascii=False, allow_nan=False))
    else:
        text = metrics_text(a, by_owner=by_owner, source=args.log, dropped=dropped)
        echo("\n\n".join([text, *(f"{t.name}\n{table_text(t)}" for t in tables)]))
    return 0


def report(args: argparse.Namespace) -> int:
    """Write the HTML report of a deal log; print its path."""
    progress = Progress(sys.stderr.isatty())
    try:
        log, a = _analysis(args, progress)
        progress.show("writing the report")
        by = _by(args)
        key = None if by is None else (by[0] if len(by) == 1 else by)
        html = build_report(a, title=args.title, by=key, period=args.period)
        Path(args.output).write_text(html, encoding="utf-8")
    finally:
        progress.done()
    _say_reopened(log)
    if args.drop_unknown:
        echo(f"{PROG}: {dropped_line(log.dropped)}", sys.stderr)
    echo(args.output)
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "demo": demo,
    "render": render,
    "metrics": metrics,
    "report": report,
    "events": events,
}
"""Each command's function by the name given on the command line."""

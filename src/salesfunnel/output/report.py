"""The self-contained HTML report of a deal log (HTML layout only).

:func:`~salesfunnel.analysis.analyze` computes every figure;
:func:`build_report` lays them out as one HTML file with no network access:
inline SVG and PNG charts, tables (:mod:`salesfunnel.output.sections`), and
the deals behind every stage embedded as JSON so that a click (or Enter /
Space) on any stage lists them.
"""

from __future__ import annotations

import base64
import os
import warnings
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np

from .._format import clean_text, fmt_compact, fmt_count, fmt_number, fmt_value
from ..analysis import Analysis, Instant, analyze, period_text
from ..chart import FunnelChart, HiddenLabelsWarning
from ..deals.closed import closed_funnel
from ..deals.groups import GroupBy
from ..deals.log import DealLog
from ..deals.pipeline import Pipeline
from ..deals.shared import check_log
from ..deals.trend import Period, breakdown_table, trend
from ..errors import FunnelDataError
from ..funnel.model import Funnel
from ..render.hitmap import image_map
from ..render.labels import PercentBasis
from ..render.style import Style
from . import sections
from .html import escape, page, table

__all__ = ["build_report", "save_report"]


def _ids(data: object) -> list[str]:
    if data is None:
        return []
    return [str(x.item() if isinstance(x, np.generic) else x) for x in np.asarray(data).tolist()]


# -- charts -------------------------------------------------------------------------
class _Charts:
    """Collects the chart figures of a report and the deals behind their stages."""

    def __init__(self) -> None:
        self.stage_deals: dict[str, dict[str, Any]] = {}
        self.referenced: set[str] = set()

    def _register(
        self, chart_id: str, funnels: Sequence[tuple[Hashable, Funnel]], label: str
    ) -> None:
        union: dict[int, list[str]] = {}
        for fi, (key, f) in enumerate(funnels):
            who = f"{key}: " if len(funnels) > 1 else ""
            for si, stage in enumerate(f.stages):
                ids = _ids(stage.data)
                self.referenced.update(ids)
                self.stage_deals[f"{chart_id}|{fi}|{si}"] = {
                    "title": clean_text(f"{label} \u00b7 {who}{stage.name}"),
                    "ids": ids,
                }
                union.setdefault(si, []).extend(ids)
        if len(funnels) > 1:  # legend entries stand for a stage across every funnel
            names = max((f.names for _, f in funnels), key=len)
            for si, ids in union.items():
                self.stage_deals[f"{chart_id}||{si}"] = {
                    "title": clean_text(f"{label} \u00b7 all: {names[si]}"),
                    "ids": sorted(set(ids)),
                }

    def svg_figure(
        self,
        chart_id: str,
        funnel: Funnel,
        *,
        title: str,
        caption: str,
        width: int = 560,
        height: int = 420,
        percent: PercentBasis = "both",
        style: Style | None = None,
    ) -> str:
        """One funnel drawn as inline SVG."""
        with warnings.catch_warnings():  # the report's tables carry every hidden number
            warnings.simplefilter("ignore", HiddenLabelsWarning)
            chart = FunnelChart(
                funnel,
                width=width,
                height=height,
                title=title,
                percent=percent,
                style=style,
                amount_format=fmt_compact,
            )
        self._register(chart_id, [(funnel.name, funnel)], title)
        return (
            f'<figure data-chart="{escape(chart_id)}" data-format="svg">{chart.to_svg()}'
            f"<figcaption>{escape(caption)}</figcaption></figure>"
        )

    def png_figure(
        self,
        chart_id: str,
        funnels: Mapping[str, Funnel],
        *,
        title: str,
        caption: str,
        width: int = 1100,
        height: int = 430,
        scale_to: float | None = None,
        columns: int | None = None,
    ) -> str:
        """Several funnels side by side as a PNG with an HTML image map.

        ``scale_to`` (the largest count over every chart of a series) and
        ``columns`` (the most funnels of any chart) put the charts on one shared
        scale: the same count is as wide on every chart.
        """
        items = list(funnels.items())
        opts: dict[str, Any] = {
            "scale_to": scale_to,
            "columns": columns,
            "width": width,
            "height": height,
            "title": title,
            "percent": "previous",
            "amount_format": fmt_compact,
        }
        # The PNG is drawn at twice the size for sharp screens and shown at layout
        # size, so the image map is in layout pixels (the geometry's own).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", HiddenLabelsWarning)
            sharp = FunnelChart(dict(items), scale=2, **opts)
        name = f"map-{chart_id}"
        regions = tuple(r for r in sharp.geometry.regions if r.stage is not None)
        area_map = image_map(regions, name, "#sf-deals")
        png = base64.b64encode(sharp.to_png()).decode("ascii")
        self._register(chart_id, items, title)
        return (
            f'<figure data-chart="{escape(chart_id)}" data-format="png">'
            f'<div class="scroll"><img src="data:image/png;base64,{png}" usemap="#{name}" '
            f'width="{width}" height="{height}" class="mapped" '
            # Image-map coordinates are in layout pixels: the image must not be resized.
            f'style="width:{width}px;height:{height}px;max-width:none" '
            f'alt="{escape(sharp.alt_text())}">{area_map}</div>'
            f"<figcaption>{escape(caption)}</figcaption></figure>"
        )


_REPORT_CSS = """
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:10px;margin:12px 0}
.card{background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:8px 12px}
.card b{display:block;font-size:20px}.card span{color:var(--muted);font-size:13px}
.scroll{overflow-x:auto}
.tables{display:flex;flex-wrap:wrap;gap:0 32px;align-items:flex-start}
.hint{background:#eef4ff;border-left:3px solid var(--accent);padding:6px 10px;font-size:14px}
table.volume td,table.volume th{vertical-align:middle}
svg.bars{display:block}
.findings li{margin:2px 0}
"""


def _snapshot_text(a: Analysis) -> str:
    return f"open as of {a.as_of or 'the latest event'}"


def _dropped_note(a: Analysis) -> str:
    """A visible line when the log dropped rows while loading (nothing when none were)."""
    n = a.dropped
    if not n:
        return ""
    rows = "row" if n == 1 else "rows"
    return (
        f'<p class="note dropped">{escape(fmt_number(n))} {rows} of the input with a stage '
        "or outcome outside the pipeline were dropped while loading and are not counted "
        "anywhere in this report.</p>"
    )


def _team_section(a: Analysis, charts: _Charts, title: str) -> list[str]:
    """Heading, summary, cards, findings, and the team's two funnels with their tables."""
    period = period_text(a)
    snapshot = _snapshot_text(a)
    arrow = " \u2192 "
    return [
        f"<h1>{escape(title)}</h1>",
        f'<p class="lede">{escape(fmt_count(a.log.n_deals, "deal"))}, '
        f"{escape(fmt_count(len(a.log), 'event'))}; pipeline "
        f"{escape(arrow.join(a.pipeline.funnel_names))}; deals {escape(period)}, "
        f"{escape(snapshot)}.</p>",
        _dropped_note(a),
        sections.cards(a),
        sections.findings(a),
        '<p class="hint">Click a stage of any funnel (or reach it with Tab and press Enter) '
        "to list the deals behind it.</p>",
        '<h2 id="team">Team</h2><div class="grid">',
        charts.svg_figure(
            "team-closed",
            a.closed.funnel,
            title="Closed deals",
            caption=f"Deals {period}: the stages they reached. "
            f"{fmt_number(a.closed.won)} won, {fmt_number(a.closed.lost)} lost.",
        ),
        charts.svg_figure(
            "team-active",
            a.active.funnel,
            title="Open deals now",
            caption=f"Deals {snapshot}, each counted at its current stage.",
            # Open deals sit at one stage each: shares "of first" would mislead. The
            # short labels then fit inside the slices, so no label gutter is needed.
            percent="none",
            style=Style(label_gutter=0.0),
        ),
        "</div>",
        '<div class="tables">',
        sections.closed_table(a.closed, f"Closed-deal funnel (deals {period})"),
        sections.active_table(a.active, f"Active-deal snapshot (deals {snapshot})"),
        "</div>",
    ]


def _scale_text(widest: float, n_charts: int) -> str:
    """What the widths of the per-owner charts are relative to (true of every page).

    Every chart of the series is drawn with ``scale_to`` = the widest stage of
    all owners, so widths compare across charts as well as within one.
    """
    if n_charts == 1:
        return "all on one shared scale."
    return (
        f"all {fmt_number(n_charts)} charts on one shared scale (the widest stage of any "
        f"owner, {fmt_count(widest, 'deal')}, is drawn full width), so widths compare "
        "across charts."
    )


def _owner_section(a: Analysis, charts: _Charts, owners_per_chart: int) -> list[str]:
    """Per-owner funnels (a few owners per chart), the comparison and open deals per owner."""
    if not a.owners:
        return []
    period = period_text(a)
    parts = ['<h2 id="owners">Per owner</h2>']
    names = list(a.owners)
    chunks = [names[i : i + owners_per_chart] for i in range(0, len(names), owners_per_chart)]
    widest = max(
        (float(cf.funnel.counts.max()) for cf in a.closed_by_owner.values() if len(cf.funnel)),
        default=0.0,
    )
    for n, chunk in enumerate(chunks, start=1):
        label = "Closed deals by owner" + (f" ({n} of {len(chunks)})" if len(chunks) > 1 else "")
        funnels = {o: a.closed_by_owner[o].funnel for o in chunk}
        parts.append(
            charts.png_figure(
                f"owners-closed-{n}",
                funnels,
                title=label,
                caption=f"Deals {period}, one funnel per owner; {_scale_text(widest, len(chunks))}"
                " Labels show the conversion from the previous stage.",
                scale_to=widest if widest > 0 else None,
                columns=owners_per_chart if len(chunks) > 1 else None,
            )
        )
    parts.append('<h3 id="comparison">Comparison</h3>')
    parts.append(sections.comparison_tables(a))
    rows = [
        [o, fmt_value(af.open_deals), *(fmt_value(int(s.count)) for s in af.funnel.stages)]
        for o, af in a.active_by_owner.items()
    ]
    parts.append(
        table(
            ["owner", "open deals", *a.pipeline.stages],
            rows,
            caption=f"Open deals per owner ({_snapshot_text(a)})",
            numeric=[False] + [True] * (1 + a.pipeline.n_stages),
        )
    )
    return parts


def build_report(
    log: DealLog | Analysis,
    pipeline: Pipeline | None = None,
    *,
    start: Instant = None,
    end: Instant = None,
    as_of: Instant = None,
    title: str = "Sales funnel report",
    owners_per_chart: int = 4,
    by: GroupBy = None,
    period: Period | None = None,
    tz: object = None,
) -> str:
    """The full HTML report of a deal log, as one self-contained document.

    The page holds the team's closed-deal funnel and active snapshot side by
    side (inline SVG), the per-owner funnels (PNG with an HTML image map), the
    metrics tables, the bottleneck, the per-owner comparison with p-values,
    durations, forecast, monthly volume and stalled deals. Clicking a stage of
    any funnel, or pressing Enter or Space on it, lists the deals behind it
    (id, owner, amount, first and last event, status at ``as_of``). The file
    uses no network, external script or font.

    Parameters
    ----------
    log
        The deal events, or an :class:`Analysis` already computed (then the
        other analysis parameters are ignored).
    pipeline, start, end, as_of, tz
        As for :func:`analyze` (``tz``: the zone of the calendar, for naive
        bounds, the monthly volume and the trend).
    title
        Page title and heading.
    owners_per_chart
        Owners drawn side by side in one per-owner chart (more make more charts).
    by
        Also a table of the closed-deal funnel per value of a column kept
        with ``keep=`` (or a list of them; ``"owner"`` adds nothing, the
        owners have their section), as :func:`~salesfunnel.closed_funnel`.
    period
        Also the trend of the closed deals per ``"D"``, ``"W"``, ``"M"`` or
        ``"Q"`` (per group with ``by``), as :func:`~salesfunnel.trend`.

    Returns
    -------
    str
        The HTML document.

    Examples
    --------
    >>> from salesfunnel.datasets import synthetic_crm, CRM_STAGES
    >>> p = Pipeline(CRM_STAGES, won="Won", lost="Lost", frozen="Frozen")
    >>> log = DealLog.from_columns(synthetic_crm(200, owners=2), p, deal="deal_id",
    ...                            time="timestamp", owner="owner", amount="amount")
    >>> html = build_report(log, title="Q1")
    >>> html.startswith("<!DOCTYPE html>"), "<title>Q1</title>" in html
    (True, True)
    """
    ok = isinstance(owners_per_chart, int) and not isinstance(owners_per_chart, bool)
    if not ok or owners_per_chart < 1:
        msg = f"owners_per_chart must be an int >= 1 (got {owners_per_chart!r})"
        raise FunnelDataError(msg)
    if not isinstance(log, Analysis):
        check_log("build_report", log, pipeline)
    a = (
        log
        if isinstance(log, Analysis)
        else analyze(log, pipeline, start=start, end=end, as_of=as_of, tz=tz)
    )
    charts = _Charts()
    parts = [*_team_section(a, charts, title), *_owner_section(a, charts, owners_per_chart)]
    parts += _breakdown_section(a, by, period)
    parts += [
        '<h2 id="durations">Durations</h2>',
        sections.durations_tables(a),
        '<h2 id="forecast">Forecast</h2>',
        sections.forecast_tables(a),
        '<h2 id="volume">Monthly volume</h2>',
        sections.monthly_section(a),
        '<h2 id="stalled">Stalled deals</h2>',
        sections.stalled_table(a),
        '<p class="note">Generated by salesfunnel. Periods are half-open (start &le; close '
        "&lt; end). Undefined rates are shown as \u2014.</p>",
    ]
    return page(title, "".join(parts), charts.stage_deals, _panel_deals(a, charts), css=_REPORT_CSS)


def _breakdown_section(a: Analysis, by: GroupBy, period: Period | None) -> list[str]:
    """The breakdown (``by`` other than owner) and trend (``period``) tables, if asked for."""
    parts: list[str] = []
    when = period_text(a)
    if by is not None and by != "owner":
        names = [by] if isinstance(by, str) else list(by)
        found = closed_funnel(
            a.log, a.pipeline, start=a.start, end=a.end, by=by, mode=a.closed.mode
        )
        t = breakdown_table(found, names, "breakdown")
        parts += [
            f'<h2 id="breakdown">By {escape(", ".join(names))}</h2>',
            sections.breakdown_table(t, f"Closed-deal funnel by {', '.join(names)} ({when})"),
        ]
    if period is not None:
        tr = trend(a.log, a.pipeline, period=period, start=a.start, end=a.end, by=by, tz=a.tz)
        parts += [
            f'<h2 id="trend">{escape(tr.table.name.capitalize())}</h2>',
            sections.breakdown_table(
                tr.table,
                f"Closed deals, outcomes and win rate per period ({when})",
                hide=("start", "end"),
            ),
        ]
    return parts


def _panel_deals(a: Analysis, charts: _Charts) -> dict[str, dict[str, Any]]:
    """The records of the deals behind the charts' stages, for the deals panel.

    Owner and status are shown as text in the panel: the one rule of
    :func:`~salesfunnel._format.clean_text` applies. Ids stay exact, as they key
    the data (each is shown alone in its table cell).
    """
    records = a.deal_records()
    return {
        k: {
            **records[k],
            "owner": clean_text(records[k]["owner"]),
            "status": clean_text(records[k]["status"]),
        }
        for k in sorted(charts.referenced)
        if k in records
    }


def save_report(
    path: str | os.PathLike[str],
    log: DealLog | Analysis,
    pipeline: Pipeline | None = None,
    *,
    start: Instant = None,
    end: Instant = None,
    as_of: Instant = None,
    title: str = "Sales funnel report",
    owners_per_chart: int = 4,
    by: GroupBy = None,
    period: Period | None = None,
    tz: object = None,
) -> None:
    """Write :func:`build_report` to ``path`` (UTF-8): ``save_report(path, log)``; the
    options are :func:`build_report`'s."""
    if isinstance(path, (DealLog, Analysis)):
        msg = (
            f"save_report takes the path first: save_report(path, log) "
            f"(got a {type(path).__name__} as the path)"
        )
        raise FunnelDataError(msg, column="path", value=path)
    text = build_report(
        log, pipeline, start=start, end=end, as_of=as_of, title=title,
        owners_per_chart=owners_per_chart, by=by, period=period, tz=tz,
    )  # fmt: skip
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)

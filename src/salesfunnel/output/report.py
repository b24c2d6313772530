"""The self-contained HTML report of a deal log, and the analysis behind it.

:func:`analyze` computes every figure the report shows (closed-deal and
active-deal funnels for the team and per owner, the per-owner comparison,
durations, forecast, monthly volume, stalled deals) once;
:func:`build_report` lays them out as one HTML file with no network access:
inline SVG and PNG charts, tables, and the deals behind every stage embedded
as JSON so that a click (or Enter / Space) on any stage lists them.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
import os
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._format import EM_DASH, fmt_compact, fmt_number, fmt_percent
from .._time import one_time as _one_time
from ..chart import FunnelChart
from ..deals.history import (
    ActiveFunnel,
    ClosedFunnel,
    Forecast,
    Mode,
    MonthlyVolume,
    StalledDeals,
    active_funnel,
    closed_funnel,
    forecast,
    monthly_volume,
    stalled_deals,
)
from ..deals.log import DealLog
from ..deals.pipeline import Pipeline
from ..errors import FunnelDataError
from ..funnel.compare import Comparison, GroupStep, compare
from ..funnel.metrics import Bottleneck, bottleneck
from ..funnel.model import Funnel
from ..render.geometry import PercentBasis
from ..render.hitmap import image_map
from ..render.style import Style
from .html import escape, page, table

__all__ = ["Analysis", "analyze", "build_report", "save_report"]

Instant = str | dt.date | dt.datetime | np.datetime64 | None


def _iso_text(value: Instant) -> str | None:
    """An instant as ISO text without a midnight time part (``None`` stays ``None``)."""
    if value is None:
        return None
    try:
        t = _one_time(value)
    except ValueError as exc:
        msg = f"unparsable timestamp {value!r} ({exc})"
        raise FunnelDataError(msg) from None
    if t is None:
        return None
    text = str(t)
    return text[:-9] if text.endswith("T00:00:00") else text.replace("T", " ")


def _when(text: str | None) -> str:
    """ISO time text for people: ``2026-06-30`` or ``2026-06-30 14:05:00``."""
    if text is None:
        return EM_DASH
    return text[:-9] if text.endswith("T00:00:00") else text.replace("T", " ")


@dataclass(frozen=True, slots=True)
class Analysis:
    """Every figure of the report, computed once from a deal log.

    Attributes
    ----------
    log, pipeline
        The deal log and the pipeline it was analysed with.
    start, end, as_of
        The closed-deal period (``start <= close < end``) and the snapshot
        time, as given (ISO text, ``None`` = open-ended / after every event).
    closed, closed_by_owner
        Closed-deal funnel of the period, for the team and per owner.
    active, active_by_owner
        Open deals at ``as_of``, for the team and per owner.
    comparison
        Per-owner comparison of the closed funnels (``None`` with fewer than
        two owners).
    forecast, forecast_by_owner
        Expected wins from the open deals.
    monthly
        Won deals and amount per month (per owner when the log has owners).
    stalled
        Open deals idle longer than ``stalled_days``.
    bottleneck
        The team's stage with the lowest step conversion (``None`` if undefined).
    """

    log: DealLog
    pipeline: Pipeline
    start: str | None
    end: str | None
    as_of: str | None
    closed: ClosedFunnel
    closed_by_owner: dict[str, ClosedFunnel]
    active: ActiveFunnel
    active_by_owner: dict[str, ActiveFunnel]
    comparison: Comparison | None
    forecast: Forecast
    forecast_by_owner: dict[str, Forecast]
    monthly: MonthlyVolume
    stalled: StalledDeals
    bottleneck: Bottleneck | None

    @property
    def owners(self) -> tuple[str, ...]:
        """The owners analysed, sorted (empty without an owner column)."""
        return tuple(self.closed_by_owner)

    def weakest(self) -> dict[str, GroupStep | None]:
        """Owner -> the step where the owner falls furthest below the rest of the team.

        ``None`` for an owner with no ranked step below the rest (see
        :meth:`Comparison.weakest <salesfunnel.Comparison.weakest>`).
        """
        if self.comparison is None:
            return {}
        return {g: self.comparison.weakest(g) for g in self.comparison.groups}

    def to_dict(self) -> dict[str, Any]:
        """Every figure as JSON-ready data (``None`` for undefined numbers)."""

        def load(text: str) -> Any:
            return json.loads(text)

        neck = self.bottleneck
        payload: dict[str, Any] = {
            "pipeline": {
                "stages": list(self.pipeline.stages),
                "won": self.pipeline.won,
                "lost": self.pipeline.lost,
                "frozen": self.pipeline.frozen,
            },
            "period": {"start": self.start, "end": self.end, "as_of": self.as_of},
            "deals": self.log.n_deals,
            "events": len(self.log),
            "owners": list(self.owners),
            "bottleneck": None
            if neck is None
            else {"stage": neck.name, "index": neck.index, "step_conversion": neck.rate},
            "closed": load(self.closed.to_json()),
            "active": load(self.active.to_json()),
            "forecast": load(self.forecast.to_json()),
            "monthly_volume": load(self.monthly.to_json()),
            "stalled_deals": load(self.stalled.to_json()),
        }
        if self.owners:
            payload["by_owner"] = {
                o: {
                    "closed": load(self.closed_by_owner[o].to_json()),
                    "active": load(self.active_by_owner[o].to_json()),
                    "forecast": load(self.forecast_by_owner[o].to_json()),
                }
                for o in self.owners
            }
        if self.comparison is not None:
            payload["comparison"] = load(self.comparison.to_json())
            payload["weakest_stage"] = {
                g: None if s is None else s.to_record() for g, s in self.weakest().items()
            }
        return payload

    def to_json(self, *, indent: int | None = 2) -> str:
        """:meth:`to_dict` as strict JSON text."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)


def analyze(
    log: DealLog,
    pipeline: Pipeline | None = None,
    *,
    start: Instant = None,
    end: Instant = None,
    as_of: Instant = None,
    mode: Mode = "cumulative",
    confidence: float = 0.95,
    min_n: int = 30,
    stalled_days: float = 30.0,
    progress: Callable[[str], None] | None = None,
) -> Analysis:
    """Compute every figure of the report.

    Parameters
    ----------
    log
        The deal events.
    pipeline
        Stages and outcomes to analyse with (default: the log's own).
    start, end
        Closed-deal period, ``start <= close time < end`` (either may be ``None``).
    as_of
        Snapshot time of the active funnel and the forecast (default: after
        every event).
    mode
        Counting mode of the closed-deal funnel (see :func:`~salesfunnel.closed_funnel`).
    confidence, min_n
        Passed to :func:`~salesfunnel.compare` for the per-owner comparison.
    stalled_days
        Open deals idle for longer than this are listed as stalled.
    progress
        Called with a short description before each step (for progress display).

    Raises
    ------
    FunnelDataError
        Bad period bounds or parameters.

    Examples
    --------
    >>> from salesfunnel.datasets import synthetic_crm, CRM_STAGES
    >>> p = Pipeline(CRM_STAGES, won="Won", lost="Lost", frozen="Frozen")
    >>> log = DealLog.from_columns(synthetic_crm(300), p, deal="deal_id",
    ...                            time="timestamp", owner="owner", amount="amount")
    >>> a = analyze(log, end="2026-07-01")
    >>> a.owners
    ('Alice', 'Boris', 'Chen', 'Dana')
    >>> a.closed.funnel.names[-1], a.bottleneck is not None
    ('Won', True)
    """
    say = progress or (lambda _text: None)
    pipe = pipeline or log.pipeline
    say("closed-deal funnels")
    closed = closed_funnel(log, pipe, start, end, mode=mode)
    has_owner = log.owner is not None
    closed_by: dict[str, ClosedFunnel] = (
        closed_funnel(log, pipe, start, end, by="owner", mode=mode) if has_owner else {}
    )
    say("active-deal funnels")
    active = active_funnel(log, pipe, as_of)
    active_by: dict[str, ActiveFunnel] = (
        active_funnel(log, pipe, as_of, by="owner") if has_owner else {}
    )
    comparison = None
    if len(closed_by) >= 2:
        say("comparison")
        comparison = compare(
            {o: c.funnel for o, c in closed_by.items()}, confidence=confidence, min_n=min_n
        )
    say("forecast")
    fc = forecast(log, pipe, as_of)
    fc_by: dict[str, Forecast] = forecast(log, pipe, as_of, by="owner") if has_owner else {}
    say("monthly volume")
    monthly = monthly_volume(log, pipe, by="owner" if has_owner else None, start=start, end=end)
    say("stalled deals")
    stalled = stalled_deals(log, pipe, as_of, max_days=stalled_days)
    return Analysis(
        log=log,
        pipeline=pipe,
        start=_iso_text(start),
        end=_iso_text(end),
        as_of=_iso_text(as_of),
        closed=closed,
        closed_by_owner=closed_by,
        active=active,
        active_by_owner=active_by,
        comparison=comparison,
        forecast=fc,
        forecast_by_owner=fc_by,
        monthly=monthly,
        stalled=stalled,
        bottleneck=bottleneck(closed.funnel),
    )


# -- deals behind the stages ------------------------------------------------------------
def _deal_keys(log: DealLog) -> tuple[np.ndarray, np.ndarray]:
    """Per event, a dense deal index 0..n-1, and the deal id of each index.

    Uses only the log's public columns: ``deal`` holds either the ids
    themselves (compact integer ids) or indices into the sorted ``deal_ids``.
    """
    uniq, dense = np.unique(np.asarray(log.deal), return_inverse=True)
    table = log.deal_ids
    if table.dtype.kind in "iu" and len(table) == len(uniq) and np.array_equal(uniq, table):
        ids = uniq
    else:
        ids = table[uniq]
    return dense.reshape(-1).astype(np.int64), ids


def _deal_records(a: Analysis) -> dict[str, dict[str, Any]]:
    """Deal id (as text) -> owner, amount, first and last event, status at ``as_of``.

    A deal's events are ordered by time, then by pipeline order (the history
    rules). An undated wide-form event takes the time of the deal's previous
    dated event in pipeline order: the wide form keeps dates in pipeline order.
    """
    log, pipe = a.log, a.pipeline
    lut = np.array([pipe.code(x) if x in pipe else -1 for x in log.pipeline.labels], np.int64)
    codes = lut[np.asarray(log.code, dtype=np.int64)]
    dense, ids = _deal_keys(log)
    n = len(ids)
    secs = log.time.view(np.int64)
    known = ~np.isnat(log.time)
    lowest = np.iinfo(np.int64).min
    # Wide-form logs (the only ones with undated events) keep dates in pipeline order.
    keys = (codes, dense) if log.has_undated else (codes, secs, dense)
    order = np.lexsort(keys)
    d_s, c_s, k_s = dense[order], codes[order], known[order]
    m = len(order)
    starts = np.flatnonzero(np.r_[True, d_s[1:] != d_s[:-1]]) if m else np.zeros(0, np.int64)
    group_start = np.repeat(starts, np.diff(np.r_[starts, m]))
    pos = np.arange(m)
    dated = np.maximum.accumulate(np.where(k_s, pos, -1)) if m else pos
    usable = dated >= group_start
    t_s = np.where(usable, secs[order][np.maximum(dated, 0)], lowest)

    first = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    last = np.full(n, lowest, dtype=np.int64)
    np.minimum.at(first, dense[known], secs[known])
    np.maximum.at(last, dense[known], secs[known])
    has_time = np.zeros(n, dtype=bool)
    has_time[dense[known]] = True

    t = None
    if a.as_of is not None:
        moment = _one_time(a.as_of)
        t = None if moment is None else int(moment.astype(np.int64))
    kept = np.ones(m, dtype=bool) if t is None else t_s <= t

    def last_where(mask: np.ndarray) -> np.ndarray:
        """Per deal, the sorted position of its last event in ``mask`` (-1 if none)."""
        out = np.full(n, -1, dtype=np.int64)
        if m:
            best = np.maximum.reduceat(np.where(mask, pos, -1), starts)
            out[d_s[starts]] = np.where(best >= starts, best, -1)
        return out

    at_end = last_where(kept)
    anywhere = last_where(np.ones(m, dtype=bool))
    owner_col = None if log.owner is None else np.asarray(log.owner)[order]
    amount_col = None if log.amount is None else np.asarray(log.amount)[order]
    paid = (
        None
        if amount_col is None
        else (last_where(kept & ~np.isnan(amount_col)), last_where(~np.isnan(amount_col)))
    )
    out: dict[str, dict[str, Any]] = {}
    for d in range(n):
        ident = ids[d]
        key = str(ident.item() if isinstance(ident, np.generic) else ident)
        p = int(at_end[d])
        if p >= 0:
            c = int(c_s[p])
            status = f"open: {pipe.labels[c]}" if c < pipe.n_stages else pipe.labels[c]
        else:
            status = "not started"
        q = p if p >= 0 else int(anywhere[d])
        owner = "" if owner_col is None or q < 0 else log.owners[int(owner_col[q])]
        amount = None
        if paid is not None and amount_col is not None:
            r = int(paid[0][d]) if paid[0][d] >= 0 else int(paid[1][d])
            amount = None if r < 0 else fmt_number(float(amount_col[r]))
        out[key] = {
            "owner": owner,
            "amount": amount,
            "first": _when(str(np.datetime64(int(first[d]), "s"))) if has_time[d] else EM_DASH,
            "last": _when(str(np.datetime64(int(last[d]), "s"))) if has_time[d] else EM_DASH,
            "status": status,
        }
    return out


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
                    "title": f"{label} \u00b7 {who}{stage.name}",
                    "ids": ids,
                }
                union.setdefault(si, []).extend(ids)
        if len(funnels) > 1:  # legend entries stand for a stage across every funnel
            names = max((f.names for _, f in funnels), key=len)
            for si, ids in union.items():
                self.stage_deals[f"{chart_id}||{si}"] = {
                    "title": f"{label} \u00b7 all: {names[si]}",
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
    ) -> str:
        """Several funnels side by side as a PNG with an HTML image map."""
        items = list(funnels.items())
        opts: dict[str, Any] = {
            "width": width,
            "height": height,
            "title": title,
            "percent": "previous",
            "amount_format": fmt_compact,
        }
        # The PNG is drawn at twice the size for sharp screens and shown at layout
        # size, so the image map is in layout pixels (the geometry's own).
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


# -- tables and small charts ------------------------------------------------------------
def _num(value: object) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return EM_DASH
    if isinstance(value, (int, float)):
        return fmt_number(round(float(value), 2))
    return str(value)


def _pct(value: object) -> str:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    return fmt_percent(float(value) if ok else None)  # type: ignore[arg-type]


def _p_value(p: float | None) -> str:
    return EM_DASH if p is None else f"{p:.2g}"


def _closed_table(cf: ClosedFunnel, caption: str) -> str:
    # Read columns by name: optional ones (amount, durations) come and go with the data.
    recs = cf.table.to_records()
    spec = [
        ("deals", "deals", _num),
        ("amount", "amount", _num),
        ("step_conversion", "of previous", _pct),
        ("conversion_from_first", "of first", _pct),
        ("median_days", "median days", _num),
        ("mean_days", "mean days", _num),
        ("p90_days", "p90 days", _num),
    ]
    present = [item for item in spec if item[0] in cf.table.columns]
    headers = ["stage", *(h for _, h, _ in present)]
    rows = [[r["stage"], *(f(r[c]) for c, _, f in present)] for r in recs]
    return table(headers, rows, caption=caption, numeric=[False] + [True] * len(present))


def _active_table(af: ActiveFunnel, caption: str) -> str:
    rows = [[s.name, _num(int(s.count)), _num(s.amount)] for s in af.funnel.stages]
    rows.append(["all open deals", _num(af.open_deals), _num(_total_amount(af.funnel))])
    return table(
        ["stage", "open deals", "amount"], rows, caption=caption, numeric=[False, True, True]
    )


def _total_amount(f: Funnel) -> float | None:
    known = [s.amount for s in f.stages if s.amount is not None]
    return float(sum(known)) if known else None


def _comparison_tables(a: Analysis) -> str:
    c = a.comparison
    if c is None:
        return '<p class="note">The comparison needs at least two owners.</p>'
    level = f"{c.confidence:.0%}"
    rows = []
    for g in c.groups:
        o = c.overall_of(g)
        w = c.weakest(g)
        s = c.strongest(g)
        if w is None:
            why = "none below the rest" if c.ranked(g) else "not enough data"
            weak: list[object] = [why, EM_DASH, EM_DASH, EM_DASH, EM_DASH]
        else:
            verdict = "yes" if w.significant else "no"
            weak = [w.stage, _pct(w.rate), _pct(w.rest_rate), _p_value(w.p_value), verdict]
        rows.append(
            [g, _num(a.closed_by_owner[g].deals), _pct(o.rate), *weak, s.stage if s else EM_DASH]
        )
    summary = table(
        [
            "owner",
            "closed deals",
            "overall conversion",
            "weakest stage",
            "its conversion",
            "rest of team",
            "p-value",
            f"significant at {level}",
            "strongest stage",
        ],
        rows,
        caption="Weakest stage per owner: the step where the owner falls furthest below "
        "the rest of the team (two-proportion test)",
        numeric=[False, True, True, False, True, True, True, False, False],
    )
    # One row per owner (owners outnumber steps in most teams, so the table stays narrow).
    steps = [f"{c.stages[i - 1]} \u2192 {c.stages[i]}" for i in range(1, len(c.stages))]
    matrix_rows: list[list[object]] = []
    for g in c.groups:
        cells: list[object] = [g]
        for i in range(1, len(c.stages)):
            st = c.step(g, i)
            cells.append(f"{fmt_percent(st.rate)}{' *' if st.significant else ''}")
        matrix_rows.append(cells)
    team_rates = [c.step(c.groups[0], i).team_rate for i in range(1, len(c.stages))]
    matrix_rows.append(["team", *(fmt_percent(r) for r in team_rates)])
    matrix = table(
        ["owner", *steps],
        matrix_rows,
        caption=f"Step conversion per owner (* differs from the rest of the team at {level} "
        f"confidence; steps with fewer than {c.min_n} deals are not tested)",
        numeric=[False] + [True] * len(steps),
    )
    return f'<div class="scroll">{summary}{matrix}</div>'


def _durations_tables(a: Analysis) -> str:
    d = a.closed.durations
    if d is None:
        return ""
    rows: list[list[object]] = [
        [
            r["stage"],
            _num(r["deals"]),
            _num(r["unknown_time"]),
            _num(r["median_days"]),
            _num(r["mean_days"]),
            _num(r["p90_days"]),
        ]
        for r in d.stages.to_records()
    ]
    cy = d.cycle
    rows.append(
        [
            "whole cycle",
            _num(cy.count),
            _num(cy.unknown),
            _num(cy.median_days),
            _num(cy.mean_days),
            _num(cy.p90_days),
        ]
    )
    out = table(
        ["stage", "deals", "unknown time", "median days", "mean days", "p90 days"],
        rows,
        caption="Time in stage (sum of visits) and cycle time of the closed deals, in days",
        numeric=[False, True, True, True, True, True],
    )
    if a.closed_by_owner:
        owner_rows = []
        for o, cf in a.closed_by_owner.items():
            cyc = cf.durations.cycle if cf.durations is not None else None
            owner_rows.append(
                [
                    o,
                    _num(cf.deals),
                    _pct(cf.win_rate),
                    _num(None if cyc is None else cyc.median_days),
                    _num(None if cyc is None else cyc.mean_days),
                ]
            )
        out += table(
            ["owner", "closed deals", "win rate", "median cycle days", "mean cycle days"],
            owner_rows,
            caption="Cycle time per owner",
            numeric=[False, True, True, True, True],
        )
    return out


def _forecast_tables(a: Analysis) -> str:
    fc = a.forecast
    # The count of open deals without an amount shows how partial an amount sum is.
    amounts = a.log.amount is not None
    rows = [
        [
            r["stage"],
            _num(r["open_deals"]),
            _num(r.get("amount")),
            *([_num(r["amount_unknown"])] if amounts else []),
            _pct(r["probability"]),
            _num(r["expected_won"]),
            _num(r.get("expected_amount")),
        ]
        for r in fc.table.to_records()
    ]
    rows.append(
        [
            "total",
            _num(a.active.open_deals),
            _num(_total_amount(a.active.funnel)),
            *([_num(fc.amount_unknown)] if amounts else []),
            "",
            _num(fc.expected_won),
            _num(fc.expected_amount),
        ]
    )
    unknown_head = ["amount unknown"] if amounts else []
    heads = ["stage", "open deals", "amount", *unknown_head]
    heads += ["win probability", "expected wins", "expected amount"]
    out = table(
        heads,
        rows,
        caption=f"Forecast from the open deals (win probability learned from "
        f"{fmt_number(fc.trained_on)} closed deals; amounts sum the known ones)",
        numeric=[False] + [True] * (len(heads) - 1),
    )
    if a.forecast_by_owner:
        owner_rows = [
            [
                o,
                _num(a.active_by_owner[o].open_deals),
                _num(f.expected_won),
                _num(f.expected_amount),
                *([_num(f.amount_unknown)] if amounts else []),
            ]
            for o, f in a.forecast_by_owner.items()
        ]
        out += table(
            ["owner", "open deals", "expected wins", "expected amount", *unknown_head],
            owner_rows,
            caption="Forecast per owner (team win probabilities)",
            numeric=[False, True, True, True, *([True] * len(unknown_head))],
        )
    return out


def _bars_svg(values: Sequence[float], labels: Sequence[str], vmax: float, *, axis: bool) -> str:
    """A small inline bar chart: one bar per month, with a tooltip per bar."""
    bw, gap, h = 14, 4, 40
    text_h = 14 if axis else 0
    w = len(values) * (bw + gap)
    parts = [
        f'<svg class="bars" xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h + text_h}" '
        f'viewBox="0 0 {w} {h + text_h}" role="img" aria-label="won amount per month">'
    ]
    for i, (v, label) in enumerate(zip(values, labels, strict=True)):
        bh = 0.0 if vmax <= 0 or not math.isfinite(v) else max(1.0, h * v / vmax) if v > 0 else 0.0
        x = i * (bw + gap)
        parts.append(
            f'<rect x="{x}" y="{h - bh:.1f}" width="{bw}" height="{bh:.1f}" fill="#1f6feb">'
            f"<title>{escape(label)}: {escape(fmt_number(round(v, 2)))}</title></rect>"
        )
        parts.append(f'<rect x="{x}" y="{h - 1}" width="{bw}" height="1" fill="#9aa4b2"/>')
        if axis:
            parts.append(
                f'<text x="{x + bw / 2}" y="{h + 11}" font-size="9" text-anchor="middle" '
                f'fill="#5b6475">{escape(label[5:])}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _monthly_section(a: Analysis) -> str:
    t = a.monthly.table
    if not t.rows:
        return '<p class="note">No deal was won in the period.</p>'
    cols = t.columns
    i_month, i_deals, i_amount = (
        cols.index("month"),
        cols.index("won_deals"),
        cols.index("won_amount"),
    )
    has_amount = any(
        isinstance(v, float) and math.isfinite(v) for v in (r[i_amount] for r in t.rows)
    )
    measure = i_amount if has_amount else i_deals
    months = sorted({str(r[i_month]) for r in t.rows})
    series: dict[str, dict[str, tuple[float, int]]] = {}
    for r in t.rows:
        who = str(r[0]) if "owner" in cols else "team"
        value = r[measure]
        v = float(value) if isinstance(value, (int, float)) and math.isfinite(value) else 0.0
        deals = r[i_deals]
        series.setdefault(who, {})[str(r[i_month])] = (
            v,
            int(deals) if isinstance(deals, int) else 0,
        )
    owners = [o for o in series if o != "team"]
    team = {
        m: (
            sum(series[o].get(m, (0.0, 0))[0] for o in series),
            sum(series[o].get(m, (0.0, 0))[1] for o in series),
        )
        for m in months
    }
    shared = max((v for o in owners for v, _ in series[o].values()), default=0.0)
    what = "won amount" if has_amount else "won deals"
    rows_html = []

    def row(name: str, data: Mapping[str, tuple[float, int]], vmax: float, axis: bool) -> str:
        values = [data.get(m, (0.0, 0))[0] for m in months]
        deals = sum(data.get(m, (0.0, 0))[1] for m in months)
        total = sum(values)
        return (
            f'<tr><th scope="row">{escape(name)}</th>'
            f"<td>{_bars_svg(values, months, vmax, axis=axis)}</td>"
            f'<td class="num">{escape(fmt_number(deals))}</td>'
            f'<td class="num">{escape(_num(total))}</td>'
            f'<td class="num">{escape(_num(total / len(months)))}</td></tr>'
        )

    rows_html.append(row("team", team, max(v for v, _ in team.values()) or 1.0, True))
    for o in owners:
        rows_html.append(row(o, series[o], shared or 1.0, o == owners[-1]))
    head = (
        f'<tr><th scope="col">owner</th><th scope="col">{escape(what)} per month '
        f"({escape(months[0])} to {escape(months[-1])})</th>"
        '<th scope="col" class="num">won deals</th>'
        f'<th scope="col" class="num">{escape(what)}</th>'
        f'<th scope="col" class="num">average per month</th></tr>'
    )
    caption = (
        f"Monthly volume: {what} by month of the win. Owners' bars share one scale; "
        "the team row has its own. Hover a bar for its value."
    )
    return (
        f'<table class="volume"><caption>{escape(caption)}</caption><thead>{head}</thead>'
        f"<tbody>{''.join(rows_html)}</tbody></table>"
    )


def _stalled_table(a: Analysis, limit: int = 25) -> str:
    s = a.stalled
    if not len(s):
        return '<p class="note">No open deal is idle beyond the threshold.</p>'
    rows = [
        [
            r["deal"],
            r["owner"] or EM_DASH,
            r["stage"],
            _when(None if r["last_event"] is None else str(r["last_event"])),
            _num(r["idle_days"]),
        ]
        for r in s.table.to_records()[:limit]
    ]
    more = f" (the {limit} longest of {len(s)})" if len(s) > limit else ""
    return table(
        ["deal", "owner", "stage", "last event", "idle days"],
        rows,
        caption=f"Stalled open deals as of {_when(s.as_of)}{more}",
        numeric=[False, False, False, False, True],
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


def _period_text(a: Analysis) -> str:
    if a.start and a.end:
        return f"closed from {a.start} up to {a.end}"
    if a.start:
        return f"closed from {a.start} on"
    if a.end:
        return f"closed before {a.end}"
    return "closed at any time"


def _cards(a: Analysis) -> str:
    cf, af, fc = a.closed, a.active, a.forecast
    cycle = cf.durations.cycle.median_days if cf.durations is not None else math.nan
    neck = a.bottleneck
    items = [
        (fmt_number(cf.deals), f"closed deals ({cf.won} won, {cf.lost} lost)"),
        (fmt_percent(cf.win_rate), "win rate"),
        (
            EM_DASH if not math.isfinite(cycle) else f"{fmt_number(round(cycle, 1))} d",
            "median cycle",
        ),
        (
            EM_DASH if neck is None else neck.name,
            "bottleneck"
            + ("" if neck is None else f" ({fmt_percent(neck.rate)} of previous stage)"),
        ),
        (fmt_number(af.open_deals), f"open deals as of {a.as_of or 'the latest event'}"),
        (_num(round(fc.expected_won, 1)), "expected wins from open deals"),
        _expected_amount_card(a),
    ]
    return (
        '<div class="cards">'
        + "".join(
            f'<div class="card"><b>{escape(v)}</b><span>{escape(k)}</span></div>' for v, k in items
        )
        + "</div>"
    )


def _expected_amount_card(a: Analysis) -> tuple[str, str]:
    fc = a.forecast
    if a.log.amount is None:
        return EM_DASH, "expected won amount (the log has no amounts)"
    unknown = fc.amount_unknown
    if unknown and unknown == a.active.open_deals:
        return EM_DASH, "expected won amount (open deals have no amount)"
    note = (
        f" ({unknown} open deal{'' if unknown == 1 else 's'} without an amount)" if unknown else ""
    )
    return _num(fc.expected_amount), "expected won amount" + note


def _findings(a: Analysis) -> str:
    items = []
    neck = a.bottleneck
    if neck is not None:
        prev = a.closed.funnel.names[neck.index - 1]
        items.append(
            f"Bottleneck: only {fmt_percent(neck.rate)} of the deals that reached "
            f"{prev} went on to {neck.name}."
        )
    quiet: list[str] = []
    for g, w in a.weakest().items():
        if w is None or not w.significant:
            quiet.append(g)
            continue
        items.append(
            f"{g} is weakest at {w.stage}: {fmt_percent(w.rate)} against "
            f"{fmt_percent(w.rest_rate)} for the rest of the team (p = {_p_value(w.p_value)}, "
            "significant)."
        )
    if quiet and a.comparison is not None:
        names = ", ".join(quiet) if len(quiet) <= 6 else f"{len(quiet)} owners"
        level = f"{a.comparison.confidence:.0%}"
        items.append(
            f"No stage is significantly weaker than the rest of the team at {level} "
            f"confidence for {names} (see the comparison below)."
        )
    if not items:
        return ""
    return '<ul class="findings">' + "".join(f"<li>{escape(t)}</li>" for t in items) + "</ul>"


def build_report(
    log: DealLog | Analysis,
    pipeline: Pipeline | None = None,
    *,
    start: Instant = None,
    end: Instant = None,
    as_of: Instant = None,
    title: str = "Sales funnel report",
    owners_per_chart: int = 4,
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
    pipeline, start, end, as_of
        As for :func:`analyze`.
    title
        Page title and heading.
    owners_per_chart
        Owners drawn side by side in one per-owner chart (more make more charts).

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
    if isinstance(owners_per_chart, bool) or not isinstance(owners_per_chart, int):
        msg = f"owners_per_chart must be an int >= 1 (got {owners_per_chart!r})"
        raise FunnelDataError(msg)
    if owners_per_chart < 1:
        msg = f"owners_per_chart must be an int >= 1 (got {owners_per_chart!r})"
        raise FunnelDataError(msg)
    a = (
        log
        if isinstance(log, Analysis)
        else analyze(log, pipeline, start=start, end=end, as_of=as_of)
    )
    charts = _Charts()
    period = _period_text(a)
    snapshot = f"open as of {a.as_of or 'the latest event'}"
    arrow = " \u2192 "
    parts = [
        f"<h1>{escape(title)}</h1>",
        f'<p class="lede">{escape(fmt_number(a.log.n_deals))} deals, '
        f"{escape(fmt_number(len(a.log)))} events; pipeline "
        f"{escape(arrow.join(a.pipeline.funnel_names))}; deals {escape(period)}, "
        f"{escape(snapshot)}.</p>",
        _cards(a),
        _findings(a),
        '<p class="hint">Click a stage of any funnel (or reach it with Tab and press Enter) '
        "to list the deals behind it.</p>",
        '<h2 id="team">Team</h2><div class="grid">',
        charts.svg_figure(
            "team-closed",
            a.closed.funnel,
            title="Closed deals",
            caption=f"Deals {period}: the stages they reached. "
            f"{a.closed.won} won, {a.closed.lost} lost.",
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
        _closed_table(a.closed, f"Closed-deal funnel (deals {period})"),
        _active_table(a.active, f"Active-deal snapshot (deals {snapshot})"),
        "</div>",
    ]
    if a.owners:
        parts.append('<h2 id="owners">Per owner</h2>')
        names = list(a.owners)
        chunks = [names[i : i + owners_per_chart] for i in range(0, len(names), owners_per_chart)]
        for n, chunk in enumerate(chunks, start=1):
            label = "Closed deals by owner" + (
                f" ({n} of {len(chunks)})" if len(chunks) > 1 else ""
            )
            parts.append(
                charts.png_figure(
                    f"owners-closed-{n}",
                    {o: a.closed_by_owner[o].funnel for o in chunk},
                    title=label,
                    caption=f"Deals {period}, one funnel per owner on one shared "
                    "scale; labels show the conversion from the previous stage.",
                )
            )
        parts.append('<h3 id="comparison">Comparison</h3>')
        parts.append(_comparison_tables(a))
        parts.append(
            table(
                ["owner", "open deals", *a.pipeline.stages],
                [
                    [o, _num(af.open_deals), *(_num(int(s.count)) for s in af.funnel.stages)]
                    for o, af in a.active_by_owner.items()
                ],
                caption=f"Open deals per owner ({snapshot})",
                numeric=[False] + [True] * (1 + a.pipeline.n_stages),
            )
        )
    parts += [
        '<h2 id="durations">Durations</h2>',
        _durations_tables(a),
        '<h2 id="forecast">Forecast</h2>',
        _forecast_tables(a),
        '<h2 id="volume">Monthly volume</h2>',
        _monthly_section(a),
        '<h2 id="stalled">Stalled deals</h2>',
        _stalled_table(a),
        '<p class="note">Generated by salesfunnel. Periods are half-open (start &le; close '
        "&lt; end). Undefined rates are shown as \u2014.</p>",
    ]
    records = _deal_records(a)
    deals = {k: records[k] for k in sorted(charts.referenced) if k in records}
    return page(title, "".join(parts), charts.stage_deals, deals, css=_REPORT_CSS)


def save_report(
    path: str | os.PathLike[str],
    log: DealLog | Analysis,
    pipeline: Pipeline | None = None,
    *,
    start: Instant = None,
    end: Instant = None,
    as_of: Instant = None,
    title: str = "Sales funnel report",
) -> None:
    """Write :func:`build_report` to ``path`` (UTF-8)."""
    text = build_report(log, pipeline, start=start, end=end, as_of=as_of, title=title)
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)

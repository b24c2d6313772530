"""The sections of the HTML report: tables, cards, findings and small bar charts.

Each function reads an :class:`~salesfunnel.analysis.Analysis` (or one of its
results) and returns trusted HTML in which every piece of user text is escaped;
:mod:`salesfunnel.output.report` puts them on the page.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from .._format import EM_DASH, fmt_count, fmt_number, fmt_percent, fmt_value
from .._table import ResultTable, is_rate_column
from ..analysis import Analysis, expected_amount_card, when_text
from ..deals.active import ActiveFunnel
from ..deals.closed import ClosedFunnel
from ..funnel.compare import Comparison, GroupStep
from ..funnel.model import Funnel
from .html import escape, table

__all__ = [
    "MAX_MONTHS",
    "active_table",
    "breakdown_table",
    "cards",
    "closed_table",
    "comparison_tables",
    "durations_tables",
    "findings",
    "forecast_tables",
    "monthly_section",
    "stalled_table",
    "total_amount",
]


def _pct(value: object) -> str:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    return fmt_percent(float(value) if ok else None)  # type: ignore[arg-type]


def _p_value(p: float | None) -> str:
    return EM_DASH if p is None else f"{p:.2g}"


_ADJUSTED = {"holm": "Holm", "bh": "Benjamini-Hochberg"}


def _family_note(c: Comparison) -> str:
    """How the p-values were adjusted for testing every owner at every step."""
    if c.correction == "none":
        return ""
    n = sum(1 for s in c.steps if s.p_value is not None)
    return f", {_ADJUSTED[c.correction]}-adjusted for the {n} tests"


def _p_text(c: Comparison | None, w: GroupStep) -> str:
    raw = f"p = {_p_value(w.p_value)}"
    if c is None or c.correction == "none":
        return raw
    return f"{raw}, {_ADJUSTED[c.correction]}-adjusted p = {_p_value(w.p_adjusted)}"


def closed_table(cf: ClosedFunnel, caption: str) -> str:
    # Read columns by name: optional ones (amount, durations) come and go with the data.
    recs = cf.table.to_records()
    spec = [
        ("deals", "deals", fmt_value),
        ("amount", "amount", fmt_value),
        ("step_conversion", "of previous", _pct),
        ("conversion_from_first", "of first", _pct),
        ("median_days", "median days", fmt_value),
        ("mean_days", "mean days", fmt_value),
        ("p90_days", "p90 days", fmt_value),
    ]
    present = [item for item in spec if item[0] in cf.table.columns]
    headers = ["stage", *(h for _, h, _ in present)]
    rows = [[r["stage"], *(f(r[c]) for c, _, f in present)] for r in recs]
    if cf.amount_unknown and "amount" in cf.table.columns:
        n = cf.amount_unknown
        caption += f"; amounts sum the known ones ({fmt_count(n, 'deal')} without an amount)"
    return table(headers, rows, caption=caption, numeric=[False] + [True] * len(present))


def active_table(af: ActiveFunnel, caption: str) -> str:
    rows = [[s.name, fmt_value(int(s.count)), fmt_value(s.amount)] for s in af.funnel.stages]
    rows.append(["all open deals", fmt_value(af.open_deals), fmt_value(total_amount(af.funnel))])
    return table(
        ["stage", "open deals", "amount"], rows, caption=caption, numeric=[False, True, True]
    )


def total_amount(f: Funnel) -> float | None:
    known = [s.amount for s in f.stages if s.amount is not None]
    return float(sum(known)) if known else None


def comparison_tables(a: Analysis) -> str:
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
            if c.correction != "none":
                weak.append(EM_DASH)
        else:
            verdict = "yes" if w.significant else "no"
            weak = [w.stage, _pct(w.rate), _pct(w.rest_rate), _p_value(w.p_value)]
            if c.correction != "none":
                weak.append(_p_value(w.p_adjusted))
            weak.append(verdict)
        rows.append(
            [
                g,
                fmt_value(a.closed_by_owner[g].deals),
                _pct(o.rate),
                *weak,
                s.stage if s else EM_DASH,
            ]
        )
    adjusted = [] if c.correction == "none" else [f"{_ADJUSTED[c.correction]}-adjusted p"]
    summary = table(
        [
            "owner",
            "closed deals",
            "overall conversion",
            "weakest stage",
            "its conversion",
            "rest of team",
            "p-value",
            *adjusted,
            f"significant at {level}",
            "strongest stage",
        ],
        rows,
        caption="Weakest stage per owner: the step where the owner falls furthest below "
        f"the rest of the team (two-proportion test{_family_note(c)})",
        numeric=[
            False,
            True,
            True,
            False,
            True,
            True,
            True,
            *([True] * len(adjusted)),
            False,
            False,
        ],
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
        f"confidence{_family_note(c)}; steps with fewer than {fmt_number(c.min_n)} deals "
        "are not tested)",
        numeric=[False] + [True] * len(steps),
    )
    return f'<div class="scroll">{summary}{matrix}</div>'


def durations_tables(a: Analysis) -> str:
    d = a.closed.durations
    if d is None:
        return ""
    rows: list[list[object]] = [
        [
            r["stage"],
            fmt_value(r["deals"]),
            fmt_value(r["unknown_time"]),
            fmt_value(r["median_days"]),
            fmt_value(r["mean_days"]),
            fmt_value(r["p90_days"]),
        ]
        for r in d.stages.to_records()
    ]
    cy = d.cycle
    rows.append(
        [
            "whole cycle",
            fmt_value(cy.count),
            fmt_value(cy.unknown),
            fmt_value(cy.median_days),
            fmt_value(cy.mean_days),
            fmt_value(cy.p90_days),
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
                    fmt_value(cf.deals),
                    _pct(cf.win_rate),
                    fmt_value(None if cyc is None else cyc.median_days),
                    fmt_value(None if cyc is None else cyc.mean_days),
                ]
            )
        out += table(
            ["owner", "closed deals", "win rate", "median cycle days", "mean cycle days"],
            owner_rows,
            caption="Cycle time per owner",
            numeric=[False, True, True, True, True],
        )
    return out


def forecast_tables(a: Analysis) -> str:
    fc = a.forecast
    # The count of open deals without an amount shows how partial an amount sum is.
    amounts = a.log.amount is not None
    rows = [
        [
            r["stage"],
            fmt_value(r["open_deals"]),
            fmt_value(r.get("amount")),
            *([fmt_value(r["amount_unknown"])] if amounts else []),
            _pct(r["probability"]),
            fmt_value(r["expected_won"]),
            fmt_value(r.get("expected_amount")),
        ]
        for r in fc.table.to_records()
    ]
    rows.append(
        [
            "total",
            fmt_value(a.active.open_deals),
            fmt_value(total_amount(a.active.funnel)),
            *([fmt_value(fc.amount_unknown)] if amounts else []),
            "",
            fmt_value(fc.expected_won),
            fmt_value(fc.expected_amount),
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
                fmt_value(a.active_by_owner[o].open_deals),
                fmt_value(f.expected_won),
                fmt_value(f.expected_amount),
                *([fmt_value(f.amount_unknown)] if amounts else []),
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


MAX_MONTHS = 120
"""Most months the monthly-volume section draws (ten years of bars).

A log whose wins span more (one typo year, ``0224-05-01`` among rows of 2024,
spans 1,800 years) shows the busiest window of at most this many months,
trimmed to its first and last month with a win, and names the months with
wins left out in a note above the table.
"""

_Series = dict[str, dict[str, tuple[float, int]]]


def _monthly_series(a: Analysis) -> tuple[list[str], _Series, bool]:
    """The months, (value, won deals) per owner ("team" without owners) and month, and
    whether the value is the won amount (else the won deal count)."""
    t = a.monthly.table
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
    series: _Series = {}
    for r in t.rows:
        who = str(r[0]) if "owner" in cols else "team"
        value = r[measure]
        v = float(value) if isinstance(value, (int, float)) and math.isfinite(value) else 0.0
        deals = r[i_deals]
        series.setdefault(who, {})[str(r[i_month])] = (
            v,
            int(deals) if isinstance(deals, int) else 0,
        )
    return months, series, has_amount


def _busiest_window(months: Sequence[str], deals: Sequence[int], limit: int) -> tuple[int, int]:
    """``(lo, hi)``: the slice of at most ``limit`` months holding the most won deals
    (the earliest on ties), trimmed to its first and last month with a win."""
    if len(months) <= limit:
        return 0, len(months)
    sums = [0]
    for d in deals:
        sums.append(sums[-1] + d)
    best = max(range(len(months) - limit + 1), key=lambda k: (sums[k + limit] - sums[k], -k))
    busy = [k for k in range(best, best + limit) if deals[k]] or [best]
    return busy[0], busy[-1] + 1


def _left_out_note(months: Sequence[str], deals: Sequence[int], lo: int, hi: int) -> str:
    """A note naming the months with wins outside the drawn window (empty if none)."""
    if lo == 0 and hi == len(months):
        return ""
    out = [
        (m, d) for k, (m, d) in enumerate(zip(months, deals, strict=True)) if d and not lo <= k < hi
    ]
    n = sum(d for _, d in out)
    named = ", ".join(f"{m} ({fmt_number(d)})" for m, d in out[:5])
    more = f" and {len(out) - 5} more months" if len(out) > 5 else ""
    text = (
        f"The wins span {fmt_number(len(months))} months, more than the {MAX_MONTHS} this "
        f"section draws: it shows {months[lo]} to {months[hi - 1]}. Left out: "
        f"{fmt_count(n, 'won deal')}, in {named}{more}. "
        "Check these dates for typos."
    )
    return f'<p class="note outliers">{escape(text)}</p>'


def monthly_section(a: Analysis) -> str:
    if not a.monthly.table.rows:
        return '<p class="note">No deal was won in the period.</p>'
    all_months, series, has_amount = _monthly_series(a)
    won = [sum(series[o].get(m, (0.0, 0))[1] for o in series) for m in all_months]
    lo, hi = _busiest_window(all_months, won, MAX_MONTHS)
    note = _left_out_note(all_months, won, lo, hi)
    months = all_months[lo:hi]
    owners = [o for o in series if o != "team"]
    team = {
        m: (
            sum(series[o].get(m, (0.0, 0))[0] for o in series),
            sum(series[o].get(m, (0.0, 0))[1] for o in series),
        )
        for m in months
    }
    shown = set(months)
    shared = max((v for o in owners for m, (v, _) in series[o].items() if m in shown), default=0.0)
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
            f'<td class="num">{escape(fmt_value(total))}</td>'
            f'<td class="num">{escape(fmt_value(total / len(months)))}</td></tr>'
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
        f'{note}<table class="volume"><caption>{escape(caption)}</caption><thead>{head}</thead>'
        f"<tbody>{''.join(rows_html)}</tbody></table>"
    )


def stalled_table(a: Analysis, limit: int = 25) -> str:
    s = a.stalled
    if not len(s):
        days = fmt_value(a.stalled_days)
        return f'<p class="note">No open deal is idle beyond the threshold ({days} days).</p>'
    threshold = f"no event for more than {fmt_value(a.stalled_days)} days"
    rows = [
        [
            r["deal"],
            r["owner"] or EM_DASH,
            r["stage"],
            when_text(None if r["last_event"] is None else str(r["last_event"])),
            fmt_value(r["idle_days"]),
        ]
        for r in s.table.to_records()[:limit]
    ]
    more = f" (the {fmt_number(limit)} longest of {fmt_number(len(s))})" if len(s) > limit else ""
    return table(
        ["deal", "owner", "stage", "last event", "idle days"],
        rows,
        caption=f"Stalled open deals as of {when_text(s.as_of)}: {threshold}{more}",
        numeric=[False, False, False, False, True],
    )


def cards(a: Analysis) -> str:
    cf, af, fc = a.closed, a.active, a.forecast
    cycle = cf.durations.cycle.median_days if cf.durations is not None else math.nan
    neck = a.bottleneck
    items = [
        (
            fmt_number(cf.deals),
            f"closed deals ({fmt_number(cf.won)} won, {fmt_number(cf.lost)} lost)",
        ),
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
        (fmt_value(round(fc.expected_won, 1)), "expected wins from open deals"),
        expected_amount_card(a),
    ]
    return (
        '<div class="cards">'
        + "".join(
            f'<div class="card"><b>{escape(v)}</b><span>{escape(k)}</span></div>' for v, k in items
        )
        + "</div>"
    )


def findings(a: Analysis) -> str:
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
            f"{fmt_percent(w.rest_rate)} for the rest of the team ({_p_text(a.comparison, w)}, "
            "significant)."
        )
    if quiet and a.comparison is not None:
        names = ", ".join(quiet) if len(quiet) <= 6 else f"{fmt_number(len(quiet))} owners"
        level = f"{a.comparison.confidence:.0%}"
        items.append(
            f"No stage is significantly weaker than the rest of the team at {level} "
            f"confidence for {names} (see the comparison below)."
        )
    if not items:
        return ""
    return '<ul class="findings">' + "".join(f"<li>{escape(t)}</li>" for t in items) + "</ul>"


def breakdown_table(t: ResultTable, caption: str, hide: Sequence[str] = ()) -> str:
    """A breakdown or trend table (group columns and periods first, then numbers)."""
    cols = [c for c in t.columns if c not in hide]
    index = [t.columns.index(c) for c in cols]
    numeric = [isinstance(t.rows[0][i], (int, float)) if t.rows else False for i in index]
    rows = [
        [
            (_pct(row[i]) if is_rate_column(c) else fmt_value(row[i])) if n else row[i]
            for c, i, n in zip(cols, index, numeric, strict=True)
        ]
        for row in t.rows
    ]
    headers = [c.replace("_", " ") for c in cols]
    return table(headers, rows, caption=caption, numeric=numeric)

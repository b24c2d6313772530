"""The HTML report of an event-log funnel: the steps, and the units behind each (#12).

:func:`build_event_report` lays out an :class:`~salesfunnel.EventFunnel` with
the deal report's machinery (:mod:`salesfunnel.output.report`'s charts,
:func:`~salesfunnel.output.html.page`'s embedded, paged list): the funnel as
inline SVG, one funnel per breakdown value as a PNG with an image map, and the
steps' table. A click (or Enter / Space) on a step lists the units that
reached it, the ids of :attr:`EventFunnel.units <salesfunnel.EventFunnel.units>`.

It is a page of its own rather than a section of the deal report: unit ids
(users, sessions) and deal ids share no namespace, and the page's list keys
its rows by id, so a user ``42`` would be shown with deal ``42``'s owner and
amount.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from .._format import EM_DASH, fmt_count, fmt_number, fmt_percent, fmt_value
from ..errors import FunnelDataError
from ..events.result import EventFunnel
from .html import escape, page, table
from .report import _REPORT_CSS, _Charts, _ids

__all__ = ["build_event_report", "save_event_report"]

# The list shows two columns for units (id, furthest step): the deal columns are hidden.
_UNITS_CSS = "#sf-deals th:nth-child(n+3),#sf-deals td:nth-child(n+3){display:none}"


def _seconds(value: float | None) -> str:
    return EM_DASH if value is None else f"{fmt_value(value)} s"


def _steps_table(ef: EventFunnel) -> str:
    """Per step: units, conversions, drop-off, still open, time from the previous step."""
    first = ef.counts[0] if ef.counts else 0
    rows = [
        [
            label,
            fmt_number(ef.counts[i]),
            fmt_percent(None if i == 0 else ef.step_conversion[i]),
            fmt_percent(ef.counts[i] / first if first else None),
            fmt_number(ef.drop_off[i]),
            fmt_number(ef.open_counts[i]),
            _seconds(ef.median_s[i]),
            _seconds(ef.mean_s[i]),
        ]
        for i, label in enumerate(ef.steps)
    ]
    headers = ["step", "units", "of previous", "of first", "drop-off", "still open"]
    return table(
        [*headers, "median time", "mean time"],
        rows,
        caption="Steps (times from the previous step)",
        numeric=[False] + [True] * 7,
    )


def _furthest(ef: EventFunnel) -> dict[str, dict[str, str]]:
    """Per unit id (as the list shows it), the label of the furthest step it reached."""
    out: dict[str, dict[str, str]] = {}
    for label, units in zip(ef.steps, ef.units, strict=True):
        for uid in _ids(units):
            out[uid] = {"owner": label}
    return out


def event_section(ef: EventFunnel, charts: _Charts) -> list[str]:
    """The funnel chart, the breakdown chart (if any) and the steps' table."""
    arrow = " \u2192 "
    unit = f"; unit {_names(ef.unit)}" if ef.unit else ""  # else the log's entity column
    parts = [
        f'<p class="lede">Steps {escape(arrow.join(ef.steps))}{escape(unit)}; '
        f"order {escape(ef.order)}; window "
        f"{escape(str(ef.window))}; {escape(fmt_count(ef.excluded, 'unit'))} excluded.</p>",
        '<p class="hint">Click a step (or reach it with Tab and press Enter) to list the '
        "units that reached it.</p>",
        '<h2 id="events">Funnel</h2><div class="grid">',
        charts.svg_figure(
            "events",
            ef.funnel,
            title="Event funnel",
            caption=f"Units that reached each step; overall conversion "
            f"{fmt_percent(ef.overall_conversion if ef.counts and ef.counts[0] else None)}.",
        ),
        f"<div>{_steps_table(ef)}</div></div>",
    ]
    if ef.by:
        funnels = {str(k): f.funnel for k, f in ef.by.items()}
        parts += [
            f'<h2 id="events-by">By {escape(_names(ef.breakdown))}</h2>',
            charts.png_figure(
                "events-by",
                funnels,
                title=f"By {_names(ef.breakdown)}",
                caption=f"One funnel per value ({escape(ef.attribution)}); labels show the "
                "conversion from the previous step.",
            ),
        ]
    return parts


def _names(names: str | Sequence[str] | None) -> str:
    return "" if names is None else names if isinstance(names, str) else ", ".join(names)


def build_event_report(funnel: EventFunnel, *, title: str = "Event funnel report") -> str:
    """The HTML report of an event-log funnel, as one self-contained document.

    The page holds the funnel (inline SVG), one funnel per breakdown value
    (PNG with an HTML image map) and the steps' table. Clicking a step, or
    pressing Enter or Space on it, lists the units that reached it, with the
    furthest step each reached, 100 at a time. The file uses no network.

    Parameters
    ----------
    funnel
        The result of :func:`~salesfunnel.event_funnel`.
    title
        Page title and heading.

    Returns
    -------
    str
        The HTML document.

    Raises
    ------
    FunnelDataError
        When ``funnel`` is not an :class:`~salesfunnel.EventFunnel`.

    Examples
    --------
    >>> import datetime as dt
    >>> from salesfunnel import EventLog, event_funnel
    >>> log = EventLog.from_records([
    ...     {"entity": "u1", "event": "view", "time": "2024-01-01 10:00"},
    ...     {"entity": "u1", "event": "buy", "time": "2024-01-01 10:05"},
    ...     {"entity": "u2", "event": "view", "time": "2024-01-01 11:00"},
    ... ])
    >>> f = event_funnel(log, ["view", "buy"], window=dt.timedelta(hours=1))
    >>> html = build_event_report(f, title="Shop")
    >>> html.startswith("<!DOCTYPE html>"), "<title>Shop</title>" in html
    (True, True)
    """
    if not isinstance(funnel, EventFunnel):
        msg = f"build_event_report needs an EventFunnel (got a {type(funnel).__name__})"
        raise FunnelDataError(msg, column="funnel", value=funnel)
    charts = _Charts()
    body = [f"<h1>{escape(title)}</h1>", *event_section(funnel, charts)]
    body.append(
        '<p class="note">Generated by salesfunnel. Undefined rates are shown as \u2014.</p>'
    )
    return page(
        title,
        "".join(body),
        charts.stage_deals,
        _furthest(funnel),
        css=_REPORT_CSS + _UNITS_CSS,
        noun="unit",
        headers=("unit", "furthest step"),
    )


def save_event_report(
    path: str | os.PathLike[str], funnel: EventFunnel, *, title: str = "Event funnel report"
) -> None:
    """Write :func:`build_event_report` to ``path`` (UTF-8): ``save_event_report(path, f)``."""
    if isinstance(path, EventFunnel):
        msg = "save_event_report takes the path first: save_event_report(path, funnel)"
        raise FunnelDataError(msg, column="path", value=path)
    text = build_event_report(funnel, title=title)
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)

"""Notebook display: short, field-listing reprs and rich HTML / image views.

Every result object a user is likely to leave at the end of a notebook cell
must show as a table (``_repr_html_``) or a picture (``_repr_mimebundle_``),
and its ``repr`` must be one short line that names the fields that matter.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import pytest

import salesfunnel as sf
from salesfunnel.datasets import CRM_STAGES, synthetic_crm, three_managers

REPR_LIMIT = 140  # one line in a notebook or a terminal


@pytest.fixture(scope="module")
def log() -> sf.DealLog:
    pipeline = sf.Pipeline(CRM_STAGES, won="Won", lost="Lost", frozen="Frozen")
    return sf.DealLog.from_columns(
        synthetic_crm(300, seed=3),
        pipeline,
        deal="deal_id",
        time="timestamp",
        owner="owner",
        amount="amount",
    )


def _funnels() -> dict[str, sf.Funnel]:
    return three_managers()


# name -> (builder, fields its repr must name)
CASES: dict[str, tuple[Callable[[sf.DealLog], Any], tuple[str, ...]]] = {
    "MetricsTable": (lambda log: sf.metrics_table(_funnels()["Manager 2"]), ("funnel_name",)),
    "Comparison": (lambda log: sf.compare(_funnels()), ("groups", "confidence")),
    "LeadsPlan": (
        lambda log: sf.leads_needed(180, _funnels()["Manager 1"]),
        ("target", "leads"),
    ),
    "TeamPlan": (lambda log: sf.feasible_plan(_funnels(), 1500), ("managers", "achievable")),
    "ClosedFunnel": (
        lambda log: sf.closed_funnel(log, start="2026-01-01", end="2026-04-01"),
        ("deals", "won", "lost", "win_rate"),
    ),
    "CohortFunnel": (
        lambda log: sf.cohort_funnel(log, start="2026-01-01", end="2026-04-01"),
        ("deals", "won", "lost", "open_deals", "censored"),
    ),
    "ActiveFunnel": (
        lambda log: sf.active_funnel(log, as_of="2026-04-01"),
        ("as_of", "open_deals"),
    ),
    "StageDurations": (lambda log: sf.stage_durations(log), ("median_cycle_days",)),
    "Forecast": (
        lambda log: sf.forecast(log, as_of="2026-04-01"),
        ("method", "expected_won", "expected_amount"),
    ),
    "MonthlyVolume": (lambda log: sf.monthly_volume(log, by="owner"), ("rows",)),
    "StalledDeals": (lambda log: sf.stalled_deals(log, as_of="2026-04-01"), ("as_of", "deals")),
    "Trend": (lambda log: sf.trend(log, period="Q"), ("kind", "period", "rows")),
    "SurvivalCurve": (lambda log: sf.time_to_close(log), ("method", "median")),
    "ReceivablesAging": (
        lambda log: sf.receivables_aging(
            [{"customer": "Acme", "amount": 100, "due": "2024-03-01"}], "2024-04-01"
        ),
        ("as_of", "total", "overdue"),
    ),
    "EventFunnel": (
        lambda log: sf.event_funnel(
            sf.EventLog.from_records(
                [{"entity": 1, "event": "view", "time": "2024-01-01"}]
                + [{"entity": 2, "event": e, "time": "2024-01-02"} for e in ("view", "buy")]
            ),
            ["view", "buy"],
            window=dt.timedelta(hours=1),
        ),
        ("steps", "counts", "order", "window"),
    ),
    "ResultTable": (
        lambda log: sf.ResultTable("t", ("stage", "days"), (("Call", 1.5), ("Won", math.nan))),
        ("name", "columns", "rows"),
    ),
}


class _TableParser(HTMLParser):
    """Collects the tags and text of an HTML fragment; fails on unbalanced tags."""

    VOID = frozenset({"br", "hr", "img", "meta", "col"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack, f"</{tag}> closes nothing"
        assert self.stack[-1] == tag, f"unbalanced </{tag}> in {self.stack}"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse_html(fragment: str) -> _TableParser:
    parser = _TableParser()
    parser.feed(fragment)
    parser.close()
    assert parser.stack == [], f"unclosed tags: {parser.stack}"
    return parser


def _check_repr(obj: object, fields: tuple[str, ...]) -> None:
    text = repr(obj)
    assert "\n" not in text
    assert len(text) <= REPR_LIMIT, f"{len(text)} characters: {text}"
    assert text.startswith(type(obj).__name__ + "(")
    for f in fields:
        assert re.search(rf"\b{f}=", text), f"{type(obj).__name__} repr does not name {f}: {text}"


def _check_html(obj: Any) -> None:
    fragment = obj._repr_html_()
    parser = _parse_html(fragment)
    assert "table" in parser.tags
    assert "td" in parser.tags or "th" in parser.tags
    text = " ".join(parser.text)
    # People never see nan or inf: undefined numbers are an em dash.
    assert not re.search(r"\b(nan|NaN|inf|None)\b", text), text


@pytest.mark.parametrize("name", sorted(CASES))
def test_result_repr_is_short_and_names_its_fields(name: str, log: sf.DealLog) -> None:
    build, fields = CASES[name]
    obj = build(log)
    assert type(obj).__name__ == name
    _check_repr(obj, fields)


@pytest.mark.parametrize("name", sorted(CASES))
def test_result_displays_as_an_html_table(name: str, log: sf.DealLog) -> None:
    build, _ = CASES[name]
    _check_html(build(log))


def test_every_public_result_with_records_is_covered() -> None:
    # A new public result type (anything with to_records) must join CASES.
    results = {
        n
        for n in sf.__all__
        if isinstance(getattr(sf, n), type) and hasattr(getattr(sf, n), "to_records")
    }
    assert results - set(CASES) == set()


def test_undefined_numbers_show_as_em_dash(log: sf.DealLog) -> None:
    # A period with no closed deal: every rate is undefined.
    empty = sf.closed_funnel(log, start="2020-01-01", end="2020-02-01")
    assert math.isnan(empty.win_rate)
    _check_html(empty)
    assert "—" in empty._repr_html_()
    _check_repr(empty, ("deals", "win_rate"))
    zero = sf.metrics_table(sf.Funnel.from_counts({"A": 10, "B": 0, "C": 0}))
    _check_html(zero)
    assert "—" in zero._repr_html_()


def test_chart_displays_as_svg_and_png() -> None:
    chart = sf.FunnelChart(_funnels(), width=480, height=300, title="Three managers")
    bundle = chart._repr_mimebundle_()
    assert set(bundle) >= {"image/svg+xml", "image/png"}
    svg = bundle["image/svg+xml"]
    assert isinstance(svg, str)
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    png = bundle["image/png"]
    assert isinstance(png, bytes)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    _check_repr(chart, ("funnels", "size"))


def test_deal_log_and_pipeline_reprs_are_short(log: sf.DealLog) -> None:
    _check_repr(log, ("events", "deals", "owners"))
    _check_repr(log.pipeline, ("stages", "won", "lost"))


def test_funnel_displays_as_a_table() -> None:
    funnel = sf.Funnel.from_counts({"Calls": 200, "Paid": 10}, name="Ann", amounts={"Paid": 5e3})
    fragment = funnel._repr_html_()
    text = " ".join(_parse_html(fragment).text)
    assert "Ann" in text
    assert "Calls" in text
    assert "200" in text
    assert "—" in text  # Calls has no amount
    _check_html(funnel)


def test_notebook_html_follows_the_one_escape_rule() -> None:
    # plain html.escape kept NUL, a lone surrogate (the page cannot be encoded) and U+202E
    hostile = "Call\x00\ud800\u202e <b>"
    funnel = sf.Funnel.from_counts({hostile: 10, "Won": 4}, name=hostile)
    views = {
        "funnel": funnel._repr_html_(),
        "metrics": sf.metrics_table(funnel)._repr_html_(),
        "table": sf.ResultTable(hostile, (hostile,), ((hostile,),))._repr_html_(),
        "comparison": sf.compare({hostile: funnel, "B": funnel})._repr_html_(),
    }
    for name, html in views.items():
        html.encode("utf-8")
        assert not re.search("[\x00\ud800-\udfff\u202e]", html), name
        assert "Call\ufffd\ufffd\ufffd &lt;b&gt;" in html, name

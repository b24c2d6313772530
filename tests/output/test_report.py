"""The HTML report: structure (html.parser) and click-through in a real browser.

Expected deal lists come from the library's own results (the ClosedFunnel and
ActiveFunnel stage data), computed here independently of the report builder.
"""

from __future__ import annotations

import json
import math
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from salesfunnel import DealLog, FunnelChart, Pipeline, active_funnel, closed_funnel
from salesfunnel.analysis import analyze
from salesfunnel.datasets import CRM_STAGES, synthetic_crm
from salesfunnel.output.html import expand_deals
from salesfunnel.output.report import build_report, save_report

from browser import browser_page

P = Pipeline(CRM_STAGES, won="Won", lost="Lost", frozen="Frozen")
START, END = "2026-01-01", "2026-07-01"


def _log(n: int = 600, owners: int = 3, seed: int = 3) -> DealLog:
    cols = synthetic_crm(n, owners=owners, seed=seed)
    return DealLog.from_columns(
        cols, P, deal="deal_id", time="timestamp", owner="owner", amount="amount"
    )


@pytest.fixture(scope="module")
def log() -> DealLog:
    return _log()


@pytest.fixture(scope="module")
def html(log: DealLog) -> str:
    return build_report(log, start=START, end=END, as_of=END, title="Test <report>")


class _Doc(HTMLParser):
    """Collects ids, URLs, stage elements (with their chart) and the embedded JSON."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.urls: list[tuple[str, str, str]] = []
        self.stage_keys: list[tuple[str, str, str, str]] = []  # chart, funnel, stage, tag
        self.charts: list[str] = []
        self._chart_stack: list[tuple[str, str | None]] = []
        self._json: list[str] | None = None
        self._json_id = ""
        self.blocks: dict[str, Any] = {}
        self.data: dict[str, object] = {}
        self.text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(str(a["id"]))
        for name in ("src", "href", "xlink:href", "action", "srcset"):
            if a.get(name):
                self.urls.append((tag, name, str(a[name])))
        if "data-chart" in a:
            self.charts.append(str(a["data-chart"]))
            self._chart_stack.append((tag, a["data-chart"]))
        if "data-stage" in a and self._chart_stack:
            chart = str(self._chart_stack[-1][1])
            self.stage_keys.append(
                (chart, str(a.get("data-funnel") or ""), str(a["data-stage"]), tag)
            )
        if tag == "script" and a.get("id") in ("sf-index", "sf-data"):
            self._json, self._json_id = [], str(a["id"])
        if tag in ("script", "style"):
            self._skip += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        # Chart figures do not nest, so a closing figure ends the innermost chart.
        if self._chart_stack and self._chart_stack[-1][0] == tag == "figure":
            self._chart_stack.pop()
        if tag == "script" and self._json is not None:
            self.blocks[self._json_id] = json.loads("".join(self._json))
            self._json = None
            if len(self.blocks) == 2:  # the page's two blocks, read back as the script reads them
                stages, deals = expand_deals(self.blocks["sf-index"], self.blocks["sf-data"])
                self.data = {"stages": stages, "deals": deals}
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if self._json is not None:
            self._json.append(data)
        elif not self._skip:
            self.text.append(data)


def _parse(html: str) -> _Doc:
    doc = _Doc()
    doc.feed(html)
    doc.close()
    return doc


def test_report_is_self_contained_with_unique_ids(html: str) -> None:
    doc = _parse(html)
    assert doc.ids, "the report has ids"
    dupes = {i for i in doc.ids if doc.ids.count(i) > 1}
    assert not dupes, dupes
    for tag, name, url in doc.urls:
        assert url.startswith(("data:image/png;base64,", "#")), (tag, name, url[:80])
    body = html.replace("http://www.w3.org/2000/svg", "").replace(
        "http://www.w3.org/1999/xlink", ""
    )
    assert "http://" not in body
    assert "https://" not in body
    assert "@import" not in body
    assert re.findall(r"url\((?!#)", body) == []  # only same-document gradient fills
    assert "<link" not in body
    assert "<title>Test &lt;report&gt;</title>" in html


def test_every_chart_stage_has_its_deals(html: str) -> None:
    doc = _parse(html)
    stages = doc.data["stages"]
    deals = doc.data["deals"]
    assert isinstance(stages, dict)
    assert isinstance(deals, dict)
    assert {"team-closed", "team-active", "owners-closed-1"} <= set(doc.charts)
    assert len(doc.charts) == len(set(doc.charts))
    seen = set()
    for chart, funnel, stage, _tag in doc.stage_keys:
        key = f"{chart}|{funnel}|{stage}"
        assert key in stages, key
        seen.add(key)
    assert seen == set(stages), set(stages) ^ seen
    for key, entry in stages.items():
        assert entry["title"], key
        assert len(entry["ids"]) == len(set(entry["ids"])), key
        missing = [i for i in entry["ids"] if i not in deals]
        assert not missing, (key, missing[:3])
    # Both formats carry stages: SVG shapes and image-map areas.
    tags = {(c, t) for c, _f, _s, t in doc.stage_keys}
    assert any(c == "team-closed" and t in ("path", "ellipse", "rect", "polygon") for c, t in tags)
    assert ("owners-closed-1", "area") in tags


def test_stage_deals_equal_the_library_results(html: str, log: DealLog) -> None:
    stages = _parse(html).data["stages"]
    assert isinstance(stages, dict)
    cf = closed_funnel(log, start=START, end=END)
    af = active_funnel(log, as_of=END)
    by = closed_funnel(log, start=START, end=END, by="owner")
    for i, stage in enumerate(cf.funnel.stages):
        assert stages[f"team-closed|0|{i}"]["ids"] == [str(x) for x in stage.data]
        assert len(stages[f"team-closed|0|{i}"]["ids"]) == stage.count
    for i, stage in enumerate(af.funnel.stages):
        assert set(stages[f"team-active|0|{i}"]["ids"]) == {str(x) for x in stage.data}
    for fi, owner in enumerate(sorted(by)):
        for i, stage in enumerate(by[owner].funnel.stages):
            assert set(stages[f"owners-closed-1|{fi}|{i}"]["ids"]) == {str(x) for x in stage.data}
            assert owner in stages[f"owners-closed-1|{fi}|{i}"]["title"]


def test_deal_records_match_the_log(html: str, log: DealLog) -> None:
    deals = _parse(html).data["deals"]
    assert isinstance(deals, dict)
    cols = synthetic_crm(600, owners=3, seed=3)
    af = active_funnel(log, as_of=END)
    open_at = {str(d): s.name for s in af.funnel.stages for d in s.data}
    for deal_id, rec in list(deals.items())[:200]:
        rows = np.flatnonzero(cols["deal_id"] == deal_id)
        assert rec["owner"] == cols["owner"][rows[-1]]
        times = cols["timestamp"][rows]
        assert rec["first"] == str(times.min()).replace("T", " ")
        assert rec["last"] == str(times.max()).replace("T", " ")
        if deal_id in open_at:
            assert rec["status"] == f"open: {open_at[deal_id]}"
        else:
            assert rec["status"] == cols["stage"][rows[-1]]


def test_report_text_never_shows_nan_and_has_every_section(html: str) -> None:
    doc = _parse(html)
    text = " ".join(doc.text)
    for bad in ("nan", "NaN", "inf", "None"):
        assert f" {bad} " not in f" {text} ".replace(",", " "), bad
    for heading in ("Team", "Per owner", "Comparison", "Durations", "Forecast", "Monthly volume"):
        assert heading in text
    assert "weakest stage" in text
    assert "p-value" in text
    assert "Bottleneck" in text


def test_report_is_deterministic_and_analysis_reusable(log: DealLog, html: str) -> None:
    again = build_report(log, start=START, end=END, as_of=END, title="Test <report>")
    assert again == html
    a = analyze(log, start=START, end=END, as_of=END)
    assert build_report(a, title="Test <report>") == html
    payload = json.loads(a.to_json())
    assert payload["closed"]["deals"] == a.closed.deals
    assert set(payload["weakest_stage"]) == set(a.owners)


def test_closed_table_says_how_many_deals_have_no_amount() -> None:
    # Three closed deals, one without an amount: the caption says the sums are partial.
    pipe = Pipeline(["Lead", "Demo"])
    rows = [
        {"deal": "a", "stage": "Lead", "time": "2024-01-01", "amount": 10.0},
        {"deal": "a", "stage": "Won", "time": "2024-01-03", "amount": 10.0},
        {"deal": "b", "stage": "Lead", "time": "2024-01-01", "amount": None},
        {"deal": "b", "stage": "Lost", "time": "2024-01-02", "amount": None},
        {"deal": "c", "stage": "Lead", "time": "2024-01-01", "amount": 5.0},
        {"deal": "c", "stage": "Lost", "time": "2024-01-04", "amount": 5.0},
    ]
    report = build_report(DealLog.from_records(rows, pipe, amount="amount"))
    assert "amounts sum the known ones (1 deal without an amount)" in report
    full = [r for r in rows if r["deal"] != "b"]
    assert "without an amount)" not in build_report(
        DealLog.from_records(full, pipe, amount="amount")
    )


def test_many_owners_are_split_over_charts(tmp_path: Path) -> None:
    log = _log(400, owners=7, seed=5)
    out = tmp_path / "r.html"
    save_report(out, log)
    doc = _parse(out.read_text(encoding="utf-8"))
    assert [c for c in doc.charts if c.startswith("owners-closed-")] == [
        "owners-closed-1",
        "owners-closed-2",
    ]


def test_single_owner_log_has_no_comparison() -> None:
    p = Pipeline(["Call", "Offer"], won="Won", lost="Lost")
    rows = [
        ("A", "Call", "2024-01-01"),
        ("A", "Won", "2024-01-05"),
        ("B", "Call", "2024-01-02"),
    ]
    log = DealLog.from_records(
        [dict(zip(("deal", "stage", "time"), r, strict=True)) for r in rows], p
    )
    html = build_report(log)
    doc = _parse(html)
    assert "owners-closed-1" not in doc.charts
    assert doc.data["stages"]["team-closed|0|0"]["ids"] == ["A"]
    assert doc.data["stages"]["team-active|0|0"]["ids"] == ["B"]


def _listed(pg: object) -> list[str]:
    ids: list[str] = pg.locator("#sf-deals-body tr").evaluate_all(  # type: ignore[attr-defined]
        "rs => rs.map(r => r.dataset.deal)"
    )
    return ids


def _all_listed(pg: Any) -> list[str]:
    """Every listed deal, page after page (the panel shows 100 rows at a time)."""
    ids = _listed(pg)
    while pg.is_visible("#sf-deals-pager") and pg.is_enabled("#sf-deals-next"):
        pg.click("#sf-deals-next")
        ids += _listed(pg)
    return ids


def _click(pg: object, selector: str) -> None:
    """A real mouse click at the middle of the first match, scrolled to mid-screen.

    (The deals panel is sticky at the bottom of the window and may cover an element
    that was only scrolled just into view.)
    """
    loc = pg.locator(selector).first  # type: ignore[attr-defined]
    loc.evaluate("e => e.scrollIntoView({block: 'center'})")
    box = loc.bounding_box()
    assert box is not None, selector
    pg.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # type: ignore[attr-defined]


def _point_in(chart: FunnelChart, funnel: int, stage: int) -> tuple[float, float]:
    """A pixel whose topmost image-map area is (funnel, stage)'s side."""
    region = next(
        r
        for r in chart.regions
        if r.funnel_index == funnel and r.stage == stage and r.part == "side"
    )
    x0, y0, x1, y1 = region.bounds
    return (x0 + x1) / 2, (y0 + y1) / 2


def test_click_through_in_chromium(tmp_path: Path, log: DealLog, html: str) -> None:
    out = tmp_path / "report.html"
    out.write_text(html, encoding="utf-8")
    cf = closed_funnel(log, start=START, end=END)
    af = active_funnel(log, as_of=END)
    by = closed_funnel(log, start=START, end=END, by="owner")
    owners = sorted(by)
    with browser_page() as pg:
        pg.goto(out.as_uri())
        assert not pg.is_visible("#sf-deals")

        # SVG: a click on the side of stage 2 of the team's closed-deal funnel.
        _click(pg, '[data-chart="team-closed"] path[data-stage="2"][data-part="side"]')
        assert pg.is_visible("#sf-deals")
        assert _all_listed(pg) == [str(x) for x in cf.funnel.stages[2].data]
        assert f"{int(cf.funnel.stages[2].count):,} deals" in pg.inner_text("#sf-deals-title")

        # SVG of the active snapshot.
        _click(pg, '[data-chart="team-active"] path[data-stage="1"][data-part="side"]')
        assert sorted(_all_listed(pg)) == sorted(str(x) for x in af.funnel.stages[1].data)

        # PNG through its image map: a real click at pixel coordinates on the image.
        chart = FunnelChart(
            {o: by[o].funnel for o in owners},
            width=1100,
            height=430,
            title="Closed deals by owner",
            percent="previous",
        )
        x, y = _point_in(chart, 1, 1)
        img = pg.locator('img[usemap="#map-owners-closed-1"]')
        img.evaluate("e => e.scrollIntoView({block: 'center'})")
        box = img.bounding_box()
        assert box is not None
        assert (box["width"], box["height"]) == (1100, 430)  # shown at layout size
        pg.mouse.click(box["x"] + x, box["y"] + y)
        expected = sorted(str(x) for x in by[owners[1]].funnel.stages[1].data)
        assert sorted(_all_listed(pg)) == expected
        assert owners[1] in pg.inner_text("#sf-deals-title")

        # Keyboard: Enter on a focused SVG stage, Space on a focused image-map area.
        focus = '[data-chart="team-closed"] [data-stage="3"][tabindex="0"]'
        assert pg.locator(focus).count() == 1
        assert pg.eval_on_selector(focus, "e => e.tagName") == "path"  # the visible side
        pg.focus(focus)
        pg.keyboard.press("Enter")
        assert _all_listed(pg) == [str(x) for x in cf.funnel.stages[3].data]
        pg.focus('[data-chart="owners-closed-1"] area[data-funnel="2"][data-stage="4"]')
        pg.keyboard.press(" ")
        assert sorted(_all_listed(pg)) == sorted(
            str(x) for x in by[owners[2]].funnel.stages[4].data
        )

        # The listed rows show the deal's owner and status.
        first = pg.inner_text("#sf-deals-body tr:first-child")
        assert owners[2] in first

        pg.click("#sf-deals-close")
        assert not pg.is_visible("#sf-deals")

        shot = tmp_path / "report.png"
        pg.set_viewport_size({"width": 1280, "height": 900})
        pg.screenshot(path=str(shot), full_page=True)
    with Image.open(shot) as im:
        assert im.width == 1280
        assert im.height > 2000  # the whole report, not an empty page
        gray = np.asarray(im.convert("L"), dtype=np.float64)
        assert gray.std() > 10  # something is drawn
        assert math.isfinite(gray.mean())


@pytest.mark.parametrize("ids", [(7, 9, 12), (5, 10**12, 3)])
def test_integer_deal_ids_and_no_amounts(ids: tuple[int, int, int]) -> None:
    p = Pipeline(["Call", "Offer"], won="Won", lost="Lost")
    a, b, c = ids
    rows = [
        (a, "Call", "2024-01-01", "Ann"),
        (a, "Offer", "2024-01-03", "Ann"),
        (a, "Won", "2024-01-05", "Ann"),
        (b, "Call", "2024-01-02", "Bob"),
        (b, "Lost", "2024-01-04", "Bob"),
        (c, "Call", "2024-01-02", "Bob"),
        (c, "Offer", "2024-01-06", "Ann"),
    ]
    recs = [dict(zip(("deal", "stage", "time", "owner"), r, strict=True)) for r in rows]
    log = DealLog.from_records(recs, p, owner="owner")
    doc = _parse(build_report(log, as_of="2024-01-06"))
    stages, deals = doc.data["stages"], doc.data["deals"]
    assert isinstance(stages, dict)
    assert isinstance(deals, dict)
    cf = closed_funnel(log)
    for i, stage in enumerate(cf.funnel.stages):
        assert stages[f"team-closed|0|{i}"]["ids"] == [str(x) for x in stage.data]
    assert stages["team-active|0|1"]["ids"] == [str(c)]
    assert deals[str(a)] == {
        "owner": "Ann",
        "amount": None,
        "first": "2024-01-01",
        "last": "2024-01-05",
        "status": "Won",
    }
    assert deals[str(b)]["status"] == "Lost"
    assert deals[str(c)]["status"] == "open: Offer"
    assert deals[str(c)]["owner"] == "Ann"  # the owner on the deal's last event


def test_wide_form_statuses_with_undated_stages() -> None:
    p = Pipeline(["Prospecting", "Engaging"], won="Won", lost="Lost")
    rows = [
        {"id": "A", "stage": "Won", "engage": "2017-01-02", "close": "2017-02-01"},
        {"id": "B", "stage": "Prospecting", "engage": "", "close": ""},
        {"id": "C", "stage": "Engaging", "engage": "2017-01-05", "close": ""},
        {"id": "D", "stage": "Lost", "engage": "2017-01-03", "close": "2017-03-01"},
    ]
    log = DealLog.from_wide(
        rows,
        p,
        deal="id",
        stage_dates={"Engaging": "engage"},
        outcome="stage",
        outcome_date="close",
    )
    doc = _parse(build_report(log, as_of="2017-02-15"))
    deals = doc.data["deals"]
    stages = doc.data["stages"]
    assert isinstance(deals, dict)
    assert isinstance(stages, dict)
    # B has no date at all: the snapshot cannot place it (the history rules leave it out).
    assert {k: v["status"] for k, v in deals.items()} == {
        "A": "Won",
        "C": "open: Engaging",
        "D": "open: Engaging",  # lost only on 2017-03-01, after the snapshot
    }
    assert stages["team-closed|0|0"]["ids"] == [str(x) for x in closed_funnel(log).funnel[0].data]
    assert deals["A"]["first"] == "2017-01-02"
    all_time = _parse(build_report(log)).data["deals"]
    assert isinstance(all_time, dict)
    assert all_time["B"]["status"] == "open: Prospecting"
    assert all_time["B"]["first"] == "\u2014"  # no date at all
    assert all_time["D"]["status"] == "Lost"
    af = active_funnel(log, as_of="2017-02-15")
    for i, stage in enumerate(af.funnel.stages):
        assert sorted(stages[f"team-active|0|{i}"]["ids"]) == sorted(str(x) for x in stage.data)


def _table_after(html: str, caption_start: str) -> list[list[str]]:
    """Header and body cells of the table whose caption begins with ``caption_start``."""
    i = html.index(f"<caption>{caption_start}")
    body = html[i : html.index("</table>", i)]
    rows = re.findall(r"<tr>(.*?)</tr>", body)
    return [
        [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r)]
        for r in rows
    ]


@pytest.mark.parametrize("c_amount", [80, None])
def test_forecast_amounts_partly_or_wholly_unknown(c_amount: int | None) -> None:
    p = Pipeline(["Call", "Offer"], won="Won", lost="Lost")
    rows = [
        ("A", "Call", "2024-01-01", None),
        ("A", "Won", "2024-01-05", 100),
        ("B", "Call", "2024-01-01", None),
        ("B", "Lost", "2024-01-03", None),
        ("C", "Offer", "2024-01-04", c_amount),
        ("D", "Call", "2024-01-06", None),
    ]
    recs = [dict(zip(("deal", "stage", "time", "amount"), r, strict=True)) for r in rows]
    html = build_report(DealLog.from_records(recs, p, amount="amount"), as_of="2024-01-31")
    cards = " | ".join(_parse(html).text)
    # P(won | reached Call) = 1/2 (A won, B lost), P(won | reached Offer) = 1/1.
    # Open: D at Call (no amount), C at Offer (80 or no amount).
    table = _table_after(html, "Forecast from the open deals")
    head, *body = table
    assert head == [
        "stage",
        "open deals",
        "amount",
        "amount unknown",
        "win probability",
        "expected wins",
        "expected amount",
    ]
    if c_amount is not None:
        assert body == [
            ["Call", "1", "\u2014", "1", "50.0%", "0.5", "\u2014"],
            ["Offer", "1", "80", "0", "100.0%", "1", "80"],
            ["total", "2", "80", "1", "", "1.5", "80"],
        ]
        assert "80 | expected won amount (1 open deal without an amount)" in cards
    else:
        assert body == [
            ["Call", "1", "\u2014", "1", "50.0%", "0.5", "\u2014"],
            ["Offer", "1", "\u2014", "1", "100.0%", "1", "\u2014"],
            ["total", "2", "\u2014", "2", "", "1.5", "\u2014"],
        ]
        assert "\u2014 | expected won amount (open deals have no amount)" in cards
    payload = analyze(DealLog.from_records(recs, p, amount="amount"), as_of="2024-01-31").to_dict()
    assert payload["forecast"]["expected_amount"] == (80.0 if c_amount is not None else None)
    assert payload["forecast"]["amount_unknown"] == (1 if c_amount is not None else 2)


def test_no_weakest_stage_when_everyone_converts_alike() -> None:
    # Ann and Bob each win all 30 of their deals (Call -> Won at 100 %), Cy has 3:
    # Ann's and Bob's step is ranked and level with the rest; Cy's is too small to rank.
    from salesfunnel.cli.text import weakest_lines as _weakest_lines

    p = Pipeline(["Call"], won="Won", lost="Lost")
    recs = [
        {"deal": f"{o}{i}", "stage": stage, "time": f"2024-01-0{day}", "owner": o}
        for o, n in (("Ann", 30), ("Bob", 30), ("Cy", 3))
        for i in range(n)
        for stage, day in (("Call", 1), ("Won", 2))
    ]
    a = analyze(DealLog.from_records(recs, p, owner="owner"))
    assert a.weakest() == {"Ann": None, "Bob": None, "Cy": None}
    rows = _table_after(build_report(a), "Weakest stage per owner")[1:]
    assert [r[:4] for r in rows] == [
        ["Ann", "30", "100.0%", "none below the rest"],
        ["Bob", "30", "100.0%", "none below the rest"],
        ["Cy", "3", "100.0%", "not enough data"],
    ]
    assert [r[-1] for r in rows] == ["\u2014"] * 3  # no strongest stage either
    assert _weakest_lines(a) == [
        "  Ann  no stage below the rest of the team",
        "  Bob  no stage below the rest of the team",
        "  Cy   not enough closed deals to rank the stages",
    ]
    assert a.to_dict()["weakest_stage"] == {"Ann": None, "Bob": None, "Cy": None}


# -- hostile input (issue 10) ------------------------------------------------------------
_TINY = Pipeline(["Call", "Demo"], won="Won", lost="Lost")


def _records(owner: str = "Ann", stage: str = "Call") -> list[dict[str, object]]:
    return [
        {"deal": "A", "stage": stage, "time": "2024-01-02", "owner": owner, "amount": 10.0},
        {"deal": "A", "stage": "Won", "time": "2024-01-05", "owner": owner, "amount": 10.0},
        {"deal": "B", "stage": stage, "time": "2024-02-02", "owner": "Bo", "amount": 5.0},
    ]


def test_lone_surrogate_and_bidi_override_in_names_give_a_utf8_report(tmp_path: Path) -> None:
    pipe = Pipeline(["Call\ud800", "Demo\u202e"], won="Won", lost="Lost")
    log = DealLog.from_records(
        _records(owner="Ann\u202e", stage="Demo\u202e"), pipe, owner="owner", amount="amount"
    )
    out = tmp_path / "r.html"
    save_report(out, log)  # used to raise UnicodeEncodeError on the lone surrogate
    text = out.read_text(encoding="utf-8")
    assert not any(ch in text for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    assert "Demo\ufffd" in text
    assert "Ann\ufffd" in text
    doc = _Doc()
    doc.feed(text)
    assert doc.data  # the embedded JSON still parses


def test_dropped_rows_are_shown_in_the_report_and_the_json() -> None:
    recs = [*_records(), {"deal": "C", "stage": "Typo", "time": "2024-03-01"}]
    log = DealLog.from_records(recs, _TINY, owner="owner", amount="amount", drop_unknown=True)
    assert log.dropped == 1
    a = analyze(log)
    assert a.to_dict()["dropped_rows"] == 1
    assert json.loads(a.to_json())["dropped_rows"] == 1
    assert "1 row of the input with a stage or outcome outside the pipeline were dropped" in (
        build_report(a)
    )
    clean = analyze(DealLog.from_records(_records(), _TINY, owner="owner", amount="amount"))
    assert clean.to_dict()["dropped_rows"] == 0
    assert "dropped while loading" not in build_report(clean)


def _typo_year_log() -> DealLog:
    recs: list[dict[str, object]] = []
    for i in range(200):
        month = f"2024-{i % 12 + 1:02d}"
        call, close = (f"{month}-01", f"{month}-15") if i != 1 else ("0224-04-01", "0224-05-01")
        who = "Ann" if i % 2 else "Bo"
        for stage, t in (("Call", call), ("Won" if i % 3 else "Lost", close)):
            recs.append({"deal": f"D{i}", "stage": stage, "time": t, "owner": who, "amount": 1.0})
    return DealLog.from_records(recs, _TINY, owner="owner", amount="amount")


def test_one_typo_year_does_not_blow_up_the_report_and_is_named() -> None:
    html = build_report(_typo_year_log())
    # before: 14 MB (one bar per month for 1,800 years, per owner); 0.2 MB without the typo
    assert len(html) < 400_000
    note = re.search(r'<p class="note outliers">(.*?)</p>', html)
    assert note is not None
    assert "Left out: 1 won deal, in 0224-05 (1)" in note.group(1)
    assert "it shows 2024-02 to 2024-12" in note.group(1)


def test_busiest_window_worked_examples() -> None:
    from salesfunnel.output.sections import _busiest_window

    months = ["m0", "m1", "m2", "m3", "m4"]
    assert _busiest_window(months, [1, 0, 0, 5, 3], 5) == (0, 5)  # fits: everything
    assert _busiest_window(months, [1, 0, 0, 5, 3], 2) == (3, 5)  # sums 1, 0, 5, 8
    assert _busiest_window(months, [1, 0, 0, 5, 3], 3) == (3, 5)  # m2..m4, trimmed to m3
    assert _busiest_window(months, [2, 0, 0, 2, 0], 2) == (0, 1)  # tie: the earliest

"""The event-funnel report: the units behind each step, in the page and in a real browser."""

from __future__ import annotations

import datetime as dt
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from salesfunnel import (
    EventFunnel,
    EventLog,
    FunnelDataError,
    build_event_report,
    event_funnel,
    save_event_report,
)
from salesfunnel.output.html import expand_deals

from browser import browser_page

EVIL = '</script><img src=x onerror="alert(1)">&amp;'


def _funnel(breakdown: str | None = None) -> EventFunnel:
    # Worked example, 30-minute window, view -> cart -> purchase:
    #   ann: view 10:00, cart 10:10, purchase 10:30       -> all three steps
    #   bob: view 11:00, cart 11:40 (40 min: outside)     -> view only
    #   EVIL: view 12:00, cart 12:05                      -> view, cart
    #   dan: cart 09:00 (no view)                         -> nowhere
    rows = [
        ("ann", "view", "2024-03-01T10:00:00", "ios"),
        ("ann", "cart", "2024-03-01T10:10:00", "ios"),
        ("ann", "purchase", "2024-03-01T10:30:00", "ios"),
        ("bob", "view", "2024-03-01T11:00:00", "web"),
        ("bob", "cart", "2024-03-01T11:40:00", "web"),
        (EVIL, "view", "2024-03-01T12:00:00", EVIL),
        (EVIL, "cart", "2024-03-01T12:05:00", EVIL),
        ("dan", "cart", "2024-03-01T09:00:00", "web"),
    ]
    log = EventLog.from_records(
        [dict(zip(("user", "name", "at", "device"), r, strict=True)) for r in rows],
        entity="user",
        event="name",
        time="at",
        properties=["device"],
    )
    steps = ["view", "cart", "purchase"]
    return event_funnel(log, steps, window=dt.timedelta(minutes=30), breakdown=breakdown)


class _Page(HTMLParser):
    """The embedded blocks and the text of the page, as a browser would read them."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: dict[str, str] = {}
        self.charts: list[str] = []
        self.headers: list[str] = []
        self._in: str | None = None
        self._th = False
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script" and a.get("id"):
            self._in = a["id"]
        if tag == "img" and a.get("onerror"):
            raise AssertionError("an id became markup")
        if "data-chart" in a:
            self.charts.append(str(a["data-chart"]))
        self._th = tag == "th"

    def handle_endtag(self, tag: str) -> None:
        self._in = None
        self._th = False

    def handle_data(self, data: str) -> None:
        if self._in:
            self.scripts[self._in] = self.scripts.get(self._in, "") + data
        else:
            self.text.append(data)
        if self._th:
            self.headers.append(data)


def _parse(html: str) -> tuple[_Page, dict[str, Any], dict[str, Any]]:
    doc = _Page()
    doc.feed(html)
    stages, units = expand_deals(
        json.loads(doc.scripts["sf-index"]), json.loads(doc.scripts["sf-data"])
    )
    return doc, stages, units


def test_each_step_lists_the_units_that_reached_it() -> None:
    f = _funnel()
    assert f.counts == (3, 2, 1)  # the worked example, by hand
    doc, stages, units = _parse(build_event_report(f))
    assert [stages[f"events|0|{s}"]["ids"] for s in range(3)] == [
        [str(u) for u in f.units[0]],
        [str(u) for u in f.units[1]],
        ["ann"],
    ]
    assert sorted(stages["events|0|0"]["ids"]) == sorted(["ann", "bob", EVIL])
    assert sorted(stages["events|0|1"]["ids"]) == sorted(["ann", EVIL])
    # Each unit's furthest step, in the list's second column.
    assert {u: r["owner"] for u, r in units.items()} == {
        "ann": "purchase",
        "bob": "view",
        EVIL: "cart",
    }
    assert doc.headers[-2:] == ["unit", "furthest step"]  # the list's own columns
    assert "0 units excluded" in "".join(doc.text)


def test_hostile_ids_and_property_values_stay_text() -> None:
    html = build_event_report(_funnel(breakdown="device"), title=EVIL)
    assert "<img src=x" not in html  # escaped everywhere (title, JSON, tables, charts)
    assert not re.search(r"</script>(?!\s*(<script|</body>))", html)  # no early script end
    doc, stages, _ = _parse(html)  # the parser raises if an id became an element
    assert EVIL in "".join(doc.text)  # the title shows it as text
    assert EVIL in stages["events|0|0"]["ids"]
    # The breakdown's image map: one funnel per device, the hostile value among them.
    assert "events-by" in doc.charts
    keyed = {k: v["ids"] for k, v in stages.items() if k.startswith("events-by|")}
    funnels = list(_funnel(breakdown="device").by.items())
    for fi, (_, g) in enumerate(funnels):
        assert keyed[f"events-by|{fi}|0"] == [str(u) for u in g.units[0]]


def test_same_input_same_bytes_and_arguments_checked(tmp_path: Path) -> None:
    f = _funnel()
    assert build_event_report(f) == build_event_report(_funnel())
    out = tmp_path / "events.html"
    save_event_report(out, f, title="Shop")
    assert out.read_text(encoding="utf-8") == build_event_report(f, title="Shop")
    with pytest.raises(FunnelDataError, match="path first"):
        save_event_report(f, out)  # type: ignore[arg-type]
    with pytest.raises(FunnelDataError, match="needs an EventFunnel"):
        build_event_report("not a funnel")  # type: ignore[arg-type]


def _listed(pg: Any) -> list[str]:
    ids: list[str] = pg.locator("#sf-deals-body tr").evaluate_all(
        "rs => rs.map(r => r.dataset.deal)"
    )
    while pg.is_visible("#sf-deals-pager") and pg.is_enabled("#sf-deals-next"):
        pg.click("#sf-deals-next")
        ids += pg.locator("#sf-deals-body tr").evaluate_all("rs => rs.map(r => r.dataset.deal)")
    return ids


def _click(pg: Any, selector: str) -> None:
    """A real mouse click at the middle of the first match, scrolled to mid-screen."""
    loc = pg.locator(selector).first
    loc.evaluate("e => e.scrollIntoView({block: 'center'})")
    box = loc.bounding_box()
    assert box is not None, selector
    pg.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def test_click_a_step_in_chromium_lists_its_units(tmp_path: Path) -> None:
    f = _funnel(breakdown="device")
    out = tmp_path / "events.html"
    save_event_report(out, f)
    with browser_page() as pg:
        pg.goto(out.as_uri())
        assert not pg.is_visible("#sf-deals")
        for step in (0, 1, 2):
            _click(pg, f'[data-chart="events"] path[data-stage="{step}"][data-part="side"]')
            assert pg.is_visible("#sf-deals")
            assert _listed(pg) == [str(u) for u in f.units[step]]
            n = f.counts[step]
            assert f"{n} unit{'' if n == 1 else 's'}" in pg.inner_text("#sf-deals-title")
        # The hostile id is shown as text in its row, not run as markup.
        _click(pg, '[data-chart="events"] path[data-stage="0"][data-part="side"]')
        assert EVIL in pg.inner_text("#sf-deals-body")
        assert pg.locator("#sf-deals-body img").count() == 0
        # The breakdown's PNG: Space on an image-map area lists that value's units.
        groups = list(f.by.values())
        for fi, g in enumerate(groups):
            pg.focus(f'[data-chart="events-by"] area[data-funnel="{fi}"][data-stage="1"]')
            pg.keyboard.press(" ")
            assert _listed(pg) == [str(u) for u in g.units[1]]
        # Only the unit and its furthest step are shown.

        visible = pg.locator("#sf-deals thead th:visible").all_inner_texts()
        assert [t.strip() for t in visible] == ["unit", "furthest step"]

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

from salesfunnel.output.html import escape, json_script, page, table

from browser import browser_page

SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 100" width="200" height="100">'
    '<rect data-funnel="A" data-stage="0" data-part="side" x="0" y="0" width="200" height="50" fill="#88f"/>'
    '<rect data-funnel="A" data-stage="1" data-part="side" x="50" y="50" width="100" height="50" fill="#44f"/>'
    "</svg>"
)


def _page() -> str:
    body = f'<h1>t</h1><figure data-chart="c1">{SVG}</figure>'
    stages = {
        "c1|A|0": {"title": "A: Calls", "ids": ["d1", "d2", "d3"]},
        "c1|A|1": {"title": "A: Paid", "ids": ["d2"]},
    }
    deals = {
        "d1": {
            "owner": "Ann",
            "amount": 10,
            "first": "2026-01-01",
            "last": "2026-01-02",
            "status": "lost",
        },
        "d2": {
            "owner": "<b>Bob</b>",
            "amount": 20,
            "first": "2026-01-01",
            "last": "2026-01-05",
            "status": "won",
        },
        "d3": {
            "owner": "Ann",
            "amount": None,
            "first": "2026-01-03",
            "last": "2026-01-03",
            "status": "open",
        },
    }
    return page("t", body, stages, deals)


def test_escape_replaces_control_characters_and_escapes_quotes() -> None:
    # one rule for every output: a control character becomes U+FFFD (it was dropped here)
    assert escape('<script>"x"\x00\x07]]>') == "&lt;script&gt;&quot;x&quot;\ufffd\ufffd]]&gt;"


def test_json_script_cannot_be_closed_by_data() -> None:
    block = json_script("x", {"a": "</script><script>alert(1)</script>"})
    assert block.count("</script>") == 1
    inner = block[block.index(">") + 1 : block.rindex("</script>")]
    assert json.loads(inner) == {"a": "</script><script>alert(1)</script>"}


def test_table_escapes_cells() -> None:
    out = table(["a"], [["<i>"]])
    assert "<i>" not in out
    assert "&lt;i&gt;" in out


def test_page_is_well_formed_and_self_contained() -> None:
    doc = _page()
    tags: list[str] = []

    class P(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            tags.append(tag)
            for name, value in attrs:
                assert not (name in {"src", "href"} and value and "://" in value), (
                    tag,
                    name,
                    value,
                )

    P().feed(doc)
    assert tags.count("script") == 3  # the index, the deals, the script
    assert "http://" not in doc.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in doc


def test_click_and_keyboard_list_the_stage_deals(tmp_path: Path) -> None:
    out = tmp_path / "page.html"
    out.write_text(_page(), encoding="utf-8")
    with browser_page() as pg:
        pg.goto(out.as_uri())
        pg.click('[data-stage="1"]')
        ids = pg.locator("#sf-deals-body tr").evaluate_all("rs => rs.map(r => r.dataset.deal)")
        assert ids == ["d2"]
        assert "<b>Bob</b>" in pg.inner_text("#sf-deals-body")  # shown as text, not markup
        pg.click('[data-stage="0"]', position={"x": 10, "y": 10})
        ids = pg.locator("#sf-deals-body tr").evaluate_all("rs => rs.map(r => r.dataset.deal)")
        assert ids == ["d1", "d2", "d3"]
        assert "3 deals" in pg.inner_text("#sf-deals-title")


def test_keyboard_reaches_every_stage_once(tmp_path: Path) -> None:
    out = tmp_path / "page.html"
    out.write_text(_page(), encoding="utf-8")
    with browser_page() as pg:
        pg.goto(out.as_uri())
        assert pg.locator('[tabindex="0"][data-stage]').count() == 2
        pg.keyboard.press("Tab")
        pg.keyboard.press("Tab")
        pg.keyboard.press("Enter")
        ids = pg.locator("#sf-deals-body tr").evaluate_all("rs => rs.map(r => r.dataset.deal)")
        assert ids == ["d2"]
        assert pg.get_attribute('[data-stage="0"]', "aria-label") == "A: Calls: list 3 deals"
        one = pg.get_attribute('[data-stage="1"]', "aria-label")  # one deal: singular
        assert one is not None
        assert one.endswith(": list 1 deal"), one


def test_deals_panel_sorts_by_column_and_marks_the_stage(tmp_path: Path) -> None:
    out = tmp_path / "page.html"
    out.write_text(_page(), encoding="utf-8")
    with browser_page() as pg:
        pg.goto(out.as_uri())
        pg.click('[data-stage="0"]', position={"x": 10, "y": 10})
        assert pg.locator(".sf-selected").count() == 1
        assert pg.get_attribute(".sf-selected", "data-stage") == "0"

        def ids() -> list[str]:
            return pg.locator("#sf-deals-body tr").evaluate_all("rs => rs.map(r => r.dataset.deal)")

        amount = pg.locator("#sf-deals thead th").nth(2)
        amount.click()
        assert ids() == ["d1", "d2", "d3"]  # 10, 20, then the unknown amount last
        assert amount.get_attribute("aria-sort") == "ascending"
        amount.click()
        assert ids() == ["d2", "d1", "d3"]  # unknown stays last when descending
        owner = pg.locator("#sf-deals thead th").nth(1)
        owner.focus()
        pg.keyboard.press("Enter")
        assert ids()[0] == "d2"  # the browser's collation puts "<b>Bob</b>" before "Ann"
        pg.click('[data-stage="1"]')
        assert pg.get_attribute(".sf-selected", "data-stage") == "1"
        assert pg.locator(".sf-selected").count() == 1
        pg.click("#sf-deals-close")
        assert pg.locator(".sf-selected").count() == 0


def test_json_script_keeps_a_lone_surrogate_as_an_escape() -> None:
    # json.dumps(ensure_ascii=False) kept it raw: the page could not be written as UTF-8
    block = json_script("x", {"deal\ud800": ["id\udfff"]})
    block.encode("utf-8")
    assert "\\ud800" in block
    inner = block[block.index(">") + 1 : block.rindex("</script>")]
    assert json.loads(inner) == {"deal\ud800": ["id\udfff"]}

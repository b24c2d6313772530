"""The report's embedded deals (compact, paged), its per-owner captions and number format."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from salesfunnel import DealLog, Pipeline, build_report
from salesfunnel.output.html import compact_deals, expand_deals, page

from browser import browser_page

P = Pipeline(["Call", "Offer"], won="Won", lost="Lost")

# Deal lists over a small id alphabet, so that stages share ids as they do in a report.
_ids = st.lists(st.sampled_from([f"D{i}" for i in range(12)] + ["7", "<b>"]), unique=True)
_record = st.fixed_dictionaries(
    {
        "owner": st.sampled_from(["Ann", "Bob", None]),
        "amount": st.one_of(st.none(), st.integers(0, 10**6), st.sampled_from(["1,930.76"])),
        "first": st.sampled_from(["2024-01-01", "\u2014", "2024-01-01 09:00:00", " x", "a  b "]),
        "last": st.one_of(
            st.sampled_from(["2024-02-01 10:00:00", "2024-03-01 10:00:00", "2024-03-01 11:00"]),
            st.text(alphabet=" ab", max_size=4),
        ),
        "status": st.sampled_from(["Won", "Lost", "open: Call"]),
    }
)


@given(
    st.dictionaries(st.sampled_from(["c|0|0", "c|0|1", "c||0", "d|1|2"]), _ids),
    st.dictionaries(st.sampled_from([f"D{i}" for i in range(14)]), _record),
)
def test_compact_deals_round_trip(
    lists: dict[str, list[str]], deals: dict[str, dict[str, object]]
) -> None:
    stage_deals = {k: {"title": f"t {k}", "ids": v} for k, v in lists.items()}
    index, data = compact_deals(stage_deals, deals)
    assert expand_deals(index, data) == (stage_deals, deals)
    assert {k: e["n"] for k, e in index["stages"].items()} == {k: len(v) for k, v in lists.items()}
    # Every deal once in the table, however many stages list it.
    assert len(data["deals"]["id"]) == len(set(deals) | {i for v in lists.values() for i in v})


def test_compact_deals_worked_example() -> None:
    stage_deals = {
        "c|0|0": {"title": "Calls", "ids": ["a", "b", "c", "d"]},
        "c|0|1": {"title": "Paid", "ids": ["b", "d"]},
        "c||1": {"title": "all: Paid", "ids": ["d", "b"]},
    }
    rec = {"owner": "Ann", "amount": 5, "first": "x", "last": "y", "status": "Won"}
    deals = {k: dict(rec, amount=n) for n, k in enumerate("abcd")}
    index, data = compact_deals(stage_deals, deals)
    assert data["rows"] == {"c|0|0": [0, 1, 1, 1], "c|0|1": [1, 2], "c||1": [3, -2]}
    assert data["deals"]["id"] == ["a", "b", "c", "d"]
    assert data["deals"]["owner"] == {"codes": [0, 0, 0, 0], "values": ["Ann"]}
    assert data["deals"]["amount"] == [0, 1, 2, 3]  # no repeats: a plain list is shorter
    assert index == {
        "stages": {
            "c|0|0": {"title": "Calls", "n": 4},
            "c|0|1": {"title": "Paid", "n": 2},
            "c||1": {"title": "all: Paid", "n": 2},
        }
    }


def test_timestamps_are_cut_into_day_and_time_columns() -> None:
    days = ["2024-01-01", "2024-01-02"]
    times = ["09:00:00", "10:30:00", "11:00:00"]
    stamps = [f"{days[k % 2]} {times[k % 3]}" for k in range(12)] + ["\u2014"]
    deals = {f"d{k}": {"first": t} for k, t in enumerate(stamps)}
    _, data = compact_deals({"c|0|0": {"title": "x", "ids": list(deals)}}, deals)
    heads, tails = data["deals"]["first"]["split"]
    assert heads == {"codes": [0, 1] * 6 + [2], "values": [*days, "\u2014"]}
    assert tails == {"codes": [0, 1, 2] * 4 + [None], "values": times}
    back = expand_deals({"stages": {"c|0|0": {"title": "x", "n": 13}}}, data)[1]
    assert [r["first"] for r in back.values()] == stamps


def _owners_log(sizes: dict[str, int]) -> DealLog:
    """Each owner with ``n`` deals, all won (so each funnel is ``[n, n]``)."""
    rows = []
    for owner, n in sizes.items():
        for k in range(n):
            deal = f"{owner}{k}"
            rows += [
                {"deal": deal, "stage": "Call", "time": "2024-01-02", "owner": owner},
                {"deal": deal, "stage": "Offer", "time": "2024-01-03", "owner": owner},
                {"deal": deal, "stage": "Won", "time": "2024-01-04", "owner": owner},
            ]
    return DealLog.from_records(rows, P, owner="owner")


def _captions(html: str) -> list[str]:
    found = re.findall(
        r'data-chart="owners-closed-\d+".*?<figcaption>(.*?)</figcaption>', html, flags=re.S
    )
    return [str(c) for c in found]


def _first_rim_widths(html: str) -> list[dict[int, float]]:
    """Per owner chart: each funnel's first-stage rim width, read from its image map."""
    pages = html.split('data-chart="owners-closed-')[1:]
    widths = []
    for chart in pages:
        areas = re.findall(
            r'<area shape="poly" coords="([^"]+)"[^>]*data-part="rim" data-funnel="(\d+)" '
            r'data-stage="0"',
            chart.split("</figure>")[0],
        )
        found = {}
        for coords, j in areas:
            xs = [float(v) for v in coords.split(",")[::2]]
            found[int(j)] = max(xs) - min(xs)
        widths.append(found)
    return widths


def test_owner_charts_share_one_scale_across_pages() -> None:
    # Page 1 holds Ann..Dan (widest stage 4 deals), page 2 Eve (6 deals). Both pages are
    # drawn against Eve's 6, so Dan (4 deals, page 1) is 4/6 as wide as Eve (page 2);
    # each page used to have its own scale and drew Dan exactly as wide as Eve.
    log = _owners_log({"Ann": 1, "Bob": 2, "Cid": 3, "Dan": 4, "Eve": 6})
    html = build_report(log, owners_per_chart=4)
    first, second = _captions(html)
    for c in (first, second):
        assert "all 2 charts on one shared scale" in c
        assert "6 deals, is drawn full width" in c
        assert "its own" not in c
    page_1, page_2 = _first_rim_widths(html)
    dan, eve = page_1[3], page_2[0]
    # image-map areas are whole pixels, grown outwards: a pixel or two of slack
    assert dan == pytest.approx(eve * 4 / 6, abs=3)
    assert page_1[1] == pytest.approx(eve * 2 / 6, abs=3)  # Bob
    (alone,) = _captions(build_report(log, owners_per_chart=5))
    assert "all on one shared scale." in alone


def test_counts_of_a_thousand_and_more_have_one_format() -> None:
    # 1,200 won and 1,000 lost deals: the caption, the cards and the tables all print them
    # with a thousands separator (the caption and the card said "1200 won").
    rows = []
    for k in range(2200):
        end = "Won" if k < 1200 else "Lost"
        rows += [
            {"deal": f"D{k}", "stage": "Call", "time": "2024-01-02", "owner": "Ann"},
            {"deal": f"D{k}", "stage": end, "time": "2024-01-04", "owner": "Ann"},
        ]
    html = build_report(DealLog.from_records(rows, P, owner="owner"))
    visible = re.sub(r"<script.*?</script>|<style.*?</style>|<[^>]+>", " ", html, flags=re.S)
    assert "1,200 won, 1,000 lost" in visible
    bare = re.findall(r"(?<![\d,.:\-])\d{4,}(?![\d\-:])", visible)
    assert bare == []


def test_deals_panel_shows_a_page_of_100_rows_at_a_time(tmp_path: Path) -> None:
    ids = [f"d{k:03d}" for k in range(250)]
    stages = {
        "c1|A|0": {"title": "A: Calls", "ids": ids},
        "c1|A|1": {"title": "A: Paid", "ids": ids[:3]},
    }
    deals = {
        i: {
            "owner": "Ann",
            "amount": k,
            "first": f"2026-01-0{k % 9 + 1} 10:{k % 60:02d}:00",  # stored cut at the space
            "last": "x",
            "status": "won",
        }
        for k, i in enumerate(ids)
    }
    body = (
        '<figure data-chart="c1"><svg xmlns="http://www.w3.org/2000/svg" width="200" '
        'height="100"><rect data-funnel="A" data-stage="0" x="0" y="0" width="200" '
        'height="50"/><rect data-funnel="A" data-stage="1" x="0" y="50" width="200" '
        'height="50"/></svg></figure>'
    )
    out = tmp_path / "page.html"
    out.write_text(page("t", body, stages, deals), encoding="utf-8")

    def listed() -> list[str]:
        rows: list[str] = pg.locator("#sf-deals-body tr").evaluate_all(
            "rs => rs.map(r => r.dataset.deal)"
        )
        return rows

    with browser_page() as pg:
        pg.goto(out.as_uri())
        pg.click('[data-stage="0"]')
        assert listed() == ids[:100]
        assert pg.inner_text("#sf-deals-title") == "A: Calls: 250 deals"
        assert pg.inner_text("#sf-deals-where") == "1\u2013100 of 250"
        assert not pg.is_enabled("#sf-deals-prev")
        pg.click("#sf-deals-next")
        assert listed() == ids[100:200]
        cells = pg.locator("#sf-deals-body tr").first.locator("td").all_inner_texts()
        assert cells == ["d100", "Ann", "100", "2026-01-02 10:40:00", "x", "won"]
        pg.click("#sf-deals-next")
        assert listed() == ids[200:]
        assert pg.inner_text("#sf-deals-where") == "201\u2013250 of 250"
        assert not pg.is_enabled("#sf-deals-next")
        pg.click("#sf-deals-prev")
        assert listed() == ids[100:200]
        # Sorting sorts every row, then shows the first page again.
        amount = pg.locator("#sf-deals thead th").nth(2)
        amount.click()
        amount.click()  # descending
        assert listed() == ids[::-1][:100]
        # A short list has no pager.
        pg.click('[data-stage="1"]')
        assert listed() == ids[:3]
        assert not pg.is_visible("#sf-deals-pager")

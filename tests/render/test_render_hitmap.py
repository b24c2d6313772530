"""Click-through decoding: hit_test, hit_test_many, hit_mask, regions and image maps."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import parse_qs, quote, urlsplit

import numpy as np
import pytest

from render_helpers import GOLDEN, REGEN, mask_text
from salesfunnel import Funnel, FunnelChart, FunnelDataError, Stage, Style

BARE = Style(show_labels=False, show_title=False, show_legend=False)
TINY = Style(show_labels=False, show_title=False, show_legend=False, margin=1, tilt=0.3)


@pytest.mark.parametrize(
    ("name", "counts"),
    [
        ("three", {"A": 100, "B": 60, "C": 20}),
        ("zero", {"A": 100, "B": 0, "C": 40}),
        ("grows", {"A": 30, "B": 100, "C": 10}),
    ],
)
def test_small_hit_mask_text_goldens(name: str, counts: dict[str, int]) -> None:
    """One character per pixel; regenerate with SALESFUNNEL_REGEN_GOLDENS=1 and review the diff."""
    chart = FunnelChart(Funnel.from_counts(counts), width=40, height=24, style=TINY)
    text = mask_text(chart)
    path = GOLDEN / f"hitmask-{name}.txt"
    if REGEN:
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_hit_test_returns_the_stage_payload_and_metrics() -> None:
    deals = ["deal-1", "deal-7"]
    funnel = Funnel((Stage("Calls", 200), Stage("Meetings", 40, data=deals), Stage("Paid", 10)))
    chart = FunnelChart({"Ann": funnel}, width=400, height=300, style=BARE)
    region = next(r for r in chart.regions if r.stage == 1 and r.part == "side")
    x0, y0, x1, y1 = region.bounds
    hit = chart.hit_test((x0 + x1) / 2, (y0 + y1) / 2)
    assert hit is not None
    assert hit.funnel == "Ann"
    assert (hit.stage, hit.name, hit.part) == (1, "Meetings", "side")
    assert hit.data is deals
    assert hit.metrics is not None
    assert hit.metrics.step_conversion == pytest.approx(0.2)
    assert chart.hit_test(-1, 5) is None
    assert chart.hit_test(400, 5) is None
    assert chart.hit_test(1, 1) is None


def test_labels_legend_and_headings_decode() -> None:
    funnels = {
        "Ann": Funnel.from_counts({"Calls": 120, "Offers": 40}),
        "Bob": Funnel.from_counts({"Calls": 200, "Offers": 45}),
    }
    chart = FunnelChart(funnels, width=600, height=400)
    mask = chart.hit_mask()
    for region in chart.regions:
        ys, xs = np.nonzero(mask == region.id)
        if region.part == "rim" and not len(xs):
            continue  # a narrower stage's rim is hidden behind the stage above it
        assert len(xs), region
        hit = chart.hit_test(xs[len(xs) // 2] + 0.5, ys[len(ys) // 2] + 0.5)
        assert hit is not None
        assert hit.region.id == region.id
        if region.part == "legend":
            assert hit.funnel is None
            assert hit.name in ("Calls", "Offers")
        elif region.part == "heading":
            assert hit.funnel in funnels
            assert hit.stage is None
        else:
            assert hit.funnel in funnels
            assert hit.name in ("Calls", "Offers")
    parts = {r.part for r in chart.regions}
    assert parts == {"rim", "side", "label", "legend", "heading"}


def test_hit_test_many_matches_hit_test_and_handles_outside_points() -> None:
    chart = FunnelChart(Funnel.from_counts({"A": 100, "B": 60, "C": 20}), width=300, height=200)
    rng = np.random.default_rng(0)
    xs = rng.uniform(-20, 320, 2000)
    ys = rng.uniform(-20, 220, 2000)
    ids = chart.hit_test_many(xs, ys)
    assert ids.dtype == np.int32
    for x, y, rid in zip(xs[:300], ys[:300], ids[:300], strict=True):
        hit = chart.hit_test(float(x), float(y))
        assert (hit.region.id if hit else -1) == rid
    outside = (xs < 0) | (xs >= 300) | (ys < 0) | (ys >= 200)
    assert (ids[outside] == -1).all()


def test_hit_mask_is_int32_read_only_and_matches_scale() -> None:
    chart = FunnelChart(Funnel.from_counts({"A": 10}), width=100, height=80, scale=2)
    mask = chart.hit_mask()
    assert mask.dtype == np.int32
    assert mask.shape == (160, 200)
    assert not mask.flags.writeable
    assert mask.min() == -1
    region = chart.regions[int(mask.max())]
    one = FunnelChart(Funnel.from_counts({"A": 10}), width=100, height=80).regions[region.id]
    assert region.bounds == pytest.approx(tuple(2 * v for v in one.bounds))


class _Areas(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.areas: list[dict[str, str | None]] = []
        self.maps: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "area":
            self.areas.append(dict(attrs))
        elif tag == "map":
            self.maps.append(dict(attrs).get("name"))


def test_image_map_has_one_poly_area_per_region_with_label_text() -> None:
    chart = FunnelChart(Funnel.from_counts({"Calls": 200, "Paid": 10}), width=300, height=200)
    parser = _Areas()
    parser.feed(chart.image_map("funnel", href="/stage/{stage}"))
    assert parser.maps == ["funnel"]
    assert len(parser.areas) == len(chart.regions)
    for area in parser.areas:
        assert area["shape"] == "poly"
        coords = (area["coords"] or "").split(",")
        assert len(coords) >= 6
        assert len(coords) % 2 == 0
        assert area["alt"] == area["title"]
        assert area["href"] == f"/stage/{area['data-stage']}"
    texts = {a["title"] for a in parser.areas}
    assert "Paid, 10, 5.0% of first \u00b7 5.0% of previous" in texts
    # topmost parts first, so browsers (first match wins) agree with the mask
    assert parser.areas[0]["data-part"] == "label"


def test_image_map_href_function_and_escaping() -> None:
    f = Funnel.from_counts({'<b onclick="x">': 5})
    html = FunnelChart(f, width=200, height=150).image_map('m"', href=lambda r: f"?p={r.part}&q=<>")
    assert "<b" not in html.replace("<area", "").replace("<map", "")
    assert 'name="m&quot;"' in html
    assert "?p=side&amp;q=&lt;&gt;" in html


@pytest.mark.parametrize("key", ["Ann & Bo", "<x>", "Ζωή Петров", "a/b?c=d#e f"])
def test_image_map_href_template_percent_encodes_substituted_values(key: str) -> None:
    """Values go into the URL percent-encoded; a region without funnel or stage gets ''."""
    same = {"Calls": 100, "Paid": 10}
    chart = FunnelChart(
        {key: Funnel.from_counts(same), "Other": Funnel.from_counts(same)}, width=600, height=400
    )
    html = chart.image_map("m", href="/d?funnel={funnel}&stage={stage}&part={part}")
    parser = _Areas()
    parser.feed(html)  # HTMLParser unescapes attribute values: what a browser follows
    assert "None" not in html
    encoded = quote(key, safe="")
    assert encoded.isascii()
    parts = set()
    for area in parser.areas:
        part = area["data-part"]
        parts.add(part)
        funnel = {"0": encoded, "1": "Other", None: ""}[area.get("data-funnel")]
        stage = area.get("data-stage") or ""
        assert area["href"] == f"/d?funnel={funnel}&stage={stage}&part={part}"
        query = parse_qs(urlsplit(area["href"] or "").query, keep_blank_values=True)
        expected_funnel = {"0": key, "1": "Other", None: ""}[area.get("data-funnel")]
        assert query["funnel"] == [expected_funnel]
        assert query["stage"] == [stage]
    assert {"legend", "heading", "side"} <= parts


def test_hit_and_region_reprs_are_short_and_keep_the_data() -> None:
    deals = [f"deal-{i}" for i in range(500)]
    funnel = Funnel(
        (Stage("Calls", 200), Stage("Offers with a long stage name", 40, data=deals)),
        name="Ann",
    )
    chart = FunnelChart({"Ann": funnel, "B" * 200: funnel}, width=600, height=400)
    region = next(r for r in chart.regions if r.stage == 1 and r.part == "side")
    x0, y0, x1, y1 = region.bounds
    hit = chart.hit_test((x0 + x1) / 2, (y0 + y1) / 2)
    assert hit is not None
    assert (
        repr(hit) == "Hit(funnel='Ann', stage=1, name='Offers with a long stage name', part='side')"
    )
    assert repr(region) == f"Region(id={region.id}, funnel='Ann', stage=1, part='side')"
    # Everything is still there, as attributes.
    assert hit.region is region
    assert hit.data is deals
    assert hit.metrics is not None
    assert hit.metrics.count == 40
    assert region.text.startswith("Offers with a long stage name, 40")
    assert len(region.polygon) > 4
    for r in chart.regions:
        assert len(repr(r)) <= 100, repr(r)
        cx, cy = (r.bounds[0] + r.bounds[2]) / 2, (r.bounds[1] + r.bounds[3]) / 2
        h = chart.hit_test(cx, cy)
        if h is not None:
            assert len(repr(h)) <= 140, repr(h)
            assert "\n" not in repr(h)


def test_image_map_in_layout_pixels_for_a_sharp_png() -> None:
    funnels = {
        "Ann": Funnel.from_counts({"A": 90, "B": 40}),
        "Bo": Funnel.from_counts({"A": 70, "B": 50}),
    }
    plain = FunnelChart(funnels, width=300, height=200)
    sharp = FunnelChart(funnels, width=300, height=200, scale=2)
    # scale multiplies pixels, not layout: layout pixels are the scale-1 chart's pixels
    assert sharp.image_map("m", pixels="layout") == plain.image_map("m")
    assert sharp.image_map("m") != plain.image_map("m")
    # output pixels of the sharp PNG are twice the layout's
    first = sharp.regions[0].polygon[0]
    assert first == (plain.regions[0].polygon[0][0] * 2, plain.regions[0].polygon[0][1] * 2)


def test_image_map_rejects_unknown_pixels() -> None:
    chart = FunnelChart(Funnel.from_counts({"A": 2, "B": 1}), width=200, height=150)
    with pytest.raises(
        FunnelDataError, match=r"pixels must be one of 'output', 'layout' \(got 'css'\)"
    ):
        chart.image_map("m", pixels="css")

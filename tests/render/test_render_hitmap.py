"""Click-through decoding: hit_test, hit_test_many, hit_mask, regions and image maps."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Literal
from urllib.parse import parse_qs, quote, urlsplit

import numpy as np
import pytest

from salesfunnel import Funnel, FunnelChart, FunnelDataError, Stage, Style
from salesfunnel.datasets import three_managers
from salesfunnel.render.shapes import Ellipse, HitArea, Layer, Line, Rect, Side

from render_helpers import check_golden_text, mask_text, uniform_interior

BARE = Style(show_labels=False, show_title=False, show_legend=False)
SIX = Funnel.from_counts(
    {"Calls": 200, "Meetings": 60, "Presentations": 45, "Offers": 30, "Contracts": 14, "Paid": 10}
)
TINY = Style(show_labels=False, show_title=False, show_legend=False, margin=1, tilt=0.3)


@pytest.mark.parametrize(
    ("name", "counts", "shape"),
    [
        ("three", {"A": 100, "B": 60, "C": 20}, None),
        ("zero", {"A": 100, "B": 0, "C": 40}, None),
        ("grows", {"A": 30, "B": 100, "C": 10}, "funnel"),
        ("bars", {"A": 30, "B": 100, "C": 10}, None),  # growing counts: bars by default
    ],
)
def test_small_hit_mask_text_goldens(
    name: str, counts: dict[str, int], shape: Literal["funnel", "bars"] | None
) -> None:
    """One character per pixel; regenerate with SALESFUNNEL_REGEN_GOLDENS=1 and review the diff."""
    chart = FunnelChart(Funnel.from_counts(counts), width=40, height=24, style=TINY, shape=shape)
    check_golden_text(mask_text(chart), f"hitmask-{name}")


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


# -- hit_test and hit_mask against the geometry, computed here without the mask ------


def _in_polygon(poly: list[tuple[float, float]], x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Even-odd rule: a ray to the right of each point crosses the outline an odd number of times."""
    inside = np.zeros(x.shape, dtype=bool)
    for (ax, ay), (bx, by) in zip(poly, poly[1:] + poly[:1], strict=True):
        crosses = (ay > y) != (by > y)
        with np.errstate(divide="ignore", invalid="ignore"):
            at = ax + (y - ay) * (bx - ax) / (by - ay)
        inside ^= crosses & (x < at)
    return inside


def _in_ellipse(e: Ellipse, x: np.ndarray, y: np.ndarray, grow: float = 0.0) -> np.ndarray:
    rx, ry = e.rx + grow, e.ry + grow
    if rx <= 0 or ry <= 0:
        return np.zeros(x.shape, dtype=bool)
    inside = ((x - e.cx) / rx) ** 2 + ((y - e.cy) / ry) ** 2 <= 1.0
    return inside & (y >= e.cy) if e.front else inside


def _side_outline(s: Side, n: int = 120) -> list[tuple[float, float]]:
    """The side as a fine polygon: its straight edges, the bottom ellipse's front arc and,
    back across the top, the front arc of the top ellipse between the start points."""
    sx, sy = s.start
    pts = [(s.cx - sx, sy)]
    for a in np.linspace(np.pi, 0.0, n):
        pts.append((s.cx + s.r1 * np.cos(a), s.y1 + s.b1 * np.sin(a)))
    pts.append((s.cx + sx, sy))
    a0 = float(np.arccos(min(1.0, sx / s.r0))) if s.r0 > 0 else 0.0
    for a in np.linspace(a0, np.pi - a0, n):
        pts.append((s.cx + s.r0 * np.cos(a), s.y0 + s.b0 * np.sin(a)))
    return [(float(px), float(py)) for px, py in pts]


def _near_segment(line: Line, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    dx, dy = line.x1 - line.x0, line.y1 - line.y0
    t = np.clip(((x - line.x0) * dx + (y - line.y0) * dy) / max(dx * dx + dy * dy, 1e-12), 0, 1)
    return np.hypot(x - line.x0 - t * dx, y - line.y0 - t * dy) <= line.stroke_width / 2


def _geometry_regions(chart: FunnelChart, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The region over each output-pixel point, from the shapes alone: layer by layer, in
    order, each shape claims the points inside it (text through its label box)."""
    s = chart.size[0] / chart.geometry.width
    lx, ly = x / s, y / s
    out = np.full(x.shape, -1)
    for layer in Layer:
        for shape in chart.geometry.shapes_in(layer):
            p, rid = shape.primitive, shape.region
            if rid is None:
                continue
            if isinstance(p, Ellipse):
                if p.fill is not None:
                    out[_in_ellipse(p, lx, ly)] = rid
                if p.stroke is not None:
                    w = p.stroke_width / 2
                    ring = _in_ellipse(p, lx, ly, w) & ~_in_ellipse(p, lx, ly, -w)
                    out[ring] = rid
            elif isinstance(p, Side):
                out[_in_polygon(_side_outline(p), lx, ly)] = rid
            elif isinstance(p, (Rect, HitArea)):
                out[(lx >= p.x0) & (lx < p.x1) & (ly >= p.y0) & (ly < p.y1)] = rid
            elif isinstance(p, Line):
                out[_near_segment(p, lx, ly)] = rid
    return out


def _stage_keys(chart: FunnelChart, ids: np.ndarray) -> np.ndarray:
    """Region ids -> one integer per (funnel, stage, part family); background -2."""
    keys = [
        (-1 if r.funnel_index is None else r.funnel_index) * 1000
        + (999 if r.stage is None else r.stage)
        + (500_000 if r.part in ("label", "legend", "heading") else 0)
        for r in chart.regions
    ]
    return np.array([*keys, -2])[ids]


HIT_CHARTS = {
    "managers": lambda: FunnelChart(three_managers(), width=800, height=420),
    "managers-bare-2x": lambda: FunnelChart(three_managers(), style=BARE, scale=2),
    "zero-and-tiny": lambda: FunnelChart(
        Funnel.from_counts({"Calls": 1000, "Zero": 0, "Tiny": 1, "Paid": 40}),
        width=400,
        height=300,
        min_visible=0.2,
    ),
    "grows": lambda: FunnelChart(
        Funnel.from_counts({"Visits": 100, "Sign-ups": 140, "Trials": 60}), width=400, height=300
    ),
}


@pytest.mark.parametrize("name", sorted(HIT_CHARTS))
def test_hit_test_and_hit_mask_agree_with_the_geometry_away_from_edges(name: str) -> None:
    """Sampled points decode to the stage whose shapes contain them; a disagreement is
    allowed only where the geometry itself changes within 1 px of the point."""
    chart = HIT_CHARTS[name]()
    w, h = chart.size
    rng = np.random.default_rng(9)
    x, y = rng.uniform(0, w, 6000), rng.uniform(0, h, 6000)
    expected = _stage_keys(chart, _geometry_regions(chart, x, y))
    near_edge = np.zeros(x.shape, dtype=bool)
    for a in np.linspace(0, 2 * np.pi, 8, endpoint=False):
        moved = _geometry_regions(chart, x + np.cos(a), y + np.sin(a))
        near_edge |= _stage_keys(chart, moved) != expected
    mask = chart.hit_mask()
    from_mask = _stage_keys(chart, mask[y.astype(int), x.astype(int)])
    wrong = (from_mask != expected) & ~near_edge
    assert not wrong.any(), list(zip(x[wrong][:5], y[wrong][:5], strict=True))
    # hit_test on every 10th point (one call per point: the public path)
    for i in range(0, len(x), 10):
        hit = chart.hit_test(float(x[i]), float(y[i]))
        got = _stage_keys(chart, np.array([hit.region.id if hit else -1]))[0]
        assert got == expected[i] or near_edge[i], (x[i], y[i], hit)
    # not vacuous: most points are away from edges, and every stage drawn over at
    # least 1% of the canvas is sampled there
    assert (~near_edge).mean() > 0.8
    ids, counts = np.unique(mask, return_counts=True)
    big = {
        int(k)
        for k, n in zip(_stage_keys(chart, ids), counts, strict=True)
        if 0 <= k < 500_000 and n >= mask.size / 100
    }
    assert len(big) >= 3
    assert big <= set(expected[~near_edge].tolist())


# -- the image map against the hit mask ---------------------------------------------


def _area_stages(chart: FunnelChart) -> np.ndarray:
    """Per pixel, the (funnel, stage) of the first <area> holding its centre, as a browser
    picks it from the image map's HTML (-1, -1 where none does), as one integer."""
    parser = _Areas()
    parser.feed(chart.image_map("m"))
    h, w = chart.hit_mask().shape
    out = np.full((h, w), -1_001)
    taken = np.zeros((h, w), dtype=bool)
    for area in parser.areas:
        c = [int(v) for v in (area["coords"] or "").split(",")]
        poly = [(float(x), float(y)) for x, y in zip(c[::2], c[1::2], strict=True)]
        x0, y0 = max(0, min(c[::2])), max(0, min(c[1::2]))
        x1, y1 = min(w, max(c[::2]) + 1), min(h, max(c[1::2]) + 1)
        if x1 <= x0 or y1 <= y0:
            continue
        ys, xs = np.mgrid[y0:y1, x0:x1] + 0.5
        hit = _in_polygon(poly, xs, ys) & ~taken[y0:y1, x0:x1]
        key = int(area.get("data-funnel") or -1) * 1000 + int(area.get("data-stage") or -1)
        out[y0:y1, x0:x1][hit] = key
        taken[y0:y1, x0:x1] |= hit
    return out


def _mask_stages(chart: FunnelChart) -> np.ndarray:
    keys = [
        (-1 if r.funnel_index is None else r.funnel_index) * 1000
        + (-1 if r.stage is None else r.stage)
        for r in chart.regions
    ]
    return np.array([*keys, -1_001])[chart.hit_mask()]


IMAGE_MAP_CHARTS = {
    "managers": lambda: FunnelChart(
        three_managers(), width=800, height=420, title="Three managers, one scale"
    ),
    "six": lambda: FunnelChart(SIX, width=640, height=480, title="Six stages"),
    "managers-2x": lambda: FunnelChart(three_managers(), scale=2),
}


@pytest.mark.parametrize(
    ("name", "reach", "most"),
    [
        # measured: 656 of 336,000, 329 of 307,200 and 6,128 of 1,920,000 pixels
        ("managers", 1, 700),
        ("six", 1, 400),
        # output pixels of a scale=2 PNG: strokes twice as wide, so within 2 px
        ("managers-2x", 2, 6500),
    ],
)
def test_image_map_areas_decode_like_the_mask_near_edges_only(
    name: str, reach: int, most: int
) -> None:
    """Every pixel of the chart, decoded through the image map's integer coords (first
    area wins) and through the hit mask: they name the same funnel and stage except in
    pixels within ``reach`` px (8-neighbour steps) of a pixel of another stage or of the
    background."""
    chart = IMAGE_MAP_CHARTS[name]()
    mask = _mask_stages(chart)
    wrong = _area_stages(chart) != mask
    far = uniform_interior(mask)  # the 3 x 3 around is one stage: 2 px or more from an edge
    for _ in range(reach - 1):
        far &= uniform_interior(far)  # and so is the 3 x 3 around each of those
    bad = np.argwhere(wrong & far)
    assert not len(bad), (
        f"{len(bad)} pixels (y, x) beyond {reach} px of an edge: {bad[:5].tolist()}"
    )
    assert 0 < int(wrong.sum()) <= most
    assert mask.size > 300_000


@pytest.mark.parametrize("bad", ["1", None, True, [3]])
def test_hit_test_refuses_a_coordinate_that_is_not_a_number(bad: object) -> None:
    # "1" once decoded as pixel 1 (numpy converted the text), True as pixel 1.
    chart = FunnelChart(Funnel.from_counts({"A": 2, "B": 1}), width=200, height=150)
    with pytest.raises(TypeError, match=r"hit_test: x must be a number of pixels \(got "):
        chart.hit_test(bad, 60)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"hit_test: y must be"):
        chart.hit_test(60, bad)  # type: ignore[arg-type]
    assert chart.hit_test(np.float32(60.0), np.int64(60)) == chart.hit_test(60, 60)

"""SVG structure, determinism, escaping, and agreement of its gradients with the raster."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from salesfunnel import Funnel, FunnelChart, Stage
from salesfunnel.render.shapes import Gradient, Layer, Side
from salesfunnel.render.svg import GRADIENT_STOPS, escape

SVG = "{http://www.w3.org/2000/svg}"
SIX = Funnel.from_counts(
    {"Calls": 200, "Meetings": 60, "Presentations": 45, "Offers": 30, "Contracts": 14, "Paid": 10}
)


def _root(chart: FunnelChart) -> ET.Element:
    return ET.fromstring(chart.to_svg())


def test_document_is_accessible_svg_with_one_group_per_layer_in_paint_order() -> None:
    chart = FunnelChart(SIX, width=400, height=300, title="Q3 <pipeline>")
    root = _root(chart)
    assert root.tag == SVG + "svg"
    assert root.get("role") == "img"
    assert root.get("viewBox") == "0 0 400 300"
    title = root.find(SVG + "title")
    desc = root.find(SVG + "desc")
    assert title is not None
    assert title.text == "Q3 <pipeline>"
    assert desc is not None
    assert desc.text is not None
    # the description summarises stages, counts and conversions
    for piece in ("Calls, 200", "Paid, 10", "5.0% of first", "71.4% of previous"):
        assert piece in desc.text
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    groups = root.findall(SVG + "g")
    assert [g.get("data-layer") for g in groups] == [layer.value for layer in Layer]


def test_every_stage_element_names_funnel_stage_and_part_with_a_tooltip() -> None:
    root = _root(FunnelChart(SIX, width=400, height=300))
    parts = {"rim", "side", "label"}
    seen: set[tuple[str, str]] = set()
    for element in root.iter():
        part = element.get("data-part")
        if part in parts:
            assert element.get("data-funnel") == "0"
            stage = element.get("data-stage")
            assert stage is not None
            assert 0 <= int(stage) < 6
            seen.add((stage, part))
    assert {(str(i), "side") for i in range(6)} <= seen
    assert {(str(i), "rim") for i in range(6)} <= seen
    titled = [
        e for e in root.iter() if e.get("data-part") == "side" and e.find(SVG + "title") is not None
    ]
    assert {e.get("data-stage") for e in titled} == {str(i) for i in range(6)}
    tip = next(e for e in titled if e.get("data-stage") == "5").find(SVG + "title")
    assert tip is not None
    assert tip.text == "Paid, 10, 5.0% of first \u00b7 71.4% of previous"


def test_ids_carry_a_content_hash_prefix() -> None:
    a = FunnelChart(SIX, width=400, height=300).to_svg()
    b = FunnelChart(SIX, width=400, height=300).to_svg()
    c = FunnelChart(SIX, width=401, height=300).to_svg()
    ids_a = re.findall(r' id="([^"]+)"', a)
    prefixes = {i.split("-")[0] for i in ids_a}
    assert len(prefixes) == 1
    (prefix,) = prefixes
    assert re.fullmatch(r"sf[0-9a-f]{10}", prefix)
    assert a == b
    assert prefix not in c
    assert len(set(ids_a)) == len(ids_a)


def test_no_features_common_converters_ignore() -> None:
    svg = FunnelChart(SIX, width=400, height=300).to_svg()
    for feature in ("paint-order", "mix-blend-mode", "<filter", "<foreignObject", "<style"):
        assert feature not in svg


def test_attributes_are_sorted() -> None:
    svg = FunnelChart(SIX, width=400, height=300).to_svg()
    for tag in re.findall(r"<[a-zA-Z]+((?: [a-zA-Z:-]+=\"[^\"]*\")+)\s*/?>", svg):
        names = re.findall(r' ([a-zA-Z:-]+)="', tag)
        assert names == sorted(names), names


NASTY = [
    "<script>alert(1)</script>",
    "quote \" and ' apostrophe & amp",
    "end ]]> cdata",
    "bell\x07null\x00esc\x1b",
]


@pytest.mark.parametrize("name", NASTY)
def test_user_text_is_escaped_everywhere(name: str) -> None:
    funnel = Funnel((Stage(name, 10), Stage("ok", 5)), name=name)
    chart = FunnelChart({name: funnel, "other": funnel}, width=500, height=300, title=name)
    svg = chart.to_svg()
    root = ET.fromstring(svg)  # parses: nothing broke out of its element or attribute
    assert root.find(f".//{SVG}script") is None
    assert "<script" not in svg
    assert "]]>" not in svg
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", svg)
    texts = [t.text or "" for t in root.iter(SVG + "text")]
    shown = name.replace("\x07", "\ufffd").replace("\x00", "\ufffd").replace("\x1b", "\ufffd")
    assert any(shown in t or t.rstrip("\u2026") in shown for t in texts)
    html = chart.image_map("m", href="/deal?stage={stage}&x=<y>")
    assert "<script" not in html
    assert "&lt;y&gt;" in html
    assert "&amp;x=" in html


def test_escape_replaces_what_xml_cannot_carry() -> None:
    assert escape("\ufffe\uffff\x01") == "\ufffd\ufffd\ufffd"
    assert escape("tab\there") == "tab\there"  # kept: XML carries tabs (one rule, _format)


def test_gradient_stops_match_the_raster_ramp_within_a_few_levels() -> None:
    chart = FunnelChart(SIX, width=800, height=600)
    sides = [s.primitive for s in chart.geometry.shapes if isinstance(s.primitive, Side)]
    assert len(sides) == 6
    for side in sides:
        grad: Gradient = side.fill
        stops = grad.stops(GRADIENT_STOPS)
        offsets = np.array([o for o, _ in stops])
        colors = np.array([c for _, c in stops], dtype=np.float64)
        xs = np.linspace(grad.x0, grad.x1, 2000)
        t = (xs - grad.x0) / (grad.x1 - grad.x0)
        svg_rgb = np.stack([np.interp(t, offsets, colors[:, k]) for k in range(3)], axis=1)
        raster_rgb = grad.colors_at(xs).astype(np.float64)
        assert np.abs(svg_rgb - raster_rgb).max() <= 3.0


def test_scale_multiplies_svg_coordinates_not_layout() -> None:
    one = ET.fromstring(FunnelChart(SIX, width=300, height=200).to_svg())
    two = ET.fromstring(FunnelChart(SIX, width=300, height=200, scale=2).to_svg())
    assert two.get("viewBox") == "0 0 600 400"
    e1 = next(one.iter(SVG + "ellipse"))
    e2 = next(two.iter(SVG + "ellipse"))
    assert float(e2.get("rx", "0")) == pytest.approx(2 * float(e1.get("rx", "0")), abs=0.02)


def test_a_primitive_without_a_painter_method_is_an_error_not_skipped() -> None:
    import dataclasses

    from salesfunnel.render.paint import Painter, paint

    chart = FunnelChart(Funnel.from_counts({"A": 2, "B": 1}))

    @dataclasses.dataclass(frozen=True)
    class Star:
        x: float

    geometry = chart.geometry
    shape = dataclasses.replace(geometry.shapes[0], primitive=Star(1.0))
    odd = dataclasses.replace(geometry, shapes=(*geometry.shapes, shape))

    class Quiet(Painter):
        def ellipse(self, shape: object, region: int | None) -> None: ...
        def side(self, shape: object, region: int | None) -> None: ...
        def line(self, shape: object, region: int | None) -> None: ...
        def rect(self, shape: object, region: int | None) -> None: ...
        def text(self, shape: object, region: int | None) -> None: ...

    paint(geometry, Quiet())  # every kind the layout makes has a method
    with pytest.raises(TypeError, match="no Painter method for Star"):
        paint(odd, Quiet())

"""The SVG backend: the same geometry as the raster, as deterministic SVG text.

* attributes are written in sorted order and every number goes through
  :func:`num`, so the same geometry always gives the same bytes;
* ids start with a hash of the document's own content, so two charts on one
  page never clash and identical charts share ids harmlessly;
* each side is filled with a ``linearGradient`` whose stops are sampled from the
  same HSV ramp as the raster (denser near the edges, where the ramp bends);
* one ``<g>`` per layer in paint order; elements of a stage carry
  ``data-funnel``, ``data-stage`` and ``data-part`` and a ``<title>`` tooltip;
* all user text goes through :func:`~salesfunnel._format.escape_xml_text`:
  controls, lone surrogates, U+FFFE, U+FFFF and bidi controls become U+FFFD,
  then ``& < > " '`` are escaped.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

from .._format import escape_xml_text
from .paint import Painter, paint
from .shapes import (
    Ellipse,
    Geometry,
    Gradient,
    HitArea,
    Layer,
    Line,
    Rect,
    Region,
    Side,
    Text,
    output_size,
)
from .style import Color
from .text import FONT_FAMILY

__all__ = ["escape", "num", "render"]

_PREFIX = "\x00id"  # placeholder for the content-hash id prefix, replaced at the end
GRADIENT_STOPS = 33


def num(value: float, digits: int = 2) -> str:
    """The one number format of the SVG: at most ``digits`` decimals, no trailing zeros, no -0.

    >>> num(1.0), num(2.345), num(-0.001), num(10.5), num(0.0034, 4)
    ('1', '2.35', '0', '10.5', '0.0034')
    """
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


escape = escape_xml_text
"""XML-escape user text for element content (:func:`salesfunnel._format.escape_xml_text`)."""


@lru_cache(maxsize=1024)
def _hex(c: Color) -> str:
    return f"#{c[0]:02x}{c[1]:02x}{c[2]:02x}"


def _tag(name: str, attrs: dict[str, str], body: str | None = None) -> str:
    parts = "".join(f' {k}="{v}"' for k, v in sorted(attrs.items()))
    if body is None:
        return f"<{name}{parts}/>"
    return f"<{name}{parts}>{body}</{name}>"


class SvgPainter(Painter):
    """Collects SVG elements per layer."""

    def __init__(self, geometry: Geometry, scale: float, background: Color) -> None:
        self.scale = scale
        self.geometry = geometry
        self.background = background
        self.defs: list[str] = []
        self.body: list[str] = []
        self._gradients: dict[Gradient, str] = {}

    # -- helpers -------------------------------------------------------------
    def _region_attrs(self, region: int | None, *, tooltip: bool) -> tuple[dict[str, str], str]:
        if region is None:
            return {}, ""
        r: Region = self.geometry.regions[region]
        attrs = {"data-part": r.part}
        if r.funnel_index is not None:
            attrs["data-funnel"] = str(r.funnel_index)
        if r.stage is not None:
            attrs["data-stage"] = str(r.stage)
        title = f"<title>{escape(r.text)}</title>" if tooltip else ""
        return attrs, title

    def _paint_ref(self, fill: Color | Gradient) -> str:
        if not isinstance(fill, Gradient):
            return _hex(fill)
        gid = self._gradients.get(fill)
        if gid is None:
            gid = f"{_PREFIX}-g{len(self._gradients)}"
            self._gradients[fill] = gid
            stops = "".join(
                _tag("stop", {"offset": num(off, 4), "stop-color": _hex(c)})
                for off, c in fill.stops(GRADIENT_STOPS)
            )
            s = self.scale
            attrs = {
                "gradientUnits": "userSpaceOnUse",
                "id": gid,
                "x1": num(fill.x0 * s),
                "x2": num(fill.x1 * s),
                "y1": "0",
                "y2": "0",
            }
            self.defs.append(_tag("linearGradient", attrs, stops))
        return f"url(#{gid})"

    def _emit(
        self, name: str, attrs: dict[str, str], region: int | None, *, tooltip: bool = True
    ) -> None:
        extra, title = self._region_attrs(region, tooltip=tooltip)
        attrs.update(extra)
        self.body.append(_tag(name, attrs, title or None))

    # -- layers and primitives ------------------------------------------------
    def begin_layer(self, layer: Layer) -> None:
        self.body.append(f'<g data-layer="{layer.value}" id="{_PREFIX}-layer-{layer.value}">')

    def end_layer(self, layer: Layer) -> None:
        self.body.append("</g>")

    def ellipse(self, shape: Ellipse, region: int | None) -> None:
        s = self.scale
        cx, cy, rx, ry = shape.cx * s, shape.cy * s, shape.rx * s, shape.ry * s
        if rx <= 0 or ry <= 0:
            return
        half = f"M{num(cx - rx)} {num(cy)}A{num(rx)} {num(ry)} 0 0 0 {num(cx + rx)} {num(cy)}"
        if shape.fill is not None:
            fill = self._paint_ref(shape.fill)
            if shape.front:
                self._emit("path", {"d": half + "Z", "fill": fill}, region, tooltip=False)
            else:
                attrs = {"cx": num(cx), "cy": num(cy), "fill": fill, "rx": num(rx), "ry": num(ry)}
                self._emit("ellipse", attrs, region)
        if shape.stroke is not None and shape.stroke_width > 0:
            attrs = {
                "fill": "none",
                "stroke": _hex(shape.stroke),
                "stroke-width": num(shape.stroke_width * s),
            }
            if shape.dashed:
                attrs["stroke-dasharray"] = f"{num(4 * s)} {num(4 * s)}"
            if shape.front:
                attrs["d"] = half
                self._emit("path", attrs, region, tooltip=False)
            else:
                attrs.update(cx=num(cx), cy=num(cy), rx=num(rx), ry=num(ry))
                self._emit("ellipse", attrs, region, tooltip=False)

    def side(self, shape: Side, region: int | None) -> None:
        s = self.scale
        sx, sy = shape.start
        cx = shape.cx * s
        r0, b0, r1, b1 = shape.r0 * s, shape.b0 * s, shape.r1 * s, shape.b1 * s
        y1 = shape.y1 * s
        d = f"M{num(cx - sx * s)} {num(sy * s)}L{num(cx - r1)} {num(y1)}"
        if r1 > 0 and b1 > 0:
            d += f"A{num(r1)} {num(b1)} 0 0 0 {num(cx + r1)} {num(y1)}"
        else:
            d += f"L{num(cx + r1)} {num(y1)}"
        d += f"L{num(cx + sx * s)} {num(sy * s)}"
        if r0 > 0 and b0 > 0:
            d += f"A{num(r0)} {num(b0)} 0 0 1 {num(cx - sx * s)} {num(sy * s)}"
        self._emit("path", {"d": d + "Z", "fill": self._paint_ref(shape.fill)}, region)

    def line(self, shape: Line, region: int | None) -> None:
        s = self.scale
        attrs = {
            "stroke": _hex(shape.color),
            "stroke-width": num(shape.stroke_width * s),
            "x1": num(shape.x0 * s),
            "x2": num(shape.x1 * s),
            "y1": num(shape.y0 * s),
            "y2": num(shape.y1 * s),
        }
        if shape.dashed:
            attrs["stroke-dasharray"] = f"{num(4 * s)} {num(4 * s)}"
        self._emit("line", attrs, region, tooltip=False)

    def _box(self, shape: Rect | HitArea) -> dict[str, str]:
        s = self.scale
        return {
            "height": num((shape.y1 - shape.y0) * s),
            "width": num((shape.x1 - shape.x0) * s),
            "x": num(shape.x0 * s),
            "y": num(shape.y0 * s),
        }

    def rect(self, shape: Rect, region: int | None) -> None:
        self._emit("rect", {**self._box(shape), "fill": _hex(shape.fill)}, region)

    def hit_area(self, shape: HitArea, region: int | None) -> None:
        # Invisible but clickable, as in the raster hit map. (Not fill="transparent":
        # SVG 1.1 converters do not know that color.)
        attrs = {**self._box(shape), "fill": "#000", "fill-opacity": "0", "pointer-events": "all"}
        self._emit("rect", attrs, region)

    def text(self, shape: Text, region: int | None) -> None:
        s = self.scale
        attrs = {
            "fill": _hex(shape.color),
            "font-size": num(shape.size * s),
            "x": num(shape.x * s),
            "y": num(shape.y * s),
        }
        if shape.anchor == "middle":
            attrs["text-anchor"] = "middle"
        extra, _ = self._region_attrs(region, tooltip=False)
        attrs.update(extra)
        self.body.append(_tag("text", attrs, escape(shape.text)))


def render(geometry: Geometry, scale: float, background: Color, *, title: str, desc: str) -> str:
    """The whole SVG document for ``geometry``."""
    painter = SvgPainter(geometry, scale, background)
    paint(geometry, painter)
    w, h = output_size(geometry.width, geometry.height, scale)
    head = _tag(
        "svg",
        {
            "aria-labelledby": f"{_PREFIX}-title {_PREFIX}-desc",
            "font-family": f"{FONT_FAMILY}, Verdana, sans-serif",
            "height": str(h),
            "role": "img",
            "viewBox": f"0 0 {w} {h}",
            "width": str(w),
            "xmlns": "http://www.w3.org/2000/svg",
        },
    )[:-2]
    parts = [
        head + ">",
        _tag("title", {"id": f"{_PREFIX}-title"}, escape(title)),
        _tag("desc", {"id": f"{_PREFIX}-desc"}, escape(desc)),
        "<defs>" + "".join(painter.defs) + "</defs>",
        _tag(
            "rect",
            {"fill": _hex(background), "height": str(h), "width": str(w), "x": "0", "y": "0"},
        ),
        *painter.body,
        "</svg>\n",
    ]
    doc = "\n".join(parts)
    digest = hashlib.sha256(doc.encode("utf-8")).hexdigest()[:10]
    return doc.replace(_PREFIX, f"sf{digest}")

"""Slices: one stage's shapes, a slice of a cone (the funnel) or a flat bar.

:func:`~salesfunnel.render.layout.layout` works out where each stage goes
(:class:`_Slice`); the functions here turn a slice into its tagged shapes,
each in its paint layer. See the layout module's docstring for the layers.
"""

from __future__ import annotations

import math
from collections.abc import Hashable

from .builder import _Builder
from .shapes import Ellipse, Gradient, Layer, Line, Side
from .style import Style

__all__: list[str] = []


def _edge_exit(r0: float, r1: float, h: float, big_r: float, big_b: float) -> float:
    """Where the edge from (r0, 0) to (r1, h) leaves the ellipse (0, 0, big_r, big_b).

    Returned as the edge fraction t in [0, 1]; 0 when the edge starts outside.
    Everything is divided through by the radii first, so tiny radii cannot
    underflow.
    """
    if big_r <= 0 or big_b <= 0 or h <= 0 or r0 >= big_r:
        return 0.0
    a, d, hh = r0 / big_r, (r1 - r0) / big_r, h / big_b
    qa = d * d + hh * hh
    if not math.isfinite(qa) or qa == 0:
        return 0.0
    qb, qc = 2 * a * d, a * a - 1.0
    t = (-qb + math.sqrt(max(0.0, qb * qb - 4 * qa * qc))) / (2 * qa)
    return min(1.0, max(0.0, t))


def _own_exit(r0: float, r1: float, h: float, b0: float) -> float:
    """Where a narrowing edge leaves its own top ellipse (closed form of _edge_exit)."""
    if r0 <= 0 or b0 <= 0 or h <= 0 or r1 >= r0:
        return 0.0
    q, hb = (r0 - r1) / r0, h / b0
    den = q * q + hb * hb
    if not math.isfinite(den) or den == 0:
        return 0.0
    return min(1.0, 2 * q / den)


# A plain slotted class, not a dataclass: creating a dataclass costs about half a
# millisecond at import, and slices are never compared, hashed, printed or copied.


class _Slice:
    """One stage's slice of the cone: top ellipse (y0, r0, b0), bottom ellipse (y1, r1, b1)."""

    __slots__ = (
        "_outline",
        "_side",
        "b0",
        "b1",
        "bar",
        "boosted",
        "cx",
        "hue",
        "r0",
        "r1",
        "style",
        "y0",
        "y1",
    )

    def __init__(
        self,
        cx: float,
        y0: float,
        y1: float,
        r0: float,
        r1: float,
        b0: float,
        b1: float,
        hue: float,
        boosted: bool,
        style: Style,
        bar: bool = False,
    ) -> None:
        self.cx, self.y0, self.y1, self.r0, self.r1 = cx, y0, y1, r0, r1
        self.bar = bar
        self.b0, self.b1, self.hue, self.boosted, self.style = b0, b1, hue, boosted, style
        self._side: Side | None = None
        self._outline: tuple[tuple[float, float], ...] | None = None

    @property
    def gradient(self) -> Gradient:
        return Gradient(self.hue, self.cx - self.r0, self.cx + self.r0, self.style)

    @property
    def side(self) -> Side:
        """The side shape, made once (the hit target and the drawing share it)."""
        if self._side is None:
            t0 = _own_exit(self.r0, self.r1, self.y1 - self.y0, self.b0)
            self._side = Side(
                self.cx, self.y0, self.r0, self.b0, self.y1, self.r1, self.b1, self.gradient, t0
            )
        return self._side

    @property
    def outline(self) -> tuple[tuple[float, float], ...]:
        """The side's polygon (its region), worked out once."""
        if self._outline is None:
            self._outline = self.side.polygon()
        return self._outline


def _stage_shapes(
    b: _Builder,
    key: Hashable,
    j: int,
    i: int,
    sl: _Slice,
    above: _Slice | None,
    tip: str,
    style: Style,
) -> None:
    """The drawn shapes of one stage, each in its layer: the source's layered drawing."""
    cx, y0, y1, r0, r1, b0, b1 = sl.cx, sl.y0, sl.y1, sl.r0, sl.r1, sl.b0, sl.b1
    side = sl.side
    rid_rim = b.region(key, j, i, "rim", Ellipse(cx, y0, r0, b0).polygon(), tip)
    rid_side = b.region(key, j, i, "side", sl.outline, tip)
    if style.show_ellipses:
        b.add(Layer.ELLIPSE, rid_rim, Ellipse(cx, y0, r0, b0, fill=style.inner_color(sl.hue)))
    if style.show_rims and style.rim_width > 0:
        rim_color = style.stage_rim_color(sl.hue)
        rim = Ellipse(
            cx, y0, r0, b0, stroke=rim_color, stroke_width=style.rim_width, dashed=sl.boosted
        )
        b.add(Layer.RIM, rid_rim, rim)
    if style.show_sides:
        b.add(Layer.SIDE, rid_side, side)
    if style.show_covers:
        b.add(Layer.COVER, rid_side, Ellipse(cx, y1, r1, b1, fill=side.fill, front=True))
    if not (style.show_outline and style.outline_width > 0):
        return
    color, stroke_width = style.outline_color, style.outline_width
    # The edges start where they come out from behind the slice above (or from
    # behind this slice's own rim ellipse).
    t = side.t0
    if above is not None:
        t = max(t, _edge_exit(r0, r1, y1 - y0, above.r1, above.b1))
    if t < 1.0:
        ex, ey = r0 + (r1 - r0) * t, y0 + (y1 - y0) * t
        for sign in (-1.0, 1.0):
            x_top, x_bottom = cx + sign * ex, cx + sign * r1
            edge = Line(x_top, ey, x_bottom, y1, color, stroke_width, dashed=sl.boosted)
            b.add(Layer.OUTLINE, rid_side, edge)
    arc = Ellipse(
        cx, y1, r1, b1, stroke=color, stroke_width=stroke_width, dashed=sl.boosted, front=True
    )
    b.add(Layer.OUTLINE, rid_side, arc)


def _bar_shapes(
    b: _Builder, key: Hashable, j: int, i: int, sl: _Slice, tip: str, style: Style
) -> None:
    """A stage as a flat bar (``shape="bars"``): its shaded side and a plain outline."""
    rid = b.region(key, j, i, "side", sl.outline, tip)
    if style.show_sides:
        b.add(Layer.SIDE, rid, sl.side)
    if style.show_outline and style.outline_width > 0:
        x0, x1, y0, y1 = sl.cx - sl.r0, sl.cx + sl.r0, sl.y0, sl.y1
        color, w = style.outline_color, style.outline_width
        for xa, ya, xb, yb in (
            (x0, y0, x1, y0),
            (x1, y0, x1, y1),
            (x1, y1, x0, y1),
            (x0, y1, x0, y0),
        ):
            b.add(Layer.OUTLINE, rid, Line(xa, ya, xb, yb, color, w, dashed=sl.boosted))

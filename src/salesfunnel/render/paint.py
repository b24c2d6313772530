"""The one paint loop: layers in order, shapes in order, one backend call per shape.

Backends subclass :class:`Painter` and supply primitives. The only primitive
with a fallback is :meth:`Painter.side`: the simple way to shade a side, as the
source did, is one vertical line per pixel column in that column's HSV color.
The raster backend overrides it with one numpy pass and SVG with a gradient;
tests check the fast paths against this one.
"""

from __future__ import annotations

import math

import numpy as np

from .shapes import Ellipse, Geometry, Layer, Line, Rect, Side, Text

__all__ = ["Painter", "paint"]


class Painter:
    """Base class of the backends. ``scale`` is output pixels per layout pixel."""

    scale: float = 1.0

    def begin_layer(self, layer: Layer) -> None:
        """Called before the shapes of each layer (every layer, even an empty one)."""

    def end_layer(self, layer: Layer) -> None:
        """Called after the shapes of each layer."""

    def finish(self) -> None:
        """Called once after the last layer (a backend that defers work does it here)."""

    def ellipse(self, shape: Ellipse, region: int | None) -> None:
        raise NotImplementedError

    def line(self, shape: Line, region: int | None) -> None:
        raise NotImplementedError

    def rect(self, shape: Rect, region: int | None) -> None:
        raise NotImplementedError

    def text(self, shape: Text, region: int | None) -> None:
        raise NotImplementedError

    def side(self, shape: Side, region: int | None) -> None:
        """Shade a side one vertical line per output pixel column (the simple path)."""
        s = self.scale
        first = math.floor((shape.cx - shape.r0) * s)
        last = math.ceil((shape.cx + shape.r0) * s)
        xs = (np.arange(first, last, dtype=np.float64) + 0.5) / s
        top, bottom = shape.spans(xs)
        colors = shape.fill.colors_at(xs)
        for x, t, b, c in zip(xs, top, bottom, colors, strict=True):
            if b > t:
                color = (int(c[0]), int(c[1]), int(c[2]))
                self.line(Line(float(x), float(t), float(x), float(b), color, 1.0 / s), region)


def paint(geometry: Geometry, painter: Painter) -> None:
    """Paint every layer of ``geometry`` in order with ``painter``."""
    by_layer: dict[Layer, list[tuple[object, int | None]]] = {layer: [] for layer in Layer}
    for shape in geometry.shapes:
        by_layer[shape.layer].append((shape.primitive, shape.region))
    for layer in Layer:
        painter.begin_layer(layer)
        for prim, region in by_layer[layer]:
            if isinstance(prim, Ellipse):
                painter.ellipse(prim, region)
            elif isinstance(prim, Side):
                painter.side(prim, region)
            elif isinstance(prim, Line):
                painter.line(prim, region)
            elif isinstance(prim, Rect):
                painter.rect(prim, region)
            elif isinstance(prim, Text):
                painter.text(prim, region)
        painter.end_layer(layer)
    painter.finish()

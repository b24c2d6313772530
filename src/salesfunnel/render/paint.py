"""The one paint loop: layers in order, shapes in order, one backend call per shape.

Backends subclass :class:`Painter` and supply the primitives. The simple way to
shade a side, as the source did, is one vertical line per pixel column in that
column's HSV color; the raster backend does it in one numpy pass and SVG with a
gradient. The simple way lives with the tests (``tests/render/simple_painter.py``),
which check the raster backend against it.
"""

from __future__ import annotations

from .shapes import Ellipse, Geometry, HitArea, Layer, Line, Rect, Side, Text

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

    def hit_area(self, shape: HitArea, region: int | None) -> None:
        """A clickable area that is never drawn: nothing to do for a picture."""

    def side(self, shape: Side, region: int | None) -> None:
        raise NotImplementedError


# Each primitive kind and the Painter method that draws it.
_METHOD: dict[type, str] = {
    Ellipse: "ellipse",
    Side: "side",
    Line: "line",
    Rect: "rect",
    HitArea: "hit_area",
    Text: "text",
}


def paint(geometry: Geometry, painter: Painter) -> None:
    """Paint every layer of ``geometry`` in order with ``painter``."""
    by_layer: dict[Layer, list[tuple[object, int | None]]] = {layer: [] for layer in Layer}
    for shape in geometry.shapes:
        by_layer[shape.layer].append((shape.primitive, shape.region))
    for layer in Layer:
        painter.begin_layer(layer)
        for prim, region in by_layer[layer]:
            method = _METHOD.get(type(prim))
            if method is None:  # a new primitive kind must be painted, not skipped
                msg = f"no Painter method for {type(prim).__name__} (add it to _METHOD)"
                raise TypeError(msg)
            getattr(painter, method)(prim, region)
        painter.end_layer(layer)
    painter.finish()

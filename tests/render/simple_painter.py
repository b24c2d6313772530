"""The plain raster painters the output painter is checked against (test code only).

:class:`RasterPainter` paints one shape at a time through the public Pillow
API: the coverage of each shape on its own (:mod:`salesfunnel.render.coverage`'s
one-shape functions), ``Image.paste`` through it, ``ImageDraw.text`` for text.
:class:`SimpleRasterPainter` also shades each side the simple way, as the
source did: one vertical line per output pixel column in that column's HSV
color. The output painter (:class:`~salesfunnel.render.raster.BatchRasterPainter`)
must paint what these paint.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

from salesfunnel.render import coverage as cov
from salesfunnel.render.paint import Painter, paint
from salesfunnel.render.shapes import (
    Ellipse,
    Geometry,
    Gradient,
    Line,
    Rect,
    Side,
    Text,
    output_size,
)
from salesfunnel.render.style import Color
from salesfunnel.render.text import font


class RasterPainter(Painter):
    """Paints onto ``self.image`` one shape at a time, public Pillow API only."""

    def __init__(self, geometry: Geometry, scale: float, background: Color) -> None:
        self.scale = scale
        self.size = output_size(geometry.width, geometry.height, scale)
        self.image = Image.new("RGB", self.size, background)

    def _fill(self, patch: cov.Patch | None, fill: Color | Gradient) -> None:
        if patch is None:
            return
        box = patch.box
        mask = Image.fromarray(patch.levels, "L")
        if isinstance(fill, Gradient):
            xs = (box[0] + 0.5 + np.arange(box[2] - box[0], dtype=np.float64)) / self.scale
            colors = fill.colors_at(xs)
            # One row of ramp colors, stretched down the box by Pillow.
            row = Image.frombuffer("RGB", (len(colors), 1), colors, "raw", "RGB", 0, 1)
            h = box[3] - box[1]
            self.image.paste(row.resize((row.width, h), Image.Resampling.NEAREST), box, mask)
        else:
            self.image.paste(fill, box, mask)

    def ellipse(self, shape: Ellipse, region: int | None) -> None:
        if shape.fill is not None:
            self._fill(cov.ellipse_fill(shape, self.scale, self.size), shape.fill)
        if shape.stroke is not None:
            self._fill(cov.ellipse_stroke(shape, self.scale, self.size), shape.stroke)

    def side(self, shape: Side, region: int | None) -> None:
        self._fill(cov.side(shape, self.scale, self.size), shape.fill)

    def line(self, shape: Line, region: int | None) -> None:
        self._fill(cov.line(shape, self.scale, self.size), shape.color)

    def rect(self, shape: Rect, region: int | None) -> None:
        self._fill(cov.rect(shape, self.scale, self.size), shape.fill)

    def text(self, shape: Text, region: int | None) -> None:
        s = self.scale
        anchor = "ms" if shape.anchor == "middle" else "ls"
        ImageDraw.Draw(self.image).text(
            (shape.x * s, shape.y * s),
            shape.text,
            fill=shape.color,
            font=font(shape.size * s),
            anchor=anchor,
        )


class SimpleRasterPainter(RasterPainter):
    """:class:`RasterPainter` with sides shaded one vertical line per output pixel column."""

    def side(self, shape: Side, region: int | None) -> None:
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


def simple_render(geometry: Geometry, scale: float, background: Color) -> Image.Image:
    """``geometry`` painted by :class:`SimpleRasterPainter` into a new RGB image."""
    painter = SimpleRasterPainter(geometry, scale, background)
    paint(geometry, painter)
    return painter.image

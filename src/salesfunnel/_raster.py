"""The Pillow backend: analytic coverage masks composited onto an RGB image.

Shapes are painted with ``Image.paste(color, box, mask)``: the coverage patch
from :mod:`salesfunnel._coverage` is the mask, so edges are anti-aliased and
the blending runs in Pillow's C code. The side shading is one row of ramp
colors stretched over the side's box (one numpy pass and one resize), not a
line per column.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from . import _coverage as cov
from ._paint import Painter
from ._text import font
from .geometry import Ellipse, Geometry, Gradient, Line, Rect, Side, Text
from .style import Color

__all__ = ["RasterPainter", "render"]


def _mask(patch: cov.Patch) -> Image.Image:
    # +0.5 then truncation rounds; cumulative sums can stray a hair outside [0, 1].
    levels = patch.cov * 255.0
    levels += 0.5
    np.clip(levels, 0.0, 255.0, out=levels)
    return Image.fromarray(levels.astype(np.uint8), "L")


class RasterPainter(Painter):
    """Paints onto ``self.image`` (RGB, ``round(width * scale)`` x ``round(height * scale)``)."""

    def __init__(self, geometry: Geometry, scale: float, background: Color) -> None:
        self.scale = scale
        self.size = (round(geometry.width * scale), round(geometry.height * scale))
        self.image = Image.new("RGB", self.size, background)
        self._draw = ImageDraw.Draw(self.image)

    def _fill(self, patch: cov.Patch | None, fill: Color | Gradient) -> None:
        if patch is None:
            return
        mask = _mask(patch)
        if isinstance(fill, Gradient):
            colors = fill.colors_at(patch.column_centres() / self.scale)
            h = patch.cov.shape[0]
            # One row of ramp colors, stretched down the box by Pillow.
            row = Image.fromarray(colors[None, :, :], "RGB")
            self.image.paste(row.resize((row.width, h), Image.Resampling.NEAREST), patch.box, mask)
        else:
            self.image.paste(fill, patch.box, mask)

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
        if shape.fill is not None:
            self._fill(cov.rect(shape, self.scale, self.size), shape.fill)

    def text(self, shape: Text, region: int | None) -> None:
        s = self.scale
        anchor = "ms" if shape.anchor == "middle" else "ls"
        self._draw.text(
            (shape.x * s, shape.y * s),
            shape.text,
            fill=shape.color,
            font=font(shape.size * s),
            anchor=anchor,
        )


class SimpleRasterPainter(RasterPainter):
    """The raster backend without its fast path: sides painted one line per column.

    Kept for the equivalence tests and the benchmark; never used for output.
    """

    side = Painter.side


def render(
    geometry: Geometry, scale: float, background: Color, *, simple: bool = False
) -> Image.Image:
    """Paint ``geometry`` into a new RGB image."""
    from ._paint import paint

    painter = (SimpleRasterPainter if simple else RasterPainter)(geometry, scale, background)
    paint(geometry, painter)
    return painter.image

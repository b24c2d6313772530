"""The Pillow backend: analytic coverage masks composited onto an RGB image.

Shapes are pasted through their coverage as the mask (``Image.paste(color,
box, mask)``), so edges are anti-aliased and the blending runs in Pillow's C
code. The side shading is one row of ramp colors stretched over the side's box
(one numpy pass and one resize), not a line per column.

:class:`BatchRasterPainter` queues the shapes, computes the coverage of all of
them in one :class:`~salesfunnel.render.coverage.Batch` (only near the edges;
interiors are runs of full coverage) and composites them in paint order on a
:mod:`~salesfunnel.render.pillow_fast` canvas (Pillow's C core where it works,
its public API otherwise: the same pixels). The tests keep a plain painter (one
shape at a time, sides one line per column) to check it against.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from . import coverage as cov
from .curves import _across
from .paint import Painter
from .pillow_fast import canvas
from .shapes import Ellipse, Geometry, Gradient, Line, Rect, Side, Text, output_size
from .style import Color
from .text import warn_missing_glyphs

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = ["BatchRasterPainter", "render"]


def _rgbx(colors: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """RGB colors (n x 3) padded to n x 4, the layout of Pillow's RGB pixels."""
    out = np.full((len(colors), 4), 255, dtype=np.uint8)
    out[:, :3] = colors
    return out


def _centres(box: tuple[int, int, int, int]) -> npt.NDArray[np.float64]:
    """Output x of the centre of every pixel column of ``box``."""
    return box[0] + 0.5 + np.arange(box[2] - box[0], dtype=np.float64)


class _Batched:
    """A shape whose coverage is request ``request`` of the batch."""

    __slots__ = ("fill", "request")

    def __init__(self, request: int, fill: Color | Gradient) -> None:
        self.request = request
        self.fill = fill


class _Patched:
    """A shape whose coverage was computed on its own (dashed strokes)."""

    __slots__ = ("fill", "patch")

    def __init__(self, patch: cov.Patch | None, fill: Color) -> None:
        self.patch = patch
        self.fill = fill


class BatchRasterPainter(Painter):
    """The output painter: coverage computed for all shapes at once, then composited.

    Paints onto ``self.image`` (RGB, :func:`~salesfunnel.render.shapes.output_size`
    pixels). Shapes are queued in paint order; :meth:`finish` computes every
    coverage mask in one :class:`~salesfunnel.render.coverage.Batch` (a few
    numpy passes for the whole chart instead of a dozen per shape) and the ramp
    colors of every shaded side in one pass, then composites them and draws the
    text in the same order. Dashed strokes (rare) have their coverage computed
    on their own.
    """

    def __init__(self, geometry: Geometry, scale: float, background: Color) -> None:
        self.scale = scale
        self.size = output_size(geometry.width, geometry.height, scale)
        self.image = Image.new("RGB", self.size, background)
        self._canvas = canvas(self.image)
        self._batch = cov.Batch(scale, self.size)
        self._ops: list[_Batched | _Patched | Text] = []
        self._ramp_colors: dict[int, npt.NDArray[np.uint8]] = {}

    def _queue(self, request: int | None, fill: Color | Gradient) -> None:
        if request is not None:
            self._ops.append(_Batched(request, fill))

    def ellipse(self, shape: Ellipse, region: int | None) -> None:
        if shape.fill is not None:
            self._queue(self._batch.add_ellipse_fill(shape), shape.fill)
        if shape.stroke is not None:
            if shape.dashed:
                patch = cov.ellipse_stroke(shape, self.scale, self.size)
                self._ops.append(_Patched(patch, shape.stroke))
            else:
                self._queue(self._batch.add_ellipse_stroke(shape), shape.stroke)

    def side(self, shape: Side, region: int | None) -> None:
        self._queue(self._batch.add_side(shape), shape.fill)

    def line(self, shape: Line, region: int | None) -> None:
        if shape.dashed:
            self._ops.append(_Patched(cov.line(shape, self.scale, self.size), shape.color))
        else:
            self._queue(self._batch.add_line(shape), shape.color)

    def rect(self, shape: Rect, region: int | None) -> None:
        self._queue(self._batch.add_rect(shape), shape.fill)

    def text(self, shape: Text, region: int | None) -> None:
        self._ops.append(shape)

    def _ramps(self) -> dict[int, npt.NDArray[np.uint8]]:
        """Ramp colors of every batched gradient fill: one shading pass per style.

        The same numbers as :meth:`Gradient.colors_at` at each box's column
        centres, for all gradients at once.
        """
        by_style: dict[int, list[tuple[int, Gradient]]] = {}
        for op in self._ops:
            if isinstance(op, _Batched) and isinstance(op.fill, Gradient):
                by_style.setdefault(id(op.fill.style), []).append((op.request, op.fill))
        out: dict[int, npt.NDArray[np.uint8]] = {}
        for items in by_style.values():
            boxes = np.array([self._batch.boxes[k] for k, _ in items], dtype=np.intp)
            ncols = boxes[:, 2] - boxes[:, 0]
            ends = np.cumsum(ncols)
            # per column: its centre (output pixels), the gradient's x0, span and hue
            table = np.array([(g.x0, g.x1 - g.x0, g.hue) for _, g in items]).T
            x0, span, hue = np.repeat(table, ncols, axis=1)
            xs = np.arange(int(ends[-1]), dtype=np.float64)
            xs += np.repeat(boxes[:, 0] - (ends - ncols) + 0.5, ncols)
            xs /= self.scale
            colors = _rgbx(items[0][1].style.shade(hue, _across(xs, x0, span)))
            for (k, _), a, b in zip(items, (ends - ncols).tolist(), ends.tolist(), strict=True):
                out[k] = colors[a:b]
        return out

    def _paste(
        self,
        box: tuple[int, int, int, int],
        levels: npt.NDArray[np.uint8],
        fill: Color | Gradient,
        k: int,
    ) -> None:
        """Composite ``fill`` into ``box`` through the coverage ``levels`` (Pillow blends)."""
        if isinstance(fill, Gradient):
            colors = self._ramp_colors.get(k)
            if colors is None:
                colors = _rgbx(fill.colors_at(_centres(box) / self.scale))
            self._canvas.paste_row(colors, box, levels)
        else:
            self._canvas.paste(fill, box, levels)

    def finish(self) -> None:
        self._batch.run()
        self._ramp_colors = self._ramps()
        s = self.scale
        for op in self._ops:
            if isinstance(op, _Batched):
                box, levels = self._batch.mask(op.request)
                self._paste(box, levels, op.fill, op.request)
            elif isinstance(op, _Patched):
                if op.patch is not None:
                    self._canvas.paste(op.fill, op.patch.box, np.ascontiguousarray(op.patch.levels))
            else:
                anchor = "ms" if op.anchor == "middle" else "ls"
                xy = (op.x * s, op.y * s)
                self._canvas.text(xy, op.text, round(op.size * s, 3), anchor, op.color)
        self._ops.clear()


def render(geometry: Geometry, scale: float, background: Color) -> Image.Image:
    """Paint ``geometry`` into a new RGB image (warning of text it cannot draw)."""
    from .paint import paint

    warn_missing_glyphs(s.primitive.text for s in geometry.shapes if isinstance(s.primitive, Text))

    painter = BatchRasterPainter(geometry, scale, background)
    paint(geometry, painter)
    return painter.image

"""The Pillow backend: analytic coverage masks composited onto an RGB image.

Shapes are painted with ``Image.paste(color, box, mask)``: the coverage patch
from :mod:`salesfunnel.render.coverage` is the mask, so edges are anti-aliased and
the blending runs in Pillow's C code. The side shading is one row of ramp
colors stretched over the side's box (one numpy pass and one resize), not a
line per column.

:class:`RasterPainter` computes each shape's coverage as it comes;
:class:`BatchRasterPainter`, the one the charts use, queues the shapes and
computes the coverage of all of them in one :class:`~salesfunnel.render.coverage.Batch`
(only near the edges; interiors are runs of full coverage) before compositing
in the same order (the same pixels, fewer numpy calls).
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image
from PIL import _imaging as pil_core  # what Image.frombuffer maps buffers with

from . import coverage as cov
from .paint import Painter
from .shapes import Ellipse, Geometry, Gradient, Line, Rect, Side, Text, _across, output_size
from .style import Color
from .text import font

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = ["BatchRasterPainter", "RasterPainter", "render"]


def _mask(patch: cov.Patch) -> Image.Image:
    return Image.fromarray(patch.levels, "L")


def _rgbx(colors: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """RGB colors (n x 3) padded to n x 4, the layout of Pillow's RGB pixels."""
    out = np.full((len(colors), 4), 255, dtype=np.uint8)
    out[:, :3] = colors
    return out


def _centres(box: tuple[int, int, int, int]) -> npt.NDArray[np.float64]:
    """Output x of the centre of every pixel column of ``box``."""
    return box[0] + 0.5 + np.arange(box[2] - box[0], dtype=np.float64)


class RasterPainter(Painter):
    """Paints onto ``self.image`` (RGB, :func:`~salesfunnel.render.shapes.output_size` pixels)."""

    def __init__(self, geometry: Geometry, scale: float, background: Color) -> None:
        self.scale = scale
        self.size = output_size(geometry.width, geometry.height, scale)
        self.image = Image.new("RGB", self.size, background)

    def _fill(self, patch: cov.Patch | None, fill: Color | Gradient) -> None:
        if patch is None:
            return
        self._paste(patch.box, _mask(patch), fill)

    def _paste(
        self,
        box: tuple[int, int, int, int],
        mask: Image.Image,
        fill: Color | Gradient,
        colors: npt.NDArray[np.uint8] | None = None,
    ) -> None:
        """Composite ``fill`` through the coverage ``mask`` (Pillow blends, in C).

        A gradient's ramp colors per column of ``box`` may come precomputed.
        """
        if isinstance(fill, Gradient):
            if colors is None:
                colors = fill.colors_at(_centres(box) / self.scale)
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
        if shape.fill is not None:
            self._fill(cov.rect(shape, self.scale, self.size), shape.fill)

    def text(self, shape: Text, region: int | None) -> None:
        # Imported here: only this simple path uses ImageDraw (the batch path draws
        # cached glyph masks itself), and a first render need not pay for it.
        from PIL import ImageDraw

        s = self.scale
        anchor = "ms" if shape.anchor == "middle" else "ls"
        ImageDraw.Draw(self.image).text(
            (shape.x * s, shape.y * s),
            shape.text,
            fill=shape.color,
            font=font(shape.size * s),
            anchor=anchor,
        )


@lru_cache(maxsize=2048)
def _text_run(
    text: str, size: float, anchor: str, start: tuple[float, float]
) -> tuple[Any, tuple[int, int]]:
    """The glyph coverage of one line of text and its offset, as ``ImageDraw.text`` makes it.

    Cached: a chart drawn again (or another chart with the same labels at the
    same sub-pixel position) does not render its text again. The mask is only
    read afterwards, so threads may share it.
    """
    mask, offset = font(size).getmask2(text, "L", anchor=anchor, start=start)
    return mask, offset


# Plain slotted classes, not dataclasses: creating a dataclass costs about half a
# millisecond, paid by the first render of every process.


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


class BatchRasterPainter(RasterPainter):
    """The output painter: :class:`RasterPainter` with coverage computed for all shapes at once.

    Shapes are queued in paint order; :meth:`finish` computes every coverage
    mask in one :class:`~salesfunnel.render.coverage.Batch` (a few numpy passes for
    the whole chart instead of a dozen per shape) and the ramp colors of every
    shaded side in one pass, then composites them and draws the text (glyph
    masks cached) in the same order. Dashed strokes (rare) take the one-shape
    path. Tests check it against :class:`RasterPainter`.
    """

    def __init__(self, geometry: Geometry, scale: float, background: Color) -> None:
        super().__init__(geometry, scale, background)
        self._batch = cov.Batch(scale, self.size)
        self._ops: list[_Batched | _Patched | Text] = []
        self._ramp_colors: dict[int, npt.NDArray[np.uint8]] = {}
        # Pillow's C drawing object, as ImageDraw.Draw makes it for an RGB image
        # (no blending); ImageDraw.text draws glyph masks with it.
        self._core_draw = pil_core.draw(self.image.im, 0)

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
        if shape.fill is not None:
            self._queue(self._batch.add_rect(shape), shape.fill)

    def text(self, shape: Text, region: int | None) -> None:
        self._ops.append(shape)

    def _text_now(self, shape: Text) -> None:
        """:meth:`RasterPainter.text` with the glyph masks cached (same pixels)."""
        s = self.scale
        x, y = shape.x * s, shape.y * s
        anchor = "ms" if shape.anchor == "middle" else "ls"
        # What ImageDraw.text does for one line: integer origin, fractional start.
        start = (math.modf(x)[0], math.modf(y)[0])
        mask, offset = _text_run(shape.text, round(shape.size * s, 3), anchor, start)
        core = self._core_draw
        core.draw_bitmap((int(x) + offset[0], int(y) + offset[1]), mask, core.draw_ink(shape.color))

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

    def _paste_levels(
        self, box: tuple[int, int, int, int], levels: Any, fill: Color | Gradient, k: int
    ) -> None:
        """:meth:`RasterPainter._paste` with the mask mapped straight from ``levels``.

        The same Pillow calls on the same pixels, minus the ``Image`` wrappers
        (their Python overhead is most of the cost of a small paste): the mask is
        Pillow's core image over the numpy buffer, as ``Image.frombuffer`` makes it.
        """
        size = (box[2] - box[0], box[3] - box[1])
        mask = pil_core.map_buffer(levels, size, "raw", 0, ("L", 0, 1))
        if isinstance(fill, Gradient):
            colors = self._ramp_colors.get(k)
            if colors is None:
                colors = _rgbx(fill.colors_at(_centres(box) / self.scale))
            # One row of ramp colors, stretched down the box by Pillow (nearest
            # neighbour), as RasterPainter._paste does through Image wrappers. The
            # row is mapped as RGBX (Pillow keeps RGB in four bytes a pixel).
            n = len(colors)
            row = pil_core.map_buffer(colors, (n, 1), "raw", 0, ("RGBX", 0, 1)).convert("RGB")
            self.image.im.paste(row.resize(size, 0, (0.0, 0.0, float(n), 1.0)), box, mask)
        else:
            self.image.im.paste(fill, box, mask)

    def finish(self) -> None:
        self._batch.run()
        self._ramp_colors = self._ramps()
        for op in self._ops:
            if isinstance(op, _Batched):
                box, levels = self._batch.mask(op.request)
                self._paste_levels(box, levels, op.fill, op.request)
            elif isinstance(op, _Patched):
                self._fill(op.patch, op.fill)
            else:
                self._text_now(op)
        self._ops.clear()


class SimpleRasterPainter(RasterPainter):
    """The raster backend without its fast path: sides painted one line per column.

    Kept for the equivalence tests and the benchmark; never used for output.
    """

    side = Painter.side


def render(
    geometry: Geometry, scale: float, background: Color, *, simple: bool = False
) -> Image.Image:
    """Paint ``geometry`` into a new RGB image."""
    from .paint import paint

    painter = (SimpleRasterPainter if simple else BatchRasterPainter)(geometry, scale, background)
    paint(geometry, painter)
    return painter.image

"""Pillow's private fast paths, in one place, each with a public-API twin.

The renderer calls Pillow's C core (``PIL._imaging``) directly where the public
wrappers cost more than the work itself:

* **compositing a coverage mask**: a core image mapped straight over the numpy
  levels (what ``Image.frombuffer`` does) and pasted by the core, without the
  ``Image`` wrappers (their Python overhead is most of the cost of a small
  paste); a side's ramp is one row of colors stretched down its box;
* **text**: glyph masks made by the public ``FreeTypeFont.getmask2`` are cached
  (:func:`clear_glyph_cache`) and drawn with the core's ``draw_bitmap``, as
  ``ImageDraw.text`` draws them, without rendering the glyphs again;
* **pixels** for the PNG writer (:func:`pixels`, :mod:`~salesfunnel.render.png`
  writes the PNG): Pillow's raw encoder without ``Image.tobytes``, which
  imports ``PIL.ImageFile`` and ``logging`` (a few ms of a fresh process); in
  strips of rows (:func:`strips`) for :func:`png_bytes`, which writes a chart's
  PNG without a copy of the whole image.

:func:`canvas` hands out a :class:`FastCanvas` when the private calls work (a
probe runs them once on a tiny image and compares the pixels with the public
path, :func:`fast_paths_available`), and a :class:`Canvas`, public API only,
otherwise; :func:`pixels` falls back to ``np.asarray``. Both give the same
pixels (tests force the fallback and compare), so a Pillow release
that changes its internals makes charts slower, never wrong or broken.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

from .text import font, glyph_mask

pil_core: Any
try:
    from PIL import _imaging as pil_core  # Pillow's C core
except ImportError:  # pragma: no cover - a Pillow without it: the public path
    pil_core = None

if TYPE_CHECKING:
    import numpy.typing as npt

    from .style import Color

__all__ = [
    "Canvas",
    "FastCanvas",
    "canvas",
    "clear_glyph_cache",
    "fast_paths_available",
    "pixels",
    "png_bytes",
    "strips",
]

Box = tuple[int, int, int, int]
_CHANGED = (AttributeError, TypeError, ValueError)  # what a changed private interface raises


class Canvas:
    """An RGB image and the operations the raster backend composites with (public API).

    ``levels`` are coverage masks (uint8, the box's height x width, C order);
    ``colors`` one RGBX color (n x 4 uint8) per column of the box.
    """

    def __init__(self, image: Image.Image) -> None:
        self.image = image

    def paste(self, fill: Color, box: Box, levels: npt.NDArray[np.uint8]) -> None:
        """Composite a solid ``fill`` into ``box`` through ``levels`` (Pillow blends)."""
        self.image.paste(fill, box, _mask(box, levels))

    def paste_row(
        self, colors: npt.NDArray[np.uint8], box: Box, levels: npt.NDArray[np.uint8]
    ) -> None:
        """Composite one row of ``colors``, stretched down ``box``, through ``levels``."""
        n = len(colors)
        row = Image.frombytes("RGB", (n, 1), colors.tobytes(), "raw", "RGBX")
        stretched = row.resize((n, box[3] - box[1]), Image.Resampling.NEAREST)
        self.image.paste(stretched, box, _mask(box, levels))

    def text(
        self, xy: tuple[float, float], text: str, size: float, anchor: str, color: Color
    ) -> None:
        """One line of ``text`` at ``xy`` (output pixels), as ``ImageDraw.text`` draws it."""
        from PIL import ImageDraw  # here: the fast path never needs it

        ImageDraw.Draw(self.image).text(xy, text, fill=color, font=font(size), anchor=anchor)


def _mask(box: Box, levels: npt.NDArray[np.uint8]) -> Image.Image:
    return Image.frombuffer("L", (box[2] - box[0], box[3] - box[1]), levels, "raw", "L", 0, 1)


@functools.lru_cache(maxsize=2048)
def _glyphs(
    text: str, size: float, anchor: str, start: tuple[float, float]
) -> tuple[Any, tuple[int, int]]:
    """The glyph coverage of one line of text and its offset, as ``ImageDraw.text`` makes it.

    Cached: a chart drawn again (or another chart with the same labels at the
    same sub-pixel position) does not render its text again. The mask is only
    read afterwards, so threads may share it.
    """
    return glyph_mask(text, size, anchor, start)


def clear_glyph_cache() -> None:
    """Forget cached glyph masks (a benchmark times a first render with it)."""
    _glyphs.cache_clear()


class FastCanvas(Canvas):
    """:class:`Canvas` through Pillow's C core: the same pixels, without the wrappers."""

    def __init__(self, image: Image.Image) -> None:
        super().__init__(image)
        self._im = image.im
        # Pillow's C drawing object, as ImageDraw.Draw makes it for an RGB image
        # (no blending); ImageDraw.text draws glyph masks with it.
        self._draw = pil_core.draw(self._im, 0)

    def paste(self, fill: Color, box: Box, levels: npt.NDArray[np.uint8]) -> None:
        self._im.paste(fill, box, _core_mask(box, levels))

    def paste_row(
        self, colors: npt.NDArray[np.uint8], box: Box, levels: npt.NDArray[np.uint8]
    ) -> None:
        # The row is mapped as RGBX (Pillow keeps RGB in four bytes a pixel) and
        # stretched by nearest neighbour, as Canvas.paste_row does through wrappers.
        n = len(colors)
        row = pil_core.map_buffer(colors, (n, 1), "raw", 0, ("RGBX", 0, 1)).convert("RGB")
        size = (box[2] - box[0], box[3] - box[1])
        self._im.paste(row.resize(size, 0, (0.0, 0.0, float(n), 1.0)), box, _core_mask(box, levels))

    def text(
        self, xy: tuple[float, float], text: str, size: float, anchor: str, color: Color
    ) -> None:
        x, y = xy
        # What ImageDraw.text does for one line: integer origin, fractional start.
        start = (math.modf(x)[0], math.modf(y)[0])
        mask, offset = _glyphs(text, size, anchor, start)
        draw = self._draw
        draw.draw_bitmap((int(x) + offset[0], int(y) + offset[1]), mask, draw.draw_ink(color))


def _core_mask(box: Box, levels: npt.NDArray[np.uint8]) -> Any:
    size = (box[2] - box[0], box[3] - box[1])
    return pil_core.map_buffer(levels, size, "raw", 0, ("L", 0, 1))


@functools.cache
def fast_paths_available() -> bool:
    """Whether Pillow's private calls work here and paint what the public ones paint.

    Run once, on first use: both canvases composite a mask and a ramp row into
    a 3 x 2 image, whose pixels the raw encoder then reads.
    """
    if pil_core is None:
        return False
    levels = np.array([[0, 128, 255], [255, 64, 1]], dtype=np.uint8)
    colors = np.array([[10, 20, 30, 255], [40, 50, 60, 255], [70, 80, 90, 255]], np.uint8)
    public = Canvas(Image.new("RGB", (3, 2), (255, 255, 255)))
    try:
        fast = FastCanvas(Image.new("RGB", (3, 2), (255, 255, 255)))
        for c in (public, fast):
            c.paste((200, 0, 100), (0, 0, 3, 2), levels)
            c.paste_row(colors, (0, 0, 3, 2), levels[::-1].copy())
        fast._draw.draw_ink((0, 0, 0))  # the text path's drawing calls exist
        if not callable(fast._draw.draw_bitmap):
            return False
        read = _core_pixels(fast.image)
    except _CHANGED:
        return False
    # (pixel by pixel: tobytes() would import PIL.ImageFile, which a first PNG avoids)
    xys = [(x, y) for x in range(3) for y in range(2)]
    expected = [public.image.getpixel(xy) for xy in xys]
    return (
        expected
        == [fast.image.getpixel(xy) for xy in xys]
        == [tuple(int(v) for v in read[y, x]) for x, y in xys]
    )


def canvas(image: Image.Image) -> Canvas:
    """The fastest canvas that works with this Pillow over an RGB ``image``."""
    return FastCanvas(image) if fast_paths_available() else Canvas(image)


# -- pixels for the PNG writer ---------------------------------------------------------
# render.png writes the PNG; it needs the pixels as a numpy array. np.asarray(image)
# runs Image.tobytes, which imports PIL.ImageFile (and logging) to size its buffer:
# a few ms of a fresh process that the same encoder through the core avoids.


def pixels(image: Image.Image) -> npt.NDArray[np.uint8]:
    """The pixels of an RGB or RGBA ``image``: (height, width, channels) uint8, read-only.

    Pillow's raw encoder through its core (what ``Image.tobytes`` runs), or
    ``np.asarray(image)`` if that cannot run: the same array either way.
    """
    if image.mode not in ("RGB", "RGBA"):
        msg = f"pixels() reads RGB or RGBA images only (got mode {image.mode!r})"
        raise ValueError(msg)
    if fast_paths_available():
        try:
            return _core_pixels(image)
        except _CHANGED:  # the private interface changed
            pass
    return np.asarray(image)


def _core_pixels(image: Image.Image) -> npt.NDArray[np.uint8]:
    width, height = image.size
    channels = len(image.mode)
    encoder = pil_core.raw_encoder(image.mode, image.mode)
    out = []
    try:
        encoder.setimage(image.im, (0, 0, width, height))
        while True:  # one call when the buffer holds every row
            _, status, data = encoder.encode(max(width * height * channels, width * 4, 1))
            out.append(data)
            if status:
                break
    finally:
        encoder.cleanup()
    if status < 0:
        msg = f"raw encoder error {status}"
        raise ValueError(msg)
    array = np.frombuffer(b"".join(out), dtype=np.uint8)
    return array.reshape(height, width, channels)


# -- rows in strips: a PNG without a copy of the whole image -------------------------
# A fresh process pays a page fault per 4 KiB of memory it touches first: pixels()
# and the filtered rows were two fresh copies of the image (about 700 faults for
# 800 x 600, at 2 to 10 us a fault on the development machine, 1.5 to 7 ms of a
# first PNG). Strips of about _STRIP bytes reuse the same few pages.

_STRIP = 1 << 15


def strips(image: Image.Image, rows: int) -> Iterator[npt.NDArray[np.uint8]]:
    """The pixels of an RGB or RGBA ``image`` from top to bottom, ``rows`` rows at a time
    (the last strip may be shorter): ``uint8`` arrays of (rows, width x channels).

    Pillow's raw encoder through its core, as :func:`pixels` reads them (or
    ``np.asarray(image)`` if that cannot run: the same rows either way).
    """
    if image.mode not in ("RGB", "RGBA"):
        msg = f"strips() reads RGB or RGBA images only (got mode {image.mode!r})"
        raise ValueError(msg)
    width, height = image.size
    stride = width * len(image.mode)
    encoder = None
    if fast_paths_available():
        try:
            encoder = pil_core.raw_encoder(image.mode, image.mode)
            encoder.setimage(image.im, (0, 0, width, height))
        except _CHANGED:  # the private interface changed
            encoder = None
    if encoder is None:
        array = np.asarray(image).reshape(height, stride)
        for y in range(0, height, rows):
            yield array[y : y + rows]
        return
    try:
        status = 0
        while not status:  # the encoder writes whole rows, as many as the buffer holds
            _, status, data = encoder.encode(max(1, rows) * stride)
            if status < 0:
                msg = f"raw encoder error {status}"
                raise ValueError(msg)
            yield np.frombuffer(data, dtype=np.uint8).reshape(-1, stride)
    finally:
        encoder.cleanup()


def png_bytes(image: Image.Image) -> bytes:
    """PNG bytes of an RGB or RGBA ``image``: ``encode(pixels(image))``, the same bytes,
    written from strips of rows (:func:`~salesfunnel.render.png.encode_strips`)."""
    from .png import encode_strips

    width, height = image.size
    channels = len(image.mode)
    shape = (height, width, channels)
    rows = max(1, _STRIP // max(1, width * channels))
    return encode_strips(shape, strips(image, rows), lambda: pixels(image))

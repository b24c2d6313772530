"""PNG bytes from pixels, with numpy and the standard library's ``zlib``.

What :meth:`FunnelChart.to_png <salesfunnel.FunnelChart.to_png>` writes: an
8-bit RGB or RGBA image as the PNG signature, an ``IHDR`` chunk, one ``IDAT``
chunk and ``IEND`` (no metadata: no gamma, ICC profile, dpi or text chunks),
each chunk with its CRC-32 from :func:`zlib.crc32`.

Chosen for charts, which are flat colors with anti-aliased edges, gradients
that vary along one axis and a little text (measured on the gallery and the
benchmark chart, see :doc:`/benchmarks`):

* **row filter**, one for the whole image: none (PNG filter type 0) for
  images up to two megapixels. A flat run is a run of repeated bytes and a
  row that repeats the row above is one match for deflate; prediction (sub,
  up, average, Paeth) turns anti-aliased edges and text into noise that
  deflate compresses worse. Larger images (or rows longer than deflate's 32
  KiB window, which cannot reach the row above) take none or Paeth (type 4),
  whichever compresses a sample of rows (eight bands, 1/8 of the image)
  smaller: large, wide charts are mostly slowly changing ramps, which Paeth
  predicts almost exactly (a 6000 x 1800 chart: 0.94 of Pillow's file with
  Paeth, 1.19 without). A chart of usual size whose drawing covers a good
  part of the canvas (a quarter of a sample's pixels or more are not
  background) is compressed both ways and keeps the smaller: the gallery's
  open-deal bars, 0.99 of Pillow's file with Paeth, 1.06 without;
* **zlib level** :data:`LEVEL` (4), default strategy, 32 KiB window: the
  smallest level with lazy matching. Levels 1 to 3 make files up to 13 %
  larger than Pillow's; levels 5 and 6 save about 1 % more than 4, level 9
  about 6 %, for 1.5 to 5 times the time (the benchmark chart).

Together that gives files 6 to 18 % smaller than Pillow's default
``Image.save(format="PNG")`` (a filter chosen per row, level 6) on the
gallery, in about a third of its time on the benchmark chart. The bytes
depend only on the pixels and on the zlib the interpreter links (another
build, such as zlib-ng, may write other, equally valid, bytes): same input,
same bytes.

>>> import numpy as np
>>> data = encode(np.zeros((2, 3, 3), dtype=np.uint8))
>>> data[:8] == SIGNATURE, data[12:16], int.from_bytes(data[16:20], "big")
(True, b'IHDR', 3)
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = ["LEVEL", "SIGNATURE", "encode", "encode_strips", "filtered"]

SIGNATURE = b"\x89PNG\r\n\x1a\n"
LEVEL = 4
NONE, SUB, UP, AVERAGE, PAETH = range(5)  # PNG filter types
_WINDOW = 32768  # deflate's window: how far back a match may start
_SMALL = 3 * 2**21  # bytes of pixels (two megapixels of RGB) up to which no filter wins
_BUSY = 0.25  # share of non-background pixels from which a small chart tries Paeth too
_COLOR_TYPES = {3: 2, 4: 6}  # channels -> PNG color type (truecolor, truecolor with alpha)


def _chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk: length, type, data, CRC-32 of type and data."""
    crc = zlib.crc32(data, zlib.crc32(kind))
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def filtered(rows: npt.NDArray[np.uint8], bpp: int, kind: int) -> npt.NDArray[np.uint8]:
    """Rows of bytes (height x stride) filtered by PNG filter ``kind``, each after its filter byte.

    ``bpp`` is the bytes per pixel (the distance to the byte on the left). All
    rows are filtered with the raw (unfiltered) bytes around them, as the PNG
    specification defines, so the work is a few whole-array numpy operations;
    differences wrap modulo 256.
    """
    height, stride = rows.shape
    out = np.empty((height, stride + 1), dtype=np.uint8)
    out[:, 0] = kind
    body = out[:, 1:]
    if kind == NONE:
        body[...] = rows
    elif kind == SUB:
        body[:, :bpp] = rows[:, :bpp]
        np.subtract(rows[:, bpp:], rows[:, :-bpp], out=body[:, bpp:])
    elif kind == UP:
        body[:1] = rows[:1]
        np.subtract(rows[1:], rows[:-1], out=body[1:])
    elif kind == AVERAGE:
        left = np.zeros((height, stride), dtype=np.uint16)
        left[:, bpp:] = rows[:, :-bpp]
        left[1:] += rows[:-1]
        body[...] = (rows - (left >> 1)) & 0xFF
    elif kind == PAETH:
        np.subtract(rows, _paeth_predictions(rows, bpp), out=body)
    else:
        msg = f"PNG filter type must be 0 to 4 (got {kind!r})"
        raise ValueError(msg)
    return out


def _paeth_predictions(rows: npt.NDArray[np.uint8], bpp: int) -> npt.NDArray[np.uint8]:
    """The Paeth predictor of every byte: left, above or upper left, whichever is nearest
    to left + above - upper left (ties in that order).

    Charts are mostly flat: where above equals upper left the guess is left
    itself, and where left equals upper left it is above; only the rest (edges,
    text) is worked out in full, on those bytes alone.
    """
    height, stride = rows.shape
    padded = np.zeros((height + 1, stride + bpp), dtype=np.uint8)  # zeros above and left
    padded[1:, bpp:] = rows
    left, up, corner = padded[1:, :-bpp], padded[:-1, bpp:], padded[:-1, :-bpp]
    predicted = np.where(up == corner, left, up)
    ys, xs = np.nonzero((left != corner) & (up != corner))
    a, b, c = (v[ys, xs].astype(np.int16) for v in (left, up, corner))
    to_a, to_b, to_c = np.abs(b - c), np.abs(a - c), np.abs(a + b - 2 * c)
    full = np.where((to_a <= to_b) & (to_a <= to_c), a, np.where(to_b <= to_c, b, c))
    predicted[ys, xs] = full
    return predicted


def _busy_share(sample: npt.NDArray[np.uint8], background: npt.NDArray[np.uint8]) -> float:
    """The share of the pixels of ``sample`` (rows of bytes, ``len(background)`` bytes a
    pixel) that differ from ``background`` in some channel.

    The bytes are compared in one pass and a pixel's channels joined by ``|`` of
    strided columns: ``.any(axis=2)`` on the pixels, the same booleans, runs
    numpy's reduction over an axis of three and took 25 times as long (about a
    millisecond of a first PNG).
    """
    bpp = len(background)
    differs = (sample != np.tile(background, sample.shape[1] // bpp)).reshape(-1, bpp)
    busy = differs[:, 0].copy()
    for channel in range(1, bpp):
        busy |= differs[:, channel]
    return np.count_nonzero(busy) / len(busy)


def _bands(height: int) -> list[tuple[int, int]]:
    """The rows of the sample: eight bands of 1/64 of the image's rows, spread evenly
    (first row, row past the last; bands of a short image may overlap)."""
    band = max(1, height // 64)
    return [(k * height // 8, min(height, k * height // 8 + band)) for k in range(8)]


def _starts(bands: list[tuple[int, int]]) -> list[int]:
    """Where each band's rows start in the sample (the bands one after the other)."""
    lengths = [b - a for a, b in bands]
    return [sum(lengths[:k]) for k in range(len(lengths))]


def _small(height: int, stride: int) -> bool:
    """Whether an image of ``height`` rows of ``stride`` bytes is a chart of usual size."""
    return height * stride <= _SMALL and stride + 1 <= _WINDOW


def _deflated(rows: npt.NDArray[np.uint8], bpp: int) -> bytes:
    """The deflated, filtered rows of a whole image, by the filter chosen for it: none for
    a chart of usual size, else the better of none and Paeth (see the module's notes).

    A chart of usual size tries Paeth too when its drawing covers a good part of
    a sample of rows (:data:`_BUSY` of its pixels differ from the top-left one,
    the background) and keeps the smaller result (none on a tie); a larger image
    chooses on the sample alone.
    """
    height, stride = rows.shape
    sample = np.concatenate([rows[a:b] for a, b in _bands(height)])
    kinds: tuple[int, ...] = (NONE, PAETH)
    if _small(height, stride):
        if _busy_share(sample, rows[0, :bpp]) < _BUSY:
            kinds = (NONE,)
    else:
        sizes = [len(zlib.compress(filtered(sample, bpp, kind).data, LEVEL)) for kind in kinds]
        kinds = (PAETH,) if sizes[1] < sizes[0] else (NONE,)
    tries = [zlib.compress(filtered(rows, bpp, kind).data, LEVEL) for kind in kinds]
    return min(tries, key=len)


def encode(pixels: npt.ArrayLike, *, filter: int | None = None) -> bytes:
    """PNG bytes of an 8-bit RGB or RGBA image.

    Parameters
    ----------
    pixels
        ``uint8`` array of shape (height, width, 3) for RGB or (height, width,
        4) for RGBA, height and width at least 1.
    filter
        PNG filter type (0 none, 1 sub, 2 up, 3 average, 4 Paeth) for every
        row; by default none or Paeth, chosen for the image (see the module's
        notes).

    Raises
    ------
    ValueError
        For another dtype or shape, naming what arrived.
    """
    array = np.asarray(pixels)
    if array.dtype != np.uint8 or array.ndim != 3 or array.shape[2] not in _COLOR_TYPES:
        msg = (
            "PNG pixels must be uint8 of shape (height, width, 3 or 4) "
            f"(got {array.dtype} of shape {array.shape})"
        )
        raise ValueError(msg)
    height, width, channels = array.shape
    if height < 1 or width < 1:
        msg = f"a PNG image has at least one pixel each way (got {width} x {height})"
        raise ValueError(msg)
    rows = array.reshape(height, width * channels)
    if filter is None:
        idat = _deflated(rows, channels)
    else:
        idat = zlib.compress(filtered(rows, channels, filter).data, LEVEL)
    return _container(width, height, channels, idat)


def _container(width: int, height: int, channels: int, idat: bytes) -> bytes:
    """The PNG file around the deflated rows ``idat``."""
    # IHDR: size, 8 bits per channel, color type, deflate, adaptive filtering
    # (the only method: a filter byte per row), no interlace.
    header = struct.pack(">IIBBBBB", width, height, 8, _COLOR_TYPES[channels], 0, 0, 0)
    return b"".join(
        (
            SIGNATURE,
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", idat),
            _chunk(b"IEND", b""),
        )
    )


def encode_strips(
    shape: tuple[int, int, int],
    strips: Iterable[npt.NDArray[np.uint8]],
    whole: Callable[[], npt.ArrayLike],
) -> bytes:
    """The bytes of :func:`encode` of ``whole()``, from the image's rows in strips.

    ``shape`` is the image's (height, width, channels); ``strips`` yields its rows
    from top to bottom in consecutive ``uint8`` arrays of shape (rows, width x
    channels); ``whole()`` returns every pixel at once, as :func:`encode` takes
    them, and is called only when the writer needs them all: for Paeth (a large
    image, or a chart of usual size whose sample of rows is busy). Otherwise the
    rows are deflated as they arrive, each strip behind its filter bytes in one
    buffer of a strip's size, so no copy of the whole image is made: in a fresh
    process, memory the size of the image costs a page fault per 4 KiB (two such
    copies, about 700 faults for 800 x 600). Deflating the same bytes in pieces
    gives the same stream as in one call.

    Raises
    ------
    ValueError
        If the strips do not hold exactly ``height`` rows of ``width x channels`` bytes.
    """
    height, width, channels = shape
    stride = width * channels
    if not _small(height, stride) or channels not in _COLOR_TYPES or height < 1 or width < 1:
        return encode(whole())  # (encode names what is wrong with a shape it refuses)
    # The sample of rows _deflated takes (its bands one after the other), copied as the
    # rows pass: for the same share of busy pixels, in one pass at the end.
    spans = _bands(height)
    bands = [(a, b, at) for (a, b), at in zip(spans, _starts(spans), strict=True)]
    sample = np.empty((sum(b - a for a, b in spans), stride), dtype=np.uint8)
    compressor = zlib.compressobj(LEVEL)
    out: list[bytes] = []
    buffer = np.zeros((0, stride + 1), dtype=np.uint8)  # each row after its filter byte (0)
    y = 0
    for strip in strips:
        count = len(strip)
        if strip.shape != (count, stride) or not 0 < count <= height - y:
            msg = f"strips of {stride}-byte rows, {height} in all (got {strip.shape} at row {y})"
            raise ValueError(msg)
        for a, b, at in bands:
            lo, hi = max(a, y), min(b, y + count)
            if lo < hi:
                sample[at + lo - a : at + hi - a] = strip[lo - y : hi - y]
        if len(buffer) < count:
            buffer = np.zeros((count, stride + 1), dtype=np.uint8)
        buffer[:count, 1:] = strip
        out.append(compressor.compress(buffer[:count].data))
        y += count
    if y != height:
        msg = f"strips of {stride}-byte rows, {height} in all (got {y})"
        raise ValueError(msg)
    out.append(compressor.flush())
    idat = b"".join(out)
    if _busy_share(sample, sample[0, :channels]) >= _BUSY:  # Paeth too, as in _deflated
        rows = np.asarray(whole()).reshape(height, stride)
        paeth = zlib.compress(filtered(rows, channels, PAETH).data, LEVEL)
        idat = paeth if len(paeth) < len(idat) else idat
    return _container(width, height, channels, idat)

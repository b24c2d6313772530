"""PNG bytes from pixels, with numpy and the standard library's ``zlib``.

What :meth:`FunnelChart.to_png <salesfunnel.FunnelChart.to_png>` writes: an
8-bit RGB or RGBA image as the PNG signature, an ``IHDR`` chunk, one ``IDAT``
chunk and ``IEND`` (no metadata: no gamma, ICC profile, dpi or text chunks),
each chunk with its CRC-32 from :func:`zlib.crc32`.

Chosen for charts, which are flat colors with anti-aliased edges, gradients
that vary along one axis and a little text (measured on the gallery and the
benchmark chart, see :doc:`/benchmarks`):

* **row filter**: none (PNG filter type 0) for the whole image. A flat run is
  a run of repeated bytes and a row that repeats the row above is one match
  for deflate; prediction (sub, up, average, Paeth) turns anti-aliased edges
  and text into noise that deflate compresses worse. Up (type 2) is used only
  when a row is longer than deflate's 32 KiB window (an image more than about
  10,900 pixels wide), where deflate can no longer see the row above;
* **zlib level** :data:`LEVEL` (4), default strategy, 32 KiB window: the
  smallest level with lazy matching. Levels 1 to 3 make files 10 to 15 %
  larger than Pillow's; levels 5 to 9 save under 1 % more and take longer.

Together that gives files 6 to 18 % smaller than Pillow's default
``Image.save(format="PNG")`` (adaptive per-row filters, level 6) in about a
third of its time. The bytes depend only on the pixels and on the zlib the
interpreter links (another build, such as zlib-ng, may write other, equally
valid, bytes): same input, same bytes.

>>> import numpy as np
>>> data = encode(np.zeros((2, 3, 3), dtype=np.uint8))
>>> data[:8] == SIGNATURE, data[12:16], int.from_bytes(data[16:20], "big")
(True, b'IHDR', 3)
"""

from __future__ import annotations

import struct
import zlib
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = ["LEVEL", "SIGNATURE", "encode", "filtered"]

SIGNATURE = b"\x89PNG\r\n\x1a\n"
LEVEL = 4
NONE, SUB, UP, AVERAGE, PAETH = range(5)  # PNG filter types
_WINDOW = 32768  # deflate's window: how far back a match may start
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
    elif kind in (AVERAGE, PAETH):
        left = np.zeros((height, stride), dtype=np.int16)
        left[:, bpp:] = rows[:, :-bpp]
        up = np.zeros_like(left)
        up[1:] = rows[:-1]
        if kind == AVERAGE:
            predicted = (left + up) >> 1
        else:
            corner = np.zeros_like(left)
            corner[1:, bpp:] = rows[:-1, :-bpp]
            guess = left + up - corner
            to_left, to_up, to_corner = (np.abs(guess - p) for p in (left, up, corner))
            predicted = np.where(
                (to_left <= to_up) & (to_left <= to_corner),
                left,
                np.where(to_up <= to_corner, up, corner),
            )
        body[...] = (rows - predicted) & 0xFF
    else:
        msg = f"PNG filter type must be 0 to 4 (got {kind!r})"
        raise ValueError(msg)
    return out


def encode(pixels: npt.ArrayLike, *, filter: int | None = None) -> bytes:
    """PNG bytes of an 8-bit RGB or RGBA image.

    Parameters
    ----------
    pixels
        ``uint8`` array of shape (height, width, 3) for RGB or (height, width,
        4) for RGBA, height and width at least 1.
    filter
        PNG filter type (0 none, 1 sub, 2 up, 3 average, 4 Paeth) for every
        row; by default none, or up for rows longer than deflate's window (see
        the module's notes).

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
    stride = width * channels
    if filter is None:
        filter = NONE if stride + 1 <= _WINDOW else UP
    data = filtered(array.reshape(height, stride), channels, filter)
    # IHDR: size, 8 bits per channel, color type, deflate, adaptive filtering
    # (the only method: a filter byte per row), no interlace.
    header = struct.pack(">IIBBBBB", width, height, 8, _COLOR_TYPES[channels], 0, 0, 0)
    return b"".join(
        (
            SIGNATURE,
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(data.data, LEVEL)),
            _chunk(b"IEND", b""),
        )
    )

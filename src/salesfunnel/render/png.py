"""PNG bytes of an RGB image, as ``Image.save(..., "PNG")`` writes them with default settings.

Pillow's PNG writer (``PIL.PngImagePlugin``) is mostly a Python layer around
its C zlib encoder; importing it also imports ``PIL.ImageFile``,
``PIL.ImagePalette``, ``logging`` and ``fractions``, about 8 ms of a fresh
process that draws one chart. For the only image :meth:`FunnelChart.to_png`
writes (RGB, no metadata: no ICC profile, transparency, dpi or text chunks)
that layer comes down to the PNG signature, an ``IHDR`` chunk, one ``IDAT``
chunk per encoder buffer and ``IEND``, which this module writes around the same
encoder with the same settings and buffer size. Tests compare the bytes with
Pillow's own writer.
"""

from __future__ import annotations

import struct
import zlib

from PIL import Image
from PIL import _imaging as pil_core  # Pillow's C core: its zlib ("zip") encoder

__all__ = ["png_bytes", "write"]

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# ImageFile.MAXBLOCK: the smallest buffer Pillow hands its encoders.
_BUFSIZE = 65536


def _chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk: length, type, data, CRC of type and data."""
    crc = zlib.crc32(data, zlib.crc32(kind))
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png_bytes(image: Image.Image) -> bytes:
    """PNG of an RGB ``image``: :func:`write`, or Pillow's own writer if :func:`write` fails.

    :func:`write` relies on Pillow's private encoder interface (tests check its
    bytes against Pillow's writer); should a future Pillow change it, the chart
    is still written, through the public and slower path.
    """
    try:
        return write(image)
    except (AttributeError, TypeError):  # the private interface changed
        import io

        buf = io.BytesIO()
        image.save(buf, format="PNG")
        return buf.getvalue()


def write(image: Image.Image) -> bytes:
    """PNG of an RGB ``image``: the bytes of ``image.save(buf, "PNG")``.

    Same encoder (Pillow's "zip" encoder, default compression level and
    strategy, adaptive row filters), same buffer size, so the same ``IDAT``
    chunks as ``PngImagePlugin._save`` writes through ``ImageFile._save``.
    """
    if image.mode != "RGB" or image.info:
        msg = "png_bytes writes plain RGB images only (no metadata)"
        raise ValueError(msg)
    width, height = image.size
    # IHDR: size, 8 bits per channel, color type 2 (RGB), deflate, adaptive filters,
    # no interlace.
    out = [_SIGNATURE, _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))]
    # Arguments as PngImagePlugin passes them: raw mode, then optimize,
    # compress_level, compress_type and dictionary at their defaults.
    encoder = pil_core.zip_encoder("RGB", "RGB", False, -1, -1, b"")
    try:
        encoder.setimage(image.im, (0, 0, width, height))
        while True:
            _, status, data = encoder.encode(max(_BUFSIZE, width * 4))
            out.append(_chunk(b"IDAT", data))
            if status:
                break
    finally:
        encoder.cleanup()
    if status < 0:
        msg = f"PNG encoder error {status}"
        raise OSError(msg)
    out.append(_chunk(b"IEND", b""))
    return b"".join(out)

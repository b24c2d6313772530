"""Our PNG writer (salesfunnel.render.png) against Pillow's decoder and Pillow's writer."""

from __future__ import annotations

import io
import runpy
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given, settings, strategies as st
from PIL import Image

from salesfunnel import Funnel, FunnelChart, Style
from salesfunnel.render import pillow_fast, png
from salesfunnel.render.png import SIGNATURE, encode, filtered

GALLERY = sorted((Path(__file__).resolve().parents[2] / "docs" / "gallery").glob("*.py"))


def _decoded(data: bytes) -> tuple[str, np.ndarray]:
    image = Image.open(io.BytesIO(data))
    image.load()  # Pillow checks the chunk CRCs as it reads
    return image.mode, np.asarray(image)


def _chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """(type, data) of every chunk, checking each CRC."""
    assert data[:8] == SIGNATURE
    out, at = [], 8
    while at < len(data):
        (n,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + n]
        (crc,) = struct.unpack(">I", data[at + 8 + n : at + 12 + n])
        assert crc == zlib.crc32(kind + body)
        out.append((kind, body))
        at += 12 + n
    return out


@st.composite
def images(draw: st.DrawFn) -> np.ndarray:
    """uint8 (height, width, 3 or 4): flat, flat blocks (chart-like) or noise; 1-pixel sides."""
    height = draw(st.integers(1, 24))
    width = draw(st.integers(1, 41))
    channels = draw(st.sampled_from([3, 4]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    content = draw(st.sampled_from(["flat", "blocks", "noise"]))
    if content == "noise":
        return rng.integers(0, 256, (height, width, channels), dtype=np.uint8)
    pixels = np.empty((height, width, channels), dtype=np.uint8)
    pixels[...] = rng.integers(0, 256, channels, dtype=np.uint8)
    if content == "blocks":
        for _ in range(3):
            y, x = rng.integers(0, height), rng.integers(0, width)
            pixels[y:, x:] = rng.integers(0, 256, channels, dtype=np.uint8)
    return pixels


@settings(max_examples=150, deadline=None)
@given(pixels=images(), kind=st.sampled_from([None, 0, 1, 2, 3, 4]))
@example(pixels=np.full((1, 1, 3), 7, dtype=np.uint8), kind=None)
@example(pixels=np.arange(3 * 9, dtype=np.uint8).reshape(1, 9, 3), kind=4)
@example(pixels=np.arange(4 * 9, dtype=np.uint8).reshape(9, 1, 4), kind=4)
def test_pillow_reads_back_the_same_pixels(pixels: np.ndarray, kind: int | None) -> None:
    data = encode(pixels, filter=kind)
    mode, decoded = _decoded(data)
    assert mode == ("RGB" if pixels.shape[2] == 3 else "RGBA")
    assert np.array_equal(decoded, pixels)
    assert data == encode(pixels.copy(), filter=kind)  # the same input, the same bytes


def test_filters_worked_example() -> None:
    # One RGB pixel per row is enough to see each predictor: rows (10, 200, 255) and
    # (30, 100, 0) of a 2 x 1 image, plus a second pixel to have a left neighbour.
    rows = np.array([[10, 200, 255, 20, 190, 5], [30, 100, 0, 40, 90, 250]], dtype=np.uint8)
    f = {kind: filtered(rows, 3, kind).tolist() for kind in range(5)}
    assert f[0] == [[0, 10, 200, 255, 20, 190, 5], [0, 30, 100, 0, 40, 90, 250]]
    # sub: minus the byte 3 to the left, modulo 256 (5 - 255 = -250 -> 6)
    assert f[1] == [[1, 10, 200, 255, 10, 246, 6], [1, 30, 100, 0, 10, 246, 250]]
    # up: minus the byte above (100 - 200 = -100 -> 156)
    assert f[2] == [[2, 10, 200, 255, 20, 190, 5], [2, 20, 156, 1, 20, 156, 245]]
    # average: minus floor((left + above) / 2); row 0 has no row above, column 0 no left
    assert f[3] == [
        [3, 10, 200, 255, 15, 90, 134],
        [3, 25, 0, 129, 15, 201, 248],
    ]
    # Paeth at row 1, second pixel, first byte: left 30, above 20, corner 10 ->
    # guess 40, distances 10, 20, 30 -> left (30): 40 - 30 = 10
    assert f[4][1][4] == 10
    assert f[4][0] == [4, 10, 200, 255, 10, 246, 6]  # first row: Paeth = left
    assert f[4][1][1:4] == [20, 156, 1]  # first column: Paeth = above
    with pytest.raises(ValueError, match="0 to 4"):
        filtered(rows, 3, 5)


def test_chunk_layout_and_default_filter() -> None:
    pixels = np.zeros((3, 5, 3), dtype=np.uint8)
    chunks = _chunks(encode(pixels))
    assert [kind for kind, _ in chunks] == [b"IHDR", b"IDAT", b"IEND"]
    assert chunks[0][1] == struct.pack(">IIBBBBB", 5, 3, 8, 2, 0, 0, 0)
    raw = zlib.decompress(chunks[1][1])
    assert raw == b"\x00" + b"\x00" * 15 + b"\x00" + b"\x00" * 15 + b"\x00" + b"\x00" * 15
    assert _chunks(encode(np.zeros((1, 1, 4), dtype=np.uint8)))[0][1][9] == 6  # RGBA


def test_a_large_chart_of_smooth_ramps_takes_paeth_and_stays_smaller_than_pillows() -> None:
    # 6000 x 1800 pixels of wide, slowly changing ramps: without a filter deflate's
    # matches break up and the file would be 1.19x Pillow's; the sample picks Paeth.
    counts = {"Calls": 200, "Meetings": 60, "Presentations": 45, "Offers": 30, "Paid": 10}
    chart = FunnelChart(Funnel.from_counts(counts), width=2000, height=600, scale=3)
    image = chart.to_image()
    data = chart.to_png()
    assert zlib.decompress(_chunks(data)[1][1])[0] == 4  # the first row's filter byte
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    assert len(data) <= len(buf.getvalue())
    assert np.array_equal(_decoded(data)[1], np.asarray(image))


def test_a_chart_of_wide_strong_ramps_takes_paeth_and_stays_smaller_than_pillows() -> None:
    # The demo's open-deals chart (800 x 600): shaded sides cover about 60 % of the
    # canvas; without a filter the file was 1.10x Pillow's, with Paeth 0.97x.
    counts = [
        ("Lead", 21, 59_100.0),
        ("Qualified", 28, 106_000.0),
        ("Meeting", 23, 99_600.0),
        ("Proposal", 21, 91_500.0),
        ("Negotiation", 18, 71_600.0),
    ]
    chart = FunnelChart(
        Funnel.from_counts(counts),
        title="Team: open deals",
        percent="none",
        style=Style(label_gutter=0.0),
    )
    image = chart.to_image()
    data = chart.to_png()
    assert zlib.decompress(_chunks(data)[1][1])[0] == 4  # the first row's filter byte
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    assert len(data) <= len(buf.getvalue())
    assert np.array_equal(_decoded(data)[1], np.asarray(image))


def test_a_usual_chart_with_much_background_keeps_no_filter() -> None:
    chart = FunnelChart(Funnel.from_counts({"A": 30, "B": 12, "C": 5}), title="x")
    assert zlib.decompress(_chunks(chart.to_png())[1][1])[0] == 0


@pytest.mark.parametrize(
    ("pixels", "match"),
    [
        (np.zeros((2, 2, 3), dtype=np.uint16), "uint16 of shape \\(2, 2, 3\\)"),
        (np.zeros((2, 2), dtype=np.uint8), "shape \\(2, 2\\)"),
        (np.zeros((2, 2, 2), dtype=np.uint8), "3 or 4"),
        (np.zeros((0, 4, 3), dtype=np.uint8), "4 x 0"),
    ],
)
def test_what_is_not_an_image_is_refused(pixels: np.ndarray, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        encode(pixels)


def _gallery_charts() -> list[tuple[str, FunnelChart]]:
    out = []
    for script in GALLERY:
        ns = runpy.run_path(str(script))
        charts = ns.get("charts", [ns.get("chart")])
        out += [(f"{script.stem}[{k}]", chart) for k, chart in enumerate(charts)]
    return out


def test_gallery_pngs_are_no_larger_than_pillows_and_read_back_exactly() -> None:
    charts = _gallery_charts()
    assert len(charts) >= 10
    for name, chart in charts:
        image = chart.to_image()
        buf = io.BytesIO()
        image.save(buf, format="PNG")
        ours = chart.to_png()
        assert len(ours) <= len(buf.getvalue()), name
        assert np.array_equal(_decoded(ours)[1], np.asarray(image)), name


def test_to_png_is_the_same_through_the_public_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    chart = FunnelChart(Funnel.from_counts({"A": 30, "B": 12, "C": 5}), width=161, height=97)
    fast = chart.to_png()
    monkeypatch.setattr(pillow_fast, "fast_paths_available", lambda: False)
    assert chart.to_png() == fast


@settings(max_examples=200, deadline=None)
@given(
    pixels=images(), seed=st.integers(0, 2**32 - 1),
    flips=st.integers(0, 12), own_background=st.booleans(),
)  # fmt: skip
@example(pixels=np.full((1, 1, 3), 7, dtype=np.uint8), seed=0, flips=0, own_background=True)
@example(pixels=np.full((1, 1, 4), 7, dtype=np.uint8), seed=1, flips=1, own_background=True)
def test_busy_share_is_the_share_of_pixels_unlike_the_background(
    pixels: np.ndarray, seed: int, flips: int, own_background: bool
) -> None:
    # Some pixels differ from the background in one channel only (any of them), so a
    # channel left out of the join, or the channels joined by & instead of |, shows.
    pixels = pixels.copy()
    height, width, bpp = pixels.shape
    rng = np.random.default_rng(seed)
    background = pixels[0, 0].copy() if own_background else rng.integers(0, 256, bpp, np.uint8)
    for _ in range(flips):
        y, x, c = rng.integers(0, height), rng.integers(0, width), rng.integers(0, bpp)
        pixels[y, x] = background
        pixels[y, x, c] ^= 1 + int(rng.integers(0, 255))
    plain = sum(tuple(p) != tuple(background) for row in pixels for p in row) / (height * width)
    assert png._busy_share(pixels.reshape(height, width * bpp), background) == plain

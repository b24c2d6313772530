"""The PNG written from strips of rows (``png.encode_strips``, ``pillow_fast.png_bytes``,
what ``to_png()`` runs) against the writer given every pixel at once (``png.encode``)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import example, given, settings, strategies as st
from PIL import Image

from salesfunnel import Funnel, FunnelChart, Style
from salesfunnel.render import pillow_fast, png
from salesfunnel.render.png import encode, encode_strips

from render_helpers import core_without


@st.composite
def pictures(draw: st.DrawFn) -> np.ndarray:
    """uint8 (height, width, 3 or 4), up to 200 rows (the sample's bands have several
    rows), flat, or a background with blocks of colour covering little or much of it."""
    height = draw(st.integers(1, 200))
    width = draw(st.integers(1, 40))
    channels = draw(st.sampled_from([3, 4]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    pixels = np.empty((height, width, channels), dtype=np.uint8)
    pixels[...] = rng.integers(0, 256, channels, dtype=np.uint8)
    for _ in range(draw(st.integers(0, 6))):
        y0, x0 = rng.integers(0, height), rng.integers(0, width)
        y1, x1 = y0 + rng.integers(1, height + 1), x0 + rng.integers(1, width + 1)
        color = pixels[0, 0].copy()
        color[rng.integers(0, channels)] ^= 1 + int(rng.integers(0, 255))  # one channel differs
        pixels[y0:y1, x0:x1] = color
    if draw(st.booleans()):  # some noise, as anti-aliased edges and text are
        ys, xs = rng.integers(0, height, 20), rng.integers(0, width, 20)
        pixels[ys, xs] = rng.integers(0, 256, (20, channels), dtype=np.uint8)
    return pixels


def _cuts(draw: st.DrawFn, height: int) -> list[int]:
    """Strip heights adding up to ``height`` (of one size, as the reader makes them, or not)."""
    if draw(st.booleans()):
        rows = draw(st.integers(1, height))
        return [min(rows, height - y) for y in range(0, height, rows)]
    cuts: list[int] = []
    while sum(cuts) < height:
        cuts.append(draw(st.integers(1, height - sum(cuts))))
    return cuts


def _expected_whole(pixels: np.ndarray) -> bool:
    """Whether the writer needs every pixel: Paeth is tried (png._deflated's rule)."""
    height, width, channels = pixels.shape
    rows = pixels.reshape(height, width * channels)
    if not png._small(height, width * channels):
        return True
    sample = np.concatenate([rows[k * height // 8 :][: max(1, height // 64)] for k in range(8)])
    return png._busy_share(sample, rows[0, :channels]) >= png._BUSY


@settings(max_examples=300, deadline=None)
@given(pixels=pictures(), data=st.data())
@example(pixels=np.full((1, 1, 3), 9, dtype=np.uint8), data=None)
def test_strips_give_the_bytes_of_the_whole_image(
    pixels: np.ndarray, data: st.DataObject | None
) -> None:
    height, width, channels = pixels.shape
    cuts = [height] if data is None else _cuts(data.draw, height)
    rows = pixels.reshape(height, width * channels)
    starts = np.cumsum([0, *cuts])
    strips = [rows[a:b].copy() for a, b in itertools.pairwise(starts)]
    calls = []

    def whole() -> np.ndarray:
        calls.append(1)
        return pixels

    assert encode_strips(pixels.shape, iter(strips), whole) == encode(pixels)
    # every pixel at once only when Paeth is tried (a busy sample), once
    assert len(calls) == _expected_whole(pixels)


def test_a_large_image_is_written_from_the_whole_image(monkeypatch: pytest.MonkeyPatch) -> None:
    pixels = np.zeros((30, 20, 3), dtype=np.uint8)
    pixels[5:25, 3:17] = (200, 10, 40)
    monkeypatch.setattr(png, "_SMALL", 100)  # 30 rows of 60 bytes: now "large"
    calls = []

    def whole() -> np.ndarray:
        calls.append(1)
        return pixels

    assert encode_strips(pixels.shape, iter([]), whole) == encode(pixels)
    assert calls == [1]


@pytest.mark.parametrize(
    ("strips", "match"),
    [
        ([np.zeros((2, 9), np.uint8)], "got 2 at row 0|in all \\(got 2\\)"),  # too few rows
        ([np.zeros((3, 9), np.uint8), np.zeros((1, 9), np.uint8)], "at row 3"),  # too many
        ([np.zeros((3, 8), np.uint8)], "\\(3, 8\\) at row 0"),  # rows of the wrong width
        ([np.zeros((0, 9), np.uint8)], "\\(0, 9\\) at row 0"),  # an empty strip
    ],
)
def test_strips_that_are_not_the_image_are_refused(strips: list[np.ndarray], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        encode_strips((3, 3, 3), iter(strips), lambda: np.zeros((3, 3, 3), np.uint8))


@pytest.mark.parametrize("public", [False, True])
@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
@pytest.mark.parametrize("rows", [1, 3, 7, 40, 41, 1000])
def test_strips_read_the_rows_in_order(
    mode: str, rows: int, public: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if public:
        monkeypatch.setattr(pillow_fast, "fast_paths_available", lambda: False)
    rng = np.random.default_rng(rows)
    array = rng.integers(0, 256, (41, 13, len(mode)), dtype=np.uint8)
    image = Image.fromarray(array, mode)
    got = list(pillow_fast.strips(image, rows))
    assert [len(s) for s in got[:-1]] == [rows] * (len(got) - 1)
    assert 0 < len(got[-1]) <= rows
    assert np.array_equal(np.concatenate(got), array.reshape(41, 13 * len(mode)))
    with pytest.raises(ValueError, match="mode 'L'"):
        next(pillow_fast.strips(Image.new("L", (2, 2)), 1))


def test_strips_fall_back_when_the_raw_encoder_changed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pillow_fast, "pil_core", core_without("raw_encoder"))
    array = np.arange(5 * 4 * 3, dtype=np.uint8).reshape(5, 4, 3)
    got = list(pillow_fast.strips(Image.fromarray(array), 2))
    assert np.array_equal(np.concatenate(got), array.reshape(5, 12))


def _charts() -> list[FunnelChart]:
    six = {"Calls": 200, "Meetings": 60, "Presentations": 45, "Offers": 30, "Paid": 10}
    busy = {"Lead": 21, "Qualified": 28, "Meeting": 23, "Proposal": 21, "Negotiation": 18}
    return [
        FunnelChart(Funnel.from_counts(six), title="x"),  # no filter
        FunnelChart(Funnel.from_counts(six), width=333, height=201, scale=1.5),
        # the open-deals chart of the demo: busy, Paeth is tried and kept
        FunnelChart(Funnel.from_counts(busy), percent="none", style=Style(label_gutter=0.0)),
    ]


@pytest.mark.parametrize("k", range(3))
def test_to_png_is_the_writer_of_the_whole_image(k: int, monkeypatch: pytest.MonkeyPatch) -> None:
    chart = _charts()[k]
    image = chart.to_image()
    expected = encode(pillow_fast.pixels(image))
    reads = []
    real = pillow_fast.pixels

    def counted(image: Image.Image) -> np.ndarray:
        reads.append(1)
        return real(image)

    monkeypatch.setattr(pillow_fast, "pixels", counted)
    assert chart.to_png() == expected
    # a chart that is mostly background is written without a copy of the whole image
    assert len(reads) == (k == 2)

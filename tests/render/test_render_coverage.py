"""The coverage engine: worked examples and a plain reference for every pixel.

``_levels`` turns the top and bottom of a span in each sub-column into uint8
levels by a running sum over bands and gaps (see the module docstring of
``salesfunnel.render.coverage``). The reference here computes each pixel on its own,
from the definition: the mean over the sub-columns of the part of the pixel
between the edges, in exact integers.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings, strategies as st

from salesfunnel.render import coverage as cov
from salesfunnel.render.shapes import Ellipse, Line, Rect

SUB, Q = cov.SUB, cov.Q


def _run(
    spans: list[list[tuple[float, float]]], rows: list[int], top: list[int]
) -> list[list[int]]:
    """``_levels`` of columns given as SUB (top, bottom) pairs each, split per column."""
    y = np.array([[[t for t, _ in col] for col in spans], [[b for _, b in col] for col in spans]])
    y = np.ascontiguousarray(y.transpose(0, 2, 1), dtype=np.float64)  # (2, SUB, n)
    flat = cov._levels(np.array(top, dtype=np.intp), np.array(rows, dtype=np.intp), y)
    out, at = [], 0
    for r in rows:
        out.append(flat[at : at + r].tolist())
        at += r
    assert at == len(flat)
    return out


def _reference(
    spans: list[list[tuple[float, float]]], rows: list[int], top: list[int]
) -> list[list[int]]:
    """Each pixel from the definition, with the edges on the same 1/Q grid."""

    def fixed(y: float, c: int) -> int:
        return int(np.floor(min(max(y - top[c], 0.0), rows[c]) * Q + 0.5))

    out = []
    for c, col in enumerate(spans):
        levels = []
        for r in range(rows[c]):
            covered = sum(
                max(0, min(fixed(b, c), (r + 1) * Q) - max(fixed(t, c), r * Q)) for t, b in col
            )
            levels.append((255 * covered + SUB * Q // 2) // (SUB * Q))
        out.append(levels)
    return out


def test_one_column_worked_example() -> None:
    # a span from 1.25 to 3.5 in every sub-column of a 5-row box:
    # row 0 empty, row 1 three quarters, row 2 full, row 3 half, row 4 empty
    assert _run([[(1.25, 3.5)] * SUB], [5], [0]) == [[0, 191, 255, 128, 0]]
    # 0.75 * 255 = 191.25 -> 191 and 0.5 * 255 = 127.5 -> 128 (halves round up)


def test_sloped_edge_is_averaged_over_sub_columns() -> None:
    # top edge at 1.0, 1.25, 1.5, 1.75 across the column: row 1 is covered
    # 1, 0.75, 0.5, 0.25 -> mean 0.625 -> 159.375 -> 159
    spans = [[(1.0, 4.0), (1.25, 4.0), (1.5, 4.0), (1.75, 4.0)]]
    assert _run(spans, [4], [0]) == [[0, 159, 255, 255]]


def test_thin_spans_inside_a_row_and_across_a_boundary() -> None:
    inside = [[(2.25, 2.5)] * SUB]  # a quarter of row 2
    across = [[(2.75, 3.25)] * SUB]  # a quarter of row 2 and a quarter of row 3
    assert _run(inside, [5], [0]) == [[0, 0, 64, 0, 0]]
    assert _run(across, [5], [0]) == [[0, 0, 64, 64, 0]]


def test_box_offset_and_clipping() -> None:
    # the box starts at row 10: a span from 9 to 12.5 covers rows 10, 11 and half of 12
    assert _run([[(9.0, 12.5)] * SUB], [4], [10]) == [[255, 255, 128, 0]]
    # a span reaching past the bottom, then one wholly below the box
    assert _run([[(1.5, 99.0)] * SUB, [(7.0, 9.0)] * SUB], [3, 3], [0, 0]) == [
        [0, 128, 255],
        [0, 0, 0],
    ]


def test_a_full_column_next_to_an_empty_one() -> None:
    # the step of a span ending exactly at the bottom of its box falls on the
    # column's last gap, and must not leak into the next column
    assert _run([[(0.0, 3.0)] * SUB, [(1.0, 1.0)] * SUB], [3, 3], [0, 0]) == [
        [255, 255, 255],
        [0, 0, 0],
    ]


@st.composite
def columns(draw: st.DrawFn) -> tuple[list[list[tuple[float, float]]], list[int], list[int]]:
    n = draw(st.integers(1, 6))
    rows = draw(st.lists(st.integers(1, 12), min_size=n, max_size=n))
    top = draw(st.lists(st.integers(0, 20), min_size=n, max_size=n))
    spans = []
    for c in range(n):
        col = []
        for _ in range(SUB):
            t = draw(st.floats(top[c] - 3.0, top[c] + rows[c] + 3.0))
            h = draw(st.one_of(st.just(0.0), st.floats(0.0, rows[c] + 3.0)))
            col.append((t, t + h))
        spans.append(col)
    return spans, rows, top


@settings(max_examples=300)
@given(columns())
def test_levels_match_the_definition_pixel_by_pixel(
    data: tuple[list[list[tuple[float, float]]], list[int], list[int]],
) -> None:
    spans, rows, top = data
    assert _run(spans, rows, top) == _reference(spans, rows, top)


SHAPES = [
    Ellipse(40.0, 30.0, 25.0, 8.0, fill=(1, 2, 3)),
    Ellipse(40.0, 30.0, 25.0, 8.0, stroke=(1, 2, 3), stroke_width=1.5),
    Ellipse(50.0, 40.0, 20.0, 6.0, stroke=(1, 2, 3), stroke_width=2.0, front=True),
    Line(10.0, 5.0, 22.0, 50.0, (1, 2, 3), 1.5),
    Line(5.0, 60.0, 70.0, 60.0, (1, 2, 3), 1.0),
    Rect(3.3, 4.7, 30.2, 9.9, fill=(1, 2, 3)),
]


def _add(batch: cov.Batch, shape: object) -> int | None:
    if isinstance(shape, Ellipse):
        return batch.add_ellipse_fill(shape) if shape.fill else batch.add_ellipse_stroke(shape)
    if isinstance(shape, Line):
        return batch.add_line(shape)
    assert isinstance(shape, Rect)
    return batch.add_rect(shape)


@given(order=st.permutations(range(len(SHAPES))), scale=st.sampled_from([0.5, 1.0, 1.5, 2.0]))
def test_a_mask_does_not_depend_on_the_rest_of_the_batch(order: list[int], scale: float) -> None:
    size = (round(90 * scale), round(80 * scale))
    together = cov.Batch(scale, size)
    ids = {i: _add(together, SHAPES[i]) for i in order}
    together.run()
    for i, k in ids.items():
        alone = cov.Batch(scale, size)
        j = _add(alone, SHAPES[i])
        alone.run()
        assert k is not None
        assert j is not None
        box, levels = together.mask(k)
        assert alone.mask(j)[0] == box
        assert np.array_equal(alone.mask(j)[1], levels)


def test_a_rim_is_its_two_arcs() -> None:
    # the whole rim line (two blocks, levels added) against its upper and lower
    # halves: every pixel of the rim is in one of them, and the top half only
    # holds the upper arc
    rim = Ellipse(40.0, 30.0, 25.0, 8.0, stroke=(1, 2, 3), stroke_width=2.0)
    patch = cov.ellipse_stroke(rim, 1.0, (90, 80))
    assert patch is not None
    levels = patch.levels.astype(int)
    rows = np.arange(patch.y0, patch.y0 + levels.shape[0])
    assert levels.max() == 255
    # nothing inside the inner ellipse, far from the line
    inside = levels[(rows > 25) & (rows < 35)][:, 20:40]
    assert inside.max() == 0
    # symmetric about the centre line (rows 30 - k and 29 + k)
    assert np.array_equal(levels[rows < 30][::-1][: len(levels[rows >= 30])], levels[rows >= 30])

"""The chart object as a whole: one output size for every backend."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hypothesis import given, settings
from hypothesis import strategies as st

from salesfunnel import Funnel, FunnelChart
from salesfunnel.render.shapes import output_size

SVG = "{http://www.w3.org/2000/svg}"
SMALL = Funnel.from_counts({"Calls": 20, "Meetings": 7, "Paid": 2})


def test_output_size_rounds_each_side_half_to_even() -> None:
    # worked by hand: 101 * 0.5 = 50.5 -> 50 (half to even), 75 * 0.5 = 37.5 -> 38
    assert output_size(101, 75, 0.5) == (50, 38)
    assert output_size(400, 300, 1.5) == (600, 450)
    assert output_size(17, 16, 1 / 3) == (6, 5)  # 5.67 -> 6, 5.33 -> 5


@settings(max_examples=25, deadline=None)
@given(
    width=st.integers(16, 300),
    height=st.integers(16, 300),
    scale=st.sampled_from([0.25, 0.5, 1 / 3, 0.7, 1, 1.5, 2, 2.5]),
)
def test_every_backend_has_the_size_output_size_gives(
    width: int, height: int, scale: float
) -> None:
    chart = FunnelChart(SMALL, width=width, height=height, scale=scale)
    want = output_size(width, height, scale)
    assert chart.size == want
    assert chart.to_image().size == want
    assert chart.hit_mask().shape == (want[1], want[0])
    root = ET.fromstring(chart.to_svg())
    assert (root.get("width"), root.get("height")) == (str(want[0]), str(want[1]))
    assert root.get("viewBox") == f"0 0 {want[0]} {want[1]}"

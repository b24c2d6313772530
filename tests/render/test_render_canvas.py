"""The chart as a whole: one output size for every backend, hit areas, the stage limit, pickling."""

from __future__ import annotations

import pickle
import re
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from salesfunnel import Funnel, FunnelChart, FunnelDataError
from salesfunnel.chart import MAX_STAGES
from salesfunnel.render.raster import render
from salesfunnel.render.shapes import Geometry, HitArea, Layer, output_size

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


# -- the stage limit (issue 10) ------------------------------------------------------


def _stages(n: int) -> Funnel:
    return Funnel.from_counts({f"s{i}": float(n - i) for i in range(n)})


def test_a_funnel_at_the_stage_limit_is_drawn() -> None:
    chart = FunnelChart(_stages(MAX_STAGES), width=200, height=150)
    assert chart.to_image().size == (200, 150)
    # every stage is there: a side region for each (hit target or drawn side)
    sides = {r.stage for r in chart.regions if r.part == "side"}
    assert sides == set(range(MAX_STAGES))


@pytest.mark.parametrize("data", ["one", "list", "dict"])
def test_one_stage_above_the_limit_is_refused_naming_count_and_limit(data: str) -> None:
    big = _stages(MAX_STAGES + 1)
    given_data = {"one": big, "list": [SMALL, big], "dict": {"Ann": SMALL, "Bo": big}}[data]
    # An unnamed single funnel is "the funnel" (the message once said "funnel None").
    key = {"one": "the funnel", "list": "funnel 1", "dict": "funnel 'Bo'"}[data]
    msg = f"{key} has {MAX_STAGES + 1:,} stages, above the limit of {MAX_STAGES:,}"
    with pytest.raises(FunnelDataError, match=re.escape(msg)):
        FunnelChart(given_data, width=200, height=150)  # type: ignore[arg-type]


def test_the_limit_is_per_funnel() -> None:
    funnels = [_stages(MAX_STAGES // 2)] * 3  # more stages in all than the limit
    assert len(FunnelChart(funnels, width=300, height=150).funnels) == 3


# -- pickling (issue 10) ---------------------------------------------------------------


def test_a_pickled_chart_draws_the_same_bytes() -> None:
    chart = FunnelChart(
        {"Ann": SMALL, "Bo": Funnel.from_counts({"Calls": 9, "Paid": 4})},
        width=320,
        height=200,
        scale=1.5,
        title="Team",
    )
    png, svg = chart.to_png(), chart.to_svg()
    mask = chart.hit_mask().copy()  # the cache is filled before pickling
    chart.hit_test(100, 150)  # and so are the metrics tables
    loaded = pickle.loads(pickle.dumps(chart))
    assert loaded.to_png() == png
    assert loaded.to_svg() == svg
    assert np.array_equal(loaded.hit_mask(), mask)
    assert loaded.hit_test(100, 150) == chart.hit_test(100, 150)
    assert loaded.regions == chart.regions
    # the loaded chart has a lock of its own: hit masks from threads still work
    with ThreadPoolExecutor(max_workers=2) as pool:
        masks = list(pool.map(lambda c: c.hit_mask(), [loaded, loaded]))
    assert all(np.array_equal(m, mask) for m in masks)


# -- hit areas: clickable, never drawn ----------------------------------------------------


def test_hit_areas_are_invisible_clickable_rects_in_svg_and_absent_from_the_image() -> None:
    chart = FunnelChart(
        {"Ann": SMALL, "Bo": Funnel.from_counts({"Calls": 9, "Meetings": 4})}, width=360, height=220
    )
    areas = [s for s in chart.geometry.shapes if isinstance(s.primitive, HitArea)]
    # a target per non-zero stage (5), a label box per stage (5), a heading per funnel (2),
    # a legend entry per stage position (3)
    assert len(areas) == 15
    assert sum(s.layer is Layer.ELLIPSE for s in areas) == 5
    root = ET.fromstring(chart.to_svg())
    invisible = {
        g.get("data-layer"): [r for r in g.iter(SVG + "rect") if r.get("fill-opacity") == "0"]
        for g in root.iter(SVG + "g")
    }
    for layer in Layer:
        rects = invisible[layer.value]
        assert len(rects) == sum(s.layer is layer for s in areas)
        assert all(r.get("pointer-events") == "all" and r.get("data-part") for r in rects)
    # the raster image is the same without them
    bare = Geometry(
        chart.geometry.width,
        chart.geometry.height,
        tuple(s for s in chart.geometry.shapes if not isinstance(s.primitive, HitArea)),
        chart.geometry.regions,
        chart.geometry.label_notes,
        chart.geometry.description,
    )
    assert render(bare, 1, chart.style.background).tobytes() == chart.to_image().tobytes()

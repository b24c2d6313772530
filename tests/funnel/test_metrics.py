from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import assume, given

from salesfunnel import (
    Funnel,
    bottleneck,
    conversion_from_first,
    drop_off,
    drop_off_rate,
    metrics_table,
    overall_conversion,
    step_conversion,
)

from strategies import funnels, monotone_funnels


def test_seed_worked_example_200_called_10_paid_is_5_percent() -> None:
    f = Funnel.from_counts({"Called": 200, "Signed": 12, "Paid": 10})
    assert overall_conversion(f) == pytest.approx(0.05)


def test_hand_computed_funnel() -> None:
    # 1000 -> 250 -> 100 -> 100 -> 20, computed by hand.
    f = Funnel.from_counts({"a": 1000, "b": 250, "c": 100, "d": 100, "e": 20})
    assert step_conversion(f) == pytest.approx([1.0, 0.25, 0.4, 1.0, 0.2])
    assert conversion_from_first(f) == pytest.approx([1.0, 0.25, 0.1, 0.1, 0.02])
    assert list(drop_off(f)) == [0, 750, 150, 0, 80]
    assert drop_off_rate(f) == pytest.approx([0.0, 0.75, 0.6, 0.0, 0.8])
    neck = bottleneck(f)
    assert neck is not None
    assert (neck.index, neck.name, neck.rate) == (4, "e", pytest.approx(0.2))


def test_zero_denominators_are_nan_never_inf() -> None:
    f = Funnel.from_counts({"a": 10, "b": 0, "c": 0})
    steps = step_conversion(f)
    assert steps[1] == 0.0
    assert math.isnan(steps[2])
    assert not np.isinf(steps).any()
    zero_first = Funnel.from_counts({"a": 0, "b": 0})
    assert np.isnan(conversion_from_first(zero_first)).all()
    assert math.isnan(overall_conversion(zero_first))
    assert bottleneck(zero_first) is None


def test_bottleneck_ties_go_to_the_earliest_stage() -> None:
    f = Funnel.from_counts({"a": 100, "b": 50, "c": 25, "d": 20})
    neck = bottleneck(f)
    assert neck is not None
    assert neck.name == "b"  # b and c both convert 50 %


def test_bottleneck_skips_undefined_steps_and_one_stage_is_none() -> None:
    f = Funnel.from_counts({"a": 10, "b": 0, "c": 0})
    neck = bottleneck(f)
    assert neck is not None
    assert neck.name == "b"
    assert bottleneck(Funnel.from_counts({"only": 5})) is None


def test_records_and_json_use_null_for_undefined() -> None:
    t = metrics_table(Funnel.from_counts({"a": 10, "b": 0, "c": 0}))
    records = t.to_records()
    assert records[2]["step_conversion"] is None
    payload = json.loads(t.to_json())
    assert payload["stages"][2]["drop_off_rate"] is None
    assert "nan" not in str(t).lower()
    assert "\u2014" in str(t)
    assert "nan" not in t._repr_html_().lower()


def test_table_flags_growth_and_escapes_html() -> None:
    t = metrics_table(Funnel.from_counts({"<b>": 5, "x": 7}, name="<script>"))
    assert t[1].non_monotonic
    text = str(t).splitlines()
    # The flag sits under its own heading (it once had an empty one).
    assert text[1].split()[-1] == "note"  # text[0] is the title
    assert text[4].split()[-1] == "grows"
    html = t._repr_html_()
    assert "<th>note</th>" in html
    assert "<td>grows</td>" in html
    plain = metrics_table(Funnel.from_counts({"a": 7, "b": 5}))._repr_html_()
    assert "note" not in plain
    assert plain.count("<th>") == plain.count("<td>") // 2
    assert "<script>" not in html
    assert "&lt;b&gt;" in html


@given(monotone_funnels())
def test_rates_of_monotone_funnels_lie_in_unit_interval(f: Funnel) -> None:
    for rates in (step_conversion(f), conversion_from_first(f), drop_off_rate(f)):
        defined = rates[~np.isnan(rates)]
        assert ((defined >= 0) & (defined <= 1)).all()


@given(monotone_funnels(min_stages=1, positive=True))
def test_product_of_steps_equals_overall(f: Funnel) -> None:
    assert np.prod(step_conversion(f)) == pytest.approx(overall_conversion(f), rel=1e-9)


@given(funnels())
def test_drop_offs_sum_to_first_minus_last(f: Funnel) -> None:
    c = f.counts
    # Float sums cancel: the tolerance scales with the largest count.
    assert drop_off(f).sum() == pytest.approx(c[0] - c[-1], abs=1e-9 * max(1.0, c.max()))


@given(funnels())
def test_no_inf_anywhere_and_json_is_strict(f: Funnel) -> None:
    for arr in (step_conversion(f), conversion_from_first(f), drop_off_rate(f)):
        assert not np.isinf(arr).any()
    json.loads(metrics_table(f).to_json())  # allow_nan=False would raise


@given(funnels(min_stages=2))
def test_bottleneck_is_a_minimum_defined_step(f: Funnel) -> None:
    steps = step_conversion(f)[1:]
    assume(not np.isnan(steps).all())
    neck = bottleneck(f)
    assert neck is not None
    assert neck.rate == np.nanmin(steps)
    earlier = steps[: neck.index - 1]
    assert not (earlier[~np.isnan(earlier)] <= neck.rate).any()


def test_to_pandas_keeps_nan_for_undefined_rates() -> None:
    pytest.importorskip("pandas")
    frame = metrics_table(Funnel.from_counts({"a": 10, "b": 0, "c": 0})).to_pandas()
    assert list(frame.index) == ["a", "b", "c"]
    assert frame.loc["b", "step_conversion"] == 0.0
    assert math.isnan(frame.loc["c", "step_conversion"])

from __future__ import annotations

import json
import math
from fractions import Fraction
from statistics import NormalDist

import pytest
from hypothesis import given, strategies as st

from salesfunnel import Funnel, FunnelDataError, compare, wilson_interval
from salesfunnel.datasets import three_managers
from salesfunnel.funnel.compare import normal_cdf, two_proportion_test


@pytest.mark.parametrize(
    ("x", "n", "low", "high"),
    [
        # Newcombe (1998), Stat. Med. 17:857-872, Table I, method 3 (Wilson score, no CC).
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0000, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_matches_newcombe_table(x: int, n: int, low: float, high: float) -> None:
    interval = wilson_interval(x, n)
    assert interval is not None
    assert interval[0] == pytest.approx(low, abs=5e-5)
    assert interval[1] == pytest.approx(high, abs=5e-5)


def test_wilson_undefined_cases() -> None:
    assert wilson_interval(0, 0) is None
    assert wilson_interval(5, 4) is None
    with pytest.raises(FunnelDataError, match="confidence"):
        wilson_interval(1, 2, confidence=1.5)


def test_normal_cdf_agrees_with_statistics_module() -> None:
    dist = NormalDist()
    for x in (-3.0, -1.0, 0.0, 0.5, 1.96, 4.0):
        assert normal_cdf(x) == pytest.approx(dist.cdf(x), abs=1e-12)


def test_two_proportion_by_hand() -> None:
    # 45/100 vs 30/100: pooled 0.375, se = sqrt(0.375*0.625*0.02) = 0.0684653,
    # z = 0.15 / 0.0684653 = 2.19089, two-sided p = 2 * (1 - Phi(2.19089)) = 0.02846.
    p = two_proportion_test(45, 100, 30, 100)
    assert p is not None
    assert p == pytest.approx(2 * (1 - NormalDist().cdf(0.15 / math.sqrt(0.0046875))), rel=1e-9)
    assert p == pytest.approx(0.02846, abs=1e-5)
    assert two_proportion_test(10, 10, 20, 20) is None  # no variance
    assert two_proportion_test(1, 0, 1, 2) is None


def test_seed_story_is_reached_from_the_numbers() -> None:
    funnels = three_managers()
    c = compare(funnels)
    calls = {m: f["Calls"].count for m, f in funnels.items()}
    assert max(calls, key=calls.__getitem__) == "Manager 2"  # most calls ...
    overall = {m: c.overall_of(m).rate for m in funnels}
    assert min(overall, key=overall.__getitem__) == "Manager 2"  # ... lowest overall conversion
    # The cold call (Calls -> Meetings) is manager 2's weak point, and we are sure of it.
    weak = c.weakest("Manager 2")
    assert weak is not None
    assert weak.stage == "Meetings"
    assert weak.significant
    assert weak.p_value is not None
    assert weak.p_value < 1e-6
    # He converts meetings into repeat contacts better than the rest of the team.
    strong = c.strongest("Manager 2")
    assert strong is not None
    assert strong.stage == "Repeat contacts"
    assert strong.significant
    # Highest payment-stage conversion, 68 %; company's payment stage within 60-68 %.
    paid = {m: c.step(m, "Paid").rate for m in funnels}
    assert max(paid, key=paid.__getitem__) == "Manager 2"
    assert round(paid["Manager 2"] * 100) == 68
    assert all(0.60 <= r <= 0.68 for r in paid.values())
    assert 0.60 <= c.step("Manager 2", "Paid").team_rate <= 0.68
    # ... but with 75 contracts each, that lead is not statistically sure.
    assert not c.step("Manager 2", "Paid").significant


def test_small_samples_are_not_ranked() -> None:
    a = Funnel.from_counts({"Calls": 20, "Paid": 2})
    b = Funnel.from_counts({"Calls": 500, "Paid": 100})
    c = compare({"a": a, "b": b})
    step = c.step("a", "Paid")
    assert not step.ranked
    assert step.p_value is None
    assert not step.significant
    # the interval is still reported: Wilson 95 % for 2 of 20 is 0.0279 to 0.3010
    assert (step.ci_low, step.ci_high) == pytest.approx((0.02787, 0.30103), abs=1e-5)
    assert c.weakest("a") is None
    assert c.strongest("a") is None
    assert (
        "a: overall 10.0% (team 19.6%); weakest: not enough data; strongest: not enough data"
        in (c.summary())
    )
    json.loads(c.to_json())


def test_a_growing_stage_is_named_as_the_reason_not_small_samples() -> None:
    # 3,000 of 1,000 is not a proportion: no test, and the summary says why
    # (it used to say "not enough data" for 1,000 trials on each side).
    grows = Funnel.from_counts({"Visits": 1000, "Pageviews": 3000})
    plain = Funnel.from_counts({"Visits": 1000, "Pageviews": 300})
    c = compare({"grows": grows, "plain": plain})
    assert c.step("grows", "Pageviews").p_value is None
    assert c.step("plain", "Pageviews").p_value is None
    lines = c.summary().splitlines()
    assert "weakest: no step to rank (a stage larger than the one before is not a rate)" in lines[0]
    assert "weakest: no step to rank (the rest of the team has a stage larger" in lines[1]
    assert "not enough data" not in c.summary()


def test_everyone_at_100_percent_has_no_weakest_or_strongest_step() -> None:
    # Every step converts 40/40 and 50/50: no step is below or above the rest, and
    # with no variance the test has no p-value. Not a finding either way.
    a = Funnel.from_counts({"Calls": 40, "Meetings": 40, "Paid": 40})
    b = Funnel.from_counts({"Calls": 50, "Meetings": 50, "Paid": 50})
    c = compare({"a": a, "b": b})
    assert all(s.ranked and s.difference == 0 and s.p_value is None for s in c.steps)
    for g in ("a", "b"):
        assert c.weakest(g) is None
        assert c.strongest(g) is None
    assert c.summary().splitlines() == [
        "a: overall 100.0% (team 100.0%); weakest: none below the rest; "
        "strongest: none above the rest",
        "b: overall 100.0% (team 100.0%); weakest: none below the rest; "
        "strongest: none above the rest",
    ]


def test_exactly_one_step_below_the_rest() -> None:
    # Calls -> Meetings: A 50/100 against B 80/100; Meetings -> Paid: 100 % for both.
    a = Funnel.from_counts({"Calls": 100, "Meetings": 50, "Paid": 50})
    b = Funnel.from_counts({"Calls": 100, "Meetings": 80, "Paid": 80})
    c = compare({"A": a, "B": b})
    weak = c.weakest("A")
    assert weak is not None
    assert (weak.stage, weak.rate, weak.rest_rate) == ("Meetings", 0.5, 0.8)
    assert weak.difference == pytest.approx(-0.3)
    # Pooled 130/200 = 0.65, se = sqrt(0.65 * 0.35 * (1/100 + 1/100)) = 0.067454,
    # z = -0.3 / 0.067454 = -4.4475, two-sided p = 2 (1 - Phi(4.4475)) = 8.7e-6.
    z = 0.3 / math.sqrt(0.65 * 0.35 * 0.02)
    assert weak.p_value == pytest.approx(2 * (1 - NormalDist().cdf(z)), rel=1e-6)
    assert weak.p_value == pytest.approx(8.7e-6, rel=0.01)
    assert weak.significant
    assert c.strongest("A") is None  # the Paid step is level with the rest
    strong = c.strongest("B")
    assert strong is not None
    assert (strong.stage, strong.rate, strong.rest_rate) == ("Meetings", 0.8, 0.5)
    assert c.weakest("B") is None
    assert c.summary().splitlines() == [
        "A: overall 50.0% (team 65.0%); weakest: Meetings 50.0% vs rest 80.0% "
        "(p=8.7e-06, Holm-adjusted p=1.7e-05, significant); strongest: none above the rest",
        "B: overall 80.0% (team 65.0%); weakest: none below the rest; "
        "strongest: Meetings 80.0% vs rest 50.0% (p=8.7e-06, Holm-adjusted p=1.7e-05, "
        "significant)",
    ]


def test_growth_step_is_not_a_proportion() -> None:
    a = Funnel.from_counts({"x": 50, "y": 60})
    b = Funnel.from_counts({"x": 50, "y": 40})
    step = compare({"a": a, "b": b}).step("a", "y")
    assert step.ci_low is None
    assert step.p_value is None
    assert step.rate == pytest.approx(1.2)


def test_compare_rejects_mismatched_and_single() -> None:
    a = Funnel.from_counts({"x": 5, "y": 1})
    with pytest.raises(FunnelDataError, match="at least two"):
        compare({"a": a})
    with pytest.raises(FunnelDataError, match=r"same stages.*'b'"):
        compare({"a": a, "b": Funnel.from_counts({"x": 5, "z": 1})})
    with pytest.raises(FunnelDataError, match="min_n"):
        compare({"a": a, "b": a}, min_n=0)


@given(
    st.integers(min_value=1, max_value=10**6).flatmap(
        lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
    ),
    st.sampled_from([0.8, 0.9, 0.95, 0.99]),
)
def test_wilson_contains_point_estimate(xn: tuple[int, int], confidence: float) -> None:
    x, n = xn
    interval = wilson_interval(x, n, confidence)
    assert interval is not None
    low, high = interval
    assert 0.0 <= low <= x / n <= high <= 1.0


@given(st.lists(st.integers(min_value=1, max_value=5000), min_size=2, max_size=5), st.data())
def test_compare_intervals_contain_estimates(firsts: list[int], data: st.DataObject) -> None:
    funnels = {}
    for g, first in enumerate(firsts):
        second = data.draw(st.integers(min_value=0, max_value=first))
        funnels[f"g{g}"] = Funnel.from_counts({"a": first, "b": second})
    c = compare(funnels)
    for s in (*c.steps, *c.overall):
        assert s.ci_low is not None
        assert s.ci_high is not None
        assert s.ci_low <= s.rate <= s.ci_high
        if s.p_value is not None:
            assert 0.0 <= s.p_value <= 1.0


@st.composite
def _team(draw: st.DrawFn) -> dict[str, Funnel]:
    """2..3 funnels over the same 2..4 stages; steps often at 0 % or 100 %."""
    n_stages = draw(st.integers(2, 4))
    out = {}
    for g in range(draw(st.integers(2, 3))):
        counts = [draw(st.integers(0, 120))]
        for _ in range(n_stages - 1):
            prev = counts[-1]
            counts.append(draw(st.sampled_from([0, prev]) | st.integers(0, prev)))
        out[f"g{g}"] = Funnel.from_counts({f"S{i}": c for i, c in enumerate(counts)})
    return out


@given(_team(), st.integers(1, 40))
def test_weakest_and_strongest_are_below_and_above_the_rest(
    funnels: dict[str, Funnel], min_n: int
) -> None:
    c = compare(funnels, min_n=min_n)
    for g in funnels:
        # Reference with exact fractions: rate < rest rate  <=>  x * rest_n < rest_x * n.
        below, above, gaps = [], [], {}
        for i in range(1, len(c.stages)):
            x, n = int(funnels[g].counts[i]), int(funnels[g].counts[i - 1])
            rest_x = sum(int(f.counts[i]) for h, f in funnels.items() if h != g)
            rest_n = sum(int(f.counts[i - 1]) for h, f in funnels.items() if h != g)
            if not (n >= min_n and rest_n >= min_n):
                continue
            gap = gaps[i] = Fraction(x, n) - Fraction(rest_x, rest_n)
            (below if gap < 0 else above if gap > 0 else []).append((gap, i))
        weak, strong = c.weakest(g), c.strongest(g)
        if below:
            assert weak is not None
            # The most negative gap (floats may order exact ties either way).
            assert float(gaps[weak.stage_index]) == pytest.approx(float(min(below)[0]), abs=1e-12)
            assert weak.difference < 0
            assert weak.p_value is not None
        else:
            assert weak is None
        if above:
            assert strong is not None
            assert float(gaps[strong.stage_index]) == pytest.approx(float(max(above)[0]), abs=1e-12)
            assert strong.difference > 0
            assert strong.p_value is not None
        else:
            assert strong is None


def test_ranked_tells_no_finding_from_too_little_data() -> None:
    # a: 20 calls (under min_n = 30, not ranked); b: 500 calls (ranked)
    small = compare(
        {
            "a": Funnel.from_counts({"Calls": 20, "Paid": 2}),
            "b": Funnel.from_counts({"Calls": 500, "Paid": 100}),
        }
    )
    assert small.ranked("a") is False
    # both at 100 % with enough data: ranked, yet no weakest step
    level = compare(
        {
            "a": Funnel.from_counts({"Calls": 40, "Paid": 40}),
            "b": Funnel.from_counts({"Calls": 50, "Paid": 50}),
        }
    )
    assert level.ranked("a") is True
    assert level.weakest("a") is None


def test_fractional_counts_are_refused_by_name() -> None:
    # A two-proportion test counts successes out of trials: 5.5 of 10 is not a count.
    funnels = {
        "x": Funnel.from_counts({"A": 10, "B": 5.5}),
        "y": Funnel.from_counts({"A": 10, "B": 1}),
    }
    with pytest.raises(FunnelDataError, match=r"whole-number counts; stage 'B' of 'x' has 5\.5"):
        compare(funnels)

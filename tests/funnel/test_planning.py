from __future__ import annotations

import math

import pytest
from hypothesis import given, strategies as st

from salesfunnel import (
    Funnel,
    FunnelDataError,
    feasible_plan,
    leads_needed,
    managers_needed,
)

from strategies import rates


def test_seed_five_percent_backwards() -> None:
    # 200 calls -> 10 paid is 5 %; 10 paid need 200 calls, with no float-noise extra lead.
    assert leads_needed(10, [0.05]).leads == 200
    assert leads_needed(10, Funnel.from_counts({"Calls": 200, "Paid": 10})).needed == (200, 10)


def test_rounds_up_at_every_stage_by_hand() -> None:
    # target 7 at 30 %: ceil(7 / 0.3) = ceil(23.33) = 24; 24 at 45 %: ceil(53.33) = 54.
    plan = leads_needed(7, [0.45, 0.3], names=["Leads", "Offers", "Paid"])
    assert plan.needed == (54, 24, 7)
    assert plan.names == ("Leads", "Offers", "Paid")
    assert plan.to_records()[1] == {"name": "Offers", "needed": 24, "step_conversion": 0.45}


@pytest.mark.parametrize("bad", [0.0, -0.1, math.nan, math.inf])
def test_zero_or_undefined_rates_raise(bad: float) -> None:
    with pytest.raises(FunnelDataError, match=r"rates\[1\]"):
        leads_needed(10, [0.5, bad])


def test_funnel_with_zero_step_names_the_stage() -> None:
    f = Funnel.from_counts({"Calls": 100, "Meetings": 0, "Paid": 0})
    with pytest.raises(FunnelDataError, match="'Meetings'"):
        leads_needed(5, f)


def test_target_and_names_validation() -> None:
    with pytest.raises(FunnelDataError, match="target"):
        leads_needed(0, [0.5])
    with pytest.raises(FunnelDataError, match="one more entry"):
        leads_needed(1, [0.5], names=["a"])


def test_managers_needed() -> None:
    assert managers_needed(600, 250) == 3
    assert managers_needed(500, 250) == 2
    assert managers_needed(0, 250) == 0
    with pytest.raises(FunnelDataError, match="capacity_per_manager"):
        managers_needed(10, 0)
    with pytest.raises(FunnelDataError, match="leads"):
        managers_needed(-1, 5)


def test_feasible_plan_by_hand() -> None:
    funnels = {
        "Ann": Funnel.from_counts([("Calls", 200), ("Paid", 10, 5000.0)]),
        "Bob": Funnel.from_counts({"Calls": 100, "Paid": 8}),
    }
    plan = feasible_plan(funnels, {"Ann": 300, "Bob": 150})
    ann, bob = plan.managers
    assert (ann.achievable, bob.achievable) == (15, 12)  # 300 * 5 %, 150 * 8 %
    assert ann.average_amount == 500.0
    assert ann.achievable_amount == 7500.0
    assert bob.achievable_amount is None
    assert plan.achievable == 27
    with pytest.raises(FunnelDataError, match="'Bob'"):
        feasible_plan(funnels, {"Ann": 300})
    with pytest.raises(FunnelDataError, match="starts at 0"):
        feasible_plan({"Z": Funnel.from_counts({"a": 0, "b": 0})}, 10)


@given(st.integers(min_value=1, max_value=10**6), st.lists(rates, min_size=1, max_size=8))
def test_forward_application_reaches_target(target: int, step_rates: list[float]) -> None:
    plan = leads_needed(target, step_rates)
    # Each stage's need, converted forward, covers the next stage's need.
    for i, r in enumerate(step_rates):
        assert plan.needed[i] * r >= plan.needed[i + 1] * (1 - 1e-9)
    assert plan.needed[-1] >= target


@pytest.mark.parametrize(
    ("target", "rates"),
    [(1e15, [0.05]), (1, [1e-200, 1e-200]), (1, [1e-8, 1e-8]), (2**53 * 0.05, [0.05])],
)
def test_a_plan_beyond_what_a_float_counts_is_refused_not_overflowed(
    target: float, rates: list[float]
) -> None:
    """From 2**53 entries a float no longer counts exactly: 1e15 / 0.05 = 2e16 leads would
    print a float's binary digits, so the plan is refused (1e300 printed 1000...0525...)."""
    with pytest.raises(FunnelDataError, match=r"more entries at stage 'stage \d' than a float"):
        leads_needed(target, rates)


def test_the_largest_plans_still_made_are_exact() -> None:
    """Just below the bound: 2**52 leads, every stage an exact integer (by hand: 2**51 at
    a rate of one half); a target of 2**53 or more is refused at once."""
    plan = leads_needed(2**51, [0.5])
    assert plan.needed == (2**52, 2**51)
    for big in (2.0**53, 1e300):
        with pytest.raises(FunnelDataError, match=r"target must be below 2\*\*53"):
            leads_needed(big, [0.5])


def test_swapped_arguments_are_named() -> None:
    f = Funnel.from_counts({"Calls": 200, "Paid": 10})
    with pytest.raises(FunnelDataError, match=r"leads_needed\(target, funnel\)"):
        leads_needed(f, 10)  # type: ignore[arg-type]


def test_headcounts_and_team_plans_beyond_exact_counts_are_refused() -> None:
    """1e300 leads for managers of capacity 1 printed a 301-digit number whose tail was the
    float's binary digits; from 2**53 the count is refused. Just below it, exact."""
    with pytest.raises(FunnelDataError, match=r"2\*\*53 or more salespeople"):
        managers_needed(1e300, 1)
    assert managers_needed(2**53 - 2, 1) == 2**53 - 2
    f = Funnel.from_counts({"Calls": 10, "Paid": 5})
    with pytest.raises(FunnelDataError, match=r"2\*\*53 or more deals of 'ann'"):
        feasible_plan({"ann": f}, 1e300)

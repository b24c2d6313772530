"""Kaplan-Meier and cumulative incidence against published tables and by hand."""

from __future__ import annotations

import json
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, strategies as st

from salesfunnel import FunnelDataError, cumulative_incidence, kaplan_meier

# Freireich et al. (1963), remission times in weeks of 42 leukaemia patients, as
# tabulated in Kleinbaum & Klein, "Survival Analysis: A Self-Learning Text"
# (3rd ed., ch. 2): group 1 (6-MP, 21 patients, "+" = censored) and group 2
# (placebo, 21 patients, no censoring).
SIX_MP_EVENTS = [6, 6, 6, 7, 10, 13, 16, 22, 23]
SIX_MP_CENSORED = [6, 9, 10, 11, 17, 19, 20, 25, 32, 32, 34, 35]
PLACEBO = [1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23]

# The published KM table for the 6-MP group: t(f), n(f), m(f), q(f), S(t(f)).
SIX_MP_TABLE = [
    (0, 21, 0, 0, 1.0),
    (6, 21, 3, 1, 0.8571),
    (7, 17, 1, 1, 0.8067),
    (10, 15, 1, 2, 0.7529),
    (13, 12, 1, 0, 0.6902),
    (16, 11, 1, 3, 0.6275),
    (22, 7, 1, 0, 0.5378),
    (23, 6, 1, 5, 0.4482),
]


def six_mp() -> tuple[list[int], list[bool]]:
    return (
        SIX_MP_EVENTS + SIX_MP_CENSORED,
        [True] * len(SIX_MP_EVENTS) + [False] * len(SIX_MP_CENSORED),
    )


def test_six_mp_group_matches_the_published_table() -> None:
    km = kaplan_meier(*six_mp())
    table = np.array(SIX_MP_TABLE)
    assert km.time.tolist() == table[:, 0].tolist()
    assert km.at_risk.tolist() == table[:, 1].astype(int).tolist()
    assert km.events.tolist() == table[:, 2].astype(int).tolist()
    assert km.censored.tolist() == table[:, 3].astype(int).tolist()
    assert km.survival == pytest.approx(table[:, 4], abs=5e-5)  # published to 4 places
    # Exact product-limit values from the table's own n and m, as fractions.
    s = Fraction(1)
    for (_, n, m, _, _), got in zip(SIX_MP_TABLE, km.survival, strict=True):
        s *= Fraction(n - m, n)
        assert got == pytest.approx(float(s), rel=1e-12)
    assert km.median == 23.0  # the textbook's median remission time for 6-MP
    assert km.n == 21


def test_six_mp_greenwood_standard_error_by_hand() -> None:
    km = kaplan_meier(*six_mp())
    # Greenwood at t = 6: S * sqrt(3 / (21 * 18)); at t = 7 add 1 / (17 * 16).
    assert km.std_error[1] == pytest.approx((18 / 21) * math.sqrt(3 / (21 * 18)))
    v = 3 / (21 * 18) + 1 / (17 * 16)
    assert km.std_error[2] == pytest.approx(km.survival[2] * math.sqrt(v))


def test_placebo_group_without_censoring_is_the_empirical_survival() -> None:
    km = kaplan_meier(PLACEBO, [True] * len(PLACEBO))
    for t, s in zip(km.time, km.survival, strict=True):
        assert s == pytest.approx(sum(x > t for x in PLACEBO) / len(PLACEBO))
    assert km.median == 8.0  # textbook: median remission 8 weeks on placebo
    assert km.survival[-1] == 0.0
    assert math.isnan(km.std_error[-1])


def test_events_come_before_censorings_at_a_tie() -> None:
    # One event and one censoring at 5: both are at risk at 5.
    km = kaplan_meier([5, 5, 8], [True, False, True])
    assert km.at_risk.tolist() == [3, 3, 1]
    assert km.survival.tolist() == pytest.approx([1.0, 2 / 3, 0.0])


def test_median_is_nan_when_the_curve_stays_above_half() -> None:
    km = kaplan_meier([1, 2, 3, 4], [True, False, False, False])
    assert math.isnan(km.median)
    assert json.loads(km.to_json())["median"] is None


@given(
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=30), st.booleans()), min_size=1, max_size=40
    )
)
def test_without_competing_events_incidence_is_one_minus_km(
    data: list[tuple[int, bool]],
) -> None:
    t = [x for x, _ in data]
    observed = [o for _, o in data]
    km = kaplan_meier(t, observed)
    ci = cumulative_incidence(t, [int(o) for o in observed])
    assert ci.survival == pytest.approx(km.survival)
    assert km.events.sum() + km.censored.sum() == len(data)
    assert (np.diff(km.survival) <= 0).all()


@given(
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=30), st.integers(min_value=0, max_value=2)),
        min_size=1,
        max_size=40,
    )
)
def test_incidences_of_both_kinds_add_up_to_one_minus_km(data: list[tuple[int, int]]) -> None:
    t = [x for x, _ in data]
    kind = [k for _, k in data]
    swap = [{0: 0, 1: 2, 2: 1}[k] for k in kind]
    a, b = cumulative_incidence(t, kind), cumulative_incidence(t, swap)
    km = kaplan_meier(t, [k > 0 for k in kind])
    assert (1 - a.survival) + (1 - b.survival) == pytest.approx(1 - km.survival)


def test_bad_input_is_named() -> None:
    with pytest.raises(FunnelDataError, match="equal lengths"):
        kaplan_meier([1, 2], [True])
    with pytest.raises(FunnelDataError, match="position 1"):
        kaplan_meier([1, -2], [True, True])
    with pytest.raises(FunnelDataError, match="0/1"):
        kaplan_meier([1, 2], [3, 1])
    with pytest.raises(FunnelDataError, match="competing"):
        cumulative_incidence([1, 2], [1, 5])

"""The median of a survival curve: where it crosses one half, the midpoint of a flat at one half.

The rule is R's ``survival`` package (``quantile.survfit``, tolerance
``sqrt(.Machine$double.eps)``) and SAS ``PROC LIFETEST``'s: with nothing
censored it is the ordinary sample median, which is the independent reference
of the properties below. Before 2026-12-05 the median was the first time with
the survival ``<= 0.5`` as computed in floating point, so ``6/12`` reached
through a product of factors landed on either side of one half (two equal
shapes of data gave the two conventions).
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, strategies as st

from salesfunnel import cumulative_incidence, kaplan_meier

durations = st.lists(st.integers(0, 12), min_size=1, max_size=40)


@given(durations)
def test_uncensored_median_is_the_sample_median(d: list[int]) -> None:
    km = kaplan_meier(d, [True] * len(d))
    assert km.median == float(np.median(d))


@given(durations, st.data())
def test_no_competing_events_gives_the_kaplan_meier_median(
    d: list[int], data: st.DataObject
) -> None:
    observed = data.draw(st.lists(st.booleans(), min_size=len(d), max_size=len(d)))
    km = kaplan_meier(d, observed)
    ci = cumulative_incidence(d, [int(o) for o in observed])
    assert km.median == ci.median or (math.isnan(km.median) and math.isnan(ci.median))


@given(durations, st.data())
def test_median_splits_the_curve(d: list[int], data: st.DataObject) -> None:
    """Before the median the curve is above one half, from it on at or below (by exact fractions)."""
    observed = data.draw(st.lists(st.booleans(), min_size=len(d), max_size=len(d)))
    km = kaplan_meier(d, observed)
    from fractions import Fraction

    s, exact = Fraction(1), []
    for at_risk, events in zip(km.at_risk.tolist(), km.events.tolist(), strict=True):
        s *= 1 - Fraction(events, at_risk) if at_risk else 1
        exact.append(s)
    if all(v > Fraction(1, 2) for v in exact):
        assert math.isnan(km.median)
        return
    first = next(i for i, v in enumerate(exact) if v <= Fraction(1, 2))
    t0 = km.time[first]
    if exact[first] < Fraction(1, 2):
        assert km.median == t0
    else:  # a flat at exactly one half: to the next drop, or to the largest duration
        later = [km.time[j] for j in range(first + 1, len(exact)) if exact[j] < exact[first]]
        assert km.median == (t0 + (later[0] if later else max(d))) / 2


def test_six_of_twelve_reached_through_rounding() -> None:
    # S(4) = 10/12 * 7/10 * 6/7 = 1/2, computed in floating point as 0.5000000000000001:
    # the old rule skipped to 6. The sample median of these twelve cycles is (4 + 6) / 2.
    d = [1, 1, 2, 2, 2, 4, 6, 7, 7, 7, 8, 11]
    km = kaplan_meier(d, [True] * 12)
    assert km.median == 5.0


def test_flat_at_one_half_to_the_end_uses_the_largest_duration() -> None:
    # One closes at 1, one is censored at 3: S = 1/2 from 1 on, never lower.
    # R: quantile(survfit(Surv(c(1, 3), c(1, 0)) ~ 1), 0.5) is (1 + 3) / 2.
    assert kaplan_meier([1, 3], [True, False]).median == 2.0
    # Below one half at once: the crossing time itself.
    assert kaplan_meier([1, 3, 3], [True, True, False]).median == 3.0
    assert kaplan_meier([1, 2, 3], [True, True, True]).median == 2.0

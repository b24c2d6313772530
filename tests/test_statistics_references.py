"""The statistics against independent implementations, when those are installed.

statsmodels (Wilson intervals, the two-proportion z-test, Holm and
Benjamini-Hochberg) and lifelines (Kaplan-Meier, Aalen-Johansen) are not
dependencies: each test skips without them. The worked examples and textbook
tables elsewhere (tests/deals/test_history_survival.py, tests/funnel/) run
everywhere; these add random cases checked by someone else's code.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from salesfunnel import (
    Funnel,
    adjust_p_values,
    compare,
    cumulative_incidence,
    kaplan_meier,
    wilson_interval,
)

counts = st.integers(1, 10**6).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n)))


@given(counts, st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_wilson_interval_matches_statsmodels(case: tuple[int, int], confidence: float) -> None:
    proportion = pytest.importorskip("statsmodels.stats.proportion")
    k, n = case
    low, high = proportion.proportion_confint(k, n, alpha=1 - confidence, method="wilson")
    ours = wilson_interval(k, n, confidence)
    assert ours is not None
    assert ours == pytest.approx((low, high), abs=1e-12)


@given(
    st.lists(
        st.tuples(st.integers(30, 5000), st.floats(0, 1), st.floats(0, 1)), min_size=2, max_size=4
    )
)
def test_compare_p_values_match_statsmodels_z_test(groups: list[tuple[int, float, float]]) -> None:
    proportion = pytest.importorskip("statsmodels.stats.proportion")
    funnels = {}
    for g, (a, r1, r2) in enumerate(groups):
        b = round(a * r1)
        funnels[f"G{g}"] = Funnel.from_counts({"A": a, "B": b, "C": round(b * r2)})
    result = compare(funnels, correction="none", min_n=1)
    for g, f in funnels.items():
        for prev, stage in (("A", "B"), ("B", "C")):
            x1, n1 = f[stage].count, f[prev].count
            x2 = sum(h[stage].count for k, h in funnels.items() if k != g)
            n2 = sum(h[prev].count for k, h in funnels.items() if k != g)
            step = result.step(g, stage)
            if n1 == 0 or n2 == 0 or x1 + x2 in (0, n1 + n2):
                continue  # no test possible: both sides at 0 % or 100 %
            _, p = proportion.proportions_ztest([x1, x2], [n1, n2])
            assert step.p_value == pytest.approx(p, abs=1e-12)


@given(st.lists(st.floats(0, 1), min_size=1, max_size=30))
def test_holm_and_bh_match_statsmodels(p: list[float]) -> None:
    multitest = pytest.importorskip("statsmodels.stats.multitest")
    for ours, theirs in (("holm", "holm"), ("bh", "fdr_bh")):
        want = multitest.multipletests(p, method=theirs)[1]
        assert adjust_p_values(p, ours) == pytest.approx(list(want), abs=1e-12)


durations = st.integers(1, 60).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 15), min_size=n, max_size=n),
        st.lists(st.integers(0, 2), min_size=n, max_size=n),
    )
)


@settings(max_examples=60, deadline=None)
@given(durations)
def test_kaplan_meier_matches_lifelines(case: tuple[list[int], list[int]]) -> None:
    lifelines = pytest.importorskip("lifelines")
    d, kind = case
    observed = [k > 0 for k in kind]
    ours = kaplan_meier(d, observed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = lifelines.KaplanMeierFitter().fit(d, observed)
    curve = fit.survival_function_.iloc[:, 0]
    for t, s in zip(ours.time.tolist(), ours.survival.tolist(), strict=True):
        assert s == pytest.approx(float(curve.loc[:t].iloc[-1]), abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 60), st.randoms(use_true_random=False))
def test_cumulative_incidence_matches_lifelines(n: int, rnd: object) -> None:
    lifelines = pytest.importorskip("lifelines")
    rng = np.random.default_rng(rnd.randrange(2**32))  # type: ignore[attr-defined]
    # Distinct times: lifelines jitters tied times, which would change its answer.
    d = rng.permutation(n).astype(float) + 1 + rng.random(n) * 0.5
    kind = rng.integers(0, 3, n)
    kind[0] = 1
    ours = cumulative_incidence(d, kind)
    fit = lifelines.AalenJohansenFitter(calculate_variance=False).fit(d, kind, event_of_interest=1)
    cif = fit.cumulative_density_.iloc[:, 0]
    for t, s in zip(ours.time.tolist(), ours.survival.tolist(), strict=True):
        assert 1 - s == pytest.approx(float(cif.loc[:t].iloc[-1]), abs=1e-12)

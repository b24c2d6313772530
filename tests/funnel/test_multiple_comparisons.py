"""Holm (1979) and Benjamini-Hochberg (1995) adjustments in ``compare``, by hand and by property."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, strategies as st

from salesfunnel import Funnel, FunnelDataError, compare
from salesfunnel.funnel.compare import adjust_p_values, two_proportion_test


def test_holm_and_bh_by_hand() -> None:
    # p = 0.01, 0.04, 0.03, 0.005 (m = 4). Sorted: 0.005, 0.01, 0.03, 0.04.
    # Holm, adj(i) = max_{j<=i} min(1, (m-j+1) p(j)): 4*0.005=0.02, 3*0.01=0.03, 2*0.03=0.06,
    #   1*0.04=0.04 -> running max 0.02, 0.03, 0.06, 0.06.
    # BH, adj(i) = min_{j>=i} min(1, m p(j) / j): 0.02, 0.02, 0.04, 0.04 -> running min from
    #   the top 0.02, 0.02, 0.04, 0.04.
    p = [0.01, 0.04, 0.03, 0.005]
    assert adjust_p_values(p, "holm") == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert adjust_p_values(p, "bh") == pytest.approx([0.02, 0.04, 0.04, 0.02])
    assert adjust_p_values(p, "none") == p
    # Capped at 1: 3 * 0.5 = 1.5 -> 1.
    assert adjust_p_values([0.5, 0.6, 0.7], "holm") == pytest.approx([1.0, 1.0, 1.0])
    assert adjust_p_values([0.5, 0.6, 0.7], "bh") == pytest.approx([0.7, 0.7, 0.7])


def test_ties_get_equal_adjusted_values() -> None:
    assert adjust_p_values([0.02, 0.02, 0.5], "holm") == pytest.approx([0.06, 0.06, 0.5])
    assert adjust_p_values([0.02, 0.02, 0.5], "bh") == pytest.approx([0.03, 0.03, 0.5])


def test_bad_correction_is_named() -> None:
    with pytest.raises(FunnelDataError, match=r"correction must be one of .* \(got 'bonferroni'\)"):
        adjust_p_values([0.1], "bonferroni")  # type: ignore[arg-type]
    f = Funnel.from_counts({"A": 100, "B": 50})
    with pytest.raises(FunnelDataError, match="correction"):
        compare({"x": f, "y": f}, correction="BH")  # type: ignore[arg-type]


_P = st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=1, max_size=40)


@given(_P)
def test_adjusted_is_at_least_raw_and_bh_at_most_holm(p: list[float]) -> None:
    holm, bh = adjust_p_values(p, "holm"), adjust_p_values(p, "bh")
    for raw, h, b in zip(p, holm, bh, strict=True):
        assert raw <= b + 1e-12
        assert b <= h + 1e-12
        assert h <= 1.0


@given(_P)
def test_adjusted_values_are_monotone_in_rank(p: list[float]) -> None:
    for correction in ("holm", "bh"):
        adj = adjust_p_values(p, correction)  # type: ignore[arg-type]
        ranked = sorted(range(len(p)), key=lambda k: p[k])
        values = [adj[k] for k in ranked]
        assert values == sorted(values)


def _team(rates: list[int]) -> dict[str, Funnel]:
    """One funnel per rep: 100 calls, ``rate`` meetings."""
    return {
        f"rep{i}": Funnel.from_counts({"Calls": 100, "Meetings": r}) for i, r in enumerate(rates)
    }


def test_one_rep_at_p_0_04_is_not_significant_after_holm() -> None:
    # Issue 13: 30 reps, one flagged "significant" at p = 0.046 without correction.
    rates = [40] * 29 + [30]
    team = _team(rates)
    raw = two_proportion_test(30, 100, 40 * 29, 100 * 29)
    assert raw is not None
    assert 0.04 < raw < 0.05
    plain = compare(team, correction="none")
    assert plain.step("rep29", 1).significant
    assert plain.step("rep29", 1).p_adjusted == plain.step("rep29", 1).p_value
    holm = compare(team)
    step = holm.step("rep29", 1)
    assert step.p_value == pytest.approx(raw)
    assert step.p_adjusted == pytest.approx(1.0)  # 30 x 0.046 > 1
    assert not step.significant
    assert holm.correction == "holm"
    assert "Holm-adjusted p=1, not significant" in holm.summary()
    record = json.loads(holm.to_json())
    assert record["correction"] == "holm"
    last = record["steps"][-1]
    assert (last["group"], last["p_adjusted"]) == ("rep29", pytest.approx(1.0))


def test_compare_adjusts_the_family_of_ranked_steps_by_hand() -> None:
    # Three reps, one step: p-values of each rep against the rest, adjusted by Holm by hand.
    team = _team([20, 40, 60])
    raw = [two_proportion_test(x, 100, 120 - x, 200) for x in (20, 40, 60)]
    assert all(p is not None for p in raw)
    p = [float(v) for v in raw if v is not None]
    order = sorted(range(3), key=lambda k: p[k])
    holm = [0.0] * 3
    holm[order[0]] = min(1.0, 3 * p[order[0]])
    holm[order[1]] = max(holm[order[0]], min(1.0, 2 * p[order[1]]))
    holm[order[2]] = max(holm[order[1]], min(1.0, p[order[2]]))
    c = compare(team)
    assert [c.step(g, 1).p_adjusted for g in team] == pytest.approx(holm)
    bh = compare(team, correction="bh")
    assert all(
        bh.step(g, 1).p_adjusted <= c.step(g, 1).p_adjusted + 1e-12  # type: ignore[operator]
        for g in team
    )


def test_unranked_steps_stay_out_of_the_family() -> None:
    # rep0 has 10 calls: below min_n, not tested, so the family is the other two reps.
    team = {
        "rep0": Funnel.from_counts({"Calls": 10, "Meetings": 5}),
        "rep1": Funnel.from_counts({"Calls": 100, "Meetings": 20}),
        "rep2": Funnel.from_counts({"Calls": 100, "Meetings": 40}),
    }
    c = compare(team)
    assert c.step("rep0", 1).p_adjusted is None
    p1 = c.step("rep1", 1).p_value
    p2 = c.step("rep2", 1).p_value
    assert p1 is not None
    assert p2 is not None
    assert c.step("rep1", 1).p_adjusted == pytest.approx(min(1.0, 2 * min(p1, p2)))


def test_without_correction_the_summary_reads_as_before() -> None:
    a = Funnel.from_counts({"Calls": 100, "Meetings": 50, "Paid": 50})
    b = Funnel.from_counts({"Calls": 100, "Meetings": 80, "Paid": 80})
    c = compare({"A": a, "B": b}, correction="none")
    assert c.summary().splitlines()[0] == (
        "A: overall 50.0% (team 65.0%); weakest: Meetings 50.0% vs rest 80.0% "
        "(p=8.7e-06, significant); strongest: none above the rest"
    )
    assert json.loads(c.to_json())["correction"] == "none"

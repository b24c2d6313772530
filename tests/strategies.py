"""Hypothesis strategies shared by the whole test suite (one place, as in attrs)."""

from __future__ import annotations

from hypothesis import strategies as st

from salesfunnel import Funnel, Stage

names = st.text(min_size=1, max_size=20).filter(lambda s: s.strip() != "")
counts = st.floats(min_value=0, max_value=1e12, allow_nan=False, allow_infinity=False)
int_counts = st.integers(min_value=0, max_value=10**9)


@st.composite
def funnels(draw: st.DrawFn, min_stages: int = 1, max_stages: int = 12) -> Funnel:
    """Any valid funnel: unique names, finite non-negative counts, any order."""
    stage_names = draw(st.lists(names, min_size=min_stages, max_size=max_stages, unique=True))
    values = draw(st.lists(counts, min_size=len(stage_names), max_size=len(stage_names)))
    return Funnel(tuple(Stage(n, c) for n, c in zip(stage_names, values, strict=True)))


@st.composite
def monotone_funnels(
    draw: st.DrawFn, min_stages: int = 1, max_stages: int = 12, positive: bool = False
) -> Funnel:
    """Funnels whose integer counts never increase along the stages."""
    n = draw(st.integers(min_value=min_stages, max_value=max_stages))
    low = 1 if positive else 0
    first = draw(st.integers(min_value=low, max_value=10**7))
    values = [first]
    for _ in range(n - 1):
        values.append(draw(st.integers(min_value=low, max_value=values[-1])))
    return Funnel(tuple(Stage(f"stage {i}", v) for i, v in enumerate(values)))


rates = st.floats(min_value=1e-3, max_value=1.0, allow_nan=False)

"""Shared by the deal cluster tests: random deal logs as DataFrames, options, exact comparison."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import strategies as st

from salesfunnel import ClosedFunnel, DealLog, Pipeline, closed_funnel

from strategies import deal_events_with_columns

pd = pytest.importorskip("pandas")
COLUMNS: dict[str, Any] = {"owner": "owner", "amount": "amount", "keep": ["product"]}
# Amounts whose float sums depend on the order of addition: the merge must keep
# the single machine's order for the stage amounts to agree bit for bit.
AMOUNTS = [None, 0.1, 0.3, 1.0, 1e16, 3.7, 1 / 3]


@st.composite
def deal_frames(draw: st.DrawFn) -> tuple[Pipeline, Any]:
    """A pipeline and a random deal log as a pandas DataFrame (ids as text or integers)."""
    pipeline, records = draw(deal_events_with_columns())
    for r in records:
        r["amount"] = draw(st.sampled_from(AMOUNTS))
    ints = draw(st.booleans())
    frame = pd.DataFrame(
        {
            "deal": [int(str(r["deal"])[1:]) if ints else r["deal"] for r in records],
            "stage": [r["stage"] for r in records],
            "time": [r["time"] for r in records],
            "owner": [r["owner"] for r in records],
            "amount": [float("nan") if r["amount"] is None else r["amount"] for r in records],
            "product": [r["product"] for r in records],
        }
    )
    return pipeline, frame


@st.composite
def closed_options(draw: st.DrawFn) -> dict[str, Any]:
    """Any combination of closed_funnel's options on the frames above."""
    out: dict[str, Any] = {
        "mode": draw(st.sampled_from(["cumulative", "classic", "strict"])),
        "by": draw(st.sampled_from([None, "owner", "product"])),
        "durations": draw(st.booleans()),
    }
    if draw(st.booleans()):
        out["start"] = f"2024-01-{draw(st.integers(1, 10)):02d}"
    if draw(st.booleans()):
        out["end"] = f"2024-01-{draw(st.integers(8, 22)):02d}"
    return out


def single(pipeline: Pipeline, frame: Any, opts: dict[str, Any]) -> Any:
    return closed_funnel(DealLog.from_pandas(frame, pipeline, **COLUMNS), pipeline, **opts)


def assert_same(got: Any, want: Any) -> None:
    """Equal results, the same JSON and text, and the same ids (values, dtype) per stage."""
    if isinstance(want, dict):
        assert isinstance(got, dict)
        assert list(got) == list(want)
        for k in want:
            assert_same(got[k], want[k])
        return
    assert isinstance(got, ClosedFunnel)
    assert got == want
    assert got.to_json() == want.to_json()
    assert str(got) == str(want)
    for a, b in zip(got.funnel.stages, want.funnel.stages, strict=True):
        assert repr(a.amount) == repr(b.amount)  # bit for bit, not approximately
        assert a.data.dtype == b.data.dtype
        assert a.data.tolist() == b.data.tolist()
        assert not a.data.flags.writeable


def by_deal(frame: Any, n: int, salt: int) -> list[Any]:
    """The frame split into ``n`` parts, every deal's events in one part (some parts empty)."""
    part = frame["deal"].map(lambda d: hash((str(d), salt)) % n)
    return [frame[part == i] for i in range(n)]


def split(frame: Any, cuts: list[int]) -> list[Any]:
    """The frame's rows cut at ``cuts`` (deals split across pieces; empty pieces kept)."""
    bounds = [0, *sorted(min(c, len(frame)) for c in cuts), len(frame)]
    return [frame.iloc[a:b] for a, b in itertools.pairwise(bounds)]


@st.composite
def time_options(draw: st.DrawFn) -> dict[str, Any]:
    """Any combination of time_to_close's options on the frames above."""
    out: dict[str, Any] = {
        "by": draw(st.sampled_from([None, "owner", "product"])),
        "outcome": draw(st.sampled_from(["any", "won", "lost"])),
    }
    if draw(st.booleans()):
        out["as_of"] = f"2024-01-{draw(st.integers(1, 25)):02d}"
    return out


def assert_same_curves(got: Any, want: Any) -> None:
    """Equal survival curves (arrays bit for bit), one or a dict of them."""
    if isinstance(want, dict):
        assert list(got) == list(want)
        for k in want:
            assert_same_curves(got[k], want[k])
        return
    assert got.to_json() == want.to_json()
    for name in ("time", "at_risk", "events", "competing", "censored", "survival", "std_error"):
        a, b = getattr(got, name), getattr(want, name)
        assert a.dtype == b.dtype
        assert a.tobytes() == b.tobytes()
    assert repr((got.median, got.n, got.unknown_time)) == repr(
        (want.median, want.n, want.unknown_time)
    )

"""Shared by the deal cluster tests: random deal logs as DataFrames, options, exact comparison."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import strategies as st

import salesfunnel
from salesfunnel import ActiveFunnel, ClosedFunnel, DealLog, Forecast, Pipeline, closed_funnel

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
    if out.get("end", "9") < out.get("start", ""):  # closed_funnel refuses end < start
        out["start"], out["end"] = out["end"], out["start"]
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


# -- the snapshot analyses and the monthly volume -------------------------------------
BY = [None, "owner", "product"]
OMIT = object()
"""A ``by`` left out (monthly_volume's default)."""


@st.composite
def snap_options(draw: st.DrawFn, analysis: str) -> dict[str, Any]:
    """Any combination of one analysis' options on the frames above (probabilities of
    forecast's ``weighted`` method are added by :func:`with_probabilities`)."""
    out: dict[str, Any] = {}
    if analysis == "monthly_volume":
        by = draw(st.sampled_from([*BY, OMIT]))
        if by is not OMIT:
            out["by"] = by
        if draw(st.booleans()):
            out["start"] = f"2024-01-{draw(st.integers(1, 10)):02d}"
        if draw(st.booleans()):
            out["end"] = f"2024-01-{draw(st.integers(8, 22)):02d}"
        return out
    if draw(st.booleans()):
        out["as_of"] = f"2024-01-{draw(st.integers(1, 25)):02d}"
    if analysis == "stalled_deals":
        out["by"] = draw(st.sampled_from([*BY, ["owner", "product"]]))
        out["max_days"] = draw(st.sampled_from([0.0, 1.5, 5, {}, "first"]))
    else:
        out["by"] = draw(st.sampled_from(BY))
    if analysis == "forecast":
        out["method"] = draw(st.sampled_from(["historical", "weighted"]))
    return out


def with_probabilities(pipeline: Pipeline, opts: dict[str, Any]) -> dict[str, Any]:
    """``opts`` with forecast probabilities for the weighted method, and a ``max_days``
    of ``"first"`` made a threshold for the pipeline's first stage only."""
    out = dict(opts)
    if out.get("method") == "weighted":
        n = len(pipeline.stages)
        out["probabilities"] = {s: (i + 1) / (n + 2) for i, s in enumerate(pipeline.stages)}
    if out.get("max_days") == "first":
        out["max_days"] = {pipeline.stages[0]: 2.0}
    return out


def single_of(analysis: str, pipeline: Pipeline, frame: Any, opts: dict[str, Any]) -> Any:
    """The single-machine ``analysis`` of the frame read with :data:`COLUMNS`."""
    log = DealLog.from_pandas(frame, pipeline, **COLUMNS)
    return getattr(salesfunnel, analysis)(log, pipeline, **opts)


def assert_same_result(got: Any, want: Any) -> None:
    """Equal results of any deal analysis: JSON, text, and every number bit for bit."""
    if isinstance(want, dict):
        assert isinstance(got, dict)
        assert list(got) == list(want)
        for k in want:
            assert_same_result(got[k], want[k])
        return
    assert type(got) is type(want)
    assert got.to_json() == want.to_json()
    assert (str(got), repr(got)) == (str(want), repr(want))
    if isinstance(want, ActiveFunnel):
        assert got == want
        for a, b in zip(got.funnel.stages, want.funnel.stages, strict=True):
            assert repr(a.amount) == repr(b.amount)  # bit for bit, not approximately
            assert a.data.dtype == b.data.dtype
            assert a.data.tolist() == b.data.tolist()
            assert not a.data.flags.writeable
        return
    assert repr(got.table) == repr(want.table)
    assert repr(got.table.rows) == repr(want.table.rows)  # floats bit for bit
    if isinstance(want, Forecast):
        assert repr(got.expected_won) == repr(want.expected_won)
        assert repr(got.expected_amount) == repr(want.expected_amount)


@st.composite
def skewed_deal_frames(draw: st.DrawFn) -> tuple[Pipeline, Any]:
    """:func:`deal_frames`, sometimes with one deal holding most events (skew), its
    extra rows spread through the frame."""
    pipeline, frame = draw(deal_frames())
    if not draw(st.booleans()):
        return pipeline, frame
    extra = draw(st.integers(10, 60))
    first = frame.iloc[0]
    rows = frame.iloc[[0] * extra].reset_index(drop=True)
    rows["stage"] = [pipeline.labels[i % len(pipeline.labels)] for i in range(extra)]
    rows["time"] = [first["time"] + pd.Timedelta(days=i % 17) for i in range(extra)]
    rows["amount"] = [AMOUNTS[1 + i % (len(AMOUNTS) - 1)] for i in range(extra)]
    mixed = pd.concat([frame, rows], ignore_index=True)
    order = draw(st.permutations(range(len(mixed))))
    return pipeline, mixed.iloc[list(order)].reset_index(drop=True)

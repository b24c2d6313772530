"""Shared by the cluster tests: random event logs as DataFrames, options, exact comparison."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import shutil
from typing import Any

import numpy as np
import pytest
from hypothesis import strategies as st

from salesfunnel import EventFunnel, EventLog, event_funnel

from strategies import EVENT_NAMES, event_logs, funnel_steps

pd = pytest.importorskip("pandas")
BASE = dt.datetime(2024, 1, 1)
PROPERTIES = ["device", "price"]
# CI sets this: there a missing engine is a failure, not a skip.
REQUIRED = os.environ.get("SALESFUNNEL_CLUSTER_TESTS") == "required"


def need(module: str) -> Any:
    """Import an optional engine, or skip (fail where REQUIRED)."""
    if REQUIRED:
        return __import__(module)
    return pytest.importorskip(module)


def need_java() -> None:
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        if REQUIRED:
            pytest.fail("Java 17 is required for the Spark tests (.ci/run installs it)")
        pytest.skip("no Java for Spark")


@st.composite
def frames(draw: st.DrawFn, max_units: int = 6) -> Any:
    """A random event log as a pandas DataFrame; sometimes one unit holds most events (skew)."""
    rows = draw(event_logs(max_units=max_units))
    if draw(st.booleans()):  # a skewed unit: many events of one unit
        extra = draw(st.integers(min_value=10, max_value=60))
        rows += [("u0", EVENT_NAMES[i % 4], i % 13, {"device": "web"}) for i in range(extra)]
    ints = draw(st.booleans())
    return pd.DataFrame(
        {
            "entity": [int(u[1:]) if ints and u != "zz" else (99 if ints else u) for u, *_ in rows],
            "event": [r[1] for r in rows],
            "time": [BASE + dt.timedelta(seconds=r[2]) for r in rows],
            "device": [r[3]["device"] for r in rows],
            # A numeric property with missing values (NaN), for step filters.
            "price": [float("nan") if r[2] % 5 == 0 else float(r[2] % 7) for r in rows],
        }
    )


@st.composite
def options(draw: st.DrawFn) -> dict[str, Any]:
    """Any combination of event_funnel's options on the frames above."""
    order = draw(st.sampled_from(["ordered", "strict", "unordered"]))
    steps = draw(funnel_steps(overlap=order != "unordered"))
    if draw(st.booleans()):  # a property filter on one step (numeric or text)
        i = draw(st.integers(min_value=0, max_value=len(steps) - 1))
        filters = draw(
            st.sampled_from([{"price": (">", 2)}, {"price": ("!=", 3)}, {"device": ("==", "ios")}])
        )
        steps = [*steps[:i], (steps[i], filters), *steps[i + 1 :]]
    out: dict[str, Any] = {
        "steps": steps,
        "window": dt.timedelta(seconds=draw(st.integers(min_value=1, max_value=8))),
        "order": order,
    }
    if order != "unordered" and draw(st.booleans()):
        i = draw(st.integers(min_value=1, max_value=len(steps) - 1))
        out["exclusions"] = [(draw(st.sampled_from(EVENT_NAMES)), i, len(steps))]
    if draw(st.booleans()):
        out["breakdown"] = "device"
        out["attribution"] = draw(st.sampled_from(["first_touch", "last_touch", "all_events"]))
    if draw(st.booleans()):
        out["start"] = (BASE + dt.timedelta(seconds=draw(st.integers(0, 4)))).isoformat()
    if draw(st.booleans()):
        out["end"] = (BASE + dt.timedelta(seconds=draw(st.integers(6, 13)))).isoformat()
    return out


def single(frame: Any, opts: dict[str, Any]) -> EventFunnel:
    log = EventLog.from_pandas(frame, properties=PROPERTIES)
    o = dict(opts)
    return event_funnel(log, o.pop("steps"), **o)


def assert_same(got: EventFunnel, want: EventFunnel) -> None:
    """Equal result objects, the same JSON, and the same ids (values and dtype) per step."""
    assert got == want
    assert got.to_json() == want.to_json()
    assert str(got) == str(want)
    pairs = [(got, want), *((got.by[g], want.by[g]) for g in want.by)]
    for a, b in pairs:
        for x, y in zip(a.units, b.units, strict=True):
            assert x.dtype == y.dtype
            assert x.tolist() == y.tolist()
            assert not x.flags.writeable


def split(frame: Any, cuts: list[int]) -> list[Any]:
    """The frame's rows cut at ``cuts`` (units split across pieces; empty pieces kept)."""
    bounds = [0, *sorted(min(c, len(frame)) for c in cuts), len(frame)]
    return [frame.iloc[a:b] for a, b in itertools.pairwise(bounds)]


__all__ = ["np"]

"""Shared by the cluster tests: random event logs as DataFrames, options, exact comparison."""

from __future__ import annotations

import datetime as dt
import functools
import importlib
import itertools
import os
import shutil
from typing import Any

import numpy as np
import pytest
from hypothesis import strategies as st

from salesfunnel import EventFunnel, EventLog, event_funnel
from salesfunnel.events.clickhouse import MODES

from strategies import EVENT_NAMES, event_logs, funnel_steps

pd = pytest.importorskip("pandas")
BASE = dt.datetime(2024, 1, 1)
PROPERTIES = ["device", "price", "session"]
SESSIONS = ("s", "s1", "s22")  # of several widths: partitions see text ids of other widths
# CI sets this: there a missing engine is a failure, not a skip.
REQUIRED = os.environ.get("SALESFUNNEL_CLUSTER_TESTS") == "required"


def need(module: str) -> Any:
    """Import an optional engine, or skip (fail where REQUIRED)."""
    if REQUIRED:  # import_module: __import__("dask.dataframe") would return dask itself
        return importlib.import_module(module)
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
            # A unit column of its own (unit="session" or ("entity", "session")).
            "session": [SESSIONS[r[2] // 5 % 3] for r in rows],
        }
    )


FOCUS = ("clickhouse", "unit", "breakdown", "step_n", "period")
"""The later options, each of which a test can ask to be always drawn."""


@st.composite
def options(draw: st.DrawFn, focus: str | None = None) -> dict[str, Any]:
    """Any combination of event_funnel's options on the frames above; ``focus`` (one of
    :data:`FOCUS`) is always drawn, the rest at random."""

    def coin(name: str) -> bool:
        return focus == name or draw(st.booleans())

    orders = ["ordered", "strict", "unordered", "clickhouse"]
    if focus == "clickhouse":
        orders = ["clickhouse"]
    elif focus == "period":
        orders = ["ordered", "strict", "clickhouse"]
    order = draw(st.sampled_from(orders))
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
    if order == "clickhouse":
        modes = draw(st.lists(st.sampled_from(MODES), unique=True, max_size=3))
        if "allow_reentry" in modes and "strict_order" not in modes:
            modes.append("strict_order")
        out["modes"] = modes
    if order in ("ordered", "strict") and draw(st.booleans()):
        i = draw(st.integers(min_value=1, max_value=len(steps) - 1))
        out["exclusions"] = [(draw(st.sampled_from(EVENT_NAMES)), i, len(steps))]
    if coin("unit"):
        out["unit"] = draw(st.sampled_from(["session", ("entity", "session")]))
    if coin("breakdown") or focus == "step_n":
        two = ("device", "price")
        out["breakdown"] = draw(st.sampled_from([two] if focus == "breakdown" else ["device", two]))
        touch = [] if focus == "step_n" else ["first_touch", "last_touch", "all_events"]
        out["attribution"] = draw(
            st.sampled_from([*touch, *(f"step_{n}" for n in range(1, len(steps) + 1))])
        )
    if draw(st.booleans()):
        out["start"] = (BASE + dt.timedelta(seconds=draw(st.integers(0, 4)))).isoformat()
    if draw(st.booleans()):
        out["end"] = (BASE + dt.timedelta(seconds=draw(st.integers(6, 13)))).isoformat()
    if order != "unordered" and coin("period"):
        seconds = st.integers(2, 7).map(lambda s: dt.timedelta(seconds=s))
        out["period"] = draw(st.one_of(st.sampled_from(["D", "W", "M"]), seconds))
    if draw(st.booleans()):  # the zone of the naive times, of start/end and of the calendar
        out["tz"] = draw(st.sampled_from(["Asia/Tokyo", "America/St_Johns"]))
    return out


def single(frame: Any, opts: dict[str, Any]) -> EventFunnel:
    """The single-machine funnel; ``tz`` is the loader's and the funnel's, as in the adapters."""
    o = dict(opts)
    log = EventLog.from_pandas(frame, properties=PROPERTIES, tz=o.get("tz"))
    return event_funnel(log, o.pop("steps"), **o)


def assert_same(got: EventFunnel, want: EventFunnel) -> None:
    """Equal result objects, the same JSON, and the same ids (values and dtype) per step."""
    assert got == want
    assert got.to_json() == want.to_json()
    assert str(got) == str(want)
    pairs = [(got, want), *((got.by[g], want.by[g]) for g in want.by)]
    pairs += [(got.trend[p], want.trend[p]) for p in want.trend]
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


def spark_in_order(spark: Any, frame: Any, cuts: list[int]) -> Any:
    """A Spark DataFrame whose partitions are the row ranges between ``cuts`` (some
    empty), so that its row order (partition, then row) is the pandas frame's."""
    schema = spark.createDataFrame(frame.iloc[:1] if len(frame) else frame).schema
    bounds = [0, *sorted(min(c, len(frame)) for c in cuts), len(frame)]
    pieces = [
        spark.createDataFrame(frame.iloc[a:b], schema=schema).coalesce(1)
        for a, b in itertools.pairwise(bounds)
    ]
    return functools.reduce(lambda a, b: a.union(b), pieces)

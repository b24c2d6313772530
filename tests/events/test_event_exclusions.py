"""Exclusions on the vectorised paths against the plain-Python reference, unit by unit.

The units holding an exclusion event take ``ordered_fast`` / ``strict_fast``
with the rows' watched steps, unless an event is both a step and an
exclusion event, matches two steps, or (strict) shares its time with an event
of another kind: those units loop. The logs here use exclusion names that
are mostly not steps (``X``, ``Y``), on few seconds and short windows, so
ties, exclusions at a step's time, window edges and repeated chains are
common; every unit's level and chain times are compared with the reference.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from events.reference import unit_funnel
from salesfunnel import EventLog, FunnelDataError, event_funnel
from salesfunnel.events import engine
from salesfunnel.events.units import FunnelOptions, unit_steps

BASE = np.datetime64("2024-01-01T00:00:00", "s")
Event = tuple[str, str, int]


@st.composite
def logs_with_exclusions(
    draw: st.DrawFn,
) -> tuple[list[Event], list[str], int, list[tuple[str, int, int]]]:
    k = draw(st.integers(2, 4))
    steps = draw(st.permutations(["A", "B", "C", "D"]))[:k]
    names = st.sampled_from(["A", "B", "C", "D", "X", "X", "Y", "Y"])
    events: list[Event] = []
    for u in range(draw(st.integers(1, 5))):
        n = draw(st.integers(0, 14))
        events += [(f"u{u}", draw(names), draw(st.integers(0, 14))) for _ in range(n)]
    events += [("zz", name, 10_000) for name in "ABCDXY"]  # every name occurs
    n_excl = draw(st.integers(1, 3))
    exclusions = []
    for _ in range(n_excl):
        i = draw(st.integers(1, k - 1))
        j = draw(st.integers(i + 1, k))
        name = draw(st.sampled_from(["X", "X", "Y", "Y", "A", "D"]))
        exclusions.append((name, i, j))
    return events, steps, draw(st.integers(1, 8)), exclusions


def _log(events: list[Event]) -> EventLog:
    return EventLog.from_columns({
        "entity": [e[0] for e in events], "event": [e[1] for e in events],
        "time": BASE + np.array([e[2] for e in events], dtype="timedelta64[s]"),
    })  # fmt: skip


def _per_unit(events, steps, window, exclusions, order):  # type: ignore[no-untyped-def]
    by_unit: dict[str, list[tuple[int, str, dict[str, str]]]] = {}
    for u, name, t in events:
        by_unit.setdefault(u, []).append((t, name, {}))
    out = {}
    for u, evs in by_unit.items():
        r = unit_funnel(evs, [[s] for s in steps], window, strict=order == "strict",
                        exclusions=exclusions)  # fmt: skip
        out[u] = (r.reached, list(r.times))
    return out


def _engine(events, steps, window, exclusions, order):  # type: ignore[no-untyped-def]
    opts = FunnelOptions(steps, dt.timedelta(seconds=window), order, exclusions=exclusions)
    total = unit_steps(_log(events), opts).total
    base = BASE.astype(np.int64)
    out = {}
    for uid, level, times in zip(total.ids.all().tolist(), total.reached.tolist(),
                                 total.times.tolist(), strict=True):  # fmt: skip
        chain = [x - base for x in times[: max(level, 0)]]
        out[uid] = (level, chain)
    return out


@settings(max_examples=600, deadline=None)
@given(logs_with_exclusions(), st.sampled_from(["ordered", "strict"]))
def test_exclusions_match_the_reference_unit_by_unit(case, order) -> None:  # type: ignore[no-untyped-def]
    events, steps, window, exclusions = case
    want = _per_unit(events, steps, window, exclusions, order)
    got = _engine(events, steps, window, exclusions, order)
    # Units the engine sees: those with a step or exclusion event (strict: any event).
    assert {u: got.get(u, (0, [])) for u in want} == want
    assert set(got) <= set(want)


def _sample(rng: np.random.Generator, units: int, per: int) -> list[Event]:
    names = np.array(["A", "B", "C", "D", "X", "Y"])
    out = []
    for u in range(units):
        t = np.sort(rng.integers(0, 40, per))
        out += [(f"u{u}", str(n), int(s)) for n, s in zip(names[rng.integers(0, 6, per)], t,
                                                          strict=True)]  # fmt: skip
    return out


@pytest.mark.parametrize("order", ["ordered", "strict"])
def test_longer_logs_match_the_reference(order: str) -> None:
    # Longer units than hypothesis draws: many chains, marks and replacements per unit.
    rng = np.random.default_rng(5)
    events = _sample(rng, 40, 60)
    for exclusions in ([("X", 1, 3)], [("X", 1, 2), ("Y", 2, 4)], [("Y", 3, 4), ("X", 1, 4)]):
        for window in (3, 9, 30):
            want = _per_unit(events, ["A", "B", "C", "D"], window, exclusions, order)
            got = _engine(events, ["A", "B", "C", "D"], window, exclusions, order)
            assert got == want


_LOOP = engine.state_machine


def _no_loop(*args: object, **kwargs: object) -> engine.Units:
    unit = args[0]
    assert isinstance(unit, np.ndarray)
    assert not len(unit), "a unit took the loop"
    return _LOOP(*args, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("order", ["ordered", "strict"])
def test_every_unit_with_an_exclusion_takes_the_vectorised_path(
    order: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Window 100 s, view -> cart -> buy, exclusion "back" between steps 1 and 3.
    # a: view@0 back@5 cart@10 buy@20: its only chain saw "back" before cart: removed.
    # b: view@0 cart@10 buy@20 back@30: complete before "back": 3 steps.
    # c: view@0 cart@10 back@30: its best chain (at cart) saw "back": removed.
    # d: view@0 back@5 view@50 cart@60: the first chain is marked, the second
    #    (start 50) replaces it at view and reaches cart: 2 steps at 50, 60.
    # e: view@0 back@200: "back" after the window: 1 step.
    monkeypatch.setattr(engine, "state_machine", _no_loop)
    events = [("a", "view", 0), ("a", "back", 5), ("a", "cart", 10), ("a", "buy", 20),
              ("b", "view", 0), ("b", "cart", 10), ("b", "buy", 20), ("b", "back", 30),
              ("c", "view", 0), ("c", "cart", 10), ("c", "back", 30),
              ("d", "view", 0), ("d", "back", 5), ("d", "view", 50), ("d", "cart", 60),
              ("e", "view", 0), ("e", "back", 200)]  # fmt: skip
    f = event_funnel(_log(events), ["view", "cart", "buy"], window=dt.timedelta(seconds=100),
                     order=order, exclusions=[("back", 1, 3)])  # fmt: skip
    assert f.excluded == 2
    assert [u.tolist() for u in f.units] == [["b", "d", "e"], ["b", "d"], ["b"]]
    assert f.median_s == (None, 10.0, 10.0)


def test_exclusion_step_numbers_are_whole_numbers_of_any_int_type_never_bools() -> None:
    # True was accepted as step 1 (bool is an int); numpy's integers, which a step number
    # read from an array is, were refused.
    rows = [("A", "10:00:00"), ("X", "10:01:00"), ("B", "10:02:00"), ("C", "10:03:00")]
    log = EventLog.from_records(
        [{"u": 1, "e": e, "t": f"2024-01-01T{t}"} for e, t in rows], entity="u", event="e", time="t"
    )
    window = dt.timedelta(hours=1)
    # X falls between steps 1 and 2, not between 2 and 3: excluded under (1, 2) only.
    assert event_funnel(
        log, ["A", "B", "C"], window=window, exclusions=[("X", np.int64(1), np.int64(2))]
    ).counts == (0, 0, 0)
    assert event_funnel(
        log, ["A", "B", "C"], window=window, exclusions=[("X", np.int32(2), 3)]
    ).counts == (1, 1, 1)
    for bad in [("X", True, 2), ("X", 1.0, 2)]:
        with pytest.raises(FunnelDataError, match="exclusion 0 must be"):
            event_funnel(log, ["A", "B", "C"], window=window, exclusions=[bad])

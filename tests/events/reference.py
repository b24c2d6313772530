"""A plain-Python reference of the event-funnel rules, written from FUNNEL-SEMANTICS.md.

Events are ``(unit, name, t, props)`` tuples with ``t`` in seconds. Steps are
lists of names (any of them). No numpy, one unit at a time, the rules spelled
out as directly as possible: the engine is checked against this.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

Event = tuple[str, str, int, dict[str, str]]


@dataclass
class Chain:
    start: int  # time of its step-1 event
    times: list[int] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)  # positions of the events it used
    excluded: bool = False


@dataclass
class UnitResult:
    reached: int  # furthest step, 0 = never entered, -1 = removed by an exclusion
    times: list[int]  # the step times of the chain behind ``reached``


def _advance(state: dict, t: int, pos: int, want: int, window: int, multi: bool) -> None:
    """Try to move a chain from step ``want - 1`` to step ``want`` with this event."""
    chains: dict[int, Chain] = state["at"]
    prev = Chain(t) if want == 1 else chains.get(want - 1)
    if prev is None or t - prev.start > window:
        return
    here = chains.get(want)
    if here is not None and here.start == prev.start:
        return  # that chain is at this step already
    if multi and pos in prev.ids:
        return  # one event, one step of a chain
    new = Chain(prev.start, [*prev.times, t], [*prev.ids, pos], prev.excluded)
    if not prev.excluded:
        chains[want] = new
    best_level, best = state["best"]
    if want > best_level or (want == best_level and best is not None and best.excluded):
        state["best"] = (want, new)


def _exclude(state: dict, t: int, watch: int, window: int) -> None:
    """An exclusion event seen by chains at step ``watch`` that have not gone further."""
    chains: dict[int, Chain] = state["at"]
    prev = chains.get(watch)
    if prev is None or t - prev.start > window:
        return
    here = chains.get(watch + 1)
    if here is not None and here.start == prev.start:
        return
    if prev.excluded:
        return
    chains[watch] = Chain(prev.start, prev.times, prev.ids, True)
    best_level, best = state["best"]
    if best_level == watch and best is not None and t - best.start <= window:
        state["best"] = (best_level, Chain(best.start, best.times, best.ids, True))


def unit_funnel(
    events: Sequence[tuple[int, str, dict[str, str]]],
    steps: Sequence[Sequence[str]],
    window: int,
    *,
    strict: bool = False,
    exclusions: Sequence[tuple[str, int, int]] = (),
) -> UnitResult:
    """One unit's events ``(t, name, props)`` in log order."""
    k = len(steps)
    order = sorted(range(len(events)), key=lambda i: events[i][0])  # stable
    state: dict = {"at": {}, "best": (0, None)}
    groups: dict[int, list[int]] = defaultdict(list)
    for i in order:
        groups[events[i][0]].append(i)
    for t in sorted(groups):
        members = groups[t]
        matched = {}
        for i in members:
            name = events[i][1]
            ups = [s + 1 for s in range(k) if name in steps[s]]
            downs = [-w for (x, a, b) in exclusions if x == name for w in range(a + 1, b + 1)]
            matched[i] = ups + downs
        if not strict:
            members = [i for i in members if matched[i]]
            if not members:
                continue
        if len({tuple(matched[i]) for i in members}) == 1:
            for i in members:
                for s in reversed(matched[i]):
                    if s > 0:
                        _advance(state, t, i, s, window, False)
                    else:
                        _exclude(state, t, -s - 1, window)
                if strict:
                    for level in range(1, k + 1):
                        if level not in matched[i]:
                            state["at"].pop(level, None)
        else:
            pairs = sorted(((s, i) for i in members for s in matched[i] if s > 0),
                           key=lambda p: p[0])  # fmt: skip
            for s, i in pairs:
                _advance(state, t, i, s, window, True)
        if k in state["at"]:
            break
    level, best = state["best"]
    if best is None:
        return UnitResult(0, [])
    if best.excluded:
        return UnitResult(-1, [])
    return UnitResult(level, best.times)


def unordered_level(events: Sequence[tuple[int, str]], steps: Sequence[Sequence[str]],
                    window: int) -> int:  # fmt: skip
    """Most distinct steps among the events of one window ``[t, t + W]``."""
    best = 0
    for t0, _ in events:
        inside = {name for t, name in events if t0 <= t <= t0 + window}
        best = max(best, sum(1 for s in steps if inside & set(s)))
    return best


def funnel_counts(
    events: Sequence[Event],
    steps: Sequence[Sequence[str]],
    window: int,
    *,
    order: str = "ordered",
    exclusions: Sequence[tuple[str, int, int]] = (),
) -> tuple[list[int], int, dict[str, UnitResult]]:
    """Counts per step, units removed by exclusions, and each unit's result."""
    by_unit: dict[str, list[tuple[int, str, dict[str, str]]]] = defaultdict(list)
    for unit, name, t, props in events:
        by_unit[unit].append((t, name, props))
    results = {}
    for unit, evs in by_unit.items():
        if order == "unordered":
            level = unordered_level([(t, n) for t, n, _ in evs], steps, window)
            results[unit] = UnitResult(level, [])
        else:
            results[unit] = unit_funnel(
                evs, steps, window, strict=order == "strict", exclusions=exclusions
            )
    counts = [sum(1 for r in results.values() if r.reached >= s + 1) for s in range(len(steps))]
    removed = sum(1 for r in results.values() if r.reached == -1)
    return counts, removed, results


def open_units(
    events: Sequence[Event],
    steps: Sequence[Sequence[str]],
    window: int,
    end: int,
    results: dict[str, UnitResult],
) -> set[str]:
    """Units not complete whose latest step-1 event is at most ``W`` before ``end``."""
    latest: dict[str, int] = {}
    for unit, name, t, _ in events:
        if name in steps[0] and t < end:
            latest[unit] = max(latest.get(unit, t), t)
    return {
        u
        for u, r in results.items()
        if 1 <= r.reached < len(steps) and u in latest and latest[u] + window >= end
    }


def _renamed(events: Sequence[Event], keep) -> list[Event]:  # type: ignore[no-untyped-def]
    """Events with those ``keep`` refuses renamed to ``~`` (a name no step holds)."""
    return [e if keep(e) else (e[0], "~", e[2], e[3]) for e in events]


def trend_counts(
    events: Sequence[Event], steps: Sequence[Sequence[str]], window: int, length: int,
    order: str = "ordered",
) -> dict[int, list[int]]:  # fmt: skip
    """Per period ``t // length`` holding a step-1 event: the funnel in which step 1
    matches only that period's step-1 events (steps must not share names)."""
    periods = sorted({t // length for _, name, t, _ in events if name in steps[0]})
    out = {}
    for b in periods:
        seen = _renamed(events, lambda e, b=b: e[1] not in steps[0] or e[2] // length == b)
        out[b] = funnel_counts(seen, steps, window, order=order)[0]
    return out


def step_n_groups(
    events: Sequence[Event], steps: Sequence[Sequence[str]], window: int, n: int,
    order: str = "ordered",
) -> dict[str, dict[str, int]]:  # fmt: skip
    """``attribution='step_<n>'`` on the ``device`` property: group -> unit -> level.

    For each value, step ``n`` matches only events with it; a unit takes the value
    (among its step-``n`` events' values) that takes it furthest, ties to the one
    seen first (by time, then log order); without a step-``n`` event, ``(none)``.
    """
    _, _, plain = funnel_counts(events, steps, window, order=order)
    firsts: dict[str, list[str]] = defaultdict(list)
    for unit, name, _, props in sorted(events, key=lambda e: e[2]):  # stable
        value = props["device"] or "(none)"
        if name in steps[n - 1] and value not in firsts[unit]:
            firsts[unit].append(value)
    per_value = {}
    for v in {v for vs in firsts.values() for v in vs}:
        seen = _renamed(
            events, lambda e, v=v: e[1] not in steps[n - 1] or (e[3]["device"] or "(none)") == v
        )
        per_value[v] = funnel_counts(seen, steps, window, order=order)[2]
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for unit, result in plain.items():
        if not firsts[unit]:
            out["(none)"][unit] = result.reached
            continue
        level, value = max((per_value[v][unit].reached, -i, v) for i, v in enumerate(firsts[unit]))[
            ::2
        ]
        out[value][unit] = level
    return out

"""The deal funnels' stage ids are made when first read (:class:`~salesfunnel.funnel.later.Later`).

Each stage's ``data`` holds its deals' ids. Text ids cost a Python string
each (about half a second for 4.6 million), so the closed, cohort and active
funnels make them on the first read of some stage's ``data``: once for every
stage that shares one ordering of the deals, then a read-only view per stage.
What is read must equal what was there before (the ids by hand here; the
suite's other tests read ``data`` everywhere), and nothing else about a stage
may change.
"""

from __future__ import annotations

import copy
import dataclasses
import gc
import pickle
import threading
import time
import types
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from salesfunnel import (
    DealLog,
    Funnel,
    Pipeline,
    Stage,
    active_funnel,
    closed_funnel,
    cohort_funnel,
)
from salesfunnel.deals import idlookup
from salesfunnel.funnel.later import Later

P = Pipeline(["Call", "Offer"], won="Won", lost="Lost")
# deal, stage, day (of January 2024), owner
ROWS = [
    ("D1", "Call", 1, "Ann"), ("D1", "Offer", 3, "Ann"), ("D1", "Won", 6, "Ann"),
    ("D2", "Call", 2, "Bob"), ("D2", "Lost", 4, "Bob"),
    ("D3", "Call", 2, "Ann"), ("D3", "Offer", 5, "Ann"),
    ("D4", "Call", 7, "Bob"),
]  # fmt: skip


def _log(ids: Callable[[str], Any] = str) -> DealLog:
    records = [
        {"deal": ids(d), "stage": s, "time": f"2024-01-{day:02d}", "owner": o}
        for d, s, day, o in ROWS
    ]
    return DealLog.from_records(records, P, owner="owner")


def _funnels(log: DealLog, kind: str) -> list[Funnel]:
    """Every funnel of one analysis, total and per owner."""
    if kind == "closed":
        return [
            closed_funnel(log).funnel,
            *(r.funnel for r in closed_funnel(log, by="owner").values()),
        ]
    if kind == "active":
        result = active_funnel(log, as_of="2024-01-05")
        return [result.funnel, *(r.funnel for r in active_funnel(log, by="owner").values())]
    mode: Any = kind.split("-")[1]  # "cumulative" or "classic"
    total = cohort_funnel(log, mode=mode, time_to_won=False)
    return [total.funnel, *(r.funnel for r in cohort_funnel(log, by="owner", mode=mode).values())]


# By hand, from ROWS. Closed: D1 won (Call, Offer, Won), D2 lost at Call. Cohort
# (cumulative): D1 reached every stage, D2 and D4 Call only, D3 Call and Offer.
# Classic counts a deal at each stage it has an event at (a win reaches every stage).
# Active on 5 January: D1 and D3 at Offer (D1 wins on the 6th, D4 starts on the 7th);
# per owner, at the latest event (the 7th): D3 at Offer, D4 at Call.
EXPECTED = {
    "closed": [{"Call": ["D1", "D2"], "Offer": ["D1"], "Won": ["D1"]},
               {"Call": ["D1"], "Offer": ["D1"], "Won": ["D1"]},
               {"Call": ["D2"], "Offer": [], "Won": []}],
    "cohort-cumulative": [{"Call": ["D1", "D2", "D3", "D4"], "Offer": ["D1", "D3"], "Won": ["D1"]},
                          {"Call": ["D1", "D3"], "Offer": ["D1", "D3"], "Won": ["D1"]},
                          {"Call": ["D2", "D4"], "Offer": [], "Won": []}],
    "cohort-classic": [{"Call": ["D1", "D2", "D3", "D4"], "Offer": ["D1", "D3"], "Won": ["D1"]},
                       {"Call": ["D1", "D3"], "Offer": ["D1", "D3"], "Won": ["D1"]},
                       {"Call": ["D2", "D4"], "Offer": [], "Won": []}],
    "active": [{"Call": [], "Offer": ["D1", "D3"]},
               {"Call": [], "Offer": ["D3"]},
               {"Call": ["D4"], "Offer": []}],
}  # fmt: skip
KINDS = sorted(EXPECTED)


@pytest.mark.parametrize("kind", KINDS)
def test_ids_are_looked_up_on_the_first_read_once(kind: str, id_lookups: list[int]) -> None:
    funnels = _funnels(_log(), kind)
    assert id_lookups == [], "no id is looked up before a stage's data is read"
    got = [{s.name: sorted(s.data.tolist()) for s in f.stages} for f in funnels]
    assert got == EXPECTED[kind]
    made = len(id_lookups)
    assert 0 < made <= sum(len(f.stages) for f in funnels)
    again = [{s.name: sorted(s.data.tolist()) for s in f.stages} for f in funnels]
    assert again == got
    assert len(id_lookups) == made, "a second read makes nothing"


@pytest.mark.parametrize("kind", ["closed", "cohort-cumulative", "active"])
def test_stages_that_share_an_ordering_share_one_lookup(kind: str, id_lookups: list[int]) -> None:
    funnel = _funnels(_log(), kind)[0]
    for stage in funnel.stages:
        assert stage.data is stage.data  # the value is kept, not remade
    assert len(id_lookups) == 1, "one lookup serves every stage of the funnel"


@pytest.mark.parametrize("kind", KINDS)
def test_read_data_is_read_only_and_typed_as_before(kind: str) -> None:
    for funnel in _funnels(_log(), kind):
        for stage in funnel.stages:
            assert isinstance(stage.data, np.ndarray)
            assert not stage.data.flags.writeable
            assert stage.data.dtype == object  # text ids: str objects
    int_funnel = _funnels(_log(lambda d: int(d[1:])), kind)[0]
    assert all(s.data.dtype == np.int64 for s in int_funnel.stages)
    assert sorted(int_funnel.stages[0].data.tolist()) == [
        int(d[1:]) for d in EXPECTED[kind][0][int_funnel.stages[0].name]
    ]


def _reaches(root: object, target: object) -> bool:
    """Whether ``target`` is reachable from ``root`` through references (``gc``)."""
    seen, todo = {id(root)}, [root]
    while todo:
        for ref in gc.get_referents(todo.pop()):
            if ref is target:
                return True
            if id(ref) not in seen and not isinstance(ref, (type, types.ModuleType)):
                seen.add(id(ref))
                todo.append(ref)
    return False


@pytest.mark.parametrize("kind", KINDS)
def test_a_result_does_not_hold_the_log(kind: str) -> None:
    """The stages hold the codes and the table of ids, not the log and its events."""
    log = _log()
    funnels = _funnels(log, kind)
    assert not _reaches(funnels, log)
    assert not _reaches(funnels, log.deal)
    assert _reaches([Later(lambda: log)], log)  # the walk does find what is held


def test_concurrent_first_reads_make_one_value(
    id_lookups: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    funnel = closed_funnel(_log()).funnel
    counted = idlookup.ids_from

    def slow(*args: Any) -> np.ndarray:  # every reader is inside before the first is done
        time.sleep(0.05)
        return counted(*args)

    monkeypatch.setattr(idlookup, "ids_from", slow)
    start = threading.Barrier(4)
    seen: list[object] = []

    def read() -> None:
        start.wait()
        seen.append(funnel["Call"].data)

    threads = [threading.Thread(target=read) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(id_lookups) == 1
    assert all(s is seen[0] for s in seen)


def test_later_makes_once_and_retries_after_an_error() -> None:
    calls: list[int] = []

    def make() -> list[int]:
        calls.append(1)
        if len(calls) == 1:
            raise OSError("first try fails")
        return [7]

    later = Later(make)
    with pytest.raises(OSError, match="first try"):
        later.value()
    assert later.value() == [7]
    assert later.value() is later.value()
    assert len(calls) == 2


def test_a_stage_with_later_data_is_the_same_value_as_with_the_data() -> None:
    made = Stage("Call", 3, 1.5, Later(lambda: ["a", "b", "c"]))
    plain = Stage("Call", 3, 1.5, ["a", "b", "c"])
    assert made == plain
    assert hash(made) == hash(plain)
    assert repr(made) == repr(plain)
    for copied in (
        pickle.loads(pickle.dumps(Stage("Call", 3, data=Later(lambda: ["x"])))),
        copy.deepcopy(Stage("Call", 3, data=Later(lambda: ["x"]))),
        dataclasses.replace(Stage("Call", 3, data=Later(lambda: ["x"])), count=2),
    ):
        assert copied.data == ["x"]
    assert dataclasses.asdict(made)["data"] == ["a", "b", "c"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.data = None  # type: ignore[misc]
    assert Stage("Call", 1).data is None

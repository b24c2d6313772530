"""The per-unit hook (events/units.py) that event_funnel and the cluster adapters reduce."""

from __future__ import annotations

import datetime as dt

import pytest

from salesfunnel import EventLog, event_funnel
from salesfunnel.events.units import FunnelOptions, unit_steps

MINUTE = dt.timedelta(minutes=1)


def _log() -> EventLog:
    rows = [
        {"user": "u", "event": "view", "time": "2024-01-01T10:00:00", "plan": "pro", "s": "a"},
        {"user": "u", "event": "buy", "time": "2024-01-01T10:00:30", "plan": "pro", "s": "a"},
        {"user": "v", "event": "view", "time": "2024-01-02T10:00:00", "plan": "", "s": "b"},
        {"user": "v", "event": "buy", "time": "2024-01-02T10:05:00", "plan": "", "s": "b"},
    ]
    return EventLog.from_records(rows, entity="user", properties=["plan", "s"])


def test_worked_example_per_unit_results() -> None:
    # u: view then buy 30 s later (inside the minute); v: buy 5 min later (outside).
    opts = FunnelOptions(("view", "buy"), MINUTE, breakdown="plan", period="D")
    res = unit_steps(_log(), opts)
    assert res.labels == ["view", "buy"]
    assert res.total.ids.all().tolist() == ["u", "v"]
    assert res.total.reached.tolist() == [2, 1]
    assert res.total.times[0].tolist() == [1704103200, 1704103230]
    assert {g: u.ids.all().tolist() for g, u in res.by.items()} == {"(none)": ["v"], "pro": ["u"]}
    assert list(res.trend) == [(19723, "2024-01-01"), (19724, "2024-01-02")]
    # Every unit is run in each period; those without a step-1 event there reach 0.
    assert [u.reached.tolist() for u in res.trend.values()] == [[2, 0], [0, 1]]
    assert res.period == "D"


def test_a_breakdown_of_a_funnel_without_units_is_empty() -> None:
    # start after every event: no unit. Before, grouping zero units raised a ValueError
    # from zip() (np.split of an empty array gives one piece).
    f = event_funnel(_log(), ["view", "buy"], window=MINUTE, breakdown="plan",
                     start="2025-01-01")  # fmt: skip
    assert f.counts == (0, 0)
    assert dict(f.by) == {}


@pytest.mark.parametrize("attribution", ["first_touch", "step_2"])
def test_units_of_two_columns_keep_tuple_ids(attribution: str) -> None:
    opts = FunnelOptions(("view", "buy"), MINUTE, unit=("user", "s"), breakdown="plan",
                         attribution=attribution)  # fmt: skip
    res = unit_steps(_log(), opts)
    assert res.total.ids.all().tolist() == [("u", "a"), ("v", "b")]
    assert res.by["pro"].reached.tolist() == [2]


def test_a_first_touch_tie_does_not_depend_on_other_units() -> None:
    # x: A (web) and B (ios) at one time; B is step 1, A step 3 only (price 3). y's A
    # (price 5) matches steps 2 and 3, which sends the whole log down the loop path.
    # Ties go by step on both paths: x is "ios". Before, with y present, "web" (row order).
    def rows(*units: str) -> list[dict[str, object]]:
        at = "2024-01-01T10:00:00"
        every = {
            "x": [("A", "web", 3.0), ("B", "ios", 3.0)],
            "y": [("A", "web", 5.0)],
        }
        return [{"user": u, "event": e, "time": at, "device": d, "price": p}
                for u in units for e, d, p in every[u]]  # fmt: skip

    steps = ["B", ("A", {"price": ("!=", 3)}), "A"]
    for units in (("x",), ("x", "y")):
        log = EventLog.from_records(rows(*units), entity="user", properties=["device", "price"])
        f = event_funnel(log, steps, window=MINUTE, breakdown="device")
        assert f.by["ios"].units[0].tolist() == ["x"], units


def test_step_ids_are_made_when_first_read(id_lookups: list[int]) -> None:
    """Each step's ids (``stage.data``) are looked up on the first read of some step's,
    once for the funnel (text ids cost a Python string each), then gathered per step."""
    # u and v view, then only u buys within the minute (v's buy is 5 min later).
    f = event_funnel(_log(), ["view", "buy"], window=MINUTE, breakdown="plan", period="D")
    assert id_lookups == []
    assert f.funnel["view"].data.tolist() == ["u", "v"]
    assert id_lookups == [2], "every unit's id, once"
    assert f.funnel["buy"].data.tolist() == ["u"]
    assert [u.tolist() for u in f.units] == [["u", "v"], ["u"]]
    assert id_lookups == [2]
    assert not f.funnel["buy"].data.flags.writeable
    assert {g: sub.funnel["view"].data.tolist() for g, sub in f.by.items()} == {
        "(none)": ["v"],
        "pro": ["u"],
    }
    assert len(id_lookups) == 3, "one lookup per breakdown funnel read, none before"

"""A breakdown kept as codes (``events/groupvalues.py``) groups exactly as the texts
it stands for: every property kind (text, text coded by the CSV fast path, float
with NaN, integer, bool), one or two columns, every attribution, against the same
log whose properties are the texts themselves (the engine's plain text path)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given, settings, strategies as st

from salesfunnel import EventLog, event_funnel
from salesfunnel.events.grouping import breakdown_values, value_text
from salesfunnel.events.groupvalues import GroupValues, coded_column, joined
from salesfunnel.events.props import CodedText

NAMES = ("view", "cart", "buy", "other")
BASE = np.datetime64("2024-01-01T00:00:00", "s")

_row = st.tuples(
    st.integers(0, 5),  # unit
    st.integers(0, 3),  # event
    st.integers(0, 7_200),  # seconds
    st.sampled_from(["ios", "web", "", "tv"]),  # text ("" is no value)
    st.sampled_from([1.0, 2.5, float("nan"), -0.0, 1e20]),  # float, NaN is no value
    st.integers(-3, 3),  # small integer
    st.booleans(),
)


BREAKDOWNS = ["device", "score", "level", "flag", ("device", "score"), ("level", "flag", "device"),
              ("score", "level")]  # fmt: skip
_BLANK = [(0, 0, 0, "", float("nan"), 0, False), (0, 1, 60, "ios", 1.0, 0, False),
          (1, 0, 0, "web", float("nan"), 1, True)]  # fmt: skip


def _text(kind: str, v: object) -> str:
    if kind == "score":
        return "" if v != v else value_text(v)  # NaN: no value
    return str(v)


def _logs(rows: list[tuple]) -> tuple[EventLog, EventLog]:  # type: ignore[type-arg]
    cols = list(zip(*rows, strict=True))
    # The device as the CSV fast path codes a text column, a text listed twice included
    # (two cells that differ only by spaces code apart and read alike once stripped).
    table = np.array(["ios", "web", "", "tv", "web"])
    picks = [table.tolist().index(v) for v in cols[3]]
    picks = [4 if p == 1 and i % 2 else p for i, p in enumerate(picks)]
    props = {
        "device": np.array(cols[3], dtype=str),
        "score": np.array(cols[4], dtype=np.float64),
        "level": np.array(cols[5], dtype=np.int8),
        "flag": np.array(cols[6], dtype=bool),
    }
    texts = {k: np.array([_text(k, v) for v in v_], dtype=str) for k, v_ in props.items()
             for v_ in [props[k].tolist()]}  # fmt: skip
    common = {
        "entity": np.array(cols[0], dtype=np.int64),
        "event": np.array(cols[1], dtype=np.int16),
        "time": BASE + np.array(cols[2], dtype="timedelta64[s]"),
        "names": NAMES,
    }
    coded = {**props, "device": CodedText(np.array(picks, dtype=np.uint8), table)}
    return EventLog(**common, properties=coded), EventLog(**common, properties=texts)


def _groups(log: EventLog, breakdown: object, attribution: str) -> dict[str, tuple]:  # type: ignore[type-arg]
    f = event_funnel(log, ["view", "cart", "buy"], window=dt.timedelta(minutes=30),
                     breakdown=breakdown, attribution=attribution)  # fmt: skip
    return {g: (sub.counts, [sorted(u.tolist()) for u in sub.units]) for g, sub in f.by.items()}


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(_row, min_size=1, max_size=40),
    breakdown=st.sampled_from(BREAKDOWNS),
    attribution=st.sampled_from(["first_touch", "last_touch", "all_events", "step_1", "step_2"]),
)
# Every part of a joined value missing: no value at all (""), not "(none) / (none)".
@example(rows=_BLANK, breakdown=("device", "score"), attribution="first_touch")
@example(rows=_BLANK, breakdown=("device", "score"), attribution="all_events")
@example(rows=_BLANK, breakdown=("device", "score"), attribution="step_1")
def test_coded_values_group_as_their_texts(
    rows: list[tuple],
    breakdown: object,
    attribution: str,  # type: ignore[type-arg]
) -> None:
    typed, texts = _logs(rows)
    assert _groups(typed, breakdown, attribution) == _groups(texts, breakdown, attribution)


@settings(max_examples=30, deadline=None)
@given(rows=st.lists(_row, min_size=1, max_size=40))
def test_the_csv_fast_paths_coded_text_groups_as_the_pure_readers_text(
    tmp_path_factory: pytest.TempPathFactory,
    rows: list[tuple],  # type: ignore[type-arg]
) -> None:
    pytest.importorskip("pyarrow")
    path = tmp_path_factory.mktemp("coded") / "log.csv"
    rows = [*rows, *((9, e, 0, "ios", 1.0, 1, False) for e in range(len(NAMES)))]  # every name
    lines = [f"u{r[0]},{NAMES[r[1]]},{BASE + np.timedelta64(r[2], 's')},{r[3]},{r[5]}"
             for r in rows]  # fmt: skip
    path.write_text("user,event,time,device,level\n" + "\n".join(lines) + "\n")
    logs = [EventLog.from_csv(path, entity="user", properties=["device", "level"], engine=e)
            for e in ("arrow", "python")]  # fmt: skip
    assert logs[0].properties.coded("device") is not None  # type: ignore[attr-defined]
    for attribution in ("first_touch", "all_events", "step_2"):
        for breakdown in ("device", ("device", "level")):
            assert _groups(logs[0], breakdown, attribution) == _groups(
                logs[1], breakdown, attribution
            )


def test_codes_by_hand() -> None:
    level = coded_column(np.array([5, 3, 5, 4], dtype=np.int16))
    assert level.codes is not None
    assert level.names.tolist() == ["3", "4", "5"]
    assert level[np.arange(4)].tolist() == ["5", "3", "5", "4"]
    score = coded_column(np.array([2.0, np.nan, 0.5, 2.0]))
    assert score[np.arange(4)].tolist() == ["2", "", "0.5", "2"]
    assert score.groups("(none)") == ["(none)", "0.5", "2"]
    assert score.in_group("(none)", "(none)").tolist() == [False, True, False, False]
    both = joined([level, score], "(none)")
    assert both is not None
    assert both[np.arange(4)].tolist() == ["5 / 2", "3 / (none)", "5 / 0.5", "4 / 2"]
    big = coded_column(np.array([0, 2**40], dtype=np.int64))  # a sort, not a table
    assert big.names.tolist() == ["0", "1099511627776"]
    assert joined([level, GroupValues(None, np.array(["a"] * 4))], "(none)") is None


def test_a_text_column_is_used_as_it_is(tmp_path: Path) -> None:
    log = EventLog(entity=np.array([1, 2]), event=np.array([0, 0], dtype=np.int16),
                   time=np.array([BASE, BASE]), names=("view",),
                   properties={"device": np.array(["ios", "web"])})  # fmt: skip
    values = breakdown_values(log, ("device",))
    assert values.codes is None
    assert values.names is log.properties["device"]

"""Worked examples of the event-funnel rules, each small enough to check by hand."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from salesfunnel import EventLog, FunnelDataError, compare, event_funnel

MIN = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)


def _log(*events: tuple[str, str, str] | tuple[str, str, str, dict[str, object]]) -> EventLog:
    """``(unit, event, 'HH:MM[:SS]'[, props])`` on 2024-01-01."""
    rows = []
    for e in events:
        clock = e[2] if e[2].count(":") == 2 else e[2] + ":00"
        props = e[3] if len(e) == 4 else {}
        rows.append({"entity": e[0], "event": e[1], "time": f"2024-01-01T{clock}", **props})
    names = sorted({k for e in events if len(e) == 4 for k in e[3]})
    return EventLog.from_records(rows, properties=names)


# -- orders -------------------------------------------------------------------------
def test_ordered_allows_other_events_between_steps_but_not_a_step_out_of_order() -> None:
    log = _log(("u", "A", "10:00"), ("u", "X", "10:01"), ("u", "B", "10:02"),
               ("v", "B", "10:00"), ("v", "A", "10:01"))  # fmt: skip
    f = event_funnel(log, ["A", "B"], window=HOUR)
    assert f.counts == (2, 1)
    assert f.units[1].tolist() == ["u"]


def test_strict_stops_at_an_event_between_steps() -> None:
    log = _log(("u", "A", "10:00"), ("u", "X", "10:01"), ("u", "B", "10:02"),
               ("v", "A", "10:00"), ("v", "B", "10:02"))  # fmt: skip
    assert event_funnel(log, ["A", "B"], window=HOUR, order="strict").counts == (2, 1)
    assert event_funnel(log, ["A", "B"], window=HOUR).counts == (2, 2)


def test_unordered_counts_distinct_steps_in_one_window() -> None:
    log = _log(("u", "B", "10:00"), ("u", "A", "10:05"),
               ("v", "B", "10:00"), ("v", "A", "12:00"))  # fmt: skip
    f = event_funnel(log, ["A", "B"], window=HOUR, order="unordered")
    assert f.counts == (2, 1)
    assert f.units[1].tolist() == ["u"]
    assert f.median_s == (None, None)  # no step order, no time between steps


# -- the window ---------------------------------------------------------------------
def test_window_is_inclusive_exactly_w_counts_w_plus_one_second_does_not() -> None:
    log = _log(("u", "A", "10:00:00"), ("u", "B", "10:30:00"),
               ("v", "A", "10:00:00"), ("v", "B", "10:30:01"))  # fmt: skip
    f = event_funnel(log, ["A", "B"], window=30 * MIN)
    assert f.counts == (2, 1)
    assert f.units[1].tolist() == ["u"]


def test_window_runs_from_step_one_not_from_the_previous_step() -> None:
    log = _log(("u", "A", "10:00"), ("u", "B", "10:40"), ("u", "C", "11:20"))
    assert event_funnel(log, ["A", "B", "C"], window=HOUR).counts == (1, 1, 0)


def test_repeated_step_one_a_later_chain_takes_over() -> None:
    # FUNNEL-SEMANTICS 2.2's example: Mixpanel's default stops at B; PostHog's later
    # chain (A at 1:30) reaches C at 2:15, 45 minutes after it started.
    log = _log(("u", "A", "01:00"), ("u", "A", "01:30"), ("u", "B", "01:45"), ("u", "C", "02:15"))
    f = event_funnel(log, ["A", "B", "C"], window=HOUR)
    assert f.counts == (1, 1, 1)
    assert f.median_s == (None, 15 * 60.0, 30 * 60.0)


def test_a_step_reached_twice_keeps_its_first_time() -> None:
    log = _log(("u", "A", "10:00:00"), ("u", "B", "10:00:01"), ("u", "B", "10:00:02"),
               ("u", "C", "10:00:03"))  # fmt: skip
    f = event_funnel(log, ["A", "B", "C"], window=HOUR)
    assert f.median_s == (None, 1.0, 2.0)


# -- equal timestamps and shared events ----------------------------------------------
def test_equal_timestamps_are_taken_in_step_order() -> None:
    # v's B is written before its A, at the same second: still A then B.
    log = _log(("u", "A", "10:00"), ("u", "B", "10:00"), ("v", "B", "10:00"), ("v", "A", "10:00"))
    f = event_funnel(log, ["A", "B"], window=HOUR)
    assert f.counts == (2, 2)
    assert f.median_s == (None, 0.0)


def test_one_event_fills_one_step() -> None:
    once = _log(("u", "A", "10:00"))
    twice = _log(("u", "A", "10:00"), ("u", "A", "10:05"))
    assert event_funnel(once, ["A", "A"], window=HOUR).counts == (1, 0)
    assert event_funnel(twice, ["A", "A"], window=HOUR).counts == (1, 1)


def test_a_step_may_match_several_events_or_a_property_filter() -> None:
    log = _log(("u", "view", "10:00"), ("u", "buy", "10:05", {"price": 50}),
               ("v", "search", "10:00"), ("v", "buy", "10:05", {"price": 150}))  # fmt: skip
    f = event_funnel(log, [("view", "search"), "buy"], window=HOUR)
    assert f.counts == (2, 2)
    assert f.steps == ("view|search", "buy")
    big = event_funnel(log, [("view", "search"), ("buy", {"price": (">", 100)})], window=HOUR)
    assert big.counts == (2, 1)
    assert big.units[1].tolist() == ["v"]


# -- exclusions ---------------------------------------------------------------------
def test_an_exclusion_between_steps_removes_the_unit_from_the_whole_funnel() -> None:
    log = _log(("u", "A", "10:00"), ("u", "X", "10:01"), ("u", "B", "10:02"),
               ("v", "A", "10:00"), ("v", "B", "10:01"), ("v", "X", "10:02"),
               ("w", "A", "10:00"))  # fmt: skip
    f = event_funnel(log, ["A", "B"], window=HOUR, exclusions=[("X", 1, 2)])
    assert f.counts == (2, 1)  # u is gone from step 1 as well
    assert f.excluded == 1
    assert f.units[0].tolist() == ["v", "w"]


def test_an_exclusion_after_the_window_is_ignored() -> None:
    log = _log(("u", "A", "10:00"), ("u", "X", "11:30"), ("w", "B", "09:00"))
    f = event_funnel(log, ["A", "B"], window=HOUR, exclusions=[("X", 1, 2)])
    assert (f.counts, f.excluded) == ((1, 0), 0)


def test_a_clean_later_chain_replaces_an_excluded_one() -> None:
    log = _log(("u", "A", "10:00"), ("u", "X", "10:01"), ("u", "A", "10:02"), ("u", "B", "10:03"))
    f = event_funnel(log, ["A", "B"], window=HOUR, exclusions=[("X", 1, 2)])
    assert (f.counts, f.excluded) == ((1, 1), 0)


# -- breakdown ----------------------------------------------------------------------
def test_first_and_last_touch_attribution() -> None:
    log = _log(("u", "A", "10:00", {"device": ""}), ("u", "A", "10:01", {"device": "ios"}),
               ("u", "B", "10:02", {"device": "web"}), ("v", "A", "10:00", {"device": ""}))  # fmt: skip
    first = event_funnel(log, ["A", "B"], window=HOUR, breakdown="device")
    last = event_funnel(log, ["A", "B"], window=HOUR, breakdown="device", attribution="last_touch")
    assert {k: v.counts for k, v in first.by.items()} == {"(none)": (1, 0), "ios": (1, 1)}
    assert {k: v.counts for k, v in last.by.items()} == {"(none)": (1, 0), "web": (1, 1)}
    assert first.counts == (2, 1)
    every = event_funnel(log, ["A", "B"], window=HOUR, breakdown="device", attribution="all_events")
    # Per value, only that value's events: u's ios A has no ios B, its web B no web A.
    assert {k: v.counts for k, v in every.by.items()} == {
        "(none)": (2, 0),
        "ios": (1, 0),
        "web": (0, 0),
    }


# -- censoring, results -------------------------------------------------------------
def test_units_inside_their_window_at_end_are_reported_as_open() -> None:
    log = _log(("u", "A", "10:00"), ("v", "A", "11:50"), ("w", "A", "11:00"), ("w", "B", "11:10"))
    f = event_funnel(log, ["A", "B"], window=HOUR, end="2024-01-01T12:00:00")
    # u's window closed at 11:00; v's is open until 12:50; w completed.
    assert f.counts == (3, 1)
    assert f.open_counts == (1, 0)
    assert f.end == "2024-01-01T12:00:00"


def test_start_and_end_bound_the_events_seen() -> None:
    log = _log(("u", "A", "09:59"), ("u", "B", "10:01"), ("v", "A", "10:00"), ("v", "B", "10:30"))
    f = event_funnel(log, ["A", "B"], window=HOUR, start="2024-01-01T10:00", end="2024-01-01T10:30")
    assert f.counts == (1, 0)


def test_the_result_is_a_funnel_for_charts_and_compare() -> None:
    log = _log(("u", "A", "10:00"), ("u", "B", "10:01"), ("v", "A", "10:00"))
    f = event_funnel(log, ["A", "B"], window=HOUR)
    assert f.funnel.counts.tolist() == [2.0, 1.0]
    assert f.funnel.stages[1].data.tolist() == ["u"]
    assert f.step_conversion == (1.0, 0.5)
    assert (f.overall_conversion, f.drop_off) == (0.5, (0, 1))
    assert compare({"a": f.funnel, "b": f.funnel}).groups == ("a", "b")
    records = f.to_records()
    assert (records[1]["units"], records[1]["step_conversion"]) == (1, 0.5)
    assert '"median_s": 60.0' in f.to_json()
    assert "<td>B</td>" in f._repr_html_()
    assert str(f).splitlines()[0] == "event funnel"


def test_html_escapes_step_names() -> None:
    log = _log(("u", "<b>", "10:00"))
    assert "&lt;b&gt;" in event_funnel(log, ["<b>"], window=HOUR)._repr_html_()


# -- errors -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"steps": ["A", "Z"]}, "no event 'Z'"),
        ({"window": dt.timedelta(0)}, "window must be a positive"),
        ({"order": "loose"}, "order must be"),
        ({"exclusions": [("B", 2, 1)]}, "1 <= i < j <= 2"),
        ({"breakdown": "device"}, "not a property"),
        ({"attribution": "first"}, "attribution must be"),
        ({"attribution": "step_3"}, "steps are numbered 1 to 2"),
        ({"modes": ["strict_order"]}, "need order='clickhouse'"),
        ({"order": "clickhouse", "modes": ["strict"]}, "unknown windowFunnel mode 'strict'"),
        ({"order": "clickhouse", "modes": ["allow_reentry"]}, "needs 'strict_order'"),
        ({"order": "clickhouse", "exclusions": [("B", 1, 2)]}, "not supported with order='cl"),
        ({"unit": "nope"}, "unit 'nope' is neither"),
        ({"unit": ()}, "unit must be a column name"),
        ({"breakdown": ("price", "nope")}, "breakdown 'nope' is not a property"),
        ({"period": "Y"}, "period must be 'D', 'W', 'M'"),
        ({"period": "D", "order": "unordered"}, "period is not supported"),
        ({"steps": ["A", ("B", {"price": ("~", 1)})]}, "unknown operator"),
        ({"steps": [("A", "B"), "B"], "order": "unordered"}, "overlap"),
        ({"end": "2024-01-01", "start": "2024-01-02"}, "end must be after start"),
    ],
)
def test_bad_options_are_errors_that_name_them(kwargs: dict[str, object], words: str) -> None:
    log = _log(("u", "A", "10:00", {"price": "1"}), ("u", "B", "10:01", {"price": "x"}))
    options: dict[str, object] = {"steps": ["A", "B"], "window": HOUR, **kwargs}
    steps = options.pop("steps")
    with pytest.raises(FunnelDataError, match=words):
        event_funnel(log, steps, **options)  # type: ignore[arg-type]


def test_a_filter_on_text_that_is_not_a_number_names_the_row() -> None:
    log = _log(("u", "A", "10:00", {"price": "1"}), ("u", "B", "10:01", {"price": "x"}))
    with pytest.raises(FunnelDataError, match=r"row 1, column 'price'.*'x'") as info:
        event_funnel(log, ["A", ("B", {"price": (">", 0)})], window=HOUR)
    assert (info.value.index, info.value.value) == (1, "x")


def test_a_chart_click_on_a_step_decodes_to_its_units() -> None:
    from salesfunnel import FunnelChart

    log = _log(("u", "A", "10:00"), ("u", "B", "10:01"), ("v", "A", "10:00"), ("w", "A", "10:00"))
    f = event_funnel(log, ["A", "B"], window=HOUR)
    chart = FunnelChart(f.funnel, width=300, height=200)
    mask = chart.hit_mask()
    rid = next(r.id for r in chart.regions if r.stage == 1 and r.part == "side")
    y, x = np.argwhere(mask == rid)[0]
    hit = chart.hit_test(x + 0.5, y + 0.5)
    assert hit is not None
    assert (hit.stage, hit.data.tolist()) == (1, ["u"])


def test_undefined_rates_are_null_in_json_and_a_dash_in_text() -> None:
    import json

    log = _log(("u", "A", "10:00"), ("u", "X", "10:01"), ("w", "B", "09:00"))
    f = event_funnel(log, ["A", "B"], window=HOUR, exclusions=[("X", 1, 2)])
    assert (f.counts, f.excluded) == ((0, 0), 1)
    payload = json.loads(f.to_json())
    assert payload["steps"][0]["step_conversion"] is None
    assert payload["excluded"] == 1
    assert "nan" not in str(f).lower()
    assert "—" in str(f)
    pytest.importorskip(
        "pandas"
    )  # the README's test run has no pandas; CI's integrations step does
    frame = f.to_pandas()
    assert list(frame["units"]) == [0, 0]

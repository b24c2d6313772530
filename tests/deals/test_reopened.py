"""Deals with events after an outcome: counted, so an event log read as deals is said, not reread."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, strategies as st

from salesfunnel import DealLog, Pipeline
from salesfunnel.deals.status import reopened_deals

from cli_helpers import run_cli

PIPE = Pipeline(["Call", "Offer"], won="Won", lost="Lost")


def _log(*rows: tuple[str, str, str]) -> DealLog:
    return DealLog.from_records([{"deal": d, "stage": s, "time": t} for d, s, t in rows], PIPE)


def test_worked_example() -> None:
    log = _log(
        ("a", "Call", "2024-01-01"),
        ("a", "Won", "2024-01-02"),
        ("a", "Call", "2024-01-03"),  # after the win: reopened
        ("b", "Call", "2024-01-01"),
        ("b", "Lost", "2024-01-02"),
        ("b", "Won", "2024-01-05"),  # an outcome after an outcome: reopened too
        ("c", "Call", "2024-01-01"),
        ("c", "Won", "2024-01-02"),  # closed once: not reopened
        ("d", "Offer", "2024-01-01"),
        ("d", "Call", "2024-01-01"),  # equal times: pipeline order, still open
    )
    assert reopened_deals(log) == 2


def test_equal_times_follow_pipeline_order() -> None:
    # Offer and Lost at the same second: Offer comes first, so nothing follows the outcome.
    assert reopened_deals(_log(("a", "Lost", "2024-01-01"), ("a", "Offer", "2024-01-01"))) == 0


LABELS = ["Call", "Offer", "Won", "Lost"]


@given(
    st.lists(
        st.tuples(st.sampled_from("abc"), st.sampled_from(LABELS), st.integers(1, 9)),
        max_size=30,
    )
)
def test_matches_a_plain_python_count(rows: list[tuple[str, str, int]]) -> None:
    events: dict[str, list[tuple[int, int]]] = {}
    for deal, label, day in rows:
        events.setdefault(deal, []).append((day, LABELS.index(label)))
    expected = 0
    for evs in events.values():
        evs.sort()
        first = next((i for i, (_, c) in enumerate(evs) if c >= 2), None)
        expected += first is not None and first < len(evs) - 1
    log = _log(*((d, lab, f"2024-01-{day:02d}") for d, lab, day in rows))
    assert reopened_deals(log) == expected


def test_the_command_line_says_it_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text(
        "deal,stage,time\nu1,Call,2024-01-01\nu1,Won,2024-01-02\nu1,Call,2024-01-03\n"
        "u2,Call,2024-01-01\n",
        encoding="utf-8",
    )
    result = run_cli("metrics", path, "--pipeline", "Call,Offer")
    assert result.returncode == 0
    assert result.stderr.splitlines() == [
        "salesfunnel: note: 1 of 2 deals have events after an outcome and count as reopened; "
        "if the rows are users or sessions doing events, use salesfunnel.event_funnel "
        "(docs: funnels from event logs)"
    ]

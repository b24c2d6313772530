"""Deals with events after an outcome: counted, so an event log read as deals is said, not reread."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given, strategies as st

from salesfunnel import DealLog, LooksLikeEventLogWarning, Pipeline, closed_funnel
from salesfunnel.datasets import CRM_OUTCOMES, CRM_STAGES, synthetic_crm
from salesfunnel.deals.status import reopened_deals

from cli_helpers import run_cli
from strategies import deal_events

PIPE = Pipeline(["Call", "Offer"], won="Won", lost="Lost")


def _log(*rows: tuple[str, str, str]) -> DealLog:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LooksLikeEventLogWarning)
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
        "or `salesfunnel events` (docs: funnels from event logs)"
    ]


def _sorted_count(log: DealLog) -> int:
    """The former count, by a sort: outcomes before each event within its deal."""
    order = np.lexsort((log.code, log.time, log.deal))
    deal = log.deal[order]
    closed = (log.code[order] >= log.pipeline.n_stages).astype(np.int64)
    before = np.cumsum(closed) - closed
    first = np.r_[True, deal[1:] != deal[:-1]]
    own = before - np.maximum.accumulate(np.where(first, before, 0))
    return int(np.unique(deal[own > 0]).size)


@given(deal_events())
def test_the_one_pass_count_matches_a_sort(case: tuple[Pipeline, list[dict[str, object]]]) -> None:
    # Equal times and equal outcome events are common here: the tie rules must agree.
    pipeline, records = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LooksLikeEventLogWarning)
        log = DealLog.from_records(records, pipeline)
    assert reopened_deals(log) == _sorted_count(log)


def test_two_equal_outcome_events_reopen() -> None:
    assert reopened_deals(_log(("a", "Won", "2024-01-01"), ("a", "Won", "2024-01-01"))) == 1


ROWS = "deal,stage,time\nu1,Call,2024-01-01\nu1,Won,2024-01-02\nu1,Call,2024-01-03\n"


def test_loading_warns_once_with_the_counts_and_changes_no_number(tmp_path: Path) -> None:
    # Worked example: u1 is won on the 2nd and has a Call on the 3rd (reopened), u2 and u3
    # never close: 1 of 3 deals. Any reopened deal warns (the threshold is 1).
    path = tmp_path / "log.csv"
    path.write_text(ROWS + "u2,Call,2024-01-01\nu3,Offer,2024-01-02\n", encoding="utf-8")
    with pytest.warns(LooksLikeEventLogWarning) as caught:
        log = DealLog.from_csv(path, PIPE)
    assert [str(w.message) for w in caught] == [
        "1 of 3 deals have events after an outcome and count as reopened; if the rows are "
        "users or sessions doing events, use salesfunnel.event_funnel or `salesfunnel events` "
        "(docs: funnels from event logs)"
    ]
    assert caught[0].filename == __file__  # points at the caller, not inside the library
    assert issubclass(LooksLikeEventLogWarning, UserWarning)
    # The numbers are the deal model's, as before: u1 reopened and open at Call, not won.
    assert closed_funnel(log).funnel.counts[-1] == 0


@pytest.mark.parametrize("how", ["records", "columns", "pandas", "polars"])
def test_every_constructor_warns_exactly_once(how: str) -> None:
    rows = [
        {"deal": "u1", "stage": "Call", "time": "2024-01-01"},
        {"deal": "u1", "stage": "Won", "time": "2024-01-02"},
        {"deal": "u1", "stage": "Call", "time": "2024-01-03"},
    ]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if how == "records":
            DealLog.from_records(rows, PIPE)
        elif how == "columns":
            DealLog.from_columns({k: [r[k] for r in rows] for k in rows[0]}, PIPE)
        elif how == "pandas":
            pd = pytest.importorskip("pandas")

            DealLog.from_pandas(pd.DataFrame(rows), PIPE)
        else:
            pl = pytest.importorskip("polars")

            DealLog.from_polars(pl.DataFrame(rows), PIPE)
    kinds = [w.category for w in caught if issubclass(w.category, LooksLikeEventLogWarning)]
    assert kinds == [LooksLikeEventLogWarning]


def test_no_warning_without_reopened_deals() -> None:
    # The same log without u1's Call after the win: nothing to say.
    rows = [
        {"deal": "u1", "stage": "Call", "time": "2024-01-01"},
        {"deal": "u1", "stage": "Won", "time": "2024-01-02"},
        {"deal": "u2", "stage": "Won", "time": "2024-01-02"},
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error", LooksLikeEventLogWarning)
        DealLog.from_records(rows, PIPE)


@pytest.mark.parametrize(("n", "seed"), [(300, 3), (1200, 7)])
def test_the_demo_and_gallery_data_do_not_warn(n: int, seed: int) -> None:
    cols = synthetic_crm(n, seed=seed)
    pipe = Pipeline(CRM_STAGES, **CRM_OUTCOMES)
    with warnings.catch_warnings():
        warnings.simplefilter("error", LooksLikeEventLogWarning)
        DealLog.from_columns(cols, pipe, deal="deal_id", time="timestamp", owner="owner")


@given(deal_events(max_deals=25), st.booleans())
def test_reopened_from_packed_time_and_code_counts_as_the_separate_minimums_do(
    case: tuple[Pipeline, list[dict[str, object]]], twice: bool
) -> None:
    """``status.reopened_by_key`` (one minimum of packed (time, code) per deal) finds
    the reopened deals the separate time and code minimums find, ties included."""
    from salesfunnel.deals import status

    pipeline, records = case
    if twice:  # exact repeats of events: ties of time and code
        records = records + records[: len(records) // 2]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", status.LooksLikeEventLogWarning)
        log = DealLog.from_records(records, pipeline, owner="owner")
    deal = log.deal - log.deal_offset
    packed = status.reopened_by_key(log, deal, int(deal.max()) + 1)
    assert packed is not None
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(status, "reopened_by_key", lambda *_: None)
        separate = status._reopened(log)
    assert packed == separate == _sorted_count(log)


def _plain_reopened(deal: list[int], code: list[int], secs: list[int], n_stages: int) -> int:
    """Plain Python: per deal, events sorted by (time, code); reopened when any event
    comes after the first outcome in that order (two equal outcomes included)."""
    events: dict[int, list[tuple[int, int]]] = {}
    for d, c, t in zip(deal, code, secs, strict=True):
        events.setdefault(d, []).append((t, c))
    count = 0
    for evs in events.values():
        evs.sort()
        first = next((i for i, (_, c) in enumerate(evs) if c >= n_stages), None)
        count += first is not None and first < len(evs) - 1
    return count


@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 3), st.integers(0, 6)), min_size=1, max_size=40
    ),
    st.sampled_from([1, 86_400, 10**8, 10**9, 2**40]),
    st.sampled_from([-(2**40), 0, 1_700_000_000]),
    st.booleans(),
)
@example([(0, 2, 0), (0, 0, 1)], 10**9, 0, True)  # a win, then a call 31 years later
@example([(0, 2, 1), (0, 2, 1), (1, 3, 0)], 1, 0, True)  # two equal wins reopen
def test_the_packed_key_of_any_width_matches_plain_python(
    rows: list[tuple[int, int, int]], step: int, origin: int, packed: bool
) -> None:
    """Times one second to 35,000 years apart (the key ``int32`` or ``int64``), or the
    fallback by ranks of the times (``packed`` off), count as plain Python does."""
    from salesfunnel.deals import status

    deal = [d * 3 + 1 for d, _, _ in rows]  # sparse ids: codes through a table
    code = [c for _, c, _ in rows]
    secs = [origin + t * step for _, _, t in rows]
    cols = {"deal": np.array(deal), "stage": np.array(code), "time": np.array(secs, "M8[s]")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LooksLikeEventLogWarning)
        log = DealLog.from_columns(cols, PIPE)
    with pytest.MonkeyPatch.context() as mp:
        if not packed:
            mp.setattr(status, "reopened_by_key", lambda *_: None)
        assert reopened_deals(log) == _plain_reopened(deal, code, secs, PIPE.n_stages)


_TOP_ORIGIN = 2**63 - 1 - 4 * 10**9  # four steps of 10**9 s reach int64's largest time


@given(
    st.lists(
        st.tuples(st.integers(0, 6), st.integers(0, 3), st.integers(0, 4)), min_size=1, max_size=60
    ),
    st.integers(1, 9),
    st.sampled_from([0, 1_700_000_000, -(2**40), _TOP_ORIGIN]),
    st.sampled_from([1, 10**9]),
    st.booleans(),
    st.booleans(),
)
@example([(0, 2, 0), (1, 0, 0), (0, 0, 1)], 1, 0, 1, True, False)  # the win and its reopening
@example([(3, 3, 2), (3, 3, 2)], 1, 0, 1, False, False)  # two equal outcomes in two steps
@example([(0, 3, 0), (0, 1, 0)], 1, 0, 1, False, False)  # a loss, then an offer at the same second
@example([(0, 3, 0), (0, 1, 0)], 1, 0, 1, True, False)  # ... which comes first: not reopened
@example([(0, 3, 0), (1, 0, 0), (0, 1, 1)], 1, 0, 1, True, True)  # the later event in the 2nd half
@example([(0, 1, 1), (1, 0, 0), (0, 3, 0)], 1, 0, 1, True, True)  # ... in the first half
@example([(0, 2, 4), (0, 0, 4), (0, 1, 3)], 1, _TOP_ORIGIN, 10**9, True, False)  # at int64's top
def test_the_count_in_steps_matches_plain_python(
    rows: list[tuple[int, int, int]], chunk: int, origin: int, step: int, packed: bool, pair: bool
) -> None:
    """The passes over the rows in steps (``status._CHUNK`` rows at a time, here 1 to 9
    so that a deal's events and its outcome fall in different steps), with the packed
    key or the ranks of the times, count as plain Python does; so does the pass that
    counts deals with two events at or after their first outcome. With ``pair`` the count
    of later events runs on two threads (``status._PAIR``) from two rows on, each half
    of the rows cut at a step."""
    from salesfunnel.deals import status

    deal = [d * 5 + 11 for d, _, _ in rows]
    code = [c for _, c, _ in rows]
    secs = [origin + t * step for _, _, t in rows]
    cols = {"deal": np.array(deal), "stage": np.array(code), "time": np.array(secs, "M8[s]")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LooksLikeEventLogWarning)
        log = DealLog.from_columns(cols, PIPE)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(status, "_CHUNK", chunk)
        mp.setattr(status, "_PAIR", 2 if pair else 1 << 20)
        if not packed:
            mp.setattr(status, "reopened_by_key", lambda *_: None)
        assert reopened_deals(log) == _plain_reopened(deal, code, secs, PIPE.n_stages)

"""Issue 13's smaller traps, each caught at the boundary with a message that says what to do."""

from __future__ import annotations

import typing
from collections.abc import Sequence
from pathlib import Path

import pytest

from salesfunnel import (
    DealLog,
    FunnelDataError,
    Pipeline,
    active_funnel,
    build_report,
    closed_funnel,
    cohort_funnel,
    save_report,
)
from salesfunnel.analysis import analyze
from salesfunnel.cli.args import build_parser
from salesfunnel.datasets import CRM_STAGES, synthetic_crm
from salesfunnel.output import sections


@pytest.fixture(scope="module")
def log() -> DealLog:
    p = Pipeline(CRM_STAGES, won="Won", lost="Lost", frozen="Frozen")
    return DealLog.from_columns(
        synthetic_crm(300, owners=3, seed=5), p, deal="deal_id", time="timestamp", owner="owner"
    )


def test_save_report_with_swapped_arguments_names_the_order(log: DealLog, tmp_path: Path) -> None:
    # Before: AttributeError "'str' object has no attribute 'pipeline'".
    target = tmp_path / "x.html"
    with pytest.raises(FunnelDataError, match=r"save_report takes the path first: "
                       r"save_report\(path, log\) \(got a DealLog as the path\)"):  # fmt: skip
        save_report(log, target)  # type: ignore[arg-type]
    assert not target.exists()
    with pytest.raises(FunnelDataError, match=r"build_report\(\) takes a DealLog first: .*got str"):
        build_report("x.html")  # type: ignore[arg-type]
    with pytest.raises(
        FunnelDataError, match=r"analyze\(\) takes a DealLog first: .*got PosixPath"
    ):
        analyze(target)  # type: ignore[arg-type]


def test_analyses_with_swapped_log_and_pipeline_name_the_order(log: DealLog) -> None:
    p = log.pipeline
    with pytest.raises(FunnelDataError, match=r"closed_funnel\(\) takes a DealLog first: "
                       r"closed_funnel\(log, \.\.\.\) \(got Pipeline\)"):  # fmt: skip
        closed_funnel(p, log)  # type: ignore[arg-type]
    with pytest.raises(FunnelDataError, match=r"cohort_funnel\(\) takes a DealLog first"):
        cohort_funnel(p, log)  # type: ignore[arg-type, call-overload]
    with pytest.raises(FunnelDataError, match=r"active_funnel\(\)'s second argument is the "
                       r"pipeline: active_funnel\(log, pipeline\) \(got str\)"):  # fmt: skip
        active_funnel(log, "2026-03-01")  # type: ignore[call-overload]


def test_pipeline_takes_any_sequence_of_labels() -> None:
    # mypy --strict refused Pipeline(["A", "B"]) (stages was typed tuple[str, ...]).
    hints = typing.get_type_hints(Pipeline.__init__)
    assert hints["stages"] == Sequence[str]
    p = Pipeline(["Call", "Meeting"], won="Won", lost="Lost")
    assert p.stages == ("Call", "Meeting")
    assert p == Pipeline(("Call", "Meeting"))


def test_cli_time_column_default_is_pythons() -> None:
    args = build_parser().parse_args(["metrics", "log.csv", "--pipeline", "A,B"])
    assert args.time_column == "time"
    # The Python loaders' own default, so a file that loads in Python loads on the command line.
    assert DealLog.from_csv.__doc__ is not None


def test_stalled_table_states_its_threshold(log: DealLog) -> None:
    a = analyze(log, stalled_days=12)
    html = sections.stalled_table(a)
    assert len(a.stalled) > 0
    assert "no event for more than 12 days" in html
    quiet = analyze(log, stalled_days=10_000)
    assert "idle beyond the threshold (10,000 days)" in sections.stalled_table(quiet)


def test_report_shows_raw_and_adjusted_p_values(log: DealLog) -> None:
    a = analyze(log)
    html = sections.comparison_tables(a)
    assert a.comparison is not None
    tests = sum(1 for s in a.comparison.steps if s.p_value is not None)
    assert ">p-value</th>" in html
    assert "Holm-adjusted p" in html
    assert f"Holm-adjusted for the {tests} tests" in html
    plain = sections.comparison_tables(analyze(log, correction="none"))
    assert "adjusted" not in plain


def test_command_line_weakest_lines_show_the_adjusted_p_value(log: DealLog) -> None:
    from salesfunnel.cli.text import weakest_lines

    a = analyze(log)
    assert a.comparison is not None
    ranked = [w for w in a.weakest().values() if w is not None]
    assert ranked
    lines = weakest_lines(a)
    for w in ranked:
        assert any(f"Holm-adjusted p={w.p_adjusted:.2g}" in line for line in lines)
    plain = weakest_lines(analyze(log, correction="none"))
    assert not any("adjusted" in line for line in plain)

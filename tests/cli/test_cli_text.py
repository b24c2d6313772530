"""What the command line writes: safe terminal text, the one table renderer, the dropped rows."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from salesfunnel.__main__ import main
from salesfunnel._table import ResultTable, text_table
from salesfunnel.cli.args import MAX_DEMO_DEALS, build_parser
from salesfunnel.cli.text import printable

# Any text at all: controls, bidi marks and lone surrogates included.
any_text = st.text(st.characters(blacklist_categories=()))
# Cell text without line breaks (a cell is one line of a table).
names = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=8)
UNSAFE = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def test_printable_worked_example() -> None:
    raw = "Eve\x1b[2J\x1b]0;pwned\x07 \u202eabc\ud800\x9b\n2nd line\tend"
    assert printable(raw) == (
        "Eve\\u001b[2J\\u001b]0;pwned\\u0007 \\u202eabc\\ud800\\u009b\n2nd line\\u0009end"
    )
    assert printable("Κλήσεις — 5,0 %\n") == "Κλήσεις — 5,0 %\n"  # nothing to change


@given(any_text)
def test_printable_leaves_nothing_a_terminal_obeys(text: str) -> None:
    safe = printable(text)
    assert UNSAFE.search(safe) is None
    safe.encode("utf-8")  # no lone surrogate left
    assert printable(safe) == safe
    if UNSAFE.search(text) is None:
        assert safe == text


@given(any_text)
def test_printable_json_is_the_same_json(text: str) -> None:
    # The \uXXXX form is JSON's own escape, so escaped JSON decodes to the same data.
    dumped = json.dumps({"owner": text}, ensure_ascii=False)
    assert json.loads(printable(dumped)) == {"owner": text}


ESCAPES = "deal,stage,time,owner\n{rows}"
HOSTILE = "\x1b[2JEve\x1b]0;title\x07"


def _log(tmp_path: Path) -> Path:
    rows = "".join(
        f"{d},{s},2026-01-0{day},{o}\n"
        for d, o in (("D1", HOSTILE), ("D2", "Ann"))
        for s, day in (("Call", 1), ("Won", 3))
    )
    path = tmp_path / "log.csv"
    path.write_text(ESCAPES.format(rows=rows), encoding="utf-8")
    return path


def test_metrics_by_owner_shows_escapes_and_keeps_columns_aligned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["metrics", str(_log(tmp_path)), "--pipeline", "Call", "--by", "owner"]) == 0
    out = capsys.readouterr().out
    assert UNSAFE.search(out) is None
    lines = out.splitlines()
    i = lines.index("Per owner")
    head, rule, first, second = lines[i + 1 : i + 5]
    shown = "\\u001b[2JEve\\u001b]0;title\\u0007"
    assert first.startswith(shown + "  ")
    assert second.startswith("Ann" + " " * (len(shown) - 3) + "  ")
    # Every row ends where the header does: the escaped name was measured, not the raw one.
    assert len(head) == len(rule) == len(first) == len(second)
    assert f"  {shown}  not enough closed deals to rank the stages" in lines


def test_metrics_json_escapes_what_json_leaves_raw(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _log(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace("Ann", "Bob\x9b\u202e"), "utf-8")
    assert main(["metrics", str(path), "--pipeline", "Call", "--by", "owner", "--json"]) == 0
    out = capsys.readouterr().out
    assert UNSAFE.search(out) is None
    assert "Bob\\u009b\\u202e" in out
    assert json.loads(out)["owners"] == sorted([HOSTILE, "Bob\x9b\u202e"])


def test_error_lines_are_escaped_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "a\x1b[2Jb.csv"
    assert main(["metrics", str(missing), "--pipeline", "Call"]) == 2
    err = capsys.readouterr().err
    assert err == f"salesfunnel: error: {tmp_path}/a\\u001b[2Jb.csv: No such file or directory\n"


# -- --drop-unknown ------------------------------------------------------------------------
DROPPING = (
    "deal,stage,time\n"
    "D1,Call,2026-01-02\n"
    "D1,Demo,2026-01-03\n"
    "D1,Won,2026-01-05\n"
    "D2,Call,2026-01-02\n"
    "D2,Trial,2026-01-04\n"
    "D3,Demo,2026-01-04\n"
)


@pytest.fixture
def dropping(tmp_path: Path) -> Path:
    path = tmp_path / "log.csv"
    path.write_text(DROPPING, encoding="utf-8")
    return path


def test_dropped_rows_are_said_in_text(dropping: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Demo, Trial and Demo are not labels of Call: three rows dropped, four kept.
    assert main(["metrics", str(dropping), "--pipeline", "Call", "--drop-unknown"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:3] == [
        f"{dropping}: 2 deals, 3 events",
        "dropped 3 rows whose label is not in the pipeline (--drop-unknown)",
        "",
    ]


def test_dropped_rows_are_a_json_key(dropping: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["metrics", str(dropping), "--pipeline", "Call", "--drop-unknown", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    # One key for it, the analysis's own (the HTML report shows the same count).
    assert (payload["events"], payload["dropped_rows"]) == (3, 3)
    assert "dropped" not in payload


def test_report_says_what_it_dropped(
    dropping: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "r.html"
    assert (
        main(["report", str(dropping), "--pipeline", "Call", "--drop-unknown", "-o", str(out)]) == 0
    )
    captured = capsys.readouterr()
    assert captured.out == f"{out}\n"
    assert captured.err == (
        "salesfunnel: dropped 3 rows whose label is not in the pipeline (--drop-unknown)\n"
    )


def test_nothing_about_dropping_without_the_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "log.csv"
    path.write_text(DROPPING.replace("Demo", "Call").replace("Trial", "Call"), encoding="utf-8")
    assert main(["metrics", str(path), "--pipeline", "Call", "--json"]) == 0
    text = capsys.readouterr().out
    assert json.loads(text)["dropped_rows"] == 0
    assert "dropped 0" not in text


# -- limits ----------------------------------------------------------------------------------
def test_demo_deals_limit_is_inclusive() -> None:
    parser = build_parser()
    assert parser.parse_args(["demo", "--deals", str(MAX_DEMO_DEALS)]).deals == MAX_DEMO_DEALS
    with pytest.raises(Exception, match="expected at most 100,000 deals"):
        parser.parse_args(["demo", "--deals", str(MAX_DEMO_DEALS + 1)])


# -- the one text-table renderer -----------------------------------------------------------
def test_text_table_worked_example() -> None:
    rows = (("Call", 3, 0.5, 1.5), ("Won", 1, float("nan"), None), ("Lost", 12, 1.0, 2.25))
    text = text_table(
        ("stage", "deals", "step_conversion", "median_days"),
        rows,
        headings={"step_conversion": "of previous", "median_days": "median days"},
    )
    assert text.splitlines() == [
        "stage  deals  of previous  median days",
        "-----  -----  -----------  -----------",
        "Call       3        50.0%          1.5",
        "Won        1            \u2014            \u2014",
        "Lost      12       100.0%         2.25",
    ]


@given(
    st.lists(
        st.tuples(names, st.integers(-(10**9), 10**9), st.floats(0, 1)),
        min_size=1,
        max_size=6,
    )
)
def test_result_table_str_is_the_renderer_under_its_name(
    rows: list[tuple[str, int, float]],
) -> None:
    t = ResultTable("name", ("owner", "deals", "win_rate"), tuple(rows))
    assert str(t) == "name\n" + text_table(t.columns, t.rows)
    lines = text_table(t.columns, t.rows).splitlines()
    assert len(lines) == len(rows) + 2
    assert set(lines[1]) <= {"-", " "}

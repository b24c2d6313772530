"""The metrics and report commands' ``--by`` (any column) and ``--period``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from salesfunnel.cli.main import main

CSV = """deal,stage,time,owner,product,region,amount
A,Call,2024-01-01,Ann,X,EU,10
A,Won,2024-01-05,Ann,X,EU,10
B,Call,2024-01-02,Bob,Y,US,
B,Lost,2024-02-02,Bob,Y,US,
C,Call,2024-01-03,Ann,Y,EU,5
C,Offer,2024-01-04,Ann,Y,,5
D,Call,2024-01-10,Bob,X,US,7
D,Won,2024-02-20,Bob,X,US,7
"""


def _log(tmp_path: Path) -> Path:
    path = tmp_path / "log.csv"
    path.write_text(CSV, encoding="utf-8")
    return path


def _metrics(tmp_path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    assert main(["metrics", str(_log(tmp_path)), "--pipeline", "Call,Offer", *extra]) == 0
    return capsys.readouterr().out


def test_metrics_by_a_column_prints_one_row_per_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = _metrics(tmp_path, capsys, "--by", "product").splitlines()
    i = lines.index("Closed deals by product (closed at any time)")
    head = lines[i + 1].split()
    assert head[:5] == ["product", "deals", "won", "lost", "win"]
    # X: A and D won (10 + 7); Y: B lost, C still open.
    assert lines[i + 3].split() == ["X", "2", "2", "0", "100.0%", "17", "0", "2", "2", "2"]
    assert lines[i + 4].split() == ["Y", "1", "0", "1", "0.0%", "0", "0", "1", "0", "0"]
    assert "Per owner" not in lines  # --by product is not --by owner


def test_metrics_period_json_matches_the_api(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = _metrics(tmp_path, capsys, "--by", "owner,region", "--period", "M", "--json")
    payload = json.loads(out)
    rows = payload["trend"]["rows"]
    assert payload["trend"]["period"] == "M"
    assert [r["owner"] for r in rows][:2] == ["Ann", "Ann"]
    won = {(r["owner"], r["region"], r["period"]): r["won"] for r in rows if r["won"]}
    assert won == {("Ann", "EU", "2024-01"): 1, ("Bob", "US", "2024-02"): 1}
    assert payload["breakdown"]["by"] == ["owner", "region"]
    assert "by_owner" in payload  # owner is one of the names


def test_metrics_by_an_unknown_column_names_the_header(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["metrics", str(_log(tmp_path)), "--pipeline", "Call,Offer", "--by", "prodct"])
    err = capsys.readouterr().err
    assert status != 0
    assert "no column 'prodct'" in err
    assert "'product'" in err  # the header is listed


def test_report_gains_breakdown_and_trend_sections_only_when_asked(tmp_path: Path) -> None:
    log = _log(tmp_path)
    plain, asked = tmp_path / "plain.html", tmp_path / "asked.html"
    base = ["report", str(log), "--pipeline", "Call,Offer"]
    assert main([*base, "-o", str(plain)]) == 0
    assert main([*base, "-o", str(asked), "--by", "product", "--period", "Q"]) == 0
    html = asked.read_text(encoding="utf-8")
    assert 'id="breakdown"' not in plain.read_text(encoding="utf-8")
    assert '<h2 id="breakdown">By product</h2>' in html
    assert '<h2 id="trend">Closed deals by quarter</h2>' in html
    assert "<td>X</td><td>2024-Q1</td><td class=num>2</td>" in html


def test_wide_form_takes_by_a_column_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "wide.csv"
    path.write_text(
        "id,stage,offer_date,close_date,product\n"
        "A,Won,2024-01-02,2024-01-20,X\n"
        "B,Lost,2024-01-03,2024-02-05,Y\n"
        "C,Won,2024-01-04,2024-02-07,X\n",
        encoding="utf-8",
    )
    argv = ["metrics", str(path), "--wide", "--pipeline", "Call,Offer", "--deal-column", "id"]
    argv += ["--stage-date", "Offer=offer_date", "--outcome-column", "stage"]
    argv += ["--outcome-date-column", "close_date", "--by", "product", "--json"]
    assert main(argv) == 0
    rows = json.loads(capsys.readouterr().out)["breakdown"]["rows"]
    assert [(r["product"], r["won"], r["lost"]) for r in rows] == [("X", 2, 0), ("Y", 0, 1)]

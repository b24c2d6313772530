"""The ``salesfunnel`` command line, run as ``python -m salesfunnel`` in a subprocess.

Good files are checked against the library's own results; broken files against
the exact one-line message and the exit status.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PIL import Image

from salesfunnel import (
    DealLog,
    Funnel,
    FunnelChart,
    Pipeline,
    active_funnel,
    closed_funnel,
    compare,
)
from salesfunnel.datasets import CRM_STAGES, synthetic_crm
from salesfunnel.output.html import expand_deals

from browser import browser_page
from cli_helpers import SRC, run_cli

MAVEN = Path(__file__).resolve().parents[3] / "shared" / "data" / "maven-crm-sales-opportunities"
if not MAVEN.is_dir():
    MAVEN = Path("/work/shared/data/maven-crm-sales-opportunities")
MAVEN_CSV = MAVEN / "sales_pipeline.csv"
MAVEN_ARGS = [
    "--wide",
    "--pipeline",
    "Prospecting,Engaging",
    "--won",
    "Won",
    "--lost",
    "Lost",
    "--deal-column",
    "opportunity_id",
    "--stage-date",
    "Engaging=engage_date",
    "--outcome-column",
    "deal_stage",
    "--outcome-date-column",
    "close_date",
    "--owner-column",
    "sales_agent",
    "--amount-column",
    "close_value",
]


run = run_cli


def fails_with(result: subprocess.CompletedProcess[str], message: str, status: int = 2) -> None:
    assert result.returncode == status, result
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr == f"salesfunnel: error: {message}\n"


GOOD = (
    "deal,stage,time,owner,amount\n"
    "D1,Call,2026-01-02,Ann,100\n"
    "D1,Offer,2026-01-05,Ann,100\n"
    "D2,Call,2026-01-03,Bob,50\n"
    "D2,Lost,2026-01-09,Bob,50\n"
    "D1,Won,2026-01-10,Ann,100\n"
    "D3,Call,2026-01-04,Bob,70\n"
    "D4,Call,2026-01-05,Ann,\n"
    "D4,Offer,2026-01-20,Ann,\n"
)


@pytest.fixture
def good(tmp_path: Path) -> Path:
    path = tmp_path / "log.csv"
    path.write_text(GOOD, encoding="utf-8")
    return path


# -- demo ---------------------------------------------------------------------------
def test_demo_writes_every_output_and_prints_the_summary(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = run("demo", "--out", out)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(
        [
            "managers-closed.png",
            "managers-closed.svg",
            "metrics.json",
            "report.html",
            "team-active.png",
            "team-active.svg",
            "team-closed.png",
            "team-closed.svg",
        ]
    )
    for name in names:
        assert str(out / name) in result.stdout
    with Image.open(out / "team-closed.png") as im:
        assert im.size == (800, 600)
    svg = ET.parse(out / "team-closed.svg").getroot()
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    assert svg.findall(".//*[@data-stage='5']")  # Lead ... Negotiation, Won

    # The summary agrees with the library run on the same synthetic data.
    p = Pipeline(CRM_STAGES, won="Won", lost="Lost", frozen="Frozen")
    log = DealLog.from_columns(
        synthetic_crm(1200, owners=4, seed=7),
        p,
        deal="deal_id",
        time="timestamp",
        owner="owner",
        amount="amount",
    )
    by = closed_funnel(log, end="2026-07-01", start="2026-01-01", by="owner")
    cmp = compare({o: c.funnel for o, c in by.items()})
    lines = result.stdout.splitlines()
    i = lines.index("weakest stage per manager:")
    for owner, line in zip(sorted(by), lines[i + 1 : i + 5], strict=True):
        w = cmp.weakest(owner)
        assert w is not None
        assert line.split() == [owner, f"{w.stage}:", *line.split()[2:]]
        assert f"p={w.p_value:.2g}" in line
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert f"bottleneck: {metrics['bottleneck']['stage']} " in result.stdout
    assert (
        metrics["closed"]["deals"] == closed_funnel(log, start="2026-01-01", end="2026-07-01").deals
    )
    assert metrics["active"]["open_deals"] == active_funnel(log, as_of="2026-07-01").open_deals
    assert sorted(metrics["weakest_stage"]) == sorted(by)
    assert "forecast:" in result.stdout


def test_demo_is_deterministic_and_defaults_to_salesfunnel_demo(tmp_path: Path) -> None:
    assert run("demo", cwd=tmp_path).returncode == 0
    first = {p.name: p.read_bytes() for p in (tmp_path / "salesfunnel-demo").iterdir()}
    assert run("demo", cwd=tmp_path).returncode == 0
    second = {p.name: p.read_bytes() for p in (tmp_path / "salesfunnel-demo").iterdir()}
    assert first == second


def test_help_and_version() -> None:
    result = run("--help")
    assert result.returncode == 0
    for command in ("demo", "render", "metrics", "report"):
        assert command in result.stdout
    assert run("--version").stdout.startswith("salesfunnel ")
    assert run().returncode == 2  # a command is required


def test_entry_point_runs_in_process(good: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from salesfunnel.__main__ import main

    assert main(["metrics", str(good), "--pipeline", "Call,Offer", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["closed"]["deals"] == 2


# -- render -------------------------------------------------------------------------
def test_render_png_svg_html(tmp_path: Path) -> None:
    counts = tmp_path / "counts.csv"
    counts.write_text("stage,count,amount\nCalls,200,\nMeetings,60,\nPaid,10,5000\n")
    png = tmp_path / "f.png"
    result = run("render", counts, "-o", png, "--width", "400", "--height", "300", "--scale", "2")
    assert result.returncode == 0, result.stderr
    with Image.open(png) as im:
        assert im.size == (800, 600)
    svg = tmp_path / "f.svg"
    assert run("render", counts, "-o", svg, "--title", "Q1", "--percent", "first").returncode == 0
    root = ET.parse(svg).getroot()
    assert root.get("viewBox") == "0 0 800 600"
    assert {e.get("data-stage") for e in root.iter() if e.get("data-stage")} == {"0", "1", "2"}
    html = tmp_path / "f.html"
    assert run("render", counts, "-o", html, "--title", "Q1").returncode == 0
    text = html.read_text(encoding="utf-8")
    assert text.count("<svg") == 1
    assert 'usemap="#funnel-map"' in text
    assert text.count('<area shape="poly"') >= 3
    assert "https://" not in text
    as_json = tmp_path / "counts.json"
    as_json.write_text('{"Calls": 200, "Paid": 10}')
    assert run("render", as_json, "-o", tmp_path / "j.png").returncode == 0


def test_render_errors(tmp_path: Path) -> None:
    counts = tmp_path / "counts.csv"
    counts.write_text("stage,total\nCalls,200\n")
    fails_with(
        run("render", counts, "-o", tmp_path / "x.png"),
        f"{counts}, row 1: missing column 'count' (header is ['stage', 'total'])",
    )
    counts.write_text("stage,count\nCalls,200\nPaid,lots\n")
    fails_with(
        run("render", counts, "-o", tmp_path / "x.png"),
        f"{counts}, row 3, column 'count': expected a number (got 'lots')",
    )
    counts.write_text("stage,count\nCalls,200\n")
    fails_with(
        run("render", counts, "-o", tmp_path / "x.pdq"),
        "unknown image format 'pdq'",
    )
    fails_with(
        run("render", tmp_path / "nope.csv", "-o", tmp_path / "x.png"),
        f"{tmp_path / 'nope.csv'}: No such file or directory",
    )


# -- metrics, long form ---------------------------------------------------------------
def test_metrics_text(good: Path) -> None:
    result = run("metrics", good, "--pipeline", "Call,Offer", "--by", "owner")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith(f"{good}: 4 deals, 8 events, 2 owners\n")
    lines = out.splitlines()
    # Closed deals: D1 (won) and D2 (lost); D1 reached Offer.
    assert "Call       2     150       100.0%    100.0%" in out
    assert any(line.split()[:3] == ["Won", "1", "100"] for line in lines)
    assert "2 closed deals: 1 won, 1 lost, win rate 50.0%, median cycle 7 d" in out
    assert "bottleneck: Offer (50.0% of the deals at Call moved on)" in out
    assert "2 open deals, 1 won, 1 lost, 0 frozen" in out
    assert "Per owner" in out
    assert "Weakest stage per owner:" in out


def test_metrics_json_matches_the_library(good: Path) -> None:
    result = run("metrics", good, "--pipeline", "Call,Offer", "--json", "--as-of", "2026-01-06")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    p = Pipeline(["Call", "Offer"], won="Won", lost="Lost")
    log = DealLog.from_csv(good, p, owner="owner", amount="amount")
    af = active_funnel(log, as_of="2026-01-06")
    assert [s["deals"] for s in payload["active"]["stages"]] == af.funnel.counts.tolist()
    assert payload["active"]["as_of"] == af.as_of
    cf = closed_funnel(log)
    assert [s["deals"] for s in payload["closed"]["stages"]] == cf.funnel.counts.tolist()
    assert "by_owner" not in payload
    with_owner = json.loads(
        run("metrics", good, "--pipeline", "Call,Offer", "--json", "--by", "owner").stdout
    )
    assert sorted(with_owner["by_owner"]) == ["Ann", "Bob"]
    assert "comparison" in with_owner


def test_metrics_options_for_columns_dates_and_delimiter(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "Id;Step;When;Manager\n"
        "7;Anruf;02.01.2026;Eva\n"
        "7;Gewonnen;10.01.2026;Eva\n"
        "8;Anruf;03.01.2026;Max\n"
        "8;Verloren;04.01.2026;Max\n"
        "9;Anruf;05.02.2026;Max\n",
        encoding="utf-8",
    )
    args = [
        "metrics",
        path,
        "--pipeline",
        "Anruf",
        "--won",
        "Gewonnen",
        "--lost",
        "Verloren",
        "--deal-column",
        "Id",
        "--stage-column",
        "Step",
        "--time-column",
        "When",
        "--owner-column",
        "Manager",
        "--date-format",
        "%d.%m.%Y",
        "--delimiter",
        ";",
        "--json",
    ]
    result = run(*args, "--start", "01.01.2026", "--end", "2026-02-01")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["period"] == {"start": "2026-01-01", "end": "2026-02-01", "as_of": None}
    assert [s["deals"] for s in payload["closed"]["stages"]] == [2, 1]
    assert payload["active"]["open_deals"] == 1
    fails_with(
        run(*args, "--start", "1st of May"),
        "--start: unparsable date '1st of May' (expected ISO 8601 like 2026-01-31 or the "
        "format '%d.%m.%Y')",
    )


# -- broken files ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            # The default is "time", as in Python; the old CLI default is named as it is.
            "deal,stage,timestamp\nD1,Call,2026-01-02\n",
            "{path}, row 1: missing column 'time' for the event time (header is "
            "['deal', 'stage', 'timestamp']; name the column with --time-column)",
        ),
        (
            "deal,stage,time\nD1,Call,2026-01-02\nD1,Offer,2026-13-05\n",
            "{path}, row 3, column 'time': unparsable timestamp (not an ISO 8601 date "
            "or date-time: '2026-13-05') (for dates in another format, give it with "
            "--date-format, e.g. '%d.%m.%Y')",
        ),
        (
            # A US export: both readings are named, neither is picked.
            "deal,stage,time\nD1,Call,12/05/2026 10:00 AM\n",
            "{path}, row 2, column 'time': unparsable timestamp (not an ISO 8601 date or "
            "date-time: '12/05/2026 10:00 AM') (for dates in another format, give it with "
            "--date-format, e.g. '%d/%m/%Y %I:%M %p' reads it as 2026-05-12 10:00:00, "
            "'%m/%d/%Y %I:%M %p' as 2026-12-05 10:00:00; nothing in the value tells which)",
        ),
        (
            # Excel's serial day 46361 is 2026-12-05: 45292 is 2024-01-01, and 1069 days later.
            "deal,stage,time\nD1,Call,46361\n",
            "{path}, row 2, column 'time': unparsable timestamp (not an ISO 8601 date or "
            "date-time: '46361'; a number like this may be a spreadsheet's serial day number "
            "(46361 would be 2026-12-05), which is not guessed: format the column as dates "
            "before exporting, or convert it, e.g. pandas.to_datetime(column, unit='D', "
            "origin='1899-12-30')) (for dates in another format, give it with --date-format, "
            "e.g. '%d.%m.%Y')",
        ),
        (
            "deal,stage,time\nD1,Call,2026-01-02\n\nD1,Demo,2026-01-05\n",
            "{path}, row 4, column 'stage': unknown label 'Demo'; the pipeline's labels are "
            "['Call', 'Offer', 'Won', 'Lost'] (use --drop-unknown to drop such rows)",
        ),
        ("", "{path}: the file is empty (expected a header row naming the columns)"),
        ("deal,stage,time\n", "{path}: no data rows below the header"),
        (
            "deal,stage,time\nD1,Call,\n",
            "{path}, row 2, column 'time': missing timestamp (got '')",
        ),
        (
            "deal,stage,time\n,Call,2026-01-02\n",
            "{path}, row 2, column 'deal': missing deal id (got '')",
        ),
        (
            "deal,stage,time,amount\nD1,Call,2026-01-02,much\n",
            "{path}, row 2, column 'amount': amount is not a number (got 'much')",
        ),
    ],
)
def test_metrics_broken_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "broken.csv"
    path.write_text(content, encoding="utf-8")
    fails_with(run("metrics", path, "--pipeline", "Call,Offer"), message.format(path=path))


def test_metrics_usage_errors(good: Path, tmp_path: Path) -> None:
    missing = tmp_path / "absent.csv"
    fails_with(
        run("metrics", missing, "--pipeline", "Call,Offer"),
        f"{missing}: No such file or directory",
    )
    fails_with(
        run("metrics", good, "--pipeline", "Call,Offer", "--as-of", "2026-02-30"),
        "--as-of: unparsable date '2026-02-30' (expected ISO 8601 like 2026-01-31)",
    )
    fails_with(
        run("metrics", good, "--pipeline", "Call,,Offer"),
        "--pipeline: empty stage name in 'Call,,Offer' (give 'A,B,C')",
    )
    fails_with(
        run("metrics", good, "--pipeline", "Call,Won"),
        "--pipeline: pipeline labels must be unique (got 'Won' twice)",
    )
    fails_with(
        run("metrics", good, "--pipeline", "Call,Offer", "--date-format", "%d.%m.%Y"),
        f"{good}, row 2, column 'time': '2026-01-02' does not match the date format '%d.%m.%Y'",
    )
    fails_with(
        run("metrics", good, "--pipeline", "Call,Offer", "--owner-column", "rep"),
        f"{good}, row 1: missing column 'rep' for the owner (header is ['deal', 'stage', "
        "'time', 'owner', 'amount']; name the column with --owner-column)",
    )
    no_owner = tmp_path / "no_owner.csv"
    no_owner.write_text("deal,stage,time\nD1,Call,2026-01-02\n")
    fails_with(
        run("metrics", no_owner, "--pipeline", "Call", "--by", "owner"),
        "--by owner needs an owner column (name it with --owner-column)",
    )
    fails_with(
        run(
            "metrics",
            good,
            "--pipeline",
            "Call,Offer",
            "--start",
            "2026-02-01",
            "--end",
            "2026-01-01",
        ),
        "--end 2026-01-01 is before --start 2026-02-01",
    )
    latin = tmp_path / "latin.csv"
    latin.write_bytes("deal,stage,time\nD\xe9,Call,2026-01-02\n".encode("latin-1"))
    fails_with(
        run("metrics", latin, "--pipeline", "Call"),
        f"{latin}, row 2: byte b'\\xe9' at byte offset 17 of the file is not valid utf-8 "
        "(invalid continuation byte); set --encoding (e.g. latin-1)",
    )
    assert run("metrics", latin, "--pipeline", "Call", "--encoding", "latin-1").returncode == 0
    # argparse's own usage errors are one line too, with a pointer to --help.
    fails_with(
        run("metrics", good),
        "the following arguments are required: --pipeline (try 'salesfunnel metrics --help')",
    )


def test_drop_unknown(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("deal,stage,time\nD1,Call,2026-01-02\nD1,Demo,2026-01-05\n")
    result = run("metrics", path, "--pipeline", "Call", "--drop-unknown", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["events"] == 1


# -- wide form ---------------------------------------------------------------------------
def test_wide_form_errors(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text(
        "id,stage,engage,close\nA,Won,2017-01-02,2017-02-01\nB,Won,2017-01-05,2017-02-31\n"
    )
    base = ["metrics", path, "--wide", "--pipeline", "Prospecting,Engaging", "--deal-column", "id"]
    base += ["--stage-date", "Engaging=engage", "--outcome-column", "stage"]
    fails_with(
        run(*base, "--outcome-date-column", "close"),
        f"{path}, row 3, column 'close': unparsable timestamp (not an ISO 8601 date or "
        "date-time: '2017-02-31') (for dates in another format, give it with --date-format, "
        "e.g. '%d.%m.%Y')",
    )
    fails_with(
        run(*base, "--outcome-date-column", "closed_on"),
        f"{path}, row 1: missing column 'closed_on' for the outcome date (header is ['id', "
        "'stage', 'engage', 'close']; name the column with --outcome-date-column)",
    )
    path.write_text("id,stage,engage\nA,Won,2017-01-02\nB,Maybe,2017-01-05\n")
    fails_with(
        run(*base),
        f"{path}, row 3, column 'stage': unknown label 'Maybe'; the pipeline's labels are "
        "['Prospecting', 'Engaging', 'Won', 'Lost'] (use --drop-unknown to drop such rows)",
    )
    fails_with(
        run(*base[:-2], "--stage-date", "Closing=engage"),
        "--stage-date: 'Closing' is not a pipeline label (labels are ['Prospecting', "
        "'Engaging', 'Won', 'Lost'])",
    )


def test_rows_named_in_a_detail_are_file_rows(tmp_path: Path) -> None:
    # The library counts in-memory rows from 0; the CLI restates both rows in file terms.
    path = tmp_path / "wide.csv"
    path.write_text("id,stage,engage\nA,Won,2017-01-02\n\nA,Lost,2017-01-05\n")
    fails_with(
        run(
            "metrics",
            path,
            "--wide",
            "--pipeline",
            "Prospecting,Engaging",
            "--deal-column",
            "id",
            "--outcome-column",
            "stage",
        ),
        f"{path}, row 4, column 'id': duplicate deal id 'A' (first seen at row 2)",
    )
    counts = tmp_path / "counts.csv"
    counts.write_text("stage,count\n\nCalls,10\nCalls,5\n")
    fails_with(
        run("render", counts, "-o", tmp_path / "out.png"),
        f"{counts}, row 4, column 'stage': 'Calls' already appears in row 3",
    )


needs_maven = pytest.mark.skipif(not MAVEN_CSV.is_file(), reason="Maven data not present")


@needs_maven
def test_maven_metrics_wide_form() -> None:
    result = run("metrics", MAVEN_CSV, *MAVEN_ARGS, "--json", "--by", "owner")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    # SOURCE.md: Won 4,238, Lost 2,473, Engaging 1,589, Prospecting 500; won value 10,005,534.
    assert [s["deals"] for s in payload["closed"]["stages"]] == [6711, 6711, 4238]
    assert payload["closed"]["stages"][-1]["amount"] == 10_005_534
    assert [s["deals"] for s in payload["active"]["stages"]] == [500, 1589]
    assert payload["deals"] == 8800
    with MAVEN_CSV.open(newline="", encoding="utf-8") as fh:
        agents = {row["sales_agent"] for row in csv.DictReader(fh)}
    assert set(payload["by_owner"]) == agents
    assert len(agents) == 30
    assert payload["closed"]["cycle"]["median_days"] == 45  # SOURCE.md: median 45 days
    text = run("metrics", MAVEN_CSV, *MAVEN_ARGS).stdout
    assert "win rate 63.2%, median cycle 45 d" in text
    # Open deals carry no close_value: the expected amount is unknown, not 0.
    assert "expected amount: \u2014 (open deals have no amount)" in text


@needs_maven
def test_maven_report(tmp_path: Path) -> None:
    out = tmp_path / "maven.html"
    result = run("report", MAVEN_CSV, *MAVEN_ARGS, "-o", out, "--title", "Maven CRM")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{out}\n"
    html = out.read_text(encoding="utf-8")
    blocks = {}
    for name in ("sf-index", "sf-data"):
        tag = f'<script type="application/json" id="{name}">'
        start = html.index(tag) + len(tag)
        blocks[name] = json.loads(html[start : html.index("</script>", start)])
    stages = expand_deals(blocks["sf-index"], blocks["sf-data"])[0]
    # 30 agents, 4 per chart: 8 per-owner charts, each stage with its deals.
    charts = {key.split("|")[0] for key in stages}
    assert charts == {"team-closed", "team-active"} | {f"owners-closed-{i}" for i in range(1, 9)}
    assert len(stages["team-closed|0|2"]["ids"]) == 4238
    assert len(stages["team-active|0|0"]["ids"]) == 500


# -- progress ---------------------------------------------------------------------------
def _big_log(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8") as fh:
        fh.write("deal,stage,time,owner,amount\n")
        for i in range(rows):
            fh.write(
                f"DEAL-{i:07d},Call,2026-01-{1 + i % 28:02d}T10:00:00,Owner {i % 5},{i % 997}\n"
            )


def test_progress_only_on_a_terminal(tmp_path: Path) -> None:
    import pty

    path = tmp_path / "big.csv"
    _big_log(path, 25_000)
    assert path.stat().st_size > 1_000_000
    quiet = run("metrics", path, "--pipeline", "Call")
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr == ""  # not a terminal: no progress
    leader, follower = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    with subprocess.Popen(
        [sys.executable, "-m", "salesfunnel", "metrics", str(path), "--pipeline", "Call"],
        stdout=subprocess.PIPE,
        stderr=follower,
        env=env,
    ) as proc:
        os.close(follower)
        # Read the terminal while the command runs, so a full pty buffer never blocks it.
        chunks = []
        while True:
            try:
                data = os.read(leader, 65536)
            except OSError:  # EIO: the child closed its end
                break
            if not data:
                break
            chunks.append(data)
        os.close(leader)
        out, _ = proc.communicate(timeout=300)
    shown = b"".join(chunks).decode("utf-8", "replace")
    assert proc.returncode == 0
    assert f"salesfunnel: reading {path}:" in shown
    assert "computing closed-deal funnels" in shown
    assert out.decode().startswith(f"{path}: 25,000 deals")


def test_render_html_stage_click_jumps_to_its_row(tmp_path: Path) -> None:
    counts = tmp_path / "counts.csv"
    counts.write_text("stage,count\nCalls,200\nMeetings,60\nOffers,30\nPaid,10\n")
    out = tmp_path / "f.html"
    assert run("render", counts, "-o", out, "--width", "560", "--height", "400").returncode == 0
    chart = FunnelChart(
        Funnel.from_counts({"Calls": 200, "Meetings": 60, "Offers": 30, "Paid": 10}),
        width=560,
        height=400,
    )
    side = next(r for r in chart.regions if r.stage == 2 and r.part == "side")
    x0, y0, x1, y1 = side.bounds
    with browser_page() as pg:
        pg.goto(out.as_uri())
        box = pg.locator('img[usemap="#funnel-map"]').bounding_box()
        assert box is not None
        assert (box["width"], box["height"]) == (560, 400)
        pg.mouse.click(box["x"] + (x0 + x1) / 2, box["y"] + (y0 + y1) / 2)
        pg.wait_for_function("location.hash === '#stage-2'")
        assert pg.inner_text("tr:target td") == "Offers"


def test_metrics_comparison_takes_a_confidence_and_a_correction(good: Path) -> None:
    base = ("metrics", good, "--pipeline", "Call,Offer", "--json", "--by", "owner")
    default = json.loads(run(*base).stdout)["comparison"]
    assert (default["confidence"], default["correction"]) == (0.95, "holm")
    asked = json.loads(run(*base, "--confidence", "90%", "--correction", "bh").stdout)
    assert (asked["comparison"]["confidence"], asked["comparison"]["correction"]) == (0.9, "bh")
    for bad in ("95", "1", "0", "x%"):
        r = run(*base, "--confidence", bad)
        assert r.returncode == 2
        assert "argument --confidence: expected a level between 0 and 1" in r.stderr
        assert repr(bad) in r.stderr
    r = run(*base, "--correction", "bonferroni")
    assert r.returncode == 2
    assert "invalid choice: 'bonferroni'" in r.stderr

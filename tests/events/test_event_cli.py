"""``salesfunnel events``: the funnel of an event log from the command line.

Run in fresh processes through tests/cli_helpers.run_cli; figures worked by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from salesfunnel.output.html import expand_deals

from cli_helpers import run_cli

LOG = (
    "user,session,event,time,device\n"
    "u1,s1,view,2024-01-01T10:00:00,ios\n"
    "u1,s1,cart,2024-01-01T10:10:00,ios\n"  # 10 min after the view
    "u1,s1,purchase,2024-01-01T10:20:00,ios\n"
    "u2,s2,view,2024-01-08T10:00:00,web\n"  # next week
    "u2,s2,cart,2024-01-08T11:00:00,web\n"  # 60 min: outside 30m
    "u2,s3,purchase,2024-01-08T11:10:00,web\n"  # 70 min: inside 2h
)


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "events.csv"
    path.write_text(LOG, encoding="utf-8")
    return path


def test_json_holds_counts_groups_and_trend(log: Path) -> None:
    r = run_cli("events", log, "--steps", "view,cart,purchase", "--window", "30m",
                "--unit", "user", "--breakdown", "device", "--period", "W", "--json")  # fmt: skip
    assert r.returncode == 0, r.stderr
    payload = json.loads(r.stdout)
    assert [s["units"] for s in payload["steps"]] == [2, 1, 1]
    assert payload["window_s"] == 1800.0
    assert {g: [s["units"] for s in v["steps"]] for g, v in payload["by"].items()} == {
        "ios": [1, 1, 1],
        "web": [1, 0, 0],
    }
    assert list(payload["trend"]) == ["2024-01-01", "2024-01-08"]


def test_text_a_wider_window_and_a_unit_of_two_columns(log: Path) -> None:
    wide = run_cli("events", log, "--steps", "view,cart,purchase", "--window", "2h",
                   "--unit", "user")  # fmt: skip
    assert wide.returncode == 0, wide.stderr
    assert wide.stdout.splitlines()[0] == f"{log}: 6 events"
    assert "2 units entered, 2 completed (100.0%)" in wide.stdout
    # As (user, session) pairs, u2's purchase is another session's: s2 stops at cart.
    pairs = run_cli("events", log, "--steps", "view,cart,purchase", "--window", "2h",
                    "--unit", "user,session", "--json")  # fmt: skip
    assert [s["units"] for s in json.loads(pairs.stdout)["steps"]] == [2, 2, 1]


def test_clickhouse_order_with_modes(log: Path) -> None:
    r = run_cli("events", log, "--steps", "view,purchase", "--window", "1h", "--unit", "user",
                "--order", "clickhouse", "--mode", "strict_order", "--json")  # fmt: skip
    # strict_order: u1's cart between view and purchase stops the walk at level 1.
    assert r.returncode == 0, r.stderr
    payload = json.loads(r.stdout)
    assert [s["units"] for s in payload["steps"]] == [2, 0]
    assert payload["modes"] == ["strict_order"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--window", "30x"], "argument --window: expected a duration like 45s, 30m"),
        (["--window", "0s"], "argument --window: expected a duration of at least 1 s"),
        (["--window", "99999999999d"], "argument --window: expected a duration below 999999999 d"),
        (["--window", "1e400s"], "argument --window: expected a duration below 999999999 d"),
        (["--unit", "usr"], "missing column 'usr' for the unit (header is ['user', 'session', "),
        (
            ["--event-column", "name"],
            "column 'name' for the event name (header is ['user', 'session'",
        ),
        (["--event-column", "name"], "]; name the column with --event-column)"),
        (
            ["--time-column", "Time"],
            "'time' differs only in case: name the column with --time-column",
        ),
        (["--breakdown", "os"], "missing column 'os' for the breakdown (header is"),
        (["--breakdown", "os"], "name the column with --breakdown)"),
        (["--steps", "view,,cart"], "--steps: empty name"),
        (["--steps", "view,crt"], "step 2: no event 'crt' in the log"),
        (["--period", "Q"], "argument --period: expected a duration"),
        (["--mode", "strict_order"], "modes are ClickHouse windowFunnel's"),
    ],
)
def test_mistakes_are_one_line_with_status_2(log: Path, args: list[str], message: str) -> None:
    base = {"--steps": "view,cart", "--window": "30m", "--unit": "user"}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    argv = [a for pair in base.items() for a in pair]
    r = run_cli("events", log, *argv)
    assert r.returncode == 2
    assert r.stdout == ""
    assert r.stderr.startswith("salesfunnel: error: ")
    assert message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_a_bad_cell_names_the_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "user,event,time\nu1,view,2024-01-01T10:00:00\nu1,cart,2024-01-01T10:05:00\n"
        "u2,view,yesterday\n"
    )
    r = run_cli("events", path, "--steps", "view,cart", "--window", "1h", "--unit", "user")
    assert r.returncode == 2
    assert f"{path}, line 4, column 'time'" in r.stderr
    assert "'yesterday'" in r.stderr
    dropped = run_cli("events", path, "--steps", "view,cart", "--window", "1h", "--unit", "user",
                      "--drop-invalid")  # fmt: skip
    assert dropped.returncode == 0, dropped.stderr
    assert "(1 invalid rows dropped)" in dropped.stdout.splitlines()[0]


def test_output_draws_the_total_funnel(log: Path, tmp_path: Path) -> None:
    from salesfunnel import FunnelChart
    from salesfunnel.funnel.model import Funnel, Stage

    # 30 min: u1 goes view -> cart -> purchase, u2's cart is 60 min after its view.
    hand = Funnel((Stage("view", 2), Stage("cart", 1), Stage("purchase", 1)))
    expected = FunnelChart(hand, title="events.csv: view -> cart -> purchase")
    base = ("events", log, "--steps", "view,cart,purchase", "--window", "30m", "--unit", "user")
    for suffix in ("png", "svg", "html", "json"):
        out = tmp_path / f"chart.{suffix}"
        r = run_cli(*base, "-o", out)
        assert r.returncode == 0, r.stderr
        assert "2 units entered, 1 completed (50.0%)" in r.stdout  # the tables still print
        if suffix == "png":
            assert out.read_bytes() == expected.to_png()
        elif suffix == "svg":
            assert out.read_text(encoding="utf-8") == expected.to_svg()
        elif suffix == "html":
            page = out.read_text(encoding="utf-8")
            assert "<h1>events.csv: view -&gt; cart -&gt; purchase</h1>" in page
            # The event report: the units behind each step, embedded for the click-through.
            blocks = [
                json.loads(page[page.index(f'id="{k}">') + len(k) + 6 :].split("</script>")[0])
                for k in ("sf-index", "sf-data")
            ]
            stages = expand_deals(*blocks)[0]
            listed = [sorted(stages[f"events|0|{s}"]["ids"]) for s in range(3)]
            assert listed == [["u1", "u2"], ["u1"], ["u1"]]
        else:
            assert [s["units"] for s in json.loads(out.read_text())["steps"]] == [2, 1, 1]


def test_output_with_an_unknown_suffix_is_refused_before_reading(tmp_path: Path) -> None:
    out = tmp_path / "chart.txt"
    r = run_cli("events", tmp_path / "missing.csv", "--steps", "view", "--window", "1h",
                "--unit", "user", "-o", out)  # fmt: skip
    assert r.returncode == 2
    assert (
        r.stderr.strip()
        == f"salesfunnel: error: -o {out}: end the name in .png, .svg, .html or .json"
    )
    assert not out.exists()

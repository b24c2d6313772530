"""render's flags for many funnels and wide ranges (issue 13): --by, --delimiter,
--width-mapping, --min-visible, --columns."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from cli_helpers import run_cli

GROUPS = (
    "rep;stage;count\nAnn;Lead;120\nAnn;Won;13\nBob;Lead;200\nBob;Won;17\nCy;Lead;50\nCy;Won;2\n"
)


def test_render_draws_one_funnel_per_group_in_a_grid(tmp_path: Path) -> None:
    counts = tmp_path / "groups.csv"
    counts.write_text(GROUPS, encoding="utf-8")
    svg = tmp_path / "reps.svg"
    result = run_cli(
        "render", counts, "-o", svg, "--by", "rep", "--delimiter", ";",
        "--width-mapping", "sqrt", "--min-visible", "0.1", "--columns", "2",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    root = ET.parse(svg).getroot()
    text = "".join(root.itertext())
    for rep in ("Ann", "Bob", "Cy"):
        assert rep in text
    assert "Widths show the square root of each count" in text
    funnels = {e.get("data-funnel") for e in root.iter() if e.get("data-funnel") is not None}
    assert len(funnels) == 3
    # the description (alt text) names each funnel's stages
    desc = root.find("{http://www.w3.org/2000/svg}desc")
    assert desc is not None
    assert "Ann: Lead, 120" in (desc.text or "")


def test_render_flags_name_what_is_wrong(tmp_path: Path) -> None:
    counts = tmp_path / "groups.csv"
    counts.write_text(GROUPS, encoding="utf-8")
    out = tmp_path / "x.png"
    result = run_cli("render", counts, "-o", out, "--by", "region", "--delimiter", ";")
    assert result.returncode == 2
    assert f"{counts}, row 1: missing column 'region'" in result.stderr
    counts.write_text("rep,stage,count\nAnn,Lead,many\n", encoding="utf-8")
    result = run_cli("render", counts, "-o", out, "--by", "rep", "--min-visible", "1.5")
    assert result.returncode == 2
    assert "--min-visible" in result.stderr
    result = run_cli("render", counts, "-o", out, "--by", "rep")
    assert result.returncode == 2
    assert f"{counts}, row 2, column 'count': expected a number >= 0 (got 'many')" in result.stderr

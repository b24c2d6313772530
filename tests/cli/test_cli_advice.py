"""The advice in an error is in the words of the interface the user is typing in.

The library says ``pass tz=``; the command line says ``set --tz``. Before
2026-12-05 the ``events`` command printed the library's words (``pass
date_format=``, ``pass tz=``, ``pass encoding=``), and a file whose header
holds another delimiter (a TSV, a semicolon CSV) got no hint at all.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from salesfunnel import DealLog, EventLog, FunnelDataError, Pipeline

from cli_helpers import run_cli

P = Pipeline(["Call", "Offer"], won="Won", lost="Lost")


@pytest.mark.parametrize(
    ("text", "advice"),
    [
        ("user,event,time\nu,a,05/12/2024\n", "set --date-format for another format"),
        (
            "user,event,time\nu,a,2024-01-01T10:00+01:00\nu,b,2024-01-01T10:00\n",
            "set --tz ZONE to give the zone",
        ),
        (b"user,event,time\nJos\xe9,a,2024-01-01\n", "set --encoding (e.g. latin-1)"),
        ("user;event;time\nu;a;2024-01-01\n", "the header holds 2 ';': set --delimiter ';'"),
        (
            "user,event,time\nu,a,2024-01-01\n".encode("utf-16"),
            "the file begins with a UTF-16 byte order mark: set --encoding utf-16",
        ),
        (
            "sep=;\nuser;event;time\nu;a;2024-01-01\n",
            "the first line 'sep=;' is a spreadsheet's delimiter line, not a header: delete it"
            " and set --delimiter ';'",
        ),
    ],
)
def test_events_command_gives_advice_as_options(
    tmp_path: Path, text: str | bytes, advice: str
) -> None:
    path = tmp_path / "log.csv"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    r = run_cli("events", path, "--steps", "a,b", "--window", "1h", "--unit", "user")
    assert r.returncode == 2
    assert advice in r.stderr
    assert "pass " not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(("sep", "shown"), [("\t", "'\\t'"), (";", "';'"), ("|", "'|'")])
def test_metrics_names_the_delimiter_the_header_holds(tmp_path: Path, sep: str, shown: str) -> None:
    path = tmp_path / "deals.csv"
    path.write_text(
        sep.join(["deal", "stage", "time"]) + "\n" + sep.join(["D1", "Call", "2024-01-01"]) + "\n"
    )
    r = run_cli("metrics", path, "--pipeline", "Call,Offer")
    assert r.returncode == 2
    assert f"the header holds 2 {shown}: set --delimiter {shown}" in r.stderr
    assert "--deal-column" not in r.stderr  # the column is there; the delimiter is not


@pytest.mark.parametrize("engine", ["arrow", "python"])
def test_library_names_the_delimiter_the_header_holds(tmp_path: Path, engine: str) -> None:
    if engine == "arrow":
        pytest.importorskip("pyarrow")
    path = tmp_path / "deals.tsv"
    path.write_text("deal\tstage\ttime\nD1\tCall\t2024-01-01\n")
    with pytest.raises(FunnelDataError, match=r"the header holds 2 '\\t': pass delimiter='\\t'"):
        DealLog.from_csv(path, P, engine=engine)
    with pytest.raises(FunnelDataError, match=r"pass delimiter='\\t'"):
        EventLog.from_csv(path, entity="deal", event="stage", engine=engine)
    # With the delimiter given, the same file loads.
    assert DealLog.from_csv(path, P, delimiter="\t", engine=engine).n_deals == 1


def test_a_missing_column_in_a_well_split_header_gets_no_delimiter_hint(tmp_path: Path) -> None:
    path = tmp_path / "deals.csv"
    path.write_text("deal,stage,when;x\nD1,Call,2024-01-01\n")
    with pytest.raises(FunnelDataError) as info:
        DealLog.from_csv(path, P)
    assert "delimiter" not in str(info.value)


def test_picture_warnings_are_one_line_notes_in_cli_terms(tmp_path: Path) -> None:
    cjk = tmp_path / "cjk.csv"
    cjk.write_text("stage,count\n访问,100\n购买,20\n", encoding="utf-8")
    r = run_cli("render", cjk, "-o", tmp_path / "cjk.png")
    assert r.returncode == 0
    assert r.stderr.splitlines() == [
        "salesfunnel: note: 2 line(s) of text hold characters the bundled font (DejaVu Sans) "
        "cannot draw: '访', '问', '购', '买'; the image shows them as boxes (an .svg output "
        "leaves text to the viewer's fonts, which usually have them)"
    ]
    many = tmp_path / "many.csv"
    many.write_text("stage,count\n" + "".join(f"S{i},{1000 - 9 * i}\n" for i in range(100)))
    r = run_cli("render", many, "-o", tmp_path / "many.png")
    assert r.returncode == 0
    [note] = r.stderr.splitlines()
    assert note.startswith("salesfunnel: note: ")
    assert "label(s) hidden to stay legible" in note
    assert note.endswith("(a larger canvas shows them: render's --width, --height or --columns)")


@pytest.mark.parametrize("engine", ["python", "arrow"])
@pytest.mark.parametrize(
    ("text", "advice"),
    [
        (
            "deal,stage,time\na,Call,2024-01-01\n".encode("utf-16"),
            "pass encoding='utf-16'",  # latin-1, the usual advice, would read it as garbage
        ),
        (
            "deal,stage,time\na,Call,2024-01-01\n".encode("utf-16-be").join([b"\xfe\xff", b""]),
            "pass encoding='utf-16'",
        ),
        (b"sep=,\ndeal,stage,time\na,Call,2024-01-01\n", "spreadsheet's delimiter line"),
        (b"sep=\t\ndeal\tstage\ttime\na\tCall\t2024-01-01\n", "delete it and pass delimiter='\\t'"),
    ],
)
def test_library_explains_utf16_files_and_delimiter_lines(
    tmp_path: Path, engine: str, text: bytes, advice: str
) -> None:
    if engine == "arrow":
        pytest.importorskip("pyarrow")
    path = tmp_path / "deals.csv"
    path.write_bytes(text)
    with pytest.raises(FunnelDataError, match=re.escape(advice)):
        DealLog.from_csv(path, P, engine=engine)
    with pytest.raises(FunnelDataError, match=re.escape(advice)):
        EventLog.from_csv(path, entity="deal", event="stage", time="time", engine=engine)

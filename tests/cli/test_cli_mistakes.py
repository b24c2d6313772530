"""Every user mistake is one line on stderr and exit status 2 (issue 10), in every command.

The matrix runs ``main([...])`` in-process for each command with each kind of
bad input, and a few cases again as ``python -m salesfunnel`` in a subprocess,
where a traceback or argparse's usage block would really reach the terminal.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from salesfunnel.__main__ import main
from salesfunnel._csvio import LINE_LIMIT

from cli_helpers import SRC, run_cli

GOOD = "deal,stage,time\nD1,Call,2026-01-02\nD1,Won,2026-01-05\nD2,Call,2026-01-03\n"
LOG = ["--pipeline", "Call,Offer"]


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _sparse_nul(path: Path, head: str) -> Path:
    """``head``, then NUL bytes up to 1 GiB, stored sparse (no disk used for the NULs)."""
    _write(path, head)
    with path.open("r+b") as fh:
        fh.truncate(1 << 30)
    return path


# Each maker writes its input into the folder and returns the arguments after the command.
Maker = Callable[[Path], list[str]]
LOG_MISTAKES: dict[str, tuple[Maker, str]] = {
    "cell over 131,072 characters": (
        lambda d: [str(_write(d / "log.csv", GOOD + "D3,Call," + "x" * 131_073 + "\n")), *LOG],
        "{d}/log.csv, row 5: a cell longer than 131,072 characters (is a quote left open?)",
    ),
    "NUL bytes after three good rows": (
        lambda d: [str(_sparse_nul(d / "log.csv", GOOD)), *LOG],
        "{d}/log.csv, row 5: a NUL character: this is not a text CSV file (UTF-16 text? "
        "set --encoding)",
    ),
    "an unknown encoding": (
        lambda d: [str(_write(d / "log.csv", GOOD)), *LOG, "--encoding", "nope"],
        "argument --encoding: unknown text encoding 'nope' (e.g. utf-8, latin-1, cp1252, "
        "utf-16) (try 'salesfunnel {cmd} --help')",
    ),
    "a codec that is not a text encoding": (
        lambda d: [str(_write(d / "log.csv", GOOD)), *LOG, "--encoding", "rot13"],
        "argument --encoding: unknown text encoding 'rot13' (e.g. utf-8, latin-1, cp1252, "
        "utf-16) (try 'salesfunnel {cmd} --help')",
    ),
    "a two-character delimiter": (
        lambda d: [str(_write(d / "log.csv", GOOD)), *LOG, "--delimiter", ";;"],
        "argument --delimiter: expected one character other than a quote or a line break, "
        "or \\t (got ';;') (try 'salesfunnel {cmd} --help')",
    ),
    "an empty delimiter": (
        lambda d: [str(_write(d / "log.csv", GOOD)), *LOG, "--delimiter="],
        "argument --delimiter: expected one character other than a quote or a line break, "
        "or \\t (got '') (try 'salesfunnel {cmd} --help')",
    ),
    "latin-1 bytes read as UTF-8": (
        lambda d: [str(_latin(d)), *LOG],
        "{d}/log.csv, row 2: byte b'\\xe9' at byte offset 17 of the file is not valid utf-8 "
        "(invalid continuation byte); set --encoding (e.g. latin-1)",
    ),
    "a missing file": (
        lambda d: [str(d / "absent.csv"), *LOG],
        "{d}/absent.csv: No such file or directory",
    ),
    "no --pipeline": (
        lambda d: [str(_write(d / "log.csv", GOOD))],
        "the following arguments are required: --pipeline (try 'salesfunnel {cmd} --help')",
    ),
}


def _latin(d: Path) -> Path:
    path = d / "log.csv"
    path.write_bytes("deal,stage,time\nD\xe9,Call,2026-01-02\n".encode("latin-1"))
    return path


def _counts(d: Path, name: str, text: str) -> str:
    return str(_write(d / name, text))


RENDER_MISTAKES: dict[str, tuple[Maker, str]] = {
    "cell over 131,072 characters": (
        lambda d: [_counts(d, "c.csv", "stage,count\nCalls," + "1" * 131_073 + "\n")],
        "{d}/c.csv, line 2: a cell longer than 131,072 characters",
    ),
    "a 1 GiB file of NUL bytes": (
        lambda d: [str(_sparse_nul(d / "c.csv", "stage,count\nA,3\nB,2\nC,1\n"))],
        "{d}/c.csv: 1,073,741,824 bytes is too large for a counts file (at most 16,777,216)",
    ),
    "a 401-digit count in JSON": (
        lambda d: [_counts(d, "c.json", '{"Calls": ' + "9" * 401 + ', "Paid": 1}')],
        "{d}/c.json, stage 0: count of stage 'Calls' is above 2**53 = 9,007,199,254,740,992, the largest integer a float holds exactly (got 999999999999... (401 digits))",
    ),
    "a lone surrogate in a stage name": (
        lambda d: [_counts(d, "c.json", '{"Calls\\ud800": 10, "Paid": 1}')],
        "{d}/c.json, stage 0: the name 'Calls\\ud800' holds '\\ud800', which is not text",
    ),
    "a missing file": (
        lambda d: [str(d / "absent.csv")],
        "{d}/absent.csv: No such file or directory",
    ),
    "a width that is not a number": (
        lambda d: [_counts(d, "c.csv", "stage,count\nA,3\n"), "--width", "wide"],
        "argument --width: expected an integer (got 'wide') (try 'salesfunnel render --help')",
    ),
}

DEMO_MISTAKES: dict[str, tuple[Maker, str]] = {
    "a billion deals": (
        lambda d: ["--deals", "1000000000", "--out", str(d)],
        "argument --deals: expected at most 100,000 deals (got '1000000000') "
        "(try 'salesfunnel demo --help')",
    ),
    "no deals": (
        lambda d: ["--deals", "0", "--out", str(d)],
        "argument --deals: expected an integer >= 1 (got '0') (try 'salesfunnel demo --help')",
    ),
    "a negative seed": (
        lambda d: ["--seed", "-1", "--out", str(d)],
        "argument --seed: expected an integer >= 0 (got '-1') (try 'salesfunnel demo --help')",
    ),
    "an output folder that is a file": (
        lambda d: ["--out", _counts(d, "taken", "")],
        "{d}/taken: File exists",
    ),
}

CASES = [
    *(("demo", kind, make, msg) for kind, (make, msg) in DEMO_MISTAKES.items()),
    *(("render", kind, make, msg) for kind, (make, msg) in RENDER_MISTAKES.items()),
    *(("metrics", kind, make, msg) for kind, (make, msg) in LOG_MISTAKES.items()),
    *(("report", kind, make, msg) for kind, (make, msg) in LOG_MISTAKES.items()),
]


def _output(cmd: str, d: Path) -> list[str]:
    return ["-o", str(d / "out.html")] if cmd in ("render", "report") else []


@pytest.mark.parametrize(
    ("cmd", "kind", "make", "message"),
    CASES,
    ids=[f"{cmd}: {kind}" for cmd, kind, _, _ in CASES],
)
def test_each_mistake_is_one_line_and_exit_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    cmd: str,
    kind: str,
    make: Maker,
    message: str,
) -> None:
    status = main([cmd, *make(tmp_path), *_output(cmd, tmp_path)])
    out, err = capsys.readouterr()
    assert (status, out) == (2, "")
    assert err == f"salesfunnel: error: {message.format(d=tmp_path, cmd=cmd)}\n"
    assert not (tmp_path / "out.html").exists()  # nothing half-written


_run = run_cli


@pytest.mark.parametrize(
    "argv",
    [
        ["metrics", "{d}/log.csv", "--pipeline", "Call", "--delimiter", ";;"],
        ["report", "{d}/log.csv", "--pipeline", "Call", "-o", "{d}/r.html", "--encoding", "nope"],
        ["render", "{d}/c.json", "-o", "{d}/out.html"],
        ["metrics", "{d}/nul.csv", "--pipeline", "Call"],
        ["bogus-command"],
        [],
    ],
)
def test_no_traceback_and_no_usage_block_in_a_real_process(tmp_path: Path, argv: list[str]) -> None:
    _write(tmp_path / "log.csv", GOOD)
    _write(tmp_path / "c.json", '{"Calls\\ud800": 10, "Paid": 1}')
    _sparse_nul(tmp_path / "nul.csv", GOOD)
    result = _run(*(a.format(d=tmp_path) for a in argv))
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("salesfunnel: error: ")
    assert "--help" in result.stderr or str(tmp_path) in result.stderr


def test_a_long_line_is_refused_as_soon_as_it_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # One unquoted line longer than the reader's limit, split by commas so that no cell
    # is too long: refused while it is read (its unfinished part outgrows the limit),
    # before the csv module sees it.
    path = _write(tmp_path / "log.csv", GOOD + "D3," + "x," * (LINE_LIMIT // 2 + (1 << 16)) + "\n")
    assert main(["metrics", str(path), *LOG]) == 2
    assert capsys.readouterr().err == (
        f"salesfunnel: error: {path}, row 5: a line longer than {LINE_LIMIT:,} characters\n"
    )


def test_a_row_wider_than_the_header_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # An unquoted 1,200 is two cells: the old reader dropped the extra cell silently.
    path = _write(tmp_path / "log.csv", "deal,stage,time,amount\nD1,Call,2026-01-02,1,200\n")
    assert main(["metrics", str(path), *LOG]) == 2
    assert capsys.readouterr().err == (
        f"salesfunnel: error: {path}, row 2: 5 cells in a row under a header of 4 "
        '(quote a cell that holds the delimiter, such as "1,200")\n'
    )


def test_good_input_around_the_new_checks_still_loads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A cell of exactly 131,072 characters, a tab delimiter given as \t, UTF-16 with its BOM.
    long_owner = "o" * 131_072
    text = GOOD.replace(",", "\t").replace("\n", "\tAnn\n").replace("time\tAnn", "time\towner")
    text = text.replace("D2\tCall\t2026-01-03\tAnn", f"D2\tCall\t2026-01-03\t{long_owner}")
    path = tmp_path / "log.tsv"
    path.write_text(text, encoding="utf-16")
    args = ["metrics", str(path), *LOG, "--delimiter", "\\t", "--encoding", "utf-16", "--json"]
    assert main(args) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["owners"] == sorted(["Ann", long_owner])
    assert (payload["deals"], payload["events"]) == (2, 3)


def test_a_late_bad_byte_is_named_by_its_place_in_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Text is decoded in chunks: the byte's place in its chunk is not its place in the file.
    rows = "".join(f"D{i},Call,2026-01-02\n" for i in range(150_000))
    data = ("deal,stage,time\n" + rows).encode() + b"D\xe9,Call,2026-01-02\n"
    path = tmp_path / "log.csv"
    path.write_bytes(data)
    assert main(["metrics", str(path), "--pipeline", "Call"]) == 2
    at = data.index(b"\xe9")
    assert capsys.readouterr().err == (
        f"salesfunnel: error: {path}, row 150002: byte b'\\xe9' at byte offset {at} of the "
        "file is not valid utf-8 (invalid continuation byte); set --encoding (e.g. latin-1)\n"
    )


def test_a_bad_utf16_unit_is_named_by_byte(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The bad unit is in the first chunk read, after the byte order mark: the header is
    # still read without the mark (it was taken for part of the column 'deal').
    data = "deal,stage,time\nD1,Call,2026-01-02\n".encode("utf-16") + b"\x00\xd8A\x00"
    path = tmp_path / "log.csv"
    path.write_bytes(data)
    assert main(["metrics", str(path), "--pipeline", "Call", "--encoding", "utf-16"]) == 2
    assert capsys.readouterr().err == (
        f"salesfunnel: error: {path}, row 3: byte b'\\x00\\xd8' at byte offset "
        f"{len(data) - 4} of the file is not valid utf-16-le (illegal UTF-16 surrogate); "
        "set --encoding (e.g. latin-1)\n"
    )


@pytest.mark.parametrize("encoding", [None, "utf-8-sig", "UTF8"])
def test_a_bad_byte_after_a_utf8_bom_is_named_by_its_place_in_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], encoding: str | None
) -> None:
    # Excel's "CSV UTF-8" starts with a BOM; utf-8-sig decoded it away before counting.
    data = b"\xef\xbb\xbfdeal,stage,time\nD\xe9,Call,2026-01-02\n"
    path = tmp_path / "log.csv"
    path.write_bytes(data)
    given = [] if encoding is None else ["--encoding", encoding]
    assert main(["metrics", str(path), "--pipeline", "Call", *given]) == 2
    at = data.index(b"\xe9")
    assert capsys.readouterr().err == (
        f"salesfunnel: error: {path}, row 2: byte b'\\xe9' at byte offset "
        f"{at} of the file is not valid utf-8 (invalid continuation byte); "
        "set --encoding (e.g. latin-1)\n"
    )
    path.write_bytes(data.replace(b"\xe9", b"\xc3\xa9"))
    assert main(["metrics", str(path), "--pipeline", "Call", "--json", *given]) == 0
    assert json.loads(capsys.readouterr().out)["deals"] == 1


def test_an_argument_that_is_not_text_is_shown_replaced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A shell passes bytes that are not UTF-8 as lone surrogates (os.fsdecode); text for
    # people replaces them with U+FFFD (the one escaping rule), so the page is written.
    log = _write(tmp_path / "log.csv", GOOD)
    out = tmp_path / "r.html"
    assert main(["report", str(log), *LOG, "-o", str(out), "--title", "Q1 \udcff"]) == 0
    assert capsys.readouterr().err == ""
    page = out.read_text(encoding="utf-8")
    assert "Q1 \ufffd" in page
    assert "\udcff" not in page


def test_a_reader_that_goes_away_ends_the_command_quietly(tmp_path: Path) -> None:
    # `salesfunnel metrics ... | head -1`: the JSON of 3,000 owners is megabytes, far
    # more than a pipe holds, so the write meets the closed pipe whatever the timing.
    rows = "".join(f"D{i},Call,2026-01-02,O{i}\n" for i in range(3000))
    log = _write(tmp_path / "log.csv", "deal,stage,time,owner\n" + rows)
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    argv = ["metrics", str(log), "--pipeline", "Call", "--by", "owner", "--json"]
    with subprocess.Popen(
        [sys.executable, "-m", "salesfunnel", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    ) as proc:
        assert proc.stdout is not None
        proc.stdout.close()
        _, err = proc.communicate(timeout=300)
    assert (proc.returncode, err) == (1, b"")

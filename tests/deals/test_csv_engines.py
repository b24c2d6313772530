"""The two CSV engines of ``DealLog.from_csv`` and ``EventLog.from_csv`` agree.

Every file below is read with ``engine="python"`` (the pure reader) and
``engine="arrow"`` (pyarrow, standing aside where it cannot match the pure
reader): the logs must be equal field by field, or the errors equal in type,
message and attributes. ``fast`` says whether pyarrow itself reads the file
(checked by calling the fast path directly), so the suite shows which cases
exercise the native parser and which the hand-over.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from csv_helpers import outcome
from salesfunnel import DealLog, EventLog, FunnelDataError, Pipeline
from salesfunnel._csvio import FIELD_LIMIT, open_csv
from salesfunnel.deals import arrowcsv
from salesfunnel.deals.arrowcsv import AUTO_BYTES, Unfit, use_arrow
from salesfunnel.deals.columns import Columns
from salesfunnel.deals.csvload import arrow_fields
from salesfunnel.deals.textcodes import TextTable

pytest.importorskip("pyarrow")

P = Pipeline(["Call", "Offer"], won="Won", lost="Lost")
H = "deal,stage,time,owner,amount\n"

# (name, file bytes, keyword arguments, read by pyarrow itself?)
CASES: list[tuple[str, bytes, dict[str, Any], bool]] = [
    (
        "plain",
        (H + "A,Call,2024-01-01,ann,10\nB,Won,2024-01-02T10:00:00,bob,\n").encode(),
        {},
        True,
    ),
    (
        "digit ids",
        (
            H + "10,Call,2024-01-01,a,1\n9,Call,2024-01-02,b,2\n100,Won,2024-01-03 08:30,a,\n"
        ).encode(),
        {},
        True,
    ),
    ("ids with zeros", (H + "007,Call,2024-01-01,a,1\n7,Call,2024-01-02,b,2\n").encode(), {}, True),
    ("bom", b"\xef\xbb\xbf" + (H + "A,Call,2024-01-01,ann,1\n").encode(), {}, True),
    ("crlf", (H + "A,Call,2024-01-01,ann,1\r\nB,Offer,2024-01-02,bob,2\r\n").encode(), {}, True),
    ("cr only", (H + "A,Call,2024-01-01,ann,1\rB,Offer,2024-01-02,bob,2\r").encode(), {}, True),
    ("no final newline", (H + "A,Call,2024-01-01,ann,1").encode(), {}, True),
    (
        "blank lines",
        (H + "A,Call,2024-01-01,ann,1\n\n\nB,Call,2024-01-02,bob,2\n").encode(),
        {},
        True,
    ),
    (
        "spaces in cells",
        (H + " A , Call ,2024-01-01, ann ,1\nA,Won,2024-01-02,ann,2\n").encode(),
        {},
        True,
    ),
    ("blank owner", (H + "A,Call,2024-01-01,,1\nB,Call,2024-01-01,bob,1\n").encode(), {}, True),
    ("unicode", (H + "Ä,Call,2024-01-01,Zoë,1\nB,Call,2024-01-01,Åsa,1\n").encode(), {}, True),
    (
        "extra column",
        ("x," + H.replace("\n", ",y\n") + "1,A,Call,2024-01-01,ann,1,z\n").encode(),
        {},
        True,
    ),
    (
        "drop unknown",
        (H + "A,Call,2024-01-01,a,1\nA,Demo,2024-01-02,a,1\n").encode(),
        {"drop_unknown": True},
        True,
    ),
    (
        "semicolon",
        (H.replace(",", ";") + "A;Call;2024-01-01;ann;1.5\n").encode(),
        {"delimiter": ";"},
        True,
    ),
    (
        "decimal comma",
        (H.replace(",", ";") + "A;Call;2024-01-01;ann;1.234,5\n").encode(),
        {"delimiter": ";", "decimal": ","},
        True,
    ),
    ("tz", (H + "A,Call,2024-01-01T10:00:00,a,1\n").encode(), {"tz": "Europe/Berlin"}, True),
    ("date format", (H + "A,Call,02/01/2024,a,1\n").encode(), {"date_format": "%d/%m/%Y"}, False),
    ("header only", H.encode(), {}, False),
    ("empty file", b"", {}, False),
    ("blank file", b"\n\n", {}, False),
    ("quoted newline", (H + 'A,Call,2024-01-01,"ann\nlee",1\n').encode(), {}, False),
    ("quoted delimiter", (H + 'A,Call,2024-01-01,ann,"1,200"\n').encode(), {}, False),
    ("bad quote", (H + 'A,Call,2024-01-01,"ann"x,1\n').encode(), {}, False),
    ("open quote", (H + 'A,Call,2024-01-01,"ann,1\n').encode(), {}, False),
    ("bad date", (H + "A,Call,2024-01-01,a,1\nA,Won,2024-02-30,a,1\n").encode(), {}, False),
    ("date with zone", (H + "A,Call,2024-01-01T10:00:00+01:00,a,1\n").encode(), {}, False),
    (
        "mixed zones",
        (H + "A,Call,2024-01-01T10:00:00Z,a,1\nA,Won,2024-01-02T10:00:00,a,1\n").encode(),
        {},
        False,
    ),
    ("blank date", (H + "A,Call,,a,1\n").encode(), {}, False),
    ("bad number", (H + "A,Call,2024-01-01,a,1.2.3\n").encode(), {}, False),
    (
        "decimal comma unasked",
        (H.replace(",", ";") + "A;Call;2024-01-01;a;1,5\n").encode(),
        {"delimiter": ";"},
        False,
    ),
    ("currency sign", (H + 'A,Call,2024-01-01,a,"$1,200"\n').encode(), {}, False),
    ("neither decimal mark", (H + 'A,Call,2024-01-01,a,"1,2,3"\n').encode(), {}, False),
    ("negative amount", (H + "A,Call,2024-01-01,a,-1\n").encode(), {}, False),
    ("nan amount", (H + "A,Call,2024-01-01,a,nan\nB,Call,2024-01-01,a,\n").encode(), {}, False),
    ("signed nan", (H + "A,Call,2024-01-01,a,+nan\nB,Call,2024-01-01,a,\n").encode(), {}, False),
    ("unknown label", (H + "A,Call,2024-01-01,a,1\nA,Demo,2024-01-02,a,1\n").encode(), {}, False),
    ("blank id", (H + "A,Call,2024-01-01,a,1\n ,Call,2024-01-02,a,1\n").encode(), {}, False),
    ("short row", (H + "A,Call,2024-01-01\nB,Call,2024-01-01,b,1\n").encode(), {}, False),
    ("long row", (H + "A,Call,2024-01-01,a,1,200\n").encode(), {}, False),
    ("spaces line", (H + "A,Call,2024-01-01,a,1\n   \n").encode(), {}, False),
    (
        "bad utf-8",
        (H + "A,Call,2024-01-01,a,1\n").encode() + b"B,Call,2024-01-01,\xff,1\n",
        {},
        False,
    ),
    ("bad utf-8 elsewhere", b"x," + H.encode() + b"\xff,A,Call,2024-01-01,a,1\n", {}, False),
    ("nul", (H + "A,Call,2024-01-01,a,1\n").encode() + b"B,Call,2024-01-01,\0,1\n", {}, False),
    (
        "latin-1",
        (H + "A,Call,2024-01-01,Zoë,1\n").encode("latin-1"),
        {"encoding": "latin-1"},
        False,
    ),
    (
        "long cell",
        (H + "A,Call,2024-01-01,a,1\nB,Call,2024-01-01," + "x" * 140_000 + ",1\n").encode(),
        {},
        False,
    ),
    ("missing column", b"deal,stage\n1,Call\n" + b"\xff\0", {}, False),
    ("column error wins", b"deal,stage,when\n1,Call,2024-01-01\n1,Demo,not a date\n", {}, False),
    ("duplicate header", b"deal,stage,time,deal\n1,Call,2024-01-01,2\n", {}, False),
]


_ENGINES = ("arrow", "python")


def _deals(path: Path, engine: str, kwargs: dict[str, Any]) -> Any:
    return outcome(
        lambda: DealLog.from_csv(path, P, owner="owner", amount="amount", engine=engine, **kwargs)
    )


@pytest.mark.parametrize(("name", "data", "kwargs", "fast"), CASES, ids=[c[0] for c in CASES])
def test_both_engines_give_the_same_log_or_error(
    tmp_path: Path, name: str, data: bytes, kwargs: dict[str, Any], fast: bool
) -> None:
    path = tmp_path / f"{name}.csv"
    path.write_bytes(data)
    pure = _deals(path, "python", kwargs)
    assert _deals(path, "arrow", kwargs) == pure
    assert _deals(path, "auto", kwargs) == pure
    # Which path read it: pyarrow itself, or the pure reader after a hand-over.
    spec = Columns.of(
        {
            "owner": "owner",
            "amount": "amount",
            **{k: v for k, v in kwargs.items() if k not in ("delimiter", "encoding")},
        }
    )
    read_by_arrow = True
    try:
        with open_csv(
            path, delimiter=kwargs.get("delimiter", ","), encoding=kwargs.get("encoding", "utf-8")
        ) as file:
            for c in spec.wanted:
                file.require(c)
            arrow_fields(file, P, spec, kwargs.get("delimiter", ","))
    except (Unfit, FunnelDataError):
        read_by_arrow = False
    assert read_by_arrow == fast


def test_worked_example_of_the_arrow_path(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_bytes(
        b"deal,stage,time,owner\n10,Call,2024-01-01,bo\n9,Won,2024-01-03,al\n10,Lost,2024-01-02, \n"
    )
    log = DealLog.from_csv(path, P, owner="owner", engine="arrow")
    assert list(log.deal_ids) == ["10", "9"]  # ids stay text, in text order
    assert log.deal.tolist() == [0, 1, 0]
    assert log.code.tolist() == [0, 2, 3]
    assert log.owners == ("(unassigned)", "al", "bo")
    assert log.owner is not None
    assert log.owner.tolist() == [2, 1, 0]
    assert log.time.astype(str).tolist() == [
        "2024-01-01T00:00:00",
        "2024-01-03T00:00:00",
        "2024-01-02T00:00:00",
    ]


def test_the_header_is_checked_before_a_bad_body_on_both_engines(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_bytes(b"deal,stage,when\n1,Call,2024-01-01\n1,Demo,not a date\n" + b"\xff\n")
    for engine in ("python", "arrow"):
        with pytest.raises(
            FunnelDataError, match=r"no column 'time' \(header is \['deal', 'stage', 'when'\]\)"
        ) as info:
            DealLog.from_csv(path, P, engine=engine)
        assert info.value.line == 1
        with pytest.raises(FunnelDataError, match="no column 'time'"):
            EventLog.from_csv(path, entity="deal", event="stage", engine=engine)


def test_the_iso_date_error_names_date_format(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_bytes(b"deal,stage,time\n1,Call,02/01/2024\n")
    for engine in ("python", "arrow"):
        with pytest.raises(
            FunnelDataError, match=r"line 2, column 'time': .*'02/01/2024'; pass date_format="
        ):
            DealLog.from_csv(path, P, engine=engine)


def test_engine_is_checked(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_bytes(H.encode())
    with pytest.raises(
        FunnelDataError, match=r"engine must be one of \['auto', 'python', 'arrow'\] \(got 'c'\)"
    ):
        DealLog.from_csv(path, P, engine="c")


@pytest.mark.parametrize(("name", "data", "kwargs", "fast"), CASES, ids=[c[0] for c in CASES])
def test_event_logs_agree_too(
    tmp_path: Path, name: str, data: bytes, kwargs: dict[str, Any], fast: bool
) -> None:
    del fast
    options = {
        k: v for k, v in kwargs.items() if k in ("delimiter", "encoding", "tz", "date_format")
    }
    path = tmp_path / f"{name}.csv"
    path.write_bytes(data)

    def read(engine: str) -> Any:
        return outcome(
            lambda: EventLog.from_csv(
                path, entity="deal", event="stage", properties=["owner"], engine=engine, **options
            )
        )

    assert read("arrow") == read("python")


_CELLS = st.sampled_from(
    [
        "A",
        "B",
        " A",
        "10",
        "9",
        "010",
        "Call",
        "Won",
        "Demo",
        "",
        " ",
        "2024-01-01",
        "2024-01-02T10:00:00",
        "2024-01-02T10:00:00Z",
        "2024-13-01",
        "1",
        "1.5",
        "-1",
        "nan",
        "1,5",
        '"x"',
        '"',
        "\r",
        "é",
    ]
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.lists(_CELLS, min_size=5, max_size=5) | st.lists(_CELLS, min_size=3, max_size=6),
        max_size=6,
    ),
    end=st.sampled_from(["\n", "\r\n", "\r"]),
)
def test_random_files_agree(tmp_path: Path, rows: list[list[str]], end: str) -> None:
    """Files of awkward cells (quotes, blanks, zones, bad numbers, ragged rows): same outcome."""
    path = tmp_path / "r.csv"
    path.write_bytes((H + end.join(",".join(r) for r in rows) + end).encode())
    assert _deals(path, "arrow", {}) == _deals(path, "python", {})
    events = [
        outcome(lambda e=e: EventLog.from_csv(path, entity="deal", event="stage", engine=e))
        for e in ("arrow", "python")
    ]
    assert events[0] == events[1]


def test_auto_leaves_small_files_and_file_objects_to_the_pure_reader(tmp_path: Path) -> None:
    small, big = tmp_path / "small.csv", tmp_path / "big.csv"
    small.write_bytes(H.encode())
    big.write_bytes(H.encode() + b"A,Call,2024-01-01,a,1\n" * (AUTO_BYTES // 20))
    assert not use_arrow("auto", small, "utf-8", ",")
    assert use_arrow("arrow", small, "utf-8", ",")
    assert use_arrow("auto", big, "utf-8", ",")
    assert not use_arrow("python", big, "utf-8", ",")
    assert not use_arrow("arrow", big, "latin-1", ",")
    with big.open("rb") as fh:
        assert not use_arrow("arrow", fh, "utf-8", ",")
    log = DealLog.from_csv(big, P, owner="owner", amount="amount")
    assert len(log) == AUTO_BYTES // 20
    assert list(log.deal_ids) == ["A"]


# Entity ids as an event log's CSV holds them: plain numbers (dense, sparse, wide) and
# everything an integer parser might read as one but the pure reader keeps as other text.
_ID_TEXTS = st.sampled_from(
    ["0", "00", "007", "-5", "+5", "-0", " 5", "5 ", "0x5", "5.0", "1e3", "1_000", "u1", "٣",
     "99999999999999999999", "9223372036854775807", "9223372036854775808", "100000000000000000"]
)  # fmt: skip
_ENTITY = st.one_of(
    st.integers(0, 40).map(str),
    st.integers(0, 10**18).map(str),
    _ID_TEXTS,
)


def _event_file(path: Path, ids: list[str]) -> None:
    lines = ["user,name,at,device"] + [
        f"{u},{'view' if i % 3 else 'buy'},2024-01-01T10:{i % 60:02d}:00,{'ab'[i % 2]}"
        for i, u in enumerate(ids)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    ids=st.lists(st.tuples(_ENTITY, st.integers(1, 4)), min_size=1, max_size=25),
    plain=st.booleans(),
)
def test_event_entity_ids_agree_with_a_plain_python_reference(
    tmp_path: Path, ids: list[tuple[str, int]], plain: bool
) -> None:
    """The arrow path codes entity ids (numbers first, whatever the first rows look like;
    each id repeated as in a log sorted by user) as the pure reader does: keys are ranks
    in ``np.unique`` of the stripped texts, and ``ids_of`` gives those texts back."""
    cells = [u for u, k in ids for _ in range(k)]
    if plain:  # only plain numbers: the numbers path of the fast engine reads them
        cells = [str(int(u)) if u.isdigit() and len(u) < 18 else "1" for u in cells]
    path = tmp_path / "ids.csv"
    _event_file(path, cells)
    kw: dict[str, Any] = {"entity": "user", "event": "name", "time": "at"}
    logs = [
        EventLog.from_csv(path, engine=e, properties=["device"], **kw) for e in ("arrow", "python")
    ]
    assert outcome(lambda: logs[0]) == outcome(lambda: logs[1])
    if plain:  # read by pyarrow itself (its table of ids left in Arrow), not handed over
        assert isinstance(logs[0]._table, TextTable)
    texts = [c.strip() for c in cells]
    table, rank = np.unique(np.array(texts, dtype=str), return_inverse=True)
    for log in logs:
        assert log.entity.tolist() == rank.reshape(-1).tolist()
        assert log.ids_of(log.entity).tolist() == texts
        assert log.ids_of(np.arange(len(table))).tolist() == table.tolist()
        assert log.n_entities == len(table)


@pytest.mark.parametrize("column", [0, 1, 3])
def test_an_over_long_cell_of_an_event_log_of_only_its_columns(tmp_path: Path, column: int) -> None:
    """Every column of the file read (no line scan then): a cell longer than the pure
    reader's limit in the ids, the event names or a property makes the fast path stand
    aside (its check runs beside the other work), and both engines give one error."""
    cells = ["7", "view", "2024-01-01T10:00:00", "web"]
    cells[column] = "x" * (FIELD_LIMIT + 1)
    path = tmp_path / "long.csv"
    path.write_text(f"u,e,t,d\n8,view,2024-01-01T09:00:00,app\n{','.join(cells)}\n")
    outcomes = [
        outcome(
            lambda e=e: EventLog.from_csv(
                path, entity="u", event="e", time="t", properties=["d"], engine=e
            )
        )
        for e in _ENGINES
    ]
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0] == "error"
    assert "line 3" in outcomes[0][1]


@pytest.mark.parametrize("split", [b"\xc3", b"\xe2\x82"])
def test_a_character_split_around_an_ascii_chunk_is_not_utf8(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, split: bytes
) -> None:
    """The fast path checks the bytes chunk by chunk, skipping ASCII chunks: not while a
    character begun in the chunk before is pending (its end, two chunks on, would
    otherwise complete it, and pyarrow would read bytes that are not UTF-8)."""
    monkeypatch.setattr(arrowcsv, "_SCAN", 8)
    path = tmp_path / "split.csv"
    head = b"1234567"[: 8 - len(split)] + split
    path.write_bytes(b"u,e,t\n" + head + b"abcdefgh" + b"\xa9,v,2024-01-01\n")
    outcomes = [
        outcome(lambda e=e: EventLog.from_csv(path, entity="u", event="e", time="t", engine=e))
        for e in ("arrow", "python")
    ]
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0] == "error"
    assert "is not valid utf-8" in outcomes[0][1]
    deals = path.with_name("deals.csv")
    deals.write_bytes(b"deal,stage,time\n" + head + b"abcdefgh" + b"\xa9,Call,2024-01-01\n")
    read = [outcome(lambda e=e: DealLog.from_csv(deals, P, engine=e)) for e in ("arrow", "python")]
    assert read[0] == read[1]
    assert read[0][0] == "error"


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.tuples(
            st.one_of(st.integers(0, 120).map(str), _ENTITY),
            st.sampled_from(["Call", "Offer", "Won", "Lost", " Call", "Demo"]),
            st.integers(0, 10**6),
            st.sampled_from(["ann", " bob", "", "Zoë", "c"]),
        ),
        min_size=1,
        max_size=80,
    )
)
def test_files_parsed_in_many_blocks_agree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: list[tuple[str, str, int, str]]
) -> None:
    """pyarrow parses a big file in blocks, each a chunk of every column: codes, names,
    ids and times gathered chunk by chunk must be what the pure reader gives. Blocks
    of 96 bytes here make a chunk of every few rows."""
    monkeypatch.setattr(arrowcsv, "_BLOCK", 96)
    path = tmp_path / "blocks.csv"
    base = np.datetime64("2024-01-01T00:00:00")
    lines = [f"{u},{s},{base + np.timedelta64(t, 's')},{o}" for u, s, t, o in rows]
    path.write_text("deal,stage,time,owner\n" + "\n".join(lines) + "\n", encoding="utf-8")
    kw: dict[str, Any] = {"entity": "deal", "event": "stage", "properties": ["owner"]}
    events = [outcome(lambda e=e: EventLog.from_csv(path, engine=e, **kw)) for e in _ENGINES]
    assert events[0] == events[1]
    assert _deals(path, "arrow", {}) == _deals(path, "python", {})
    if all(u.isdigit() and len(u) < 18 and (u == "0" or u[0] != "0") for u, *_ in rows):
        log = EventLog.from_csv(path, engine="arrow", **kw)  # read by pyarrow, in chunks
        assert isinstance(log._table, TextTable)
        assert log.ids_of(log.entity).tolist() == [u for u, *_ in rows]
        assert log.properties["owner"].tolist() == [o.strip() for *_, o in rows]

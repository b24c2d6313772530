"""The pure reader's fast paths give what the row-by-row paths give, on random files.

Each fast path of ``DealLog.from_csv(engine="python")`` (the plain-line
split of :mod:`salesfunnel._csvio`, the whole-column readers of
:mod:`salesfunnel.deals.csvtext`, the known-labels lookup of
:mod:`salesfunnel.deals.csvload`) is checked twice: as a function against
its slow twin on random cells, and end to end, by reading random files with
every fast path switched off (``csv.reader`` and the cell-by-cell converters
only, as before they existed) and on: same log, or the same located error.
Batches are made tiny so that a file spans many, with fast and slow ones
mixed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from csv_helpers import outcome
from salesfunnel import DealLog, EventLog, FunnelDataError, Pipeline, _csvio, _csvplain
from salesfunnel.deals import csvload, csvtext

P = Pipeline(["Call", "Offer"], won="Won", lost="Lost")
H = "deal,stage,time,owner,amount\n"


# -- the functions against their slow twins ------------------------------------------------
def _iso_slow(values: list[str]) -> np.ndarray | None:
    try:
        parsed = [dt.datetime.fromisoformat(v) for v in values]
    except ValueError:
        return None
    return np.array(parsed, dtype="datetime64[s]")


_DIGITS = st.text("0123456789", min_size=1, max_size=2)
_STAMP = st.builds(
    lambda y, mo, d, sep, h, mi, s, short: (
        f"{y}-{mo}-{d}" if short else f"{y}-{mo}-{d}{sep}{h}:{mi}:{s}"
    ),
    st.sampled_from(
        ["2024", "1999", "0001", "0000", "9999", "2023", "20x4", "\uff12\uff10\uff12\uff14"]
    ),
    _DIGITS,
    _DIGITS,
    st.sampled_from(["T", " ", "t", "_"]),
    _DIGITS,
    _DIGITS,
    _DIGITS,
    st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_STAMP, min_size=1, max_size=8))
def test_iso_fixed_reads_what_fromisoformat_reads(values: list[str]) -> None:
    fast = csvtext.iso_fixed(values)
    slow = _iso_slow(values)
    if fast is not None:  # it may stand aside, never differ
        assert slow is not None
        assert fast.dtype == np.dtype("datetime64[s]")
        assert fast.tolist() == slow.tolist()


def test_iso_fixed_worked_examples() -> None:
    got = csvtext.iso_fixed(["2024-02-29T23:59:59", "1970-01-01 00:00:01"])
    assert got is not None
    assert got.astype(np.int64).tolist() == [1709251199, 1]
    assert csvtext.iso_fixed(["2023-02-29"]) is None  # no such day: the slow path says so
    assert csvtext.iso_fixed(["2024-01-01", "2024-01-01T00:00:00"]) is None  # two shapes
    assert csvtext.iso_fixed(["2024-01-01T24:00:00"]) is None


_POWERS = 10 ** np.arange(19, dtype=np.int64)


def _digit_order(numbers: np.ndarray) -> np.ndarray:
    """Reference: the order that sorts the texts of ``numbers`` (>= 0, distinct) as strings,
    by a sort (padding to 18 digits on the right compares as the texts; at a tie, ``12``
    before ``120``, the shorter text first). The readers rank by counting instead."""
    if csvtext.one_width(numbers):
        return np.argsort(numbers, kind="stable")
    size = np.maximum(np.searchsorted(_POWERS, numbers, side="right"), 1)
    return np.lexsort((size, numbers * _POWERS[18 - size]))


_ID = st.text("0123456789", min_size=1, max_size=5) | st.sampled_from(["", " 1", "1a", "\u0663"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_ID, min_size=1, max_size=10))
def test_digit_ids_stand_for_their_texts_and_order_as_text(values: list[str]) -> None:
    numbers = csvtext.digit_ids(values)
    if numbers is None:
        return
    assert [str(v) for v in numbers.tolist()] == values  # the number names the text
    distinct = np.unique(numbers)
    order = _digit_order(distinct)
    assert [str(v) for v in distinct[order].tolist()] == sorted(set(values))


# Numbers around powers of ten (a prefix of one number is another: 12, 120, 1200), up to
# the 18 digits the readers keep, so that one set mixes several numbers of digits.
_AROUND_POWERS = st.integers(0, 17).flatmap(
    lambda k: st.integers(max(10**k - 25, 0), min(10**k + 25, 10**18 - 1))
) | st.integers(10**18 - 30, 10**18 - 1)


@settings(max_examples=400, deadline=None)
@given(st.sets(_AROUND_POWERS | st.integers(0, 130), max_size=40))
def test_text_ranks_rank_numbers_as_their_texts_sort(numbers: set[int]) -> None:
    """``text_ranks`` (counts, no sort) against Python's sort of the texts and against
    ``digit_order`` (a sort); empty, one number, ties of prefixes, 18 digits."""
    values = np.array(sorted(numbers), np.int64)
    ranks = csvtext.text_ranks(values)
    by_text = sorted(numbers, key=str)
    assert ranks.dtype == np.int64
    assert ranks.tolist() == [by_text.index(v) for v in values.tolist()]
    assert values[_digit_order(values)].tolist() == by_text


@settings(max_examples=400, deadline=None)
@given(
    st.sets(_AROUND_POWERS | st.integers(0, 130), min_size=1, max_size=40),
    st.integers(0, 3),
)
def test_dense_text_ranks_rank_numbers_as_their_texts_sort(numbers: set[int], low: int) -> None:
    """``dense_text_ranks`` (running counts of the range) against Python's sort of the
    texts and against ``text_ranks``: one number, ties of prefixes, 0, 18 digits, the
    range starting below, at or above the smallest number."""
    values = np.array(sorted(numbers), np.int64)
    lo = max(int(values[0]) - low, 0)
    if int(values[-1]) - lo > 10**6:  # a range too wide for a table: slide a window
        values = values[values - lo <= 10**6]
    present = np.zeros(int(values[-1]) - lo + 1 + low, np.bool_)
    present[values - lo] = True
    ranks = csvtext.dense_text_ranks(present, lo, values)
    by_text = sorted(values.tolist(), key=str)
    assert ranks.dtype == np.int64
    assert ranks.tolist() == [by_text.index(v) for v in values.tolist()]
    assert ranks.tolist() == csvtext.text_ranks(values).tolist()


@settings(max_examples=300, deadline=None)
@given(
    st.integers(0, 17).flatmap(lambda k: st.integers(max(10**k - 1500, 0), 10**k + 10)),
    st.integers(1, 3000),
    st.sets(st.integers(0, 2999), max_size=60),
    st.integers(0, 2),
)
def test_dense_text_ranks_of_runs_across_powers(
    start: int, run: int, holes: set[int], low: int
) -> None:
    """``dense_text_ranks`` of ids counted up across one or more powers of ten (many
    numbers share a prefix: the counts over prefixes are summed once per distinct
    prefix and spread), with or without holes (the whole range held: no running
    sum), the range starting at or below the first id: Python's sort of the texts."""
    numbers = [start + i for i in range(run) if i not in holes or i == 0]
    values = np.array(numbers, np.int64)
    lo = max(numbers[0] - low, 0)
    present = np.zeros(numbers[-1] - lo + 1, np.bool_)
    present[values - lo] = True
    rank_of = {v: r for r, v in enumerate(sorted(numbers, key=str))}
    ranks = csvtext.dense_text_ranks(present, lo, values)
    assert ranks.dtype == np.int64
    assert ranks.tolist() == [rank_of[v] for v in numbers]


def test_dense_text_ranks_worked_example() -> None:
    values = np.array([0, 9, 12, 13, 100, 120, 121], np.int64)
    present = np.zeros(122, np.bool_)
    present[values] = True
    # As text: '0' < '100' < '12' < '120' < '121' < '13' < '9'.
    assert csvtext.dense_text_ranks(present, 0, values).tolist() == [0, 6, 2, 5, 1, 3, 4]


def test_text_ranks_worked_example() -> None:
    values = np.array([0, 9, 12, 13, 100, 120, 121], np.int64)
    # As text: '0' < '100' < '12' < '120' < '121' < '13' < '9'.
    assert csvtext.text_ranks(values).tolist() == [0, 6, 2, 5, 1, 3, 4]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        _ID | st.text("0123456789", min_size=16, max_size=19) | st.sampled_from(["1\0", "0"]),
        min_size=1,
        max_size=12,
    )
)
def test_digit_matrix_reads_what_digit_ids_reads(values: list[str]) -> None:
    """The byte-matrix reader of a plain batch's ids (cells padded with NUL bytes to the
    longest, one width or mixed) against the cell reader: the same numbers or ``None``."""
    raw = [v.encode() for v in values]
    width = max(map(len, raw))
    cells = np.zeros((len(raw), width), np.uint8)
    for i, r in enumerate(raw):
        cells[i, : len(r)] = np.frombuffer(r, np.uint8)
    sizes = np.array(list(map(len, raw)), np.int64)
    got = csvtext.digit_matrix(cells, sizes)
    want = csvtext.digit_ids(values)
    if want is None or width > 18:
        assert got is None
    else:
        assert got is not None
        assert got.tolist() == want.tolist() == [int(v) for v in values]


def test_digit_ids_refuse_leading_zeros_and_blanks() -> None:
    assert csvtext.digit_ids(["007", "7"]) is None
    assert csvtext.digit_ids(["1", ""]) is None
    got = csvtext.digit_ids(["0", "12", "120", "9"])
    assert got is not None
    order = _digit_order(got)
    assert got[order].tolist() == [0, 12, 120, 9]  # '0' < '12' < '120' < '9'


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["a", " a", "b ", "", "  ", "Zoë", "A"]), max_size=12))
def test_text_coder_ranks_as_np_unique(values: list[str]) -> None:
    coder = csvtext.TextCoder("(unassigned)")
    for part in (values[:3], values[3:]):
        coder.add(part)
    codes, table = coder.finish()
    want_table, want = np.unique(
        np.array([v.strip() or "(unassigned)" for v in values] or ["x"], dtype=str),
        return_inverse=True,
    )
    if values:
        assert table.tolist() == want_table.tolist()
        assert codes.tolist() == want.reshape(-1).tolist()


_CELL = st.sampled_from(
    ["a", "b c", "", " ", "é", '"q"', '"a,b"', "x\ry", "1", "nine byte", "éééé"]
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.lists(_CELL, min_size=1, max_size=4), min_size=1, max_size=8),
    st.sampled_from(["\n", "\r\n", "\r"]),
    st.booleans(),
    st.integers(1, 9),
)
def test_split_cuts_lines_as_csv_reader(
    rows: list[list[str]], end: str, final: bool, take: int
) -> None:
    text = end.join(",".join(r) for r in rows) + (end if final else "")
    width = max(len(r) for r in rows)
    got = _csvplain.split_plain(text, take, width, ",", {str(j): j for j in range(width)}, 1000)
    if got is None:
        return
    cells, rest = got
    parsed = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    assert all(len(r) == width for r in parsed[:take])
    columns = [cells[str(j)] for j in range(width)]
    assert [list(c) for c in zip(*columns, strict=True)] == parsed[:take]
    for j in range(width):  # the same cells as bytes
        got_bytes = cells.column_bytes(str(j), 1000)
        assert got_bytes is not None
        padded, sizes = got_bytes
        texts = [bytes(r[:k]).decode() for r, k in zip(padded, sizes.tolist(), strict=True)]
        assert texts == columns[j]
        keys = cells.column_keys(str(j))  # and as 8-byte keys, for cells that short
        if max(len(c.encode()) for c in columns[j]) <= 8:
            assert keys is not None
            distinct, inverse = csvtext.distinct_keys(keys)
            assert [distinct[k] for k in inverse.tolist()] == columns[j]
        else:
            assert keys is None
    assert list(csv.reader(io.StringIO(rest, newline=""))) == parsed[take:]


# -- end to end: fast paths on and off -------------------------------------------------------
def _slow(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every fast path off: csv.reader and the cell-by-cell converters alone."""
    monkeypatch.setattr(_csvio, "split_plain", lambda *a: None)
    monkeypatch.setattr(csvtext, "iso_fixed", lambda v: None)
    monkeypatch.setattr(csvtext, "digit_ids", lambda v: None)
    monkeypatch.setattr(csvtext, "text_floats", lambda v: None)
    monkeypatch.setattr(csvload, "_known_labels", lambda c, n, p: None)
    from salesfunnel.deals import columns

    monkeypatch.setattr(columns, "iso_fixed", lambda v: None)


def _both(path: Path, monkeypatch: pytest.MonkeyPatch, **kwargs: Any) -> tuple[Any, Any]:
    def deals() -> Any:
        return outcome(
            lambda: DealLog.from_csv(
                path, P, owner="owner", amount="amount", engine="python", **kwargs
            )
        )

    fast = deals()
    with monkeypatch.context() as m:
        _slow(m)
        slow = deals()
    return fast, slow


_BODY_CELL = st.sampled_from(
    [
        "1",
        "10",
        "9",
        "007",
        "A",
        " B",
        "Call",
        "Won",
        " Offer ",
        "Demo",
        "",
        " ",
        "2024-01-01",
        "2024-01-02T10:00:00",
        "2024-01-02 10:00:00",
        "2024-02-30",
        "2024-01-02T10:00:00+01:00",
        "1.5",
        "-1",
        "nan",
        "+nan",
        "1,5",
        '"q"',
        "é",
    ]
)


def _rows() -> st.SearchStrategy[list[list[str]]]:
    plain = st.tuples(
        st.sampled_from(["1", "2", "10", "123", "A", "b"]),
        st.sampled_from(["Call", "Offer", "Won", "Lost"]),
        st.sampled_from(["2024-01-01T09:00:00", "2024-03-02T10:30:00", "2023-12-31T23:59:59"]),
        st.sampled_from(["ann", "bob", ""]),
        st.sampled_from(["1", "2.5", ""]),
    ).map(list)
    odd = st.lists(_BODY_CELL, min_size=4, max_size=6)
    return st.lists(plain | plain | plain | odd, max_size=14)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=_rows(), end=st.sampled_from(["\n", "\r\n"]), batch=st.integers(1, 5))
def test_fast_paths_change_no_log_and_no_error(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    rows: list[list[str]],
    end: str,
    batch: int,
) -> None:
    """Mostly plain rows with awkward ones mixed in, read in batches of a few rows."""
    path = tmp_path / "f.csv"
    path.write_bytes((H + end.join(",".join(r) for r in rows) + end).encode())
    with monkeypatch.context() as m:
        m.setattr(_csvio, "_BATCH", batch)
        fast, slow = _both(path, m)
    assert fast == slow


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=_rows(), batch=st.integers(1, 4), drop=st.booleans())
def test_fast_paths_agree_with_drop_unknown_and_events(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: list[list[str]], batch: int, drop: bool
) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes((H + "\n".join(",".join(r) for r in rows) + "\n").encode())
    with monkeypatch.context() as m:
        m.setattr(_csvio, "_BATCH", batch)
        fast, slow = _both(path, m, drop_unknown=drop)
        assert fast == slow

        def events() -> Any:
            return outcome(
                lambda: EventLog.from_csv(path, entity="deal", event="stage", engine="python")
            )

        got = events()
        _slow(m)
        assert events() == got


def test_a_file_of_many_batches_worked_example(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Digit ids turn to text ids in the third batch; a quoted cell sends one batch to csv."""
    path = tmp_path / "f.csv"
    body = [
        "9,Call,2024-01-01T09:00:00,ann,1",
        "10,Offer,2024-01-02T09:00:00,bob,2",
        '12,Won,2024-01-03T09:00:00,"ann",3',
        "9,Offer,2024-01-04T09:00:00,,4",
        "X7,Call,2024-01-05T09:00:00,bob,",
        "10,Lost,2024-01-06T09:00:00,ann,6",
    ]
    path.write_text(H + "\n".join(body) + "\n")
    monkeypatch.setattr(_csvio, "_BATCH", 2)
    log = DealLog.from_csv(path, P, owner="owner", amount="amount", engine="python")
    assert log.deal_ids.tolist() == ["10", "12", "9", "X7"]  # sorted as text
    assert log.deal.tolist() == [2, 0, 1, 2, 3, 0]
    assert log.owners == ("(unassigned)", "ann", "bob")
    assert log.owner is not None
    assert log.owner.tolist() == [1, 2, 1, 0, 2, 1]
    assert log.time.astype(np.int64).tolist()[:2] == [1704099600, 1704186000]
    fast, slow = _both(path, monkeypatch)
    assert fast == slow


def test_an_error_after_plain_batches_is_located_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "f.csv"
    rows = [f"{i},Call,2024-01-01T09:00:00,ann,1" for i in range(7)]
    rows.insert(5, "5,Call,2024-01-01T09:00:00,ann,1,extra")
    path.write_text(H + "\n".join(rows) + "\n")
    monkeypatch.setattr(_csvio, "_BATCH", 2)
    with pytest.raises(FunnelDataError) as caught:
        DealLog.from_csv(path, P, owner="owner", amount="amount", engine="python")
    assert caught.value.line == 7
    assert "6 cells in a row under a header of 5" in str(caught.value)
    fast, slow = _both(path, monkeypatch)
    assert fast == slow


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(0, 10**6) | st.integers(0, 40) | _AROUND_POWERS, max_size=30),
    st.booleans(),
)
def test_number_text_codes_rank_the_ids_as_np_unique_of_their_texts(
    values: list[int], sort: bool
) -> None:
    """Dense and sparse numbers (marked in a table, or sorted), empty and one id, 18
    digits: codes and table are ``np.unique`` of the texts; without ``sort`` a sparse
    column is left untouched."""
    numbers = np.array(values, np.int64)
    texts = np.array([str(v) for v in values], dtype=str)
    want, want_codes = np.unique(texts, return_inverse=True)
    table = csvtext.number_text_codes(numbers, sort=sort)
    if table is None:
        assert not sort
        assert max(values) - min(values) > 8 * len(values) + 1024
        assert numbers.tolist() == values
        return
    assert [str(v) for v in table.tolist()] == want.tolist()
    assert numbers.dtype == np.int64
    assert numbers.tolist() == want_codes.reshape(-1).tolist()


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, 1000),
    st.integers(0, 150),
    st.lists(st.integers(0, 300) | st.integers(990, 1010), max_size=30),
)
def test_number_text_codes_in_slices_and_dense_ranks(
    start: int, run: int, extra: list[int]
) -> None:
    """Rows looked up a few at a time (the slices made tiny), most of the range held
    (a run of ids counted up: running counts) or not (binary searches), one row, one
    id repeated: codes and table are ``np.unique`` of the texts."""
    values = extra + list(range(start + run, start, -1)) + extra[:3]
    if not values:
        return
    numbers = np.array(values, np.int64)
    want, want_codes = np.unique(np.array([str(v) for v in values]), return_inverse=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(csvtext, "_SLICE", 3)
        table = csvtext.number_text_codes(numbers)
    assert table is not None
    assert [str(v) for v in table.tolist()] == want.tolist()
    assert numbers.tolist() == want_codes.reshape(-1).tolist()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(["", "a", "ann", " bob", "Zoë", "x" * 9, "x" * 8, "é" * 5, "M1", "M10"]),
        min_size=1,
        max_size=80,
    )
)
def test_distinct_cells_is_np_unique_of_the_texts(values: list[str]) -> None:
    encoded = [v.encode() for v in values]
    wide = max(map(len, encoded))
    cells = np.zeros((len(values), wide), np.uint8)
    for i, e in enumerate(encoded):
        cells[i, : len(e)] = np.frombuffer(e, np.uint8)
    texts, inverse = csvtext.distinct_cells(cells)
    assert sorted(set(values)) == sorted(texts)
    assert len(texts) == len(set(values))
    assert [texts[k] for k in inverse.tolist()] == values


@settings(max_examples=150, deadline=None)
@given(st.lists(_ID | _STAMP, min_size=1, max_size=8))
def test_column_converters_of_text_agree_with_their_slow_paths(values: list[str]) -> None:
    """``dense_ids`` and ``times`` of object arrays of text (EventLog's CSV path, from_records)."""
    from salesfunnel._csvio import IN_MEMORY
    from salesfunnel._time import TimeParser
    from salesfunnel.deals import columns, denseids

    def both(convert: Any) -> tuple[Any, Any]:
        out = []
        for fast in (True, False):
            with pytest.MonkeyPatch.context() as m:
                if not fast:
                    m.setattr(columns, "iso_fixed", lambda v: None)
                    m.setattr(denseids, "digit_ids", lambda v: None)
                parser = TimeParser()
                got = _outcome_of(lambda parser=parser: convert(parser))
                out.append((*got, parser.first_aware))
        return out[0], out[1]

    arr = np.array(values, dtype=object)
    fast, slow = both(lambda parser: denseids.dense_ids(arr, "deal", IN_MEMORY))
    assert fast == slow
    fast, slow = both(lambda parser: columns.times(arr, "time", IN_MEMORY, parser))
    assert fast == slow


def _outcome_of(call: Any) -> tuple[Any, ...]:
    try:
        got = call()
    except FunnelDataError as exc:
        return ("error", str(exc))
    if isinstance(got, tuple):
        return tuple(v.tolist() if isinstance(v, np.ndarray) else v for v in got)
    return (got.dtype.str, got.tolist())


def test_a_plain_batch_with_every_row_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """drop_unknown drops a whole plain batch: the next batch's rows are the log (found by
    hypothesis: the byte readers were handed zero rows)."""
    path = tmp_path / "f.csv"
    path.write_text(H + "1,Demo,2024-01-01T09:00:00,ann,1\n2,Call,2024-01-02T09:00:00,bob,2\n")
    monkeypatch.setattr(_csvio, "_BATCH", 1)
    log = DealLog.from_csv(
        path, P, owner="owner", amount="amount", engine="python", drop_unknown=True
    )
    assert log.deal_ids.tolist() == ["2"]
    assert log.dropped == 1
    assert log.owners == ("bob",)
    fast, slow = _both(path, monkeypatch, drop_unknown=True)
    assert fast == slow


@settings(max_examples=150, deadline=None)
@given(
    pool=st.lists(st.integers(0, 2**64 - 1), min_size=1, max_size=40, unique=True),
    head=st.integers(0, 600),
    tail=st.lists(st.integers(0, 39), max_size=60),
    many=st.integers(0, 3000),
)
def test_hashed_unique_is_np_unique(pool: list[int], head: int, tail: list[int], many: int) -> None:
    """``csvtext._unique`` (a hash into the distinct keys of the first rows, grown by the
    keys it misses) is ``np.unique``: values first seen after the first rows, a column
    of many distinct values (the sort), keys at the extremes of ``uint64``."""
    late = [pool[i % len(pool)] for i in tail]  # some only here, after `head` rows
    keys = [pool[0]] * head + late + list(range(many))
    if not keys:
        keys = pool
    arr = np.array(keys, np.uint64)
    few, place = csvtext._unique(arr)
    want, inverse = np.unique(arr, return_inverse=True)
    assert few.tolist() == want.tolist()
    assert place.tolist() == inverse.reshape(-1).tolist()


def test_hashed_unique_worked_example() -> None:
    # 300 rows of one owner, then two owners the first rows never show.
    keys = np.array([7] * 300 + [9, 3, 9], np.uint64)
    few, place = csvtext._unique(keys)
    assert few.tolist() == [3, 7, 9]
    assert place.tolist() == [1] * 300 + [2, 0, 2]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.integers(0, 10**17), min_size=1, max_size=30, unique=True),
    st.lists(st.integers(0, 29), max_size=20),
)
def test_a_number_table_reads_as_the_table_of_its_texts(numbers: list[int], at: list[int]) -> None:
    """``csvtext.NumberTable`` (plain number ids kept as numbers) gives the strings, the
    codes' ids and subsets that the object array of the ids' texts gives, and a log
    holding one reads as a log holding that array."""
    from salesfunnel.deals.columns import fields_of

    values = np.array(sorted(numbers, key=str), np.int64)
    texts = np.array([str(v) for v in values.tolist()], dtype=object)
    table = csvtext.NumberTable(values)
    index = np.array([i % len(values) for i in at], np.int64)
    assert len(table) == len(texts)
    assert table.to_numpy().dtype == object
    assert table.to_numpy().tolist() == texts.tolist()
    assert table[index].tolist() == texts[index].tolist()
    assert table.subset(index).to_numpy().tolist() == texts[index].tolist()
    mask = np.arange(len(values)) % 2 == 0
    assert table[mask].tolist() == texts[mask].tolist()
    deal = np.arange(len(values), dtype=np.int64)
    stamps = np.zeros(len(values), "datetime64[s]")
    logs = [
        DealLog(
            **fields_of(
                P, np.zeros(len(values), np.int8), deal.copy(), t, 0, stamps, None, (), None, 0
            )
        )
        for t in (table, texts)
    ]
    assert logs[0].deal_ids.tolist() == logs[1].deal_ids.tolist() == texts.tolist()
    assert logs[0].ids_of(index).tolist() == logs[1].ids_of(index).tolist()
    assert logs[0].deal_ids.flags.writeable is False

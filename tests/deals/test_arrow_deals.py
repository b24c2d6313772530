"""``DealLog.from_csv``'s pyarrow path (``deals/arrowdeals.py``) against the pure reader.

The labels, times and owners are filled chunk by chunk (on either thread) into
arrays of their own; the check for over-long cells is one more fill. Each
file here is read by both engines, the fast path is checked to have read it
itself (it stands aside silently otherwise), and the logs must be equal field
by field, dtypes included.
"""

from __future__ import annotations

import mmap
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from csv_helpers import outcome
from salesfunnel import DealLog, Pipeline, _arrays
from salesfunnel._csvio import FIELD_LIMIT, open_csv
from salesfunnel.deals import arrowcsv
from salesfunnel.deals.arrowcsv import Unfit
from salesfunnel.deals.arrowdeals import arrow_fields
from salesfunnel.deals.columns import Columns

pytest.importorskip("pyarrow")

P = Pipeline(["Call", "Offer"], won="Won", lost="Lost")
_BASE = np.datetime64("2024-01-01T00:00:00")


def _write(path: Path, rows: list[tuple[str, str, int, str]]) -> None:
    lines = [f"{d},{s},{_BASE + np.timedelta64(t, 's')},{o}" for d, s, t, o in rows]
    path.write_text("deal,stage,time,owner\n" + "\n".join(lines) + "\n", encoding="utf-8")


def _read_by_arrow(path: Path, **kwargs: Any) -> bool:
    """Whether the fast path reads ``path`` itself (no hand-over to the pure reader)."""
    spec = Columns.of({"owner": "owner", **kwargs})
    with open_csv(path) as file:
        try:
            arrow_fields(file, P, spec, ",")
        except Unfit:
            return False
    return True


def _owner(array: np.ndarray) -> object:
    """What holds ``array``'s memory (a map, or ``None`` for numpy's own)."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    base = array.base
    return base.obj if isinstance(base, memoryview) else base


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.tuples(
            st.one_of(st.integers(0, 400).map(str), st.sampled_from(["A", "b", "Ä-1", "z9"])),
            st.sampled_from(["Call", "Offer", "Won", "Lost", " Call", "Won "]),
            st.integers(0, 10**7),
            st.sampled_from(["ann", " bob", "", "Zoë", "c", "ann "]),
        ),
        min_size=1,
        max_size=90,
    ),
    block=st.sampled_from([64, 96, 1 << 24]),
    small=st.booleans(),
    unknown=st.lists(st.integers(0, 89), max_size=4),
)
@example(
    rows=[("1", "Call", 0, "a"), ("2", "Won", 5, "")], block=64, small=True, unknown=[1]
)  # the last row dropped: a chunk of no row kept
def test_the_fast_path_reads_as_the_pure_reader(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    rows: list[tuple[str, str, int, str]],
    block: int,
    small: bool,
    unknown: list[int],
) -> None:
    """Files cut in blocks of a few rows (a chunk of every column each), results in
    small pages or not, some labels unknown (rows dropped with ``drop_unknown``): the
    fast path reads each file itself and gives the pure reader's log."""
    monkeypatch.setattr(arrowcsv, "_BLOCK", block)
    if small:
        monkeypatch.setattr(_arrays, "_SMALL_PAGES", 1)
    rows = [(d, "Demo" if i in unknown else s, t, o) for i, (d, s, t, o) in enumerate(rows)]
    drop = any(s == "Demo" for _, s, _, _ in rows)
    if drop and all(s == "Demo" for _, s, _, _ in rows):
        rows.append(("1", "Call", 0, "x"))  # a row kept: else the pure reader's empty log
    path = tmp_path / "deals.csv"
    _write(path, rows)
    kwargs: dict[str, Any] = {"drop_unknown": True} if drop else {}
    assert _read_by_arrow(path, **kwargs)
    fast, pure = (
        outcome(lambda e=e: DealLog.from_csv(path, P, owner="owner", engine=e, **kwargs))
        for e in ("arrow", "python")
    )
    assert fast == pure
    assert fast[0] == "log"
    if small and not drop:
        log = DealLog.from_csv(path, P, owner="owner", engine="arrow")
        assert isinstance(_owner(log.code), mmap.mmap)  # filled, not numpy's own
        assert isinstance(_owner(log.owner), mmap.mmap)
        expected = [P.labels.index(s.strip()) for _, s, _, _ in rows]
        assert log.code.tolist() == expected


@pytest.mark.parametrize(
    ("column", "drop"), [(0, False), (3, False), (1, True)], ids=["deal", "owner", "dropped"]
)
def test_an_over_long_cell_of_a_deal_log_of_only_its_columns(
    tmp_path: Path, column: int, drop: bool
) -> None:
    """Every column of the file read (no line scan then): a cell longer than the pure
    reader's limit, in an id, an owner, or a label of a row that ``drop_unknown`` would
    drop, makes the fast path stand aside, and both engines give one error."""
    cells = ["7", "Call", "2024-01-01T10:00:00", "ann"]
    cells[column] = "x" * (FIELD_LIMIT + 1)
    path = tmp_path / "long.csv"
    path.write_text(f"deal,stage,time,owner\n8,Call,2024-01-01T09:00:00,bob\n{','.join(cells)}\n")
    kwargs = {"drop_unknown": drop}
    assert not _read_by_arrow(path, **kwargs)
    outcomes = [
        outcome(lambda e=e: DealLog.from_csv(path, P, owner="owner", engine=e, **kwargs))
        for e in ("arrow", "python")
    ]
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0] == "error"
    assert "line 3" in outcomes[0][1]


_IDS = st.one_of(
    st.integers(0, 60),  # most of a small range held: counts of the range
    st.integers(0, 3000),  # a range mostly empty: binary searches
    st.integers(0, 10**12),  # sparse: sorted
).map(str)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    ids=st.lists(_IDS, min_size=1, max_size=120),
    prefix=st.sampled_from(["", "D", "é-"]),
    cuts=st.lists(st.integers(0, 120), max_size=3),
    step=st.integers(1, 7),
    small=st.booleans(),
)
@example(ids=["7", "70", "700", "8", "69"], prefix="", cuts=[2], step=1, small=True)
def test_ids_ranked_by_slot_match_the_whole_column_codes(
    monkeypatch: pytest.MonkeyPatch,
    ids: list[str],
    prefix: str,
    cuts: list[int],
    step: int,
    small: bool,
) -> None:
    """``dealids.prepare`` and its fills (slices of 1 to 7 rows, run in any order) code
    the ids as ``sorted_text_codes(column, lazy=True)`` does: the same codes, the same
    table of ids; compact ranges go by slot, sparse ones are sorted. With ``small`` the
    table of slots is a map, its pages faulted in by a helper thread meanwhile."""
    import pyarrow as pa

    from salesfunnel.deals import dealids
    from salesfunnel.deals.arrowcsv import sorted_text_codes

    monkeypatch.setattr(dealids, "_SLICE", step)
    monkeypatch.setattr(_arrays, "_SMALL_PAGES", 1 if small else 1 << 22)
    populated: list[int] = []
    populate = dealids._populate
    monkeypatch.setattr(dealids, "_populate", lambda m: (populated.append(len(m)), populate(m)))
    texts = [prefix + i for i in ids]
    bounds = sorted({min(c, len(texts)) for c in cuts})
    parts = [texts[a:b] for a, b in zip([0, *bounds], [*bounds, len(texts)], strict=True)]
    column = pa.chunked_array([pa.array(p, pa.string()) for p in parts], pa.string())
    codes, table = sorted_text_codes(column, lazy=True) or (None, None)
    assert codes is not None
    got = dealids.prepare(column)
    numbers = [int(i) for i in ids]
    compact = max(numbers) - min(numbers) <= 8 * len(numbers) + 1024
    assert isinstance(got, dealids.Prepared) == (compact and 4 * len(set(ids)) > len(ids))
    if isinstance(got, dealids.Prepared):
        assert len(populated) == (small and sys.platform.startswith("linux"))
        for fill in reversed(got.fills()):
            fill()
        got = got.codes()
    assert got is not None
    assert got[0].dtype == np.int64
    assert got[0].tolist() == codes.tolist()
    assert got[1].to_numpy().tolist() == table.to_numpy().tolist() == sorted(set(texts))


@pytest.mark.parametrize("drop", [False, True])
def test_an_unknown_label_no_row_has_drops_nothing(drop: bool) -> None:
    """A dictionary entry the pipeline does not know, which no row uses, neither makes
    the fast path stand aside nor drops a row: the rows' codes, the table as it was."""
    import pyarrow as pa

    from salesfunnel.deals.arrowcsv import run_fills
    from salesfunnel.deals.arrowdeals import _label_codes

    stage = pa.DictionaryArray.from_arrays(pa.array([0, 2, 0], pa.int32()), ["Call", "Demo", "Won"])
    table = pa.table({"deal": ["a", "b", "c"], "stage": stage})
    fills: list[Any] = []
    codes, kept = _label_codes(table, Columns(drop_unknown=drop), P, fills)
    run_fills(fills)
    assert codes.dtype == np.int8
    assert codes.tolist() == [0, 2, 0]
    assert kept is table

"""``DealLog.from_csv``'s pyarrow path (``deals/arrowdeals.py``) against the pure reader.

The labels, times and owners are filled chunk by chunk (on either thread) into
arrays of their own; the check for over-long cells is one more fill. Each
file here is read by both engines, the fast path is checked to have read it
itself (it stands aside silently otherwise), and the logs must be equal field
by field, dtypes included.
"""

from __future__ import annotations

import mmap
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from csv_helpers import outcome
from salesfunnel import DealLog, Pipeline
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
        monkeypatch.setattr(arrowcsv, "_SMALL_PAGES", 1)
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

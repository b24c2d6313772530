"""A log never shares memory its caller may still write (``_arrays.private``).

The loaders keep a column as it is where no conversion is needed (integer ids,
``datetime64[s]`` times, dense owner codes). They used to keep the caller's own
array: writing to it afterwards (``times[:] = ...`` on numpy arrays, or
``df.loc[0, "deal"] = 9`` on a pandas 2 DataFrame, whose columns are views of its
blocks) silently changed a log built earlier, and its cached facts with it. Arrow
memory is immutable, so Arrow columns are still kept without a copy.
"""

from __future__ import annotations

import json
import mmap

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from salesfunnel import DealLog, EventLog, Pipeline, _arrays, closed_funnel
from salesfunnel._arrays import private

P = Pipeline(["Lead", "Offer"], won="Won", lost="Lost")
LABELS = np.array(["Lead", "Offer", "Won", "Lost"])


def _columns(deals: list[tuple[int, int, int, int]]) -> dict[str, np.ndarray]:
    """``(deal, label index, day, owner)`` rows as numpy columns of the kept kinds."""
    return {
        "deal": np.array([d for d, *_ in deals], dtype=np.int64),
        "stage": LABELS[[s for _, s, _, _ in deals]],
        "time": np.array([np.datetime64("2024-01-01", "s") + 86_400 * t for *_, t, _ in deals]),
        "owner": np.array([o for *_, o in deals], dtype=np.int32),
    }


def _scribble(columns: dict[str, np.ndarray]) -> None:
    """Write over every kept column in place, as a caller may after building a log."""
    columns["deal"][:] = 999
    columns["time"][:] = np.datetime64("2030-01-01", "s")
    columns["owner"][:] = 0


rows = st.lists(
    st.tuples(st.integers(0, 5), st.integers(0, 3), st.integers(0, 30), st.integers(0, 2)),
    min_size=1,
    max_size=20,
)


@settings(max_examples=50, deadline=None)
@given(rows)
def test_writing_the_callers_numpy_columns_changes_no_log(
    deals: list[tuple[int, int, int, int]],
) -> None:
    columns = _columns(deals)
    log = DealLog.from_columns(columns, P, owner="owner")
    before = (log.deal.tolist(), log.time.tolist(), log.owner.tolist(),
              closed_funnel(log).to_json())  # fmt: skip
    _scribble(columns)
    assert (log.deal.tolist(), log.time.tolist(), log.owner.tolist(),
            closed_funnel(log).to_json()) == before  # fmt: skip


def test_writing_a_pandas_frame_changes_no_log() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(_columns([(1, 0, 0, 0), (1, 2, 3, 0), (2, 0, 1, 1), (2, 3, 2, 1)]))
    log = DealLog.from_pandas(frame, P, owner="owner")
    events = EventLog.from_pandas(frame, entity="deal", event="stage", time="time")
    frame.loc[0, "deal"] = 9
    frame.loc[0, "time"] = pd.Timestamp("2031-01-01")
    frame.loc[0, "owner"] = 1
    assert log.deal.tolist() == [1, 1, 2, 2]
    assert str(log.time[0]) == "2024-01-01T00:00:00"
    assert log.owner.tolist() == [0, 0, 1, 1]
    assert events.entity.tolist() == [1, 1, 2, 2]
    assert str(events.time[0]) == "2024-01-01T00:00:00"
    assert json.loads(closed_funnel(log).to_json())["won"] == 1


def test_writing_the_callers_columns_changes_no_event_log() -> None:
    entity = np.array([7, 7, 9])
    time = np.array(["2024-01-01", "2024-01-02", "2024-01-03"], dtype="datetime64[s]")
    log = EventLog.from_columns({"entity": entity, "event": ["view", "buy", "view"], "time": time})
    entity[:] = 5
    time[:] = np.datetime64("2030-01-01", "s")
    assert log.entity.tolist() == [7, 7, 9]
    assert str(log.time[2]) == "2024-01-03T00:00:00"


def test_arrow_columns_are_still_kept_without_a_copy() -> None:
    pa = pytest.importorskip("pyarrow")
    table = pa.table(_columns([(1, 0, 0, 0), (1, 2, 3, 0), (2, 0, 1, 1)]))
    log = DealLog.from_arrow(table, P, owner="owner")
    deal = table.column("deal").to_numpy()
    assert np.shares_memory(log.deal, deal)  # immutable Arrow memory: no copy needed


def test_private_copies_only_writable_shared_memory() -> None:
    own = np.arange(4)
    assert private(own, own) is not own
    assert private(own, own).tolist() == [0, 1, 2, 3]
    view = own.view()
    view.flags.writeable = False  # read-only, but its base is not: still copied
    assert not np.shares_memory(private(view, own), own)
    frozen = np.arange(4)
    frozen.flags.writeable = False  # owns its memory, read-only: kept
    assert private(frozen, frozen) is frozen
    fresh = np.arange(4)
    assert private(fresh, np.arange(4)) is fresh  # no memory shared: kept


@settings(max_examples=50, deadline=None)
@given(rows)
def test_copies_in_small_pages_hold_the_columns(deals: list[tuple[int, int, int, int]]) -> None:
    """Every copy made a map of its own (``fresh_array``): the same log, memory unshared."""
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(_columns(deals))
    expected = DealLog.from_pandas(frame, P, owner="owner")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_arrays, "_SMALL_PAGES", 1)
        patch.setattr(_arrays, "_HALVES", 1)  # every copy in two halves at once
        patch.setattr(_arrays, "CORES", 2)
        log = DealLog.from_pandas(frame, P, owner="owner")
        own = frame["deal"].to_numpy()
        copied = private(own, own)
        base = copied.base.obj if isinstance(copied.base, memoryview) else copied.base
        assert isinstance(base, mmap.mmap)  # a map of its own
    assert copied.dtype == own.dtype
    assert copied.tolist() == own.tolist()
    for name in ("deal", "code", "time", "owner"):
        ours, theirs = getattr(log, name), getattr(expected, name)
        assert (ours.dtype, ours.tolist()) == (theirs.dtype, theirs.tolist())
        assert not np.shares_memory(ours, frame[name if name != "code" else "stage"].to_numpy())
    assert closed_funnel(log).to_json() == closed_funnel(expected).to_json()


@settings(max_examples=60, deadline=None)
@given(
    st.integers(min_value=0, max_value=301),
    st.sampled_from(["int8", "int16", "int64", "float64", "datetime64[s]", "bool"]),
    st.integers(min_value=0, max_value=2**32 - 1),
)
def test_a_copy_in_halves_is_the_column(n: int, dtype: str, seed: int) -> None:
    """``copy_into`` in two halves (odd lengths, 0 and 1 items too) gives every item."""
    rng = np.random.default_rng(seed)
    arr = rng.integers(-(2**40), 2**40, n).astype(np.int64).view("M8[s]" if "M8" in dtype else "i8")
    arr = arr.astype(dtype)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_arrays, "_HALVES", 1)
        patch.setattr(_arrays, "CORES", 2)
        fresh = np.empty_like(arr)
        _arrays.copy_into(fresh, arr)
    assert fresh.tobytes() == arr.tobytes()


def test_integer_stage_codes_and_dense_owner_codes_are_not_shared() -> None:
    code = np.array([0, 2, 0, 3], dtype=np.int8)  # codes into P.labels: Lead, Won, Lead, Lost
    owner = np.array([0, 1, 0, 1], dtype=np.int64)  # dense, but 8 bytes: the general path
    cols = {"deal": np.array([1, 1, 2, 2]), "stage": code, "owner": owner,
            "time": np.array(["2024-01-01", "2024-01-02"] * 2, dtype="datetime64[s]")}  # fmt: skip
    log = DealLog.from_columns(cols, P, owner="owner")
    code[:] = 1
    owner[:] = 0
    assert log.code.tolist() == [0, 2, 0, 3]
    assert log.owner.tolist() == [0, 1, 0, 1]
    assert (closed_funnel(log).won, closed_funnel(log).lost) == (1, 1)


def test_polars_columns_are_kept_without_a_copy_and_stay_unchanged() -> None:
    pl = pytest.importorskip("polars")
    cols = _columns([(1, 0, 0, 0), (1, 2, 3, 0), (2, 0, 1, 1)])
    frame = pl.DataFrame({**cols, "time": cols["time"].astype("datetime64[ms]")})
    log = DealLog.from_polars(frame, P, owner="owner")
    series = frame["deal"]
    assert np.shares_memory(log.deal, series.to_numpy())  # polars' own buffer, no copy
    series[0] = 9  # polars copies the shared buffer before writing it
    frame[0, "deal"] = 9
    assert log.deal.tolist() == [1, 1, 2]

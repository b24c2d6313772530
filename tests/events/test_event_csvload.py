"""The Arrow-to-numpy step of the CSV fast path (``arrowcsv.numpy_of``) and what it spares.

``numpy_of`` reads integers and zone-less timestamps from an Arrow column's
buffers instead of calling ``to_numpy``, which imports pandas on first use. The
property compares it with ``to_numpy`` on random chunked columns: several
chunks, empty ones, none, sliced chunks (an offset into the buffer), nulls
(then ``to_numpy`` itself), every integer width and two time units.
"""

from __future__ import annotations

import mmap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

pa = pytest.importorskip("pyarrow")

from salesfunnel import EventLog, _arrays  # noqa: E402
from salesfunnel.deals import arrowcsv  # noqa: E402
from salesfunnel.deals.arrowcsv import (  # noqa: E402
    Fill,
    dictionary_fills,
    dictionary_lookup,
    fresh_array,
    numpy_fills,
    numpy_of,
    run_fills,
)

from cli_helpers import run_python  # noqa: E402

_TYPES = {
    "int8": (-(2**7), 2**7 - 1),
    "int16": (-(2**15), 2**15 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1),
    "uint8": (0, 2**8 - 1),
    "uint32": (0, 2**32 - 1),
    "uint64": (0, 2**64 - 1),
    "timestamp[s]": (-(10**11), 10**11),
    "timestamp[ms]": (-(10**14), 10**14),
}


def _arrow_type(name: str) -> object:
    if name.startswith("timestamp"):
        return pa.timestamp(name[10:-1])
    return pa.type_for_alias(name)


@st.composite
def _columns(draw: st.DrawFn) -> object:
    name = draw(st.sampled_from(sorted(_TYPES)))
    lo, hi = _TYPES[name]
    cell = st.integers(lo, hi) | st.sampled_from([lo, hi, 0])
    nulls = draw(st.booleans())
    chunks = []
    cells = st.lists(cell | st.none() if nulls else cell, max_size=9)
    for values in draw(st.lists(cells, max_size=4)):
        chunk = pa.array(values, _arrow_type(name))
        start = draw(st.integers(0, len(values)))
        stop = draw(st.integers(start, len(values)))
        chunks.append(chunk.slice(start, stop - start))  # an offset into the buffers
    column = pa.chunked_array(chunks, _arrow_type(name))
    return column.chunk(0) if len(chunks) == 1 and draw(st.booleans()) else column


@settings(max_examples=300, deadline=None)
@given(_columns())
def test_numpy_of_is_to_numpy(column: object) -> None:
    expected = column.to_numpy(zero_copy_only=False)  # type: ignore[attr-defined]
    got = numpy_of(column)
    assert got.dtype == expected.dtype
    assert got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)  # NaN and NaT (nulls) equal themselves
    if expected.dtype.kind == "M":
        assert got.view(np.int64).tolist() == expected.view(np.int64).tolist()
    kept = expected.copy()  # ``expected`` may be a view of the column's buffer
    own = numpy_of(column, writable=True)
    np.testing.assert_array_equal(own, kept)
    assert own.flags.writeable
    assert own.dtype == kept.dtype
    if own.size:  # an array of its own: writing it leaves the column alone
        own[...] = own[0]
        np.testing.assert_array_equal(numpy_of(column), kept)


def _run_on_threads(fills: list[Fill], threads: int) -> None:
    """Run ``fills`` as the CSV path does: several threads draining one list."""
    with ThreadPoolExecutor(threads) as pool:
        for done in [pool.submit(run_fills, fills) for _ in range(threads)]:
            done.result()


@settings(max_examples=200, deadline=None)
@given(_columns(), st.integers(1, 3))
def test_numpy_fills_run_on_threads_give_numpy_of(column: object, threads: int) -> None:
    """``numpy_fills``: the result filled chunk by chunk, on one to three threads
    sharing the list, equals ``numpy_of`` (chunks empty, sliced, nulls, one chunk)."""
    out, fills = numpy_fills(column)
    _run_on_threads(fills, threads)
    assert fills == []
    expected = numpy_of(column)
    assert out.dtype == expected.dtype
    np.testing.assert_array_equal(out, expected)
    if expected.dtype.kind == "M":  # NaT too, bit for bit
        assert out.view(np.int64).tolist() == expected.view(np.int64).tolist()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(st.sampled_from(["a", " b", "b", "c ", "Zoë", ""]), max_size=12), max_size=5),
    st.integers(1, 3),
)
def test_dictionary_fills_run_on_threads_give_each_rows_value(
    chunks: list[list[str]], threads: int
) -> None:
    """``dictionary_fills`` of a chunked dictionary column (each chunk its own
    dictionary, unified first), filled on one to three threads sharing the list: each
    row's stripped value, as a plain loop gives it, and ``dictionary_lookup``'s."""
    kind = pa.dictionary(pa.int32(), pa.string())
    column = pa.chunked_array([pa.array(c, pa.string()).dictionary_encode() for c in chunks], kind)
    out, fills = dictionary_fills(column, lambda values: np.array(values, dtype=str))
    _run_on_threads(fills, threads)
    want = [v.strip() for c in chunks for v in c]
    assert out.tolist() == want
    assert dictionary_lookup(column, lambda values: np.array(values, dtype=str)).tolist() == want


def test_run_fills_runs_each_fill_once_across_threads() -> None:
    calls: list[int] = []
    fills: list[Fill] = [lambda i=i: calls.append(i) for i in range(5000)]
    _run_on_threads(fills, 4)
    assert sorted(calls) == list(range(5000))


@pytest.mark.parametrize("dtype", ["int16", "int64", "<U7", "datetime64[s]"])
@pytest.mark.parametrize("n", [0, 1, 7])
def test_fresh_arrays_in_small_pages(monkeypatch: pytest.MonkeyPatch, dtype: str, n: int) -> None:
    """``fresh_array`` made to map every result of a byte or more: the asked shape
    and type, writable, each its own memory."""
    monkeypatch.setattr(_arrays, "_SMALL_PAGES", 1)
    one, two = fresh_array(n, dtype), fresh_array(n, dtype)
    assert (one.shape, one.dtype, one.flags.writeable) == ((n,), np.dtype(dtype), True)
    values = np.arange(n).astype(dtype)
    one[:] = values
    two[:] = np.arange(n, 2 * n).astype(dtype)
    assert one.tolist() == values.tolist()
    assert isinstance(_owner(one), mmap.mmap) == (n > 0)


def test_an_event_log_read_into_small_pages_is_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every result of the fast path mapped (and the file cut in many blocks): the
    same log as the pure reader's, ids, events, times and property alike."""
    monkeypatch.setattr(_arrays, "_SMALL_PAGES", 1)
    monkeypatch.setattr(arrowcsv, "_BLOCK", 64)
    rows = [(i * 7 % 23, ["view", "cart", "buy"][i % 3], i * 3607, "ab"[i % 2]) for i in range(60)]
    path = tmp_path / "small.csv"
    base = np.datetime64("2024-01-01T00:00:00")
    text = "\n".join(f"{u},{e},{base + np.timedelta64(t, 's')},{d}" for u, e, t, d in rows)
    path.write_text("u,e,t,d\n" + text + "\n", encoding="utf-8")
    kw: dict[str, Any] = {"entity": "u", "event": "e", "time": "t", "properties": ["d"]}
    fast, pure = (EventLog.from_csv(path, engine=e, **kw) for e in ("arrow", "python"))
    for name in ("entity", "event", "time"):
        assert getattr(fast, name).tolist() == getattr(pure, name).tolist()
    assert fast.names == pure.names
    assert (
        fast.properties["d"].tolist()
        == pure.properties["d"].tolist()
        == ["ab"[i % 2] for i in range(60)]
    )
    assert fast.ids_of(fast.entity).tolist() == [str(u) for u, *_ in rows]
    assert isinstance(_owner(fast.properties["d"]), mmap.mmap)


def _owner(array: np.ndarray) -> object:
    """What holds ``array``'s memory (a map, or ``None`` for numpy's own)."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    base = array.base
    return base.obj if isinstance(base, memoryview) else base


def test_numpy_of_worked_example() -> None:
    sliced = pa.array([5, 6, 7, 8], pa.int32()).slice(1, 2)
    column = pa.chunked_array([sliced, pa.array([], pa.int32()), pa.array([9], pa.int32())])
    out = numpy_of(column)
    assert (out.dtype, out.tolist()) == (np.dtype(np.int32), [6, 7, 9])
    times = numpy_of(pa.array([0, 86_400], pa.timestamp("s")))
    assert times.tolist() == np.array(["1970-01-01", "1970-01-02"], "datetime64[s]").tolist()
    assert numpy_of(pa.chunked_array([], pa.int64())).tolist() == []


_CHILD = """
import sys
from salesfunnel import EventLog
log = EventLog.from_csv(sys.argv[1], entity="u", event="e", time="t", properties=["d"],
                        engine="arrow")
print("pandas" in sys.modules)  # ids_of may import it: its strings are built by Arrow
assert log.ids_of(log.entity).tolist() == ["7", "10", "7"], log
assert log.time.tolist()[1].isoformat() == "2024-01-01T10:05:00"
assert log.properties["d"].tolist() == ["web", "app", "web"]
"""


def test_the_arrow_path_does_not_import_pandas(tmp_path: Path) -> None:
    """A fresh process (the command line) loads a file without importing pandas."""
    path = tmp_path / "events.csv"
    text = "u,e,t,d\n7,view,2024-01-01T10:00:00,web\n10,buy,2024-01-01T10:05:00,app\n"
    path.write_text(text + "7,buy,2024-01-02T00:00:00,web\n")
    assert run_python(_CHILD, path) == "False"

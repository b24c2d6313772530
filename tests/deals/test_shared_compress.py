"""The chunked ``compress`` and ``bincount`` of :mod:`salesfunnel.deals.shared` are numpy's.

Random masks and values (empty, one value, all kept, none kept, lengths
around the chunk size, chunks of 1 to 3 values and the default), with and
without a scratch ``out`` longer than the result.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st

from salesfunnel.deals import shared


@given(
    st.lists(st.tuples(st.booleans(), st.integers(-(2**63), 2**63 - 1)), max_size=40),
    st.sampled_from([1, 2, 3, 7, 1 << 16]),
    st.sampled_from(["int64", "uint32", "int8", "float64"]),
    st.booleans(),
)
def test_compress_is_boolean_indexing(
    rows: list[tuple[bool, int]], chunk: int, dtype: str, scratch: bool
) -> None:
    mask = np.array([m for m, _ in rows], dtype=bool)
    info = np.iinfo(dtype) if dtype != "float64" else None
    values = np.array(
        [v if info is None else min(max(v, info.min), info.max) for _, v in rows], dtype=dtype
    )
    want = values[mask]
    out = np.full(len(rows) + 2, 99, dtype=dtype) if scratch else None
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(shared, "COMPRESS_CHUNK", chunk)
        got = shared.compress(mask, values, out)
    assert got.dtype == want.dtype
    assert got.tolist() == want.tolist()
    if out is not None:
        assert np.shares_memory(got, out) or got.size == 0


def test_a_worked_example_across_chunks() -> None:
    """By hand: keep positions 0, 3, 4 and 6 of seven values, two values per chunk."""
    mask = np.array([1, 0, 0, 1, 1, 0, 1], dtype=bool)
    values = np.array([10, 11, 12, 13, 14, 15, 16], dtype=np.int64)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(shared, "COMPRESS_CHUNK", 2)
        assert shared.compress(mask, values).tolist() == [10, 13, 14, 16]


@given(
    st.lists(st.integers(0, 20), max_size=40),
    st.sampled_from([0, 1, 5, 21, 30]),
    st.sampled_from([1, 2, 3, 7, 1 << 16]),
    st.sampled_from(["int64", "int32", "uint8", "int16"]),
)
def test_bincount_is_numpys(values: list[int], minlength: int, chunk: int, dtype: str) -> None:
    """Chunked counts equal ``np.bincount``'s: values past ``minlength`` (the counts
    grow), empty input, one value, chunks of 1 to 3 values."""
    x = np.array(values, dtype=dtype)
    want = np.bincount(x, minlength=minlength)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(shared, "COMPRESS_CHUNK", chunk)
        got = shared.bincount(x, minlength)
    assert got.dtype == np.int64
    assert got.tolist() == want.tolist()

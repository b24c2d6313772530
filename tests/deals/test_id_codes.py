"""Ids written as a prefix and a number are ranked from the numbers, as text would sort them.

:func:`~salesfunnel.deals.idcodes.number_id_codes` (the frame constructors'
fast path for ids such as ``D17``) must give the codes and table of the
general path: ``np.unique`` of the text, i.e. code point order, where ``D12``
sorts before ``D120`` and ``D120`` before ``D13``.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from salesfunnel import DealLog, Pipeline
from salesfunnel.deals import idcodes
from salesfunnel.deals.arrowcsv import text_codes
from salesfunnel.deals.idcodes import frame_codes, number_id_codes, number_ids

pa = pytest.importorskip("pyarrow")

P = Pipeline(["Call"], won="Won", lost="Lost")


def _general(texts: list[str]) -> tuple[list[str], list[int]]:
    table, codes = np.unique(np.array(texts, dtype=str), return_inverse=True)
    return table.tolist(), codes.reshape(-1).tolist()


def test_worked_example_across_digit_counts() -> None:
    ids = ["D120", "D13", "D12", "D9", "D100", "D13", "D121"]
    coded = number_id_codes(pa.array(ids))
    assert coded is not None
    # Text order: D100 < D12 < D120 < D121 < D13 < D9.
    assert coded.texts().tolist() == ["D100", "D12", "D120", "D121", "D13", "D9"]
    assert coded.codes.tolist() == [2, 4, 1, 5, 0, 4, 3]
    assert coded.codes.dtype == np.int64


# Numbers around powers of ten, so that one column mixes several digit counts.
_NUMBERS = st.one_of(
    st.integers(0, 30),
    st.integers(90, 130),
    st.integers(995, 1_205),
    st.integers(99_990, 100_020),
)


@settings(max_examples=300, deadline=None)
@given(
    numbers=st.lists(_NUMBERS, min_size=1, max_size=40),
    prefix=st.sampled_from(["", "D", "deal-", "é", "x9-"]),
    chunks=st.integers(1, 3),
    split=st.sampled_from([1, 2, 3, 7, 1 << 20]),
)
def test_number_ids_are_coded_as_the_general_path_codes_them(
    numbers: list[int], prefix: str, chunks: int, split: int
) -> None:
    """Each row's rank read from the slots in two halves at once from ``split`` rows."""
    texts = [prefix + str(n) for n in numbers]
    cut = np.array_split(np.arange(len(texts)), chunks)
    column = pa.chunked_array([pa.array([texts[i] for i in part], pa.string()) for part in cut])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(idcodes, "_SPLIT", split)
        coded = number_id_codes(column)
    if max(numbers) - min(numbers) > 8 * len(numbers) + 1024:
        assert coded is None  # sparse numbers: left to the general path
        return
    assert coded is not None
    table, codes = _general(texts)
    assert coded.texts().tolist() == table
    assert coded.codes.tolist() == codes
    general = text_codes(column, blanks=False, lazy=False)
    assert general is not None
    assert general.codes.tolist() == codes


def _numbers_reference(texts: list[str]) -> tuple[list[int], str] | None:
    """What ``number_ids`` must give, in plain Python: one prefix ending in a non-digit
    (no leading space, no NUL), then 0 or a number of 1 to 17 digits without a leading
    zero, sign or space."""
    prefix = texts[0].rstrip("0123456789")
    if prefix == texts[0] or prefix != prefix.lstrip() or "\0" in prefix:
        return None
    rests = [t[len(prefix) :] for t in texts if t.startswith(prefix)]
    digits = set("0123456789")
    plain = [
        r for r in rests if r == "0" or (r and set(r) <= digits and len(r) <= 17 and r[0] != "0")
    ]
    if len(plain) != len(texts):
        return None
    return [int(r) for r in plain], prefix


_WIDE = ["9" * 17, "1" + "0" * 17, "9" * 18, "1" + "0" * 18, "9" * 20]
_AWKWARD = st.sampled_from(["0", "00", "007", "+5", "-0", "-3", " 5", "5 ", "1e3", "x", "", "١٢"])
_AWKWARD |= st.sampled_from(_WIDE)


@settings(max_examples=300, deadline=None)
@given(
    cells=st.lists(_NUMBERS.map(str) | _AWKWARD, min_size=1, max_size=40),
    prefix=st.sampled_from(["", "D", "é-"]),
    chunks=st.integers(1, 3),
    split=st.integers(1, 41),
)
def test_number_ids_in_halves_agree_with_a_plain_reference(
    cells: list[str], prefix: str, chunks: int, split: int
) -> None:
    """``number_ids`` read in two halves at once (made to split from ``split`` rows on)
    against plain Python: every canonical id read, anything else (leading zeros, signs,
    spaces, 18 or more digits, text among numbers) refused; one row, every row the
    same id, chunks cut anywhere."""
    texts = [prefix + c for c in cells]
    cut = np.array_split(np.arange(len(texts)), chunks)
    column = pa.chunked_array([pa.array([texts[i] for i in part], pa.string()) for part in cut])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(idcodes, "_SPLIT", split)
        found = number_ids(column)
    want = _numbers_reference(texts)
    if want is None:
        assert found is None
        return
    assert found is not None
    assert found[0].tolist() == want[0]
    assert found[1] == want[1]
    assert found.bounds == (min(want[0]), max(want[0]))


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 10**17 - 1), st.integers(1, 9))
def test_number_ids_of_one_id_repeated(number: int, rows: int) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(idcodes, "_SPLIT", 2)
        found = number_ids(pa.array([str(number)] * rows))
    assert found is not None
    assert found[0].tolist() == [number] * rows
    assert found.bounds == (number, number)


@pytest.mark.parametrize(
    "ids",
    [
        ["D1", "D01"],  # a leading zero
        ["D1", "D+1"],  # a sign
        ["1", " 2"],  # a space
        ["D1", "E2"],  # two prefixes
        ["D1", None],  # a missing id: the converters name it
        ["x", "y"],  # no number
        ["D0", "D00"],
        ["D1", "D100000000000000000"],  # 18 digits
    ],
)
def test_other_ids_are_left_to_the_general_path(ids: list[str | None]) -> None:
    assert number_id_codes(pa.array(ids)) is None


def test_frames_fall_back_to_the_general_path_with_the_same_log() -> None:
    ids = ["D7", "D07", "D7", "a"]  # not all prefix-and-number: the general path
    coded = frame_codes(pa.array(ids), blanks=False, ids=True)
    assert coded is not None
    assert coded.texts().tolist() == ["D07", "D7", "a"]
    assert coded.codes.tolist() == [1, 0, 1, 2]
    frame = pa.table(
        {"deal": ids, "stage": ["Call"] * 4, "time": [f"2024-01-0{i}" for i in range(1, 5)]}
    )
    log = DealLog.from_arrow(frame, P)
    assert log.deal_ids.tolist() == ["D07", "D7", "a"]
    assert log.deal.tolist() == [1, 0, 1, 2]


@pytest.mark.parametrize("kind", ["string", "large_string"])
def test_number_ids_slice_a_prefix_of_several_bytes_from_an_array(kind: str) -> None:
    """The prefix is cut as bytes (``é`` is two): from a plain array (not chunked) of
    either text type, sliced (an offset into the buffers)."""
    column = pa.array(["x", "é-7", "é-10", "é-7"], pa.type_for_alias(kind)).slice(1)
    found = number_ids(column)
    assert found is not None
    assert (found.numbers.tolist(), found.prefix, found.bounds) == ([7, 10, 7], "é-", (7, 10))

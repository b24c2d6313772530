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
from salesfunnel.deals.arrowcsv import text_codes
from salesfunnel.deals.idcodes import frame_codes, number_id_codes

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
)
def test_number_ids_are_coded_as_the_general_path_codes_them(
    numbers: list[int], prefix: str, chunks: int
) -> None:
    texts = [prefix + str(n) for n in numbers]
    cut = np.array_split(np.arange(len(texts)), chunks)
    column = pa.chunked_array([pa.array([texts[i] for i in part], pa.string()) for part in cut])
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

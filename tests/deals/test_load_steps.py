"""Steps of the frame constructors made cheaper (issue 11), each against a plain reference."""

from __future__ import annotations

import numpy as np
from hypothesis import example, given, strategies as st

from salesfunnel._time import TimeParser

NAT = np.iinfo(np.int64).min


@given(
    st.lists(st.one_of(st.just(NAT), st.integers(-(2**40), 2**40)), max_size=12),
    st.booleans(),
)
@example([], False)
@example([NAT, NAT], True)
@example([NAT, 5, NAT, 7], False)
def test_naive_column_records_the_first_dated_value(secs: list[int], aware: bool) -> None:
    """``TimeParser.naive_column`` records (the mix-of-kinds rule) the column's first
    dated value, as a plain scan finds it, and nothing for a column of NaT alone."""
    out = np.array(secs, np.int64).view("datetime64[s]")
    parser = TimeParser()
    parser.naive_column(out, aware=aware)
    dated = [s for s in secs if s != NAT]
    expected = None if not dated else (aware, np.datetime64(dated[0], "s"))
    got = parser._first
    assert (got is None) == (expected is None)
    if got is not None and expected is not None:
        assert got[0] is expected[0]
        assert type(got[1]) is np.datetime64
        assert got[1] == expected[1]
        assert repr(got[1]) == repr(expected[1])  # the error message quotes it
    assert out.view(np.int64).tolist() == secs  # unchanged: no zone to convert to

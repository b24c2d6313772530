"""The frame constructors' faster ways give the general path's codes, tables and logs.

:func:`~salesfunnel.deals.framecodes.object_codes` codes a pandas column of
Python strings by ``pandas.factorize`` and then only its distinct values; it
must give what Arrow's coding of the whole column gives (the general path),
or step aside; so must :func:`~salesfunnel.deals.framecodes.dictionary_codes`
for a dictionary column. The logs and errors must be those of
``from_columns``, the value-by-value path, for every kind of frame column
(pandas objects with missing values and numbers among the text, chunked
Arrow columns, Arrow dictionaries, polars Categorical and Enum columns).
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from functools import partial
from itertools import pairwise
from typing import Any
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from salesfunnel import DealLog, EventLog, FunnelDataError, Pipeline
from salesfunnel.deals import framecodes
from salesfunnel.deals.arrowcsv import text_codes

pa = pytest.importorskip("pyarrow")
pd = pytest.importorskip("pandas")

P = Pipeline(["Call", "Offer"], won="Won", lost="Lost")
# Text that looks like numbers, edge spaces, unicode, blanks; and what pandas holds
# among text: missing values of every kind, numbers.
_TEXT = st.sampled_from(
    [
        *["Call", "Won", " Lost", "Lost ", "ann", "Zoë", "é", "\u3000x", "", "  ", "007", "7"],
        *["+7", "x\x1c", "a\x00b", "D10", "D9"],
    ]
)
_ODD = st.sampled_from([None, math.nan, pd.NA, pd.NaT, 7, 7.0, np.float64("nan"), b"x"])


def _column(data: st.DataObject, odd: bool) -> list[Any]:
    """A column of few distinct values repeated (the labels' and owners' shape)."""
    pool = data.draw(st.lists(_TEXT | _ODD if odd else _TEXT, min_size=1, max_size=4))
    size = data.draw(st.sampled_from([1, 2, 16, 40]))
    return [data.draw(st.sampled_from(pool)) for _ in range(size)]


def _codes(coded: Any) -> Any:
    if coded is None:
        return None
    return [coded.texts()[c] for c in np.asarray(coded.codes).tolist()], coded.texts().tolist()


@settings(max_examples=400, deadline=None)
@given(data=st.data(), blanks=st.booleans(), odd=st.booleans())
def test_object_codes_are_the_arrow_codes_of_the_whole_column(
    data: st.DataObject, blanks: bool, odd: bool
) -> None:
    values = pd.Series(_column(data, odd), dtype=object)
    fast = framecodes.object_codes(values, blanks=blanks)
    general = text_codes(values, blanks=blanks)
    if fast is None:
        return  # steps aside: the general path codes it
    assert general is not None
    assert fast.texts().tolist() == general.texts().tolist()
    assert np.asarray(fast.codes).tolist() == np.asarray(general.codes).tolist()
    assert fast.dense


def _fresh(value: Any) -> Any:
    """An equal value in an object of its own where Python makes one (longer text, NaN)."""
    if isinstance(value, str) and len(value) > 1:
        return value[:1] + value[1:]
    return float("nan") if isinstance(value, float) and value != value else value


@settings(max_examples=400, deadline=None)
@given(data=st.data(), blanks=st.booleans(), odd=st.booleans(), step=st.integers(1, 7))
def test_object_codes_by_address_are_the_arrow_codes_of_the_whole_column(
    data: st.DataObject, blanks: bool, odd: bool, step: int
) -> None:
    """Few objects on many rows, some equal in value (copies, NaNs of their own): numbered
    by address, read once each, then coded; the first rows found in steps of 1 to 7."""
    pool = data.draw(st.lists(_TEXT | _ODD if odd else _TEXT, min_size=1, max_size=4))
    pool += [_fresh(v) for v in data.draw(st.lists(st.sampled_from(pool), max_size=2))]
    size = data.draw(st.sampled_from([24, 40, 90]))
    values = pd.Series([data.draw(st.sampled_from(pool)) for _ in range(size)], dtype=object)
    with mock.patch.object(framecodes, "_STEP", step):
        fast = framecodes.object_codes(values, blanks=blanks)
    general = text_codes(values, blanks=blanks)
    if general is not None and all(type(v) is str or framecodes._null(v) for v in values):
        assert fast is not None  # few objects: the path by address takes it
    if fast is None:
        return
    assert general is not None
    assert _codes(fast) == _codes(general)


def test_object_codes_by_address_worked_example() -> None:
    """Two objects of one value and two NaNs of their own: the table as the general path's."""
    b2 = _fresh("bb")
    column = pd.Series(["bb", "a", float("nan"), b2, None, float("nan"), "a"] * 8, dtype=object)
    with mock.patch.object(framecodes, "_STEP", 2):
        coded = framecodes.object_codes(column, blanks=True)
    assert coded is not None
    assert coded.texts().tolist() == ["", "a", "bb"]
    assert np.asarray(coded.codes).tolist()[:7] == [2, 1, 0, 2, 0, 0, 1]
    assert framecodes.object_codes(column, blanks=False) is None  # the converters name it
    mixed = pd.Series(["a", b"a"] * 8, dtype=object)
    assert framecodes.object_codes(mixed, blanks=True) is None
    assert framecodes.object_codes(pd.Series([None] * 8, dtype=object), blanks=True) is None
    addresses = framecodes._addresses(column.to_numpy())
    assert addresses is not None
    assert addresses.tolist()[:4] == [id(v) for v in column.tolist()[:4]]
    assert framecodes._addresses(column.to_numpy()[::2]) is None  # strided: by value


def test_object_codes_worked_example() -> None:
    column = pd.Series(["b ", "a", None, " b", "a", "B"] * 8, dtype=object)
    coded = framecodes.object_codes(column, blanks=True)
    assert coded is not None
    assert coded.texts().tolist() == ["", "B", "a", "b"]
    assert np.asarray(coded.codes).tolist()[:6] == [3, 2, 0, 3, 2, 1]
    assert framecodes.object_codes(column, blanks=False) is None  # the converters name it
    assert framecodes.object_codes(pd.Series(["a", 1] * 8, dtype=object), blanks=True) is None
    ids = pd.Series([f"D{i}" for i in range(100)], dtype=object)
    assert framecodes.object_codes(ids, blanks=False) is None  # many values: ids


@settings(max_examples=400, deadline=None)
@given(data=st.data(), blanks=st.booleans(), index=st.sampled_from(["int8", "uint8", "int32"]))
def test_dictionary_codes_are_the_codes_of_the_decoded_column(
    data: st.DataObject, blanks: bool, index: str
) -> None:
    """Chunks with dictionaries of their own (unused entries, a null entry, null rows)."""
    chunks = []
    for _ in range(data.draw(st.integers(1, 3))):
        words = data.draw(st.lists(_TEXT | st.none(), min_size=1, max_size=5))
        rows = data.draw(st.lists(st.integers(-1, len(words) - 1), max_size=12))
        indices = pa.array([None if r < 0 else r for r in rows], getattr(pa, index)())
        chunks.append(pa.DictionaryArray.from_arrays(indices, pa.array(words, pa.string())))
    column = pa.chunked_array(chunks)
    fast = framecodes.dictionary_codes(column, blanks)
    general = text_codes(column.cast(pa.string()), blanks=blanks)
    if fast is None:
        return  # steps aside (an empty column, a null in one of several dictionaries)
    assert _codes(fast) == _codes(general)
    assert fast.dense


def test_dictionary_codes_worked_example() -> None:
    words = pa.array(["b", "unused", " a", "a "])
    column = pa.DictionaryArray.from_arrays(pa.array([0, 2, None, 3, 0], pa.int8()), words)
    coded = framecodes.dictionary_codes(column, True)
    assert coded is not None
    assert coded.texts().tolist() == ["", "a", "b"]  # "unused" is no row's: not in the table
    assert np.asarray(coded.codes).tolist() == [2, 1, 0, 1, 2]
    assert framecodes.dictionary_codes(column, False) is None  # the converters name the blank
    assert framecodes.dictionary_codes(pa.array(["a"]), True) is None  # not a dictionary


def _outcome(build: Any) -> Any:
    try:
        log = build()
    except FunnelDataError as exc:
        return ("error", str(exc), exc.index, exc.column, repr(exc.value))
    out = {}
    for name in ("deal_ids", "code", "time", "owner", "owners", "dropped"):
        v = getattr(log, name)
        out[name] = (v.dtype.str, v.tolist()) if isinstance(v, np.ndarray) else v
    out["deal"] = log.ids_of(log.deal - log.deal_offset).tolist()
    return out


def _pandas(plain: dict[str, Any]) -> Any:
    """A pandas frame holding ``plain``'s arrays as they are (an object column of
    ``NaT`` stays one: pandas would infer a time column from it)."""
    return pd.DataFrame({c: pd.Series(v, dtype=v.dtype) for c, v in plain.items()})


def _frames(plain: dict[str, Any], chunks: int) -> dict[str, Any]:
    """The same columns as an Arrow table (text in ``chunks`` chunks, labels as a
    dictionary), a polars frame (labels Categorical, owners Enum) and two pandas
    ones (object columns; categorical labels and owners of pandas' "string")."""
    n = len(plain["time"])
    cut = sorted({0, n, *(n * k // chunks for k in range(1, chunks))})

    def chunked(values: list[Any], kind: Any) -> Any:
        return pa.chunked_array([pa.array(values[a:b], kind) for a, b in pairwise(cut)], kind)

    table = pa.table(
        {
            "deal": chunked(plain["deal"].tolist(), pa.string()),
            "stage": pa.array(plain["stage"].tolist(), pa.string()).dictionary_encode(),
            "time": pa.array(plain["time"]),
            "owner": chunked(plain["owner"].tolist(), pa.large_string()),
        }
    )
    typed = _pandas(plain).astype({"stage": "category", "owner": "string"})
    frames: dict[str, Any] = {"arrow": table, "pandas": _pandas(plain), "pandas typed": typed}
    with contextlib.suppress(ImportError):
        import polars as pl

        frame = pl.from_arrow(table)
        assert isinstance(frame, pl.DataFrame)
        owners = sorted({o for o in plain["owner"].tolist() if o is not None})
        frames["polars"] = frame.with_columns(
            pl.col("stage").cast(pl.Categorical), pl.col("owner").cast(pl.Enum(owners))
        )
    return frames


@settings(max_examples=150, deadline=None)
@given(data=st.data(), drop=st.booleans(), chunks=st.integers(1, 3), beside=st.booleans())
def test_frames_give_the_value_by_value_log(
    data: st.DataObject, drop: bool, chunks: int, beside: bool
) -> None:
    """With ``beside``, the ids of every Arrow and polars frame are coded on a second thread."""
    stage = _column(data, odd=False)
    n = len(stage)
    ids = st.sampled_from(["D10", "D9", "D100", "7", "007", "+7", " x", "é", ""])
    owner = [data.draw(st.sampled_from(["ann", " ann", "bob", "", "Zoë", None])) for _ in stage]
    plain = {
        "deal": np.array([data.draw(ids) for _ in range(n)], dtype=object),
        "stage": np.array(stage, dtype=object),
        "time": np.arange(n).astype("datetime64[s]"),
        "owner": np.array(owner, dtype=object),
    }
    kwargs: dict[str, Any] = {"owner": "owner", "drop_unknown": drop}
    expected = _outcome(lambda: DealLog.from_columns(plain, P, **kwargs))
    for kind, frame in _frames(plain, chunks).items():
        build = partial(getattr(DealLog, f"from_{kind.split()[0]}"), frame, P, **kwargs)
        with mock.patch.object(framecodes, "_BESIDE", 1 if beside else 1 << 18):
            assert _outcome(build) == expected, kind


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_event_logs_from_pandas_objects_give_the_value_by_value_log(data: st.DataObject) -> None:
    names = _column(data, odd=data.draw(st.booleans()))
    plain = {
        "user": np.array([f"u{i % 3}" for i in range(len(names))], dtype=object),
        "name": np.array(names, dtype=object),
        "at": np.arange(len(names)).astype("datetime64[s]"),
    }
    kwargs: dict[str, Any] = {"entity": "user", "event": "name", "time": "at"}

    def outcome(build: Any) -> Any:
        try:
            log = build()
        except FunnelDataError as exc:
            return ("error", str(exc), exc.index, exc.column, repr(exc.value))
        return log.names, log.event.tolist(), log.ids_of(log.entity).tolist()

    expected = outcome(lambda: EventLog.from_columns(plain, **kwargs))
    assert outcome(lambda: EventLog.from_pandas(_pandas(plain), **kwargs)) == expected


def test_ids_coded_beside_the_other_columns() -> None:
    """From :data:`framecodes._BESIDE` rows an Arrow or polars frame's ids are coded on a
    second thread, into what one thread gives; the ids' error comes first, as in order."""
    table = pa.table({"deal": ["D2", "D10", "D2"], "stage": ["Call", "Won", "Call"]})
    text = {"deal": (False, True), "stage": (False, False)}
    threads: dict[str, str] = {}
    real = framecodes.column_codes

    def spy(values: Any, **kwargs: Any) -> Any:
        threads["ids" if kwargs["ids"] else "other"] = threading.current_thread().name
        return real(values, **kwargs)

    def coded(beside: int) -> Any:
        with mock.patch.object(framecodes, "_BESIDE", beside):
            data, _ = framecodes.coded_frame(["deal", "stage"], "deal", text, table.column, get)
        return {c: _codes(v) for c, v in data.items()}

    def get(c: str) -> tuple[Any, bool]:
        return table.column(c).to_numpy(), False

    with mock.patch.object(framecodes, "column_codes", spy):
        assert coded(1) == coded(1 << 18)
        assert coded(1)["deal"] == (["D2", "D10", "D2"], ["D10", "D2"])
        assert threads["ids"] != threads["other"] == threading.current_thread().name

    def fails(values: Any, **kwargs: Any) -> Any:
        if kwargs["ids"]:
            time.sleep(0.05)  # the other column fails first, on this thread
        raise ValueError("ids" if kwargs["ids"] else "labels")

    with mock.patch.object(framecodes, "column_codes", fails):
        for beside in (1, 1 << 18):
            with pytest.raises(ValueError, match="ids"):
                coded(beside)

"""Integer stages are codes into the pipeline's labels; with labels that are numbers
too, an integer may mean either, and the column is refused.

A CRM that numbers its stages 1..4 exports ``stage`` as integers; a pipeline
``Pipeline(["1", "2"], won="3", lost="4")`` names them. Read as codes, stage 1
was the label '2' and stage 3 the lost outcome '4': the closed funnel of the
worked example below said one won and one lost deal where the log has one
won deal and one open deal, with nothing said.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest

from salesfunnel import DealLog, FunnelDataError, Pipeline, closed_funnel

NUMBERED = Pipeline(["1", "2"], won="3", lost="4")
NAMED = Pipeline(["Lead", "Demo"], won="Won", lost="Lost")
TIMES = [dt.datetime(2024, 1, d) for d in (1, 2, 3, 4)]
# Deal 1: stage 1, then won (3). Deal 2: stage 1, then stage 2, still open.
DEALS = [1, 1, 2, 2]
STAGES = [1, 3, 1, 2]
SAYS = r"row 0, column 'stage': the stages are integers, .* labels \['1', '2', '3', '4'\] are"


def _frame(source: str, stage: Any) -> Any:
    data = {"deal": DEALS, "stage": stage, "time": TIMES}
    if source == "pandas":
        return pytest.importorskip("pandas").DataFrame(data)
    if source == "polars":
        return pytest.importorskip("polars").DataFrame(data)
    if source == "arrow":
        return pytest.importorskip("pyarrow").table(data)
    return {**data, "stage": np.asarray(stage)}


CALLS = {
    "pandas": DealLog.from_pandas,
    "polars": DealLog.from_polars,
    "arrow": DealLog.from_arrow,
    "columns": DealLog.from_columns,
}


@pytest.mark.parametrize("source", list(CALLS))
def test_integer_stages_with_numbered_labels_are_refused(source: str) -> None:
    with pytest.raises(FunnelDataError, match=SAYS) as info:
        CALLS[source](_frame(source, np.array(STAGES, dtype=np.int64)), NUMBERED)
    assert info.value.column == "stage"
    assert ".astype(str)" in str(info.value)


@pytest.mark.parametrize("source", list(CALLS))
def test_the_same_stages_as_text_or_whole_floats_are_the_labels(source: str) -> None:
    """By hand: deal 1 won (reached 1, 2 and won), deal 2 open at 2: one closed deal."""
    for stage in ([str(s) for s in STAGES], np.array(STAGES, dtype=np.float64)):
        cf = closed_funnel(CALLS[source](_frame(source, stage), NUMBERED))
        assert cf.funnel.counts.tolist() == [1, 1, 1]
        assert (cf.won, cf.lost) == (1, 0)


def test_integer_codes_with_named_labels_stay_the_fast_path() -> None:
    """Codes 0..3 into ('Lead', 'Demo', 'Won', 'Lost'): deal 1 Lead -> Won, deal 2
    Lead -> Lost: two closed deals, one won."""
    cols = {"deal": DEALS, "stage": np.array([0, 2, 0, 3]), "time": TIMES}
    cf = closed_funnel(DealLog.from_columns(cols, NAMED))
    assert cf.funnel.counts.tolist() == [2, 1, 1]
    assert (cf.won, cf.lost) == (1, 1)


def test_one_numbered_label_is_enough_to_refuse() -> None:
    mixed = Pipeline(["Lead", "2"], won="Won", lost="Lost")
    cols = {"deal": DEALS, "stage": np.array([0, 2, 0, 1]), "time": TIMES}
    with pytest.raises(FunnelDataError, match=r"labels \['2'\] are numbers too, so 0 may mean"):
        DealLog.from_columns(cols, mixed)


def test_an_empty_integer_column_is_no_ambiguity() -> None:
    cols = {"deal": np.zeros(0, np.int64), "stage": np.zeros(0, np.int8), "time": []}
    assert len(DealLog.from_columns(cols, NUMBERED)) == 0

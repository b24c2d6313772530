"""Arrow-read deal logs and their ids need no pandas: a fresh process (the CLI) does not pay its import.

pyarrow imports pandas the first time ``to_numpy`` runs, or a Python string
becomes an Arrow scalar; that is a quarter of a second or more of a fresh
process. Before 2026-12-05, ``DealLog.from_csv(engine="arrow")`` (its times)
and reading the ids of such a log (its text table) both did.
"""

from __future__ import annotations

import types
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from salesfunnel.deals import textcodes

from cli_helpers import run_python

pa = pytest.importorskip("pyarrow")

_CHILD = """
import sys
from salesfunnel import DealLog, Pipeline, active_funnel, closed_funnel
p = Pipeline(["Call", "Offer"], won="Won", lost="Lost")
log = DealLog.from_csv(sys.argv[1], p, engine="arrow")
closed, active = closed_funnel(log), active_funnel(log)
print("pandas" in sys.modules)
assert closed.funnel["Won"].data.tolist() == ["D10"], closed
assert sorted(active.funnel["Offer"].data.tolist()) == ["D7", "D9"], active
assert log.time.tolist()[0].isoformat() == "2024-01-01T10:00:00"
"""


def test_an_arrow_read_log_and_its_ids_do_not_import_pandas(tmp_path: Path) -> None:
    path = tmp_path / "deals.csv"
    path.write_text(
        "deal,stage,time\nD7,Offer,2024-01-01T10:00:00\nD10,Call,2024-01-01T11:00:00\n"
        "D10,Won,2024-01-03T09:00:00\nD9,Offer,2024-01-02T00:00:00\n"
    )
    assert run_python(_CHILD, path) == "False"


@given(st.lists(st.text(max_size=6), max_size=20), st.sampled_from(["", "D", "deal-", "é "]))
def test_strings_by_list_equal_strings_by_arrow(values: list[str], prefix: str) -> None:
    pytest.importorskip("pandas")  # loaded: strings_of takes Arrow's way
    text = pa.array(values, pa.string())
    by_arrow = textcodes.strings_of(text, prefix)
    fake_sys = types.SimpleNamespace(modules={})
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(textcodes, "sys", fake_sys)
        by_list = textcodes.strings_of(text, prefix)
    assert by_list.dtype == by_arrow.dtype == object
    assert by_list.tolist() == by_arrow.tolist() == [prefix + v for v in values]

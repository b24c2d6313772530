"""The worked examples of docs/deal-history.rst run as doctests."""

from __future__ import annotations

import doctest
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "deal-history.rst"


def test_deal_history_page_examples() -> None:
    flags = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS
    result = doctest.testfile(str(DOC), module_relative=False, optionflags=flags)
    assert result.attempted > 20
    assert result.failed == 0

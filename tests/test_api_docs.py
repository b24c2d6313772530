"""Every public name is in the API reference, so the reference stays complete."""

from __future__ import annotations

import re
from pathlib import Path

import salesfunnel

API = Path(__file__).resolve().parents[1] / "docs" / "api.rst"
DIRECTIVE = re.compile(
    r"^\.\. (?:py:)?auto(?:class|function|data|exception|attribute|module)::\s+(\S+)\s*$",
    re.MULTILINE,
)


def documented() -> set[str]:
    return set(DIRECTIVE.findall(API.read_text(encoding="utf-8")))


def test_every_public_name_has_an_api_entry() -> None:
    missing = [n for n in salesfunnel.__all__ if f"salesfunnel.{n}" not in documented()]
    assert missing == [], f"add these to docs/api.rst: {missing}"


def test_every_api_entry_names_something_real() -> None:
    import importlib

    for dotted in sorted(documented()):
        module_name, _, attr = dotted.rpartition(".")
        try:
            obj = importlib.import_module(dotted)
        except ImportError:
            obj = getattr(importlib.import_module(module_name), attr, None)
        assert obj is not None, f"docs/api.rst documents {dotted}, which does not exist"


def test_the_parser_sees_the_entries() -> None:
    # Guards the regex itself: a broken pattern would make the first test vacuous.
    assert {"salesfunnel.Funnel", "salesfunnel.closed_funnel"} <= documented()

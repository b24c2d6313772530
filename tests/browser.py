"""Shared helper for real-browser tests: Playwright driving Debian's Chromium.

In CI (``CI`` set) a missing browser is a failure, not a skip: the report's
click-through is only tested for real in a browser.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

CHROMIUM = os.environ.get("SALESFUNNEL_CHROMIUM", "/usr/bin/chromium")
# Flags for a closed network and a root user (see the machine notes): no sandbox as root,
# no background traffic that the network would refuse.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"browser tests need {reason} in CI (.ci/run installs it)")
    pytest.skip(reason)


@contextmanager
def browser_page() -> Iterator[Any]:
    """Yield a Playwright page in headless Chromium."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package")
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        _unavailable(f"Chromium at {CHROMIUM}")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("requestfailed", lambda req: errors.append(f"request failed: {req.url}"))
            yield page
            assert not errors, errors
        finally:
            browser.close()

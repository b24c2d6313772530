"""The Flask and FastAPI snippets of docs/howto-web.rst work against its chart.

The page's doctests build the chart and ``decode_click``; this test replays
them, then runs each framework's snippet with the framework's test client.
Neither framework is a dependency: each test skips when its framework is
not installed (CI installs neither; the plain-WSGI example on the page is
doctested everywhere).
"""

from __future__ import annotations

import doctest
import json
import re
from pathlib import Path
from typing import Any

import pytest

PAGE = Path(__file__).resolve().parents[1] / "docs" / "howto-web.rst"


def _page_namespace() -> dict[str, Any]:
    text = PAGE.read_text(encoding="utf-8")
    namespace: dict[str, Any] = {"__name__": "howto_web"}
    for example in doctest.DocTestParser().get_examples(text):
        exec(compile(example.source, str(PAGE), "single"), namespace)
    return namespace


def _snippet(name: str) -> str:
    text = PAGE.read_text(encoding="utf-8")
    match = re.search(
        rf"^\.\. code-block:: python\n   :name: {name}\n\n((?:   .*\n|\n)+)", text, re.MULTILINE
    )
    assert match, f"no code block named {name} in {PAGE.name}"
    return "\n".join(line[3:] for line in match.group(1).splitlines())


def _meetings_pixel(chart: Any) -> str:
    side = next(r for r in chart.regions if r.stage == 1 and r.part == "side")
    minx, miny, maxx, maxy = side.bounds
    return f"{(minx + maxx) / 2:.0f},{(miny + maxy) / 2:.0f}"


def test_snippets_are_found() -> None:
    assert "Flask(__name__)" in _snippet("flask-app")
    assert "FastAPI()" in _snippet("fastapi-app")


def test_flask_app() -> None:
    pytest.importorskip("flask")
    ns = _page_namespace()
    exec(compile(_snippet("flask-app"), "flask-app", "exec"), ns)
    client = ns["web"].test_client()
    png = client.get("/funnel.png")
    assert png.status_code == 200
    assert png.mimetype == "image/png"
    assert png.data == ns["PNG"]
    click = client.get("/click?" + _meetings_pixel(ns["chart"]))
    assert json.loads(click.data)["deals"] == ["D1", "D2", "D4"]
    assert client.get("/click?1,1").get_json() == {"stage": None}
    assert "<map" in client.get("/").get_data(as_text=True)


def test_fastapi_app() -> None:
    pytest.importorskip("fastapi")
    testclient = pytest.importorskip("fastapi.testclient")
    ns = _page_namespace()
    exec(compile(_snippet("fastapi-app"), "fastapi-app", "exec"), ns)
    client = testclient.TestClient(ns["api"])
    x, y = _meetings_pixel(ns["chart"]).split(",")
    assert client.get("/click", params={"x": x, "y": y}).json()["stage"] == "Meetings"
    assert client.get("/funnel.png").content == ns["PNG"]

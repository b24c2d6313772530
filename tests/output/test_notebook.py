"""docs/example.ipynb runs top to bottom in a fresh kernel and displays richly.

The notebook is executed with nbclient (kernel ``python3``), offline, against
this checkout's ``src/``. Without nbclient or ipykernel the test is skipped
locally but fails in CI (``CI`` set), where the ``test`` extra installs them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "docs" / "example.ipynb"


def _require(module: str) -> Any:
    if os.environ.get("CI"):
        return __import__(module)  # in CI a missing package is a failure, not a skip
    return pytest.importorskip(module)


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> Any:
    nbformat = _require("nbformat")
    nbclient = _require("nbclient")
    _require("ipykernel")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    # Prove which salesfunnel the kernel imported: this checkout's, not an installed copy.
    nb.cells.append(
        nbformat.v4.new_code_cell("import salesfunnel\nprint(salesfunnel.__file__, end='')")
    )
    env = {
        "PYTHONPATH": os.pathsep.join(
            [str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]
        ),
    }
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        client = nbclient.NotebookClient(
            nb,
            kernel_name="python3",
            timeout=180,
            allow_errors=False,
            resources={"metadata": {"path": str(tmp_path_factory.mktemp("nb"))}},
        )
        client.execute()
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return nb


def _outputs(nb: Any, needle: str) -> list[Any]:
    cells = [c for c in nb.cells if c.cell_type == "code" and needle in c.source]
    assert cells, f"no code cell contains {needle!r}"
    return [o for c in cells for o in c.outputs]


def _data(nb: Any, needle: str) -> dict[str, Any]:
    results = [o for o in _outputs(nb, needle) if o.output_type == "execute_result"]
    assert len(results) == 1, f"cell with {needle!r} should end in one displayed value"
    data: dict[str, Any] = results[0]["data"]
    return data


def test_the_notebook_is_committed_without_outputs() -> None:
    nbformat = _require("nbformat")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == []
            assert cell.execution_count is None


def test_runs_against_this_checkout(executed: Any) -> None:
    (out,) = executed.cells[-1].outputs
    assert out.text == str(ROOT / "src" / "salesfunnel" / "__init__.py")


def test_no_cell_errors_or_warns(executed: Any) -> None:
    for cell in executed.cells:
        for out in getattr(cell, "outputs", []):
            assert out.output_type != "error"
            if out.output_type == "stream":
                assert out.name == "stdout", out.text


@pytest.mark.parametrize("needle", ["\nchart = FunnelChart(", "closed_chart = FunnelChart("])
def test_charts_display_as_svg_and_png(executed: Any, needle: str) -> None:
    data = _data(executed, needle)
    assert data["image/svg+xml"].lstrip().startswith("<svg")
    assert "image/png" in data
    assert data["text/plain"].startswith("FunnelChart(")


@pytest.mark.parametrize(
    "needle",
    [
        "metrics_table(funnel)",
        "comparison = compare",
        "leads_needed(180",
        "feasible_plan(funnels",
        "closed = closed_funnel",
        "snapshot = active_funnel",
        "forecast(log",
    ],
)
def test_results_display_as_html_tables(executed: Any, needle: str) -> None:
    data = _data(executed, needle)
    html = data["text/html"]
    assert "<table" in html
    assert not re.search(r"\b(nan|inf)\b", html, re.IGNORECASE)
    assert len(data["text/plain"]) <= 140

"""The package surface: every public name resolves, lazily or not, and nothing else is there."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import salesfunnel

# Child processes import the package under test, not whatever copy is installed.
_ENV = {**os.environ, "PYTHONPATH": str(Path(salesfunnel.__file__).resolve().parents[1])}


def _run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=_ENV
    )
    return done.stdout.strip()


def test_every_public_name_resolves() -> None:
    for name in salesfunnel.__all__:
        assert getattr(salesfunnel, name) is not None, name
    assert sorted(set(salesfunnel.__all__)) == sorted(salesfunnel.__all__)  # no duplicates


def test_dir_offers_the_public_names_and_subpackages_only() -> None:
    """Tab completion shows what the package exports, not the tools its ``__init__`` uses."""
    import types

    public = set(salesfunnel.__all__) - {"__version__"}
    shown = {n for n in dir(salesfunnel) if not n.startswith("_")}
    modules = {n for n in shown if isinstance(getattr(salesfunnel, n), types.ModuleType)}
    assert shown - modules == public
    assert not {"Path", "Any", "ast", "functools", "importlib", "annotations"} & shown


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = salesfunnel.no_such_name  # type: ignore[attr-defined]


def test_star_import_and_lazy_names_match_their_modules() -> None:
    code = (
        "from salesfunnel import *\n"
        "import salesfunnel.deals.closed as h, salesfunnel.funnel.compare as c\n"
        "assert closed_funnel is h.closed_funnel and compare is c.compare\n"
        "import sys; print('salesfunnel.output.report' in sys.modules)\n"
    )
    # a star import resolves every lazy name, the report module included
    assert _run(code) == "True"


def test_drawing_a_chart_does_not_import_deal_history() -> None:
    code = (
        "import sys, salesfunnel\n"
        "salesfunnel.FunnelChart(salesfunnel.Funnel.from_counts({'a': 2, 'b': 1})).to_png()\n"
        "print(sorted(m for m in ('salesfunnel.deals.closed', 'salesfunnel.output.report', "
        "'salesfunnel.deals.log') if m in sys.modules))\n"
    )
    assert _run(code) == "[]"


def test_drawing_a_chart_does_not_import_hit_testing_metrics_tables_or_image_draw() -> None:
    # what a first render needs is imported with the package; these are not
    code = (
        "import sys, salesfunnel\n"
        "salesfunnel.FunnelChart(salesfunnel.Funnel.from_counts({'a': 2, 'b': 1})).to_png()\n"
        "print(sorted(m for m in ('salesfunnel.render.hitmap', 'salesfunnel.funnel.metrics', 'salesfunnel._table', "
        "'PIL.ImageDraw', 'numpy.typing') if m in sys.modules))\n"
        "assert salesfunnel.Hit.__module__ == 'salesfunnel.render.hitmap'\n"
        "assert salesfunnel.ResultTable.__module__ == 'salesfunnel._table'\n"
        "import salesfunnel.funnel.metrics as m\n"
        "assert salesfunnel.step_conversion is m.step_conversion\n"
        "assert salesfunnel.StageMetrics is m.StageMetrics\n"
    )
    assert _run(code) == "[]"


def test_a_first_png_does_not_import_pillows_png_plugin() -> None:
    # to_png writes the PNG container itself (salesfunnel.render.pillow_fast); Pillow's plugin would
    # bring ImageFile, ImagePalette, logging and fractions into a chart-only process. Text is
    # measured and drawn through Pillow's FreeType core (render.text): no PIL.ImageFont either.
    code = (
        "import sys, salesfunnel\n"
        "salesfunnel.FunnelChart(salesfunnel.Funnel.from_counts({'a': 2, 'b': 1})).to_png()\n"
        "print(sorted(m for m in ('PIL.PngImagePlugin', 'PIL.ImageFile', 'PIL.ImagePalette', "
        "'logging', 'fractions', 'PIL.ImageFont', 'base64') if m in sys.modules))\n"
    )
    assert _run(code) == "[]"


def test_a_first_png_compiles_no_regular_expression_of_ours() -> None:
    # Patterns for numbers read from text (_numbers) and for line breaks (render.text) are
    # compiled on first use: about 0.8 ms of a fresh process that only draws a chart.
    code = (
        "import re, sys\n"
        "import numpy, PIL.Image, PIL.ImageFont\n"
        "compiled = []\n"
        "real = re._compile\n"
        "def spy(pattern, flags):\n"
        "    caller = sys._getframe(1)\n"
        "    while caller and caller.f_code.co_filename.endswith(('re/__init__.py', 'functools.py')):\n"
        "        caller = caller.f_back\n"
        "    if caller and 'salesfunnel' in caller.f_code.co_filename:\n"
        "        compiled.append(pattern)\n"
        "    return real(pattern, flags)\n"
        "re._compile = spy\n"
        "import salesfunnel\n"
        "salesfunnel.FunnelChart(salesfunnel.Funnel.from_counts({'a': 2, 'b': 1})).to_png()\n"
        "print(compiled)\n"
        "from salesfunnel._numbers import number\n"
        "number('1 234,5', ',')\n"
        "print(len(compiled))\n"
    )
    assert _run(code).splitlines() == ["[]", "3"]  # (and reading a number compiles three)

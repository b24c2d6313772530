"""Sphinx configuration for salesfunnel."""

from __future__ import annotations

import sys
from pathlib import Path

# Document the source tree next to this file, whatever is installed.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
# Local extensions (the build-time gallery).
sys.path.insert(0, str(Path(__file__).resolve().parent / "_ext"))

project = "salesfunnel"
author = "salesfunnel developers"
copyright = "2026, salesfunnel developers"  # Sphinx's required name (shadows a builtin)

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.doctest",
    "sphinx.ext.viewcode",
    "gallery",
]
napoleon_numpy_docstring = True
napoleon_google_docstring = False
autodoc_typehints = "description"
autodoc_member_order = "bysource"
nitpicky = False
html_theme = "furo"
html_title = "salesfunnel"
exclude_patterns = ["_build", "**.ipynb_checkpoints"]

# The deal-history semantics page is written on another branch. Link to it when
# it is present, else to the deal-history entries of the API reference, so
# the build passes (warnings are errors) before and after the merge.
if (Path(__file__).resolve().parent / "deal-history.rst").exists():
    rst_epilog = ".. |deal-history| replace:: :doc:`deal-history`\n"
else:
    rst_epilog = ".. |deal-history| replace:: the deal-history entries of the :doc:`api`\n"

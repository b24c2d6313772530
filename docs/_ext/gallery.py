"""Sphinx extension: a gallery whose pictures the current code draws at build time.

Every ``docs/gallery/*.py`` script builds a :class:`salesfunnel.FunnelChart`
named ``chart`` (or a list ``charts``). When the builder starts, each script is
run and its charts are written as PNG and SVG under ``docs/_generated/gallery/``
(ignored by git), together with ``docs/_generated/gallery.inc``: one section
per script with its docstring, its pictures and its source. ``docs/gallery.rst``
includes that file, and Sphinx copies the pictures into the build output.

A script that fails stops the build with the script's name: a gallery that
quietly lost a picture would not be a test of the current code.
"""

from __future__ import annotations

import ast
import runpy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parents[1]
SCRIPTS = DOCS / "gallery"
OUT = DOCS / "_generated"


@dataclass(frozen=True)
class Entry:
    """One gallery script: its title, description and the files it produced."""

    script: Path
    title: str
    description: str
    pictures: tuple[tuple[str, str], ...]  # (png path, svg path) relative to docs/
    alt: tuple[str, ...]
    code_from: int  # the source shown starts here: the docstring is the text above


def _docstring(script: Path) -> tuple[str, str, int]:
    """Title, description and the first source line after the docstring."""
    text = script.read_text(encoding="utf-8")
    tree = ast.parse(text)
    doc = ast.get_docstring(tree) or script.stem
    first = tree.body[0]
    has_doc = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
    code_from = (first.end_lineno or 0) + 1 if has_doc else 1
    lines = text.splitlines()
    while code_from <= len(lines) and not lines[code_from - 1].strip():
        code_from += 1
    title, _, rest = doc.partition("\n")
    return title.strip().rstrip("."), rest.strip(), code_from


def _charts(namespace: dict[str, Any], script: Path) -> list[Any]:
    from salesfunnel import FunnelChart

    charts = namespace.get("charts", [namespace.get("chart")])
    if not charts or not all(isinstance(c, FunnelChart) for c in charts):
        msg = f"{script.name}: define `chart` (a FunnelChart) or `charts` (a list of them)"
        raise RuntimeError(msg)
    return list(charts)


def build(scripts: Path = SCRIPTS, out: Path = OUT) -> list[Entry]:
    """Run every gallery script, write its pictures and the gallery's rst body."""
    pictures = out / "gallery"
    pictures.mkdir(parents=True, exist_ok=True)
    entries = []
    for script in sorted(scripts.glob("*.py")):
        title, description, code_from = _docstring(script)
        try:
            namespace = runpy.run_path(str(script), run_name="__gallery__")
        except Exception as exc:
            msg = f"gallery script {script.name} failed: {exc!r}"
            raise RuntimeError(msg) from exc
        files = []
        alts = []
        for k, chart in enumerate(_charts(namespace, script)):
            stem = script.stem if k == 0 else f"{script.stem}-{k + 1}"
            _write_if_changed(pictures / f"{stem}.png", chart.to_png())
            _write_if_changed(pictures / f"{stem}.svg", chart.to_svg().encode("utf-8"))
            rel = pictures.relative_to(out.parent)
            files.append((f"{rel}/{stem}.png", f"{rel}/{stem}.svg"))
            alts.append(chart.alt_text())
        entries.append(Entry(script, title, description, tuple(files), tuple(alts), code_from))
    _write_if_changed(out / "gallery.inc", render_rst(entries).encode("utf-8"))
    return entries


def _write_if_changed(path: Path, data: bytes) -> None:
    # Rewriting identical bytes would make Sphinx rebuild the page every time.
    if not path.exists() or path.read_bytes() != data:
        path.write_bytes(data)


def _one_line(text: str) -> str:
    return " ".join(text.split()).replace("`", "'")


def render_rst(entries: list[Entry]) -> str:
    """The gallery body: per script a section with text, pictures and source."""
    lines: list[str] = []
    for e in entries:
        lines += [e.title, "-" * len(e.title), ""]
        if e.description:
            lines += [e.description, ""]
        for (png, svg), alt in zip(e.pictures, e.alt, strict=True):
            lines += [
                f".. image:: /{png}",
                f"   :alt: {_one_line(alt)}",
                "",
                f"PNG above; the same chart as SVG: :download:`{Path(svg).name} </{svg}>`.",
                "",
            ]
        source = e.script.relative_to(DOCS) if e.script.is_relative_to(DOCS) else e.script
        lines += [
            f".. literalinclude:: /{source}",
            "   :language: python",
            f"   :caption: {source}",
            f"   :lines: {e.code_from}-",
            "",
        ]
    return "\n".join(lines)


def _on_builder_inited(app: Any) -> None:
    build()


def setup(app: Any) -> dict[str, Any]:
    """Register the gallery with Sphinx."""
    app.connect("builder-inited", _on_builder_inited)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}

"""Private means private: underscore names of the renderer stay in its room, and back.

Read from the source with ``ast``: every ``from ... import`` in ``src/salesfunnel``.
A module outside ``render/`` never imports an underscore name from ``render``;
a module of ``render/`` never imports an underscore name from another room (the
shared floor modules ``_format``, ``_table``, ``_time``, ``_csvio`` are meant to
be shared, so their public names are fine).
"""

from __future__ import annotations

import ast
from pathlib import Path

import salesfunnel

PACKAGE = Path(salesfunnel.__file__).resolve().parent


def _imports(path: Path) -> list[tuple[str, str]]:
    """(absolute module, imported name) of every ``from ... import`` in ``path``."""
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    here = parts if path.name == "__init__.py" else parts[:-1]
    here = here[:-1] if path.name == "__init__.py" else here
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - (node.level - 1)]
                module = ".".join([*base, *(node.module or "").split(".")]).rstrip(".")
            else:
                module = node.module or ""
            out += [(module, alias.name) for alias in node.names]
    return out


def _room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 else "floor"


def test_the_import_reader_resolves_relative_imports() -> None:
    found = _imports(PACKAGE / "render" / "layout.py")
    assert ("salesfunnel.render.builder", "_Builder") in found
    assert ("salesfunnel._format", "fmt_number") in _imports(PACKAGE / "render" / "labels.py")


def test_no_underscore_name_crosses_the_renderer_s_walls() -> None:
    crossings = []
    for path in sorted(PACKAGE.rglob("*.py")):
        own = _room("salesfunnel." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts))
        for module, name in _imports(path):
            if not module.startswith("salesfunnel") or not name.startswith("_"):
                continue
            other = _room(module)
            if other != own and "render" in (own, other):
                crossings.append(f"{path.relative_to(PACKAGE)}: {name} from {module}")
    assert crossings == []

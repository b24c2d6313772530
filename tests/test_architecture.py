"""The package's shape, checked: which room may import which, privacy, and size limits.

docs/architecture.rst states these rules; this test keeps the code and the page honest.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "salesfunnel"

# Rooms from the bottom up: a module may import its own room and the rooms listed before it.
ROOMS = (
    "floor",  # errors, _numbers, _time(hints), _format, _table, _csvio, _csvplain: shared by all above
    "funnel",
    "datasets",
    "deals",
    "events",
    "scale",  # the partition function and mergeable partials of the cluster adapters
    "dask",  # salesfunnel.dask and salesfunnel.spark: thin public entry points
    "spark",
    "render",
    "chart",
    "analysis",
    "output",
    "cli",
    "package",  # __init__ and __main__ re-export and start
)
FLOOR = {
    "errors",
    "_numbers",
    "_time",
    "_timehints",
    "_calendar",
    "_arrays",
    "_format",
    "_table",
    "_csvio",
    "_csvplain",
}
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80


def _room(module: str) -> str:
    """Room of a dotted module name relative to the package ('render.svg' -> 'render')."""
    head = module.split(".")[0]
    if head in FLOOR:
        return "floor"
    if head in ("__init__", "__main__", ""):
        return "package"
    return head


def _modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        out.append((".".join(parts), path))
    return out


def _imports(module: str, path: Path) -> list[tuple[str, list[str], int]]:
    """(target module relative to the package, imported names, line) for each package import."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module.split(".")
    is_pkg = path.name == "__init__.py"
    base = package if is_pkg else package[:-1]
    if module == "__init__":
        base = []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level == 0:
                if not (node.module or "").startswith("salesfunnel"):
                    continue
                target = (node.module or "").split(".")[1:]
            else:
                up = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                target = [*up, *((node.module or "").split(".") if node.module else [])]
            names = [a.name for a in node.names]
            if not node.module and node.level:
                # `from . import coverage`: the names are modules (or the package's __version__)
                for name in names:
                    if name == "__version__":
                        found.append((".".join(target), [name], node.lineno))
                    else:
                        found.append((".".join([*target, name]), [], node.lineno))
            else:
                found.append((".".join(target), names, node.lineno))
    return found


MODULES = _modules()


@pytest.mark.parametrize(("module", "path"), MODULES, ids=[m for m, _ in MODULES])
def test_imports_only_rooms_below_and_no_private_names_of_other_rooms(
    module: str, path: Path
) -> None:
    room = _room(module)
    rank = ROOMS.index(room)
    problems = []
    for target, names, line in _imports(module, path):
        other = _room(target)
        if other == "package" and room != "package":
            if names == ["__version__"]:
                continue  # the version string is read from the package root
            problems.append(f"line {line}: imports the package root ({names})")
            continue
        if ROOMS.index(other) > rank:
            problems.append(
                f"line {line}: room {room!r} imports {target!r} of room {other!r} above it"
            )
        if other != room:
            private = [n for n in names if n.startswith("_") and n != "__version__"]
            if private:
                problems.append(f"line {line}: imports private names {private} of room {other!r}")
    assert not problems, f"{module}:\n" + "\n".join(problems)


@pytest.mark.parametrize(("module", "path"), MODULES, ids=[m for m, _ in MODULES])
def test_module_and_function_sizes(module: str, path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert len(lines) <= MAX_MODULE_LINES, f"{module}: {len(lines)} lines"
    long = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            # Lines of code: the docstring (Parameters, Examples...) does not count.
            n = (node.end_lineno or node.lineno) - node.lineno + 1
            doc = node.body[0] if node.body else None
            if isinstance(doc, ast.Expr) and isinstance(doc.value, ast.Constant):
                n -= (doc.end_lineno or doc.lineno) - doc.lineno + 1
            if n > MAX_FUNCTION_LINES:
                head = "\n".join(lines[node.lineno - 1 : node.lineno + 40])
                if "Long:" not in head:  # a "# Long: why" comment or docstring note
                    long.append(f"{node.name} ({n} lines, line {node.lineno})")
    assert not long, (
        f"{module}: functions over {MAX_FUNCTION_LINES} lines without a '# Long: why' comment: {long}"
    )


def test_every_room_is_known() -> None:
    rooms = {_room(m) for m, _ in MODULES}
    assert rooms <= set(ROOMS), rooms - set(ROOMS)


def test_the_rules_catch_a_violation(tmp_path: Path) -> None:
    """The checker itself can fail: a render module importing the report, and a private name."""
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from ..output.report import build_report\nfrom ..deals.log import _secret\n",
        encoding="utf-8",
    )
    found = _imports("render.bad", bad)
    assert ("output.report", ["build_report"], 1) in found
    assert ("deals.log", ["_secret"], 2) in found
    assert ROOMS.index(_room("output.report")) > ROOMS.index(_room("render.bad"))

"""Helpers shared by the tests that need a fresh process: the command line, or a script."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def run_cli(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The command's result, with this checkout's package first on the path."""
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    return subprocess.run(
        [sys.executable, "-m", "salesfunnel", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=300,
        check=False,
    )


def run_python(code: str, *args: str | Path) -> str:
    """The standard output of ``python -c code *args`` in a fresh process (which must succeed),
    with this checkout's package first on the path: for what a new process imports."""
    done = subprocess.run(
        [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(SRC)!r})\n" + code,
         *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )  # fmt: skip
    return done.stdout.strip()

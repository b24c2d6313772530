"""The build-time gallery: every script draws, and the page shows every picture."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

DOCS = Path(__file__).resolve().parents[2] / "docs"
sys.path.insert(0, str(DOCS / "_ext"))

import gallery  # noqa: E402 - the extension lives outside the package, on the path added above


def test_every_script_writes_png_svg_and_a_section(tmp_path: Path) -> None:
    out = tmp_path / "_generated"
    entries = gallery.build(DOCS / "gallery", out)
    scripts = sorted((DOCS / "gallery").glob("*.py"))
    assert [e.script for e in entries] == scripts
    body = (out / "gallery.inc").read_text(encoding="utf-8")
    for e in entries:
        assert e.title in body
        assert f"/gallery/{e.script.name}" in body
        for png, svg in e.pictures:
            image = Image.open(io.BytesIO((tmp_path / png).read_bytes()))
            assert image.format == "PNG"
            # A picture of a funnel, not a blank canvas: enough non-background pixels.
            gray = np.asarray(image.convert("L"))
            assert int((gray < 200).sum()) > 2000
            assert (tmp_path / svg).read_text(encoding="utf-8").startswith("<svg")
            assert f".. image:: /{png}" in body


def test_rebuild_leaves_unchanged_files_alone(tmp_path: Path) -> None:
    out = tmp_path / "_generated"
    gallery.build(DOCS / "gallery", out)
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    gallery.build(DOCS / "gallery", out)
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == stamps


def test_a_failing_script_names_itself(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text('"""Bad."""\nraise ValueError("boom")\n', encoding="utf-8")
    with pytest.raises(RuntimeError, match=r"gallery script bad\.py failed"):
        gallery.build(tmp_path, tmp_path / "_generated")

"""Helpers shared by the renderer tests (goldens, pixel lookups)."""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image

from salesfunnel import FunnelChart

GOLDEN = Path(__file__).resolve().parent / "render" / "golden"
REGEN = os.environ.get("SALESFUNNEL_REGEN_GOLDENS") == "1"
# Where a failed comparison leaves the actual picture and the difference (git ignores it).
FAILED = GOLDEN / "_failed"
# Mean absolute channel difference (of 255) a picture may drift from its golden: the
# pictures drawn today differ from theirs by about 0.001 (a level or two on a hundred
# pixels); a stage one tenth narrower moves the six-stage golden by 0.56.
IMAGE_TOLERANCE = 0.25


def check_golden_image(image: Image.Image, name: str, failed: Path = FAILED) -> None:
    """Compare ``image`` with ``golden/image-{name}.png`` (rewrite it first when regenerating).

    On a mismatch, ``{name}-actual.png`` and ``{name}-diff.png`` (per pixel the largest
    channel difference, times 8, white = 32 levels or more) are written into ``failed``
    and the failure names both paths.
    """
    path = GOLDEN / f"image-{name}.png"
    if REGEN:
        image.save(path)
    expected = np.asarray(Image.open(path).convert("RGB")).astype(np.int32)
    got = np.asarray(image.convert("RGB")).astype(np.int32)
    actual, diff = failed / f"{name}-actual.png", failed / f"{name}-diff.png"
    if got.shape == expected.shape:
        delta = np.abs(got - expected)
        error = float(delta.mean())
        if error <= IMAGE_TOLERANCE:
            actual.unlink(missing_ok=True)  # a stale failure of an earlier run
            diff.unlink(missing_ok=True)
            return
        heat = np.minimum(delta.max(axis=2) * 8, 255).astype(np.uint8)
        why = f"mean channel difference {error:.3f} > {IMAGE_TOLERANCE}"
    else:
        heat = np.zeros(got.shape[:2], dtype=np.uint8)
        why = f"size {got.shape[1]} x {got.shape[0]}, golden {expected.shape[1]} x {expected.shape[0]}"
    failed.mkdir(parents=True, exist_ok=True)
    image.convert("RGB").save(actual)
    Image.fromarray(heat, "L").save(diff)
    raise AssertionError(f"{path.name}: {why}; actual {actual}, difference {diff}")


def check_golden_text(text: str, name: str, failed: Path = FAILED) -> None:
    """Compare ``text`` with ``golden/{name}.txt``; on a mismatch write ``{name}-actual.txt``
    and a unified diff ``{name}.diff`` into ``failed`` and name both in the failure."""
    path = GOLDEN / f"{name}.txt"
    if REGEN:
        path.write_text(text, encoding="utf-8")
    expected = path.read_text(encoding="utf-8")
    actual, diff = failed / f"{name}-actual.txt", failed / f"{name}.diff"
    if text == expected:
        actual.unlink(missing_ok=True)
        diff.unlink(missing_ok=True)
        return
    failed.mkdir(parents=True, exist_ok=True)
    actual.write_text(text, encoding="utf-8")
    lines = difflib.unified_diff(
        expected.splitlines(keepends=True), text.splitlines(keepends=True), str(path), str(actual)
    )
    diff.write_text("".join(lines), encoding="utf-8")
    raise AssertionError(f"{path.name} differs; actual {actual}, difference {diff}")


def stage_pixels(
    chart: FunnelChart, parts: tuple[str, ...] = ("rim", "side", "label")
) -> dict[tuple[int, int], int]:
    """(funnel index, stage index) -> number of hit pixels the stage's ``parts`` own."""
    mask = chart.hit_mask()
    ids, n = np.unique(mask[mask >= 0], return_counts=True)
    out: dict[tuple[int, int], int] = {}
    for rid, count in zip(ids.tolist(), n.tolist(), strict=True):
        r = chart.regions[rid]
        if r.funnel_index is not None and r.stage is not None and r.part in parts:
            key = (r.funnel_index, r.stage)
            out[key] = out.get(key, 0) + count
    return out


def mask_text(chart: FunnelChart) -> str:
    """A hit mask one character per pixel: '.' background, a-z side, A-Z rim, digits label."""
    mask = chart.hit_mask()
    chars = []
    for rid in range(len(chart.regions)):
        r = chart.regions[rid]
        stage = r.stage or 0
        chars.append(
            {"side": "abcdefghij", "rim": "ABCDEFGHIJ"}.get(r.part, "0123456789")[stage % 10]
        )
    lut = np.array([*chars, "."])
    return "\n".join("".join(row) for row in lut[mask]) + "\n"


def uniform_interior(mask: npt.NDArray[np.int32]) -> npt.NDArray[np.bool_]:
    """Pixels whose 3 x 3 neighbourhood has one value (away from region edges)."""
    m = np.pad(mask, 1, mode="edge")
    same = np.ones(mask.shape, dtype=bool)
    h, w = mask.shape
    for dy in (0, 1, 2):
        for dx in (0, 1, 2):
            same &= m[dy : dy + h, dx : dx + w] == mask
    return same


def core_without(name: str) -> object:
    """Pillow's core as a future release might have it: ``name`` gone, the rest as now
    (for the fallbacks of :mod:`salesfunnel.render.pillow_fast`)."""
    from salesfunnel.render import pillow_fast

    real = pillow_fast.pil_core

    class Changed:
        def __getattr__(self, attr: str) -> object:
            if attr == name:
                raise AttributeError(attr)
            return getattr(real, attr)

    return Changed()

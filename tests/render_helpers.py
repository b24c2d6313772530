"""Helpers shared by the renderer tests (goldens, pixel lookups)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import numpy.typing as npt

from salesfunnel import FunnelChart

GOLDEN = Path(__file__).resolve().parent / "render" / "golden"
REGEN = os.environ.get("SALESFUNNEL_REGEN_GOLDENS") == "1"


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

"""The geometry under construction: what the layout adds, in paint order."""

from __future__ import annotations

from collections.abc import Hashable

from .shapes import Geometry, LabelNote, Layer, Primitive, Region, Shape

__all__: list[str] = []


class _Builder:
    """Shapes, regions and label notes of a geometry under construction.

    A builder made with ``reach=True`` is a probe: the label functions record in
    :attr:`reach` only how far each line of label text reaches, ``(left, right)``
    as the line's ``Text.bounds`` would say, and add nothing (the layout's
    centring of a lone funnel needs no more).
    """

    def __init__(self, reach: bool = False) -> None:
        self.shapes: list[Shape] = []
        self.regions: list[Region] = []
        self._ids: dict[tuple[int | None, int | None, str], int] = {}
        self.notes: list[LabelNote] = []
        self.reach: list[tuple[float, float]] | None = [] if reach else None

    def region(
        self,
        funnel: Hashable,
        funnel_index: int | None,
        stage: int | None,
        part: str,
        polygon: tuple[tuple[float, float], ...],
        text: str,
    ) -> int:
        key = (funnel_index, stage, part)
        if key in self._ids:
            return self._ids[key]
        xs = [p[0] for p in polygon]
        ys = [p[1] for p in polygon]
        rid = len(self.regions)
        bounds = (min(xs), min(ys), max(xs), max(ys))
        self.regions.append(Region(rid, funnel, funnel_index, stage, part, polygon, bounds, text))
        self._ids[key] = rid
        return rid

    def add(self, layer: Layer, region: int | None, primitive: Primitive) -> None:
        self.shapes.append(Shape(layer, region, primitive))

    def geometry(self, width: float, height: float, descriptions: list[str]) -> Geometry:
        """The frozen result: what was added, in the order it was added."""
        return Geometry(
            width,
            height,
            tuple(self.shapes),
            tuple(self.regions),
            tuple(self.notes),
            " ".join(descriptions),
        )

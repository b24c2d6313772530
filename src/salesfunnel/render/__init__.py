"""Drawing: style, one frozen geometry per chart, one paint loop, and its backends
(anti-aliased raster, SVG, hit maps, PNG bytes).

The flow, module by module: :mod:`~salesfunnel.render.layout` (with
:mod:`~salesfunnel.render.labels` and :mod:`~salesfunnel.render.slices`) turns funnels and a
:mod:`~salesfunnel.render.style` into a :class:`~salesfunnel.render.shapes.Geometry`
of tagged :mod:`~salesfunnel.render.shapes`; :mod:`~salesfunnel.render.paint`
walks it layer by layer for each backend: :mod:`~salesfunnel.render.raster`
(coverage from :mod:`~salesfunnel.render.coverage`, Pillow's fast paths from
:mod:`~salesfunnel.render.pillow_fast`), :mod:`~salesfunnel.render.svg` and
:mod:`~salesfunnel.render.hitmap`. Text is measured by
:mod:`~salesfunnel.render.text`.

May import :mod:`salesfunnel.funnel` and the shared floor.
"""

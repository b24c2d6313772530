"""Drawing: style, one frozen geometry per chart, one paint loop, and its backends
(anti-aliased raster, SVG, hit maps, PNG bytes).

May import :mod:`salesfunnel.funnel` and the shared floor.
"""

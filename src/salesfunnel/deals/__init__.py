"""Deal histories: the pipeline, the columnar :class:`DealLog`, its vectorised engine and
the analyses on it (closed and active funnels, durations, volume, survival, receivables).

May import :mod:`salesfunnel.funnel` and the shared floor; knows nothing of drawing or HTML.
"""

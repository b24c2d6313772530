"""The renderer benchmarks' chart: an 800 x 600 six-stage funnel with labels.

Shared by ``bench_render.py`` and ``ab_render.py`` so both time the same work.
It imports nothing from salesfunnel: ``ab_render.py`` runs other source trees.
"""

COUNTS = {
    "Calls": 200,
    "Meetings": 60,
    "Presentations": 45,
    "Offers": 30,
    "Contracts": 14,
    "Paid": 10,
}
# A fresh process's whole job: import salesfunnel, lay out and write the first PNG.
FIRST_PNG = (
    "from salesfunnel import Funnel, FunnelChart\n"
    f"FunnelChart(Funnel.from_counts({COUNTS!r}), title='x').to_png()"
)

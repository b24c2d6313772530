"""Twelve stages.

A long pipeline on a small canvas: labels that do not fit inside their slice
move outside with a leader line, and crowded labels fall back to one line.
"""

from salesfunnel import Funnel, FunnelChart

funnel = Funnel.from_counts({f"Stage {i + 1}": round(1000 * 0.8**i) for i in range(12)})
chart = FunnelChart(funnel, width=560, height=520, title="Twelve stages, 20 % lost at each")

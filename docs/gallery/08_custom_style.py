"""A custom :class:`~salesfunnel.Style`.

Warm hues repeated per stage, light from the right, no outline, larger labels
and the percentages of the previous stage only.
"""

from salesfunnel import Funnel, FunnelChart, Style

funnel = Funnel.from_counts(
    {"Awareness": 1000, "Interest": 420, "Desire": 180, "Action": 65}, name="AIDA"
)
style = Style(
    hues=(0.0, 0.06, 0.12),
    light=0.5,
    value_shadow=0.35,
    value_light=0.95,
    show_outline=False,
    label_size=14,
)
chart = FunnelChart(funnel, width=600, height=420, style=style, percent="previous", title="AIDA")

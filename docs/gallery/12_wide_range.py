"""A wide-range ad funnel: log widths and percentages that never read 0.0 %.

213 million impressions to 872 sales. Drawn linearly (left), every stage after
the first is a hairline; ``width_mapping="log"`` (right) keeps them apart and
says so under the drawing. The click rate is 0.018 %, and rates below
``Style.percent_floor`` (0.01 % by default) read ``<0.01%``, never ``0.0%``.
"""

from salesfunnel import Funnel, FunnelChart

funnel = Funnel.from_counts(
    {"Impressions": 213_434_828, "Clicks": 38_165, "Leads": 2_669, "Sales": 872}
)
linear = FunnelChart(funnel, width=440, height=360, title='width_mapping="linear"')
chart = FunnelChart(funnel, width=440, height=360, width_mapping="log", title='width_mapping="log"')
charts = [linear, chart]

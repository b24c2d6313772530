"""Linear and square-root width mapping.

With counts spanning three orders of magnitude a linear width (left) leaves
the last stages as slivers; ``width_mapping="sqrt"`` (right) keeps them
readable. Both charts use the same data.
"""

from salesfunnel import Funnel, FunnelChart

funnel = Funnel.from_counts({"Impressions": 50_000, "Clicks": 2_400, "Sign-ups": 310, "Paid": 42})
linear = FunnelChart(funnel, width=440, height=360, title='width_mapping="linear"')
chart = FunnelChart(
    funnel, width=440, height=360, width_mapping="sqrt", title='width_mapping="sqrt"'
)
charts = [linear, chart]

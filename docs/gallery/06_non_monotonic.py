"""A non-monotonic funnel.

Input order is kept: stages larger than the one before them widen the funnel
instead of being reordered or clipped, and their conversion shows above 100 %.
"""

from salesfunnel import Funnel, FunnelChart

funnel = Funnel.from_counts(
    {"Visits": 100, "Sign-ups": 140, "Trials": 60, "Paid": 75, "Renewed": 20}
)
chart = FunnelChart(funnel, width=560, height=380, title="Later stages larger than earlier ones")

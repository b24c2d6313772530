"""A non-monotonic funnel.

Input order is kept: stages larger than the one before them are drawn wider,
not reordered or clipped, and their conversion shows above 100 %. Counts that
grow along the funnel are not a narrowing funnel, so the chart draws each
stage as a flat centred bar (``shape="bars"``, chosen by default here) rather
than slices of a cone stacked as bowls.
"""

from salesfunnel import Funnel, FunnelChart

funnel = Funnel.from_counts(
    {"Visits": 100, "Sign-ups": 140, "Trials": 60, "Paid": 75, "Renewed": 20}
)
chart = FunnelChart(funnel, width=560, height=380, title="Later stages larger than earlier ones")

"""A stage with zero deals.

A zero stage stays zero: nothing is drawn for it, its label says 0 and the
conversion of the stage after it is undefined (an em dash, never ``nan``).
"""

from salesfunnel import Funnel, FunnelChart

funnel = Funnel.from_counts({"Leads": 120, "Qualified": 40, "Demo": 0, "Offer": 8, "Won": 5})
chart = FunnelChart(funnel, width=560, height=380, title="No demo booked this week")

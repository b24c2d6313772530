"""Before and after: the former blue-to-green ramp and the distinct default palette.

Left, ``Style(palette="ramp")``, the former default: neighbouring stages
(Meeting, Proposal, Negotiation) are close shades, hard to tell apart, and
closer still to a reader with deuteranopia or protanopia. Right, the default
``palette="distinct"``: neighbours differ by a CIE 1976 delta E above 40 in
normal vision and under simulated deuteranopia and protanopia. The single
funnel and its labels are also centred on the canvas now (both charts here),
where the former layout packed them to the left.
"""

from salesfunnel import Funnel, FunnelChart, Style

funnel = Funnel.from_counts(
    {"Lead": 969, "Qualified": 602, "Meeting": 342, "Proposal": 206, "Negotiation": 122, "Won": 90}
)
before = FunnelChart(funnel, width=440, height=380, style=Style(palette="ramp"), title="ramp")
chart = FunnelChart(funnel, width=440, height=380, title="distinct (default)")
charts = [before, chart]

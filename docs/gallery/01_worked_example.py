"""The seed's worked example.

200 prospects were called and 10 signed and paid: an overall conversion of
5 %. Every label names the basis of its percentages.
"""

from salesfunnel import Funnel, FunnelChart

funnel = Funnel.from_counts(
    {"Calls": 200, "Meetings": 60, "Presentations": 45, "Offers": 30, "Contracts": 14, "Paid": 10}
)
chart = FunnelChart(funnel, width=640, height=480, title="200 calls, 10 paid: 5 % overall")

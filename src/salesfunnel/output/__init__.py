"""Documents for people: HTML pages, tables and image maps, and the HTML report.

May import every room below it (funnel, deals, render) and the chart facade.
"""

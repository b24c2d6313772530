"""Aggregate funnels: the :class:`Funnel` model, its metrics, comparison and planning.

The floor of the package above :mod:`salesfunnel.errors` and the shared
formatting modules: nothing here knows about deal logs, drawing or HTML.
"""

"""Event-log funnels: :class:`~salesfunnel.EventLog` and :func:`~salesfunnel.event_funnel`.

The rules follow PostHog's funnel engine; see ``events.funnel`` and
``/work/shared/FUNNEL-SEMANTICS.md``.
"""

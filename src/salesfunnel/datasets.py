"""Small built-in datasets for examples, docs and tests.

Every dataset here is synthetic: numbers made up to reproduce a story, not
anyone's real sales.
"""

from __future__ import annotations

from .model import Funnel

__all__ = ["THREE_MANAGERS_STAGES", "three_managers"]

THREE_MANAGERS_STAGES = ("Calls", "Meetings", "Repeat contacts", "Offers", "Contracts", "Paid")

# One month of a wholesale company: three managers with the same duties.
_THREE_MANAGERS = {
    "Manager 1": (1200, 300, 180, 120, 75, 47),
    "Manager 2": (2000, 240, 170, 126, 75, 51),
    "Manager 3": (1100, 286, 166, 108, 70, 42),
}


def three_managers() -> dict[str, Funnel]:
    """The seed's three-manager month, one funnel per manager.

    The numbers are synthetic and built to reproduce the story of the source
    article: manager 2 makes the most calls but has the lowest overall
    conversion (the cold call is his weak step); he converts meetings and
    repeat contacts well; his payment-stage conversion is the highest, 68 %
    (51 of 75 contracts paid), while the company's payment stage sits between
    60 % and 68 %.

    Returns
    -------
    dict[str, Funnel]
        Manager name -> funnel over ``THREE_MANAGERS_STAGES``.

    Examples
    --------
    >>> funnels = three_managers()
    >>> sorted(funnels)
    ['Manager 1', 'Manager 2', 'Manager 3']
    >>> funnels["Manager 2"]["Calls"].count
    2000.0
    """
    return {
        name: Funnel.from_counts(list(zip(THREE_MANAGERS_STAGES, counts, strict=True)), name=name)
        for name, counts in _THREE_MANAGERS.items()
    }

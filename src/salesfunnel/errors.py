"""Exceptions raised by salesfunnel.

Every error refines a builtin so callers can catch what they already know
(``ValueError`` for bad data) or the library's own root class.
"""

from __future__ import annotations

__all__ = ["FunnelDataError", "SalesFunnelError"]


class SalesFunnelError(Exception):
    """Root of every exception raised on purpose by salesfunnel."""


class FunnelDataError(SalesFunnelError, ValueError):
    """Input data does not describe a valid funnel, deal log or request.

    The message names the argument or field, what was expected and what arrived.
    """

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=50, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


@pytest.fixture
def id_lookups(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the lookups of deal or unit ids from their codes (each records how many):
    every path that makes ids when first read goes through one."""
    from salesfunnel.deals import idlookup

    calls: list[int] = []
    real = idlookup.ids_from

    def counted(table: Any, offset: int, codes: np.ndarray) -> np.ndarray:
        calls.append(len(codes))
        return real(table, offset, codes)

    monkeypatch.setattr(idlookup, "ids_from", counted)
    return calls

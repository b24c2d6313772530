from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from salesfunnel import FunnelDataError
from salesfunnel.datasets import CRM_OUTCOMES, CRM_STAGES, synthetic_crm


@settings(max_examples=15)
@given(
    st.integers(min_value=1, max_value=300),
    st.integers(min_value=1, max_value=8),
    st.integers(min_value=0, max_value=2**32 - 1),
)
def test_synthetic_history_is_well_formed(n: int, owners: int, seed: int) -> None:
    cols = synthetic_crm(n, owners=owners, seed=seed, start="2026-01-01", end="2026-03-31")
    ids, stage, ts, owner = cols["deal_id"], cols["stage"], cols["timestamp"], cols["owner"]
    assert len({len(v) for v in cols.values()}) == 1
    assert len(np.unique(ids)) == n
    assert set(np.unique(owner)) <= {
        "Alice",
        "Boris",
        "Chen",
        "Dana",
        "Emil",
        "Fatima",
        "Goran",
        "Hana",
    }
    assert len(np.unique(owner)) <= owners
    assert ts.min() >= np.datetime64("2026-01-01T00:00:00")
    assert ts.max() <= np.datetime64("2026-03-31T23:59:59")
    outcomes = set(CRM_OUTCOMES.values())
    for deal in np.unique(ids)[:50]:
        rows = np.flatnonzero(ids == deal)
        assert stage[rows[0]] == CRM_STAGES[0]
        assert (np.diff(ts[rows]) > np.timedelta64(0, "s")).all()
        is_outcome = [s in outcomes for s in stage[rows]]
        assert sum(is_outcome) <= 1
        assert not any(is_outcome[:-1])
        assert len(set(owner[rows])) == 1


def test_same_seed_same_rows_other_seed_other_rows() -> None:
    a, b, c = synthetic_crm(200, seed=3), synthetic_crm(200, seed=3), synthetic_crm(200, seed=4)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["timestamp"], c["timestamp"])


def test_bad_arguments_name_themselves() -> None:
    with pytest.raises(FunnelDataError, match="n_deals"):
        synthetic_crm(0)
    with pytest.raises(FunnelDataError, match="owners"):
        synthetic_crm(10, owners=9)
    with pytest.raises(FunnelDataError, match="ISO dates"):
        synthetic_crm(10, start="01/02/2026")
    with pytest.raises(FunnelDataError, match="after start"):
        synthetic_crm(10, start="2026-02-01", end="2026-01-01")

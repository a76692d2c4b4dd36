"""Fixtures for the analysis tests: small synthetic survey rounds built with numpy."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from analysis import RoundResponses


def build_round(
    seed: int = 0,
    n_orgs: int = 6,
    n_groups: int = 4,
    n_items: int = 6,
    n_domains: int = 2,
    n_responses: int = 300,
    item_labels: tuple[str, ...] | None = None,
    shift: float = 0.0,
) -> RoundResponses:
    """A small round with skewed group sizes (so some cells are tiny), don't knows,
    skips and one group routed away from the last domain."""
    rng = np.random.default_rng(seed)
    share = np.geomspace(1.0, 0.03, n_groups)
    org = rng.integers(0, n_orgs, n_responses)
    group = rng.choice(n_groups, n_responses, p=share / share.sum())
    item_domain = np.arange(n_items) % n_domains
    latent = (rng.normal(0, 0.5, n_orgs)[org] + rng.normal(0, 0.7, n_responses) + shift)[:, None]
    latent = latent + rng.normal(0, 0.9, (n_responses, n_items))
    scores = np.digitize(latent, [-1.2, -0.4, 0.3, 1.0]).astype(float) + 1
    u = rng.random((n_responses, n_items))
    dk = u < 0.1
    skip = (u >= 0.1) & (u < 0.15)
    routed_out_items = item_domain == n_domains - 1
    routed_out = (group == n_groups - 1)[:, None] & routed_out_items[None, :]
    dk &= ~routed_out
    scores[dk | skip | routed_out] = np.nan
    counts = np.bincount(org * n_groups + group, minlength=n_orgs * n_groups)
    invited = (counts + rng.integers(0, 6, counts.size)).reshape(n_orgs, n_groups)
    return RoundResponses(
        scores=scores,
        dont_know=dk,
        item_labels=item_labels or tuple(f"Q{i}" for i in range(n_items)),
        item_domain=item_domain,
        domain_labels=tuple(f"D{d}" for d in range(n_domains)),
        organisation=org,
        organisation_labels=tuple(f"O{o}" for o in range(n_orgs)),
        organisation_kind=np.arange(n_orgs) % 2,
        kind_labels=("CCG", "Direct"),
        group=group,
        group_labels=tuple(f"G{g}" for g in range(n_groups)),
        invited=invited,
        routing=~((np.arange(n_groups) == n_groups - 1)[:, None] & routed_out_items[None, :]),
    )


@pytest.fixture
def make_round() -> Callable[..., RoundResponses]:
    """Factory fixture: ``make_round(seed=..., n_orgs=..., ...)``."""
    return build_round

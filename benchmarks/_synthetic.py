"""Synthetic national survey rounds for benchmarks and demos (not real data).

``make_round`` builds arrays in exactly the shape :class:`analysis.RoundResponses`
expects, so a database adapter can be swapped in later without touching the
benchmark.  Everything is vectorised and seeded.
"""

from __future__ import annotations

import numpy as np

from analysis import RoundResponses

GROUPS = (
    "GP member practices",
    "Health and wellbeing board",
    "Local authority",
    "Local Healthwatch",
    "Patient and public groups",
    "NHS providers",
    "Other commissioners",
    "NHS England",
    "Regulators (CQC)",
    "VCSE sector",
)
# Share of responses per group: GP practices dominate, regulators are tiny, so
# small-cell suppression is exercised in every organisation.
GROUP_SHARE = np.array([0.50, 0.04, 0.08, 0.03, 0.05, 0.12, 0.06, 0.05, 0.007, 0.063])
DOMAINS = (
    "Clinical leadership and quality",
    "Patient and public engagement",
    "Plans and outcomes",
    "Governance",
    "Partnership working",
    "Leadership",
)


def make_round(
    n_orgs: int = 250,
    n_responses: int = 200_000,
    n_items: int = 60,
    n_domains: int = 6,
    n_groups: int = 10,
    seed: int = 0,
    shift: float = 0.0,
    item_prefix: str = "Q",
    renamed_items: int = 0,
) -> RoundResponses:
    """Build one synthetic round.

    Parameters
    ----------
    n_orgs, n_responses, n_items, n_domains, n_groups : int
        Sizes (defaults: a national round, 250 organisations of two kinds,
        200,000 responses, 60 items in 6 domains, 10 stakeholder groups).
    seed : int
        Random seed.
    shift : float
        Added to every latent score (a year-on-year change).
    item_prefix : str
        Item labels are ``f"{item_prefix}{i:02d}"``.
    renamed_items : int
        The last this-many items get new labels (new questions: unmatched
        against another round).

    Notes
    -----
    Scores are an ordinal 1-5 cut of a latent normal with organisation,
    group, item and respondent effects.  About 7% "don't know" (more for
    distant groups), about 3% skipped, and the regulator group is routed to the
    governance and leadership domains only.
    """
    rng = np.random.default_rng(seed)
    share = GROUP_SHARE[:n_groups] / GROUP_SHARE[:n_groups].sum()
    org = rng.integers(0, n_orgs, n_responses)
    group = rng.choice(n_groups, size=n_responses, p=share)
    item_domain = np.repeat(np.arange(n_domains), -(-n_items // n_domains))[:n_items]
    org_eff = rng.normal(0.0, 0.35, n_orgs)
    grp_eff = rng.normal(0.0, 0.25, n_groups)
    item_eff = rng.normal(0.3, 0.3, n_items)
    resp_eff = rng.normal(0.0, 0.6, n_responses)
    latent = (
        (org_eff[org] + grp_eff[group] + resp_eff + shift)[:, None]
        + item_eff[None, :]
        + rng.normal(0.0, 0.8, (n_responses, n_items))
    )
    scores = np.digitize(latent, [-1.3, -0.5, 0.2, 1.1]).astype(np.float64) + 1.0
    dk_rate = np.where(group == 0, 0.04, 0.10)[:, None]
    u = rng.random((n_responses, n_items))
    dont_know = u < dk_rate
    skipped = (u >= dk_rate) & (u < dk_rate + 0.03)
    if n_groups > 8:
        routed_out = (group == 8)[:, None] & ~np.isin(item_domain, [3, 5])[None, :]
        dont_know &= ~routed_out
        skipped |= routed_out
    scores[dont_know | skipped] = np.nan
    counts = np.bincount(org * n_groups + group, minlength=n_orgs * n_groups)
    rate = rng.uniform(0.45, 0.9, n_orgs * n_groups)
    invited = np.ceil(counts / rate).astype(np.int64).reshape(n_orgs, n_groups)
    labels = [f"{item_prefix}{i:02d}" for i in range(n_items)]
    for j in range(n_items - renamed_items, n_items):
        labels[j] = f"{item_prefix}{j:02d}-new"
    domains = (
        DOMAINS[:n_domains]
        if n_domains <= len(DOMAINS)
        else tuple(f"Domain {d + 1}" for d in range(n_domains))
    )
    groups = (
        GROUPS[:n_groups]
        if n_groups <= len(GROUPS)
        else tuple(f"Group {g + 1}" for g in range(n_groups))
    )
    return RoundResponses(
        scores=scores,
        dont_know=dont_know,
        item_labels=tuple(labels),
        item_domain=item_domain,
        domain_labels=domains,
        organisation=org,
        organisation_labels=tuple(f"ORG{o:03d}" for o in range(n_orgs)),
        organisation_kind=(np.arange(n_orgs) >= int(n_orgs * 0.84)).astype(np.int64),
        kind_labels=("CCG", "Direct commissioning"),
        group=group,
        group_labels=groups,
        invited=invited,
    )


def make_national_rounds(
    scale: float = 1.0, seed: int = 2024
) -> tuple[RoundResponses, RoundResponses]:
    """This year's and last year's synthetic national rounds (``scale`` shrinks them)."""
    n_orgs = max(4, int(250 * scale))
    n_resp = max(200, int(200_000 * scale))
    current = make_round(n_orgs, n_resp, seed=seed, renamed_items=2)
    previous = make_round(n_orgs, int(n_resp * 0.95), seed=seed + 1, shift=-0.1)
    return current, previous

"""Benchmark the analysis engine on a synthetic national round.

Run:  .venv/bin/python benchmarks/bench_analysis.py [--small] [--baseline-orgs N]

Times, on the same synthetic data (this year + last year):
  * the full engine, ``analysis.analyse_round(current, previous)``;
  * (a) a straightforward pandas groupby + per-group scipy implementation of the
    core of the same table (item and domain rows per organisation x group and
    all stakeholders: n, % positive with Wilson-FPC, % negative, % don't know,
    mean with t-FPC interval), run on a subset of organisations and scaled
    linearly (it takes minutes on the full round);
  * (b) the floor: one numpy reduction pass over the same score matrix
    (``np.nansum(scores, axis=0)``), plus one grouped pass (bincount of scores
    by organisation x group x item) for context.
Prints the ratios and peak RSS.  Targets (2-core machine): engine <= 2 s,
>= 20x faster than (a), within 5x of (b), peak RSS <= 1 GB.
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path[:0] = [str(Path(__file__).resolve().parent.parent), str(Path(__file__).resolve().parent)]

from _synthetic import make_national_rounds  # noqa: E402

from analysis import RoundResponses, analyse_round  # noqa: E402


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def best_of(func: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        func()
        times.append(time.perf_counter() - t0)
    return min(times)


def pandas_baseline(resp: RoundResponses, org_subset: np.ndarray) -> int:
    """The straightforward implementation: long format, groupby, scipy per group."""
    import pandas as pd
    from scipy import stats

    keep = np.isin(resp.organisation, org_subset)
    scores = resp.scores[keep]
    dk = resp.dont_know[keep]
    n_resp, n_items = scores.shape
    long = pd.DataFrame(
        {
            "respondent": np.repeat(np.arange(n_resp), n_items),
            "org": np.repeat(resp.organisation[keep], n_items),
            "group": np.repeat(resp.group[keep], n_items),
            "item": np.tile(np.arange(n_items), n_resp),
            "domain": np.tile(resp.item_domain, n_resp),
            "score": scores.ravel(),
            "dk": dk.ravel(),
        }
    )
    invited = resp.invited

    def summarise(frame: pd.DataFrame, population: float) -> dict[str, float]:
        x = frame["score"].dropna().to_numpy()
        n = x.size
        out = {"n": n, "dk": frame["dk"].mean()}
        if n == 0:
            return out
        pos = int(np.sum(x >= 4))
        ci = stats.binomtest(pos, n).proportion_ci(method="wilson")
        out.update(positive=pos / n, low=ci.low, high=ci.high, negative=np.mean(x <= 2))
        if n > 1 and x.std() > 0:
            fpc = np.sqrt(max(0.0, 1 - n / population))
            out["mean_low"], out["mean_high"] = stats.t.interval(
                0.95, n - 1, loc=x.mean(), scale=fpc * x.std(ddof=1) / np.sqrt(n)
            )
        return out

    rows = 0
    # Items, per organisation x group and for all stakeholders.
    for (org, group, _item), frame in long.groupby(["org", "group", "item"], sort=False):
        summarise(frame, invited[org, group])
        rows += 1
    for (org, _item), frame in long.groupby(["org", "item"], sort=False):
        summarise(frame, invited[org].sum())
        rows += 1
    # Domains: respondent domain scores (half rule), then per group.
    answered = long.assign(valid=long["score"].notna(), asked=long["score"].notna() | long["dk"])
    per_resp = (
        answered.groupby(["respondent", "org", "group", "domain"], sort=False)
        .agg(
            score=("score", "mean"),
            valid=("valid", "sum"),
            asked=("asked", "sum"),
            dk=("dk", "mean"),
        )
        .reset_index()
    )
    per_resp.loc[2 * per_resp["valid"] < per_resp["asked"], "score"] = np.nan
    for (org, group, _domain), frame in per_resp.groupby(["org", "group", "domain"], sort=False):
        summarise(frame, invited[org, group])
        rows += 1
    for (org, _domain), frame in per_resp.groupby(["org", "domain"], sort=False):
        summarise(frame, invited[org].sum())
        rows += 1
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="a 5%% round for a quick check")
    parser.add_argument(
        "--baseline-orgs",
        type=int,
        default=None,
        help="organisations to run the pandas baseline on (default: 10%% of them, min 3)",
    )
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    scale = 0.05 if args.small else 1.0
    t0 = time.perf_counter()
    current, previous = make_national_rounds(scale)
    build = time.perf_counter() - t0
    n_orgs = len(current.organisation_labels)
    print(
        f"synthetic round: {n_orgs} organisations, {len(current.group_labels)} groups, "
        f"{current.n_items} items in {len(current.domain_labels)} domains, "
        f"{current.scores.shape[0]:,} responses (+{previous.scores.shape[0]:,} last year); "
        f"built in {build:.2f} s"
    )
    rss_before = peak_rss_mb()

    table = analyse_round(current, previous)  # warm-up (imports, caches)
    engine = best_of(lambda: analyse_round(current, previous), args.repeat)
    engine_current_only = best_of(lambda: analyse_round(current), args.repeat)
    rss_engine = peak_rss_mb()
    print(f"table: {len(table):,} rows, {int(table.suppressed.sum()):,} suppressed")
    print(f"engine, full analysis incl. last year : {engine:8.3f} s")
    print(f"engine, this year only                : {engine_current_only:8.3f} s")

    scores = current.scores
    floor = best_of(lambda: np.nansum(scores, axis=0), args.repeat)
    cell = current.organisation * len(current.group_labels) + current.group
    flat = (cell[:, None] * current.n_items + np.arange(current.n_items)).ravel()
    grouped_floor = best_of(
        lambda: np.bincount(flat, weights=np.nan_to_num(scores).ravel()), args.repeat
    )
    print(f"(b) floor: np.nansum over the matrix   : {floor:8.3f} s")
    print(f"    grouped pass (bincount by cell)     : {grouped_floor:8.3f} s")

    k = args.baseline_orgs or max(3, n_orgs // 10)
    k = min(k, n_orgs)
    subset = np.arange(k)
    t0 = time.perf_counter()
    rows = pandas_baseline(current, subset)
    baseline_subset = time.perf_counter() - t0
    baseline = baseline_subset * n_orgs / k
    note = "measured" if k == n_orgs else f"measured on {k} organisations, scaled x{n_orgs / k:.1f}"
    print(f"(a) pandas groupby + scipy per group  : {baseline:8.3f} s ({note}; {rows:,} groups)")
    # The baseline has no benchmark / trend / BH / suppression, so compare like
    # with like too: this year only.
    print()
    print(f"speed-up vs (a), full engine          : {baseline / engine:8.1f}x   (target >= 20x)")
    print(f"speed-up vs (a), this year only       : {baseline / engine_current_only:8.1f}x")
    print(f"engine / floor (b) nansum             : {engine / floor:8.1f}x   (target <= 5x)")
    print(f"engine (this year) / floor (b)        : {engine_current_only / floor:8.1f}x")
    print(f"engine / grouped pass                 : {engine / grouped_floor:8.1f}x")
    print(f"peak RSS before analysis              : {rss_before:8.0f} MB")
    print(f"peak RSS after engine runs            : {rss_engine:8.0f} MB   (target <= 1024 MB)")
    print(f"peak RSS after pandas baseline        : {peak_rss_mb():8.0f} MB")
    print(f"engine target <= 2 s                  : {'met' if engine <= 2 else 'MISSED'}")


if __name__ == "__main__":
    main()

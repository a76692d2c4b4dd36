"""Benchmark the bulk reports: report PDF + agenda DOCX + agenda HTML for every organisation
of a synthetic national round (250 organisations, 200,000 responses), no database.

Run:  .venv/bin/python benchmarks/bench_reports.py [--orgs 250] [--workers 2] [--scale 1.0]

The synthetic round (benchmarks/_synthetic.py) is relabelled onto the bundled ccg-360
questionnaire's scale items and domains, so the reports carry real question texts.  Prints
the analysis time, the total wall time of the parallel generation and the time per
organisation.  Target (2-core machine): 250 organisations in <= 120 s.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

sys.path[:0] = [str(Path(__file__).resolve().parent.parent), str(Path(__file__).resolve().parent)]

from _synthetic import make_round  # noqa: E402

import questionnaires  # noqa: E402
from analysis import RoundResponses, analyse_round  # noqa: E402
from survey.reports.bulk import generate, jobs, render  # noqa: E402
from survey.services.results.evidence import RoundInfo  # noqa: E402


def national_round(
    questionnaire: questionnaires.Questionnaire,
    n_orgs: int,
    n_responses: int,
    seed: int,
    shift: float,
) -> RoundResponses:
    """A synthetic round on the questionnaire's own item ids and domains."""
    items = [item for item in questionnaire.items if item.kind == "scale"]
    domains = ["overall", *(d.id for d in questionnaire.domains)]
    raw = make_round(
        n_orgs, n_responses, n_items=len(items), n_domains=len(domains), seed=seed, shift=shift
    )
    return dataclasses.replace(
        raw,
        item_labels=tuple(item.id for item in items),
        item_domain=np.array([domains.index(item.domain or "overall") for item in items]),
        domain_labels=tuple(domains),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=250)
    parser.add_argument("--responses", type=int, default=200_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--keep", help="Write the files to this folder (default: a temporary one).")
    args = parser.parse_args()

    questionnaire = questionnaires.load("ccg-360")
    print(f"load average before the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    t0 = time.perf_counter()
    current = national_round(questionnaire, args.orgs, args.responses, seed=2024, shift=0.0)
    previous = national_round(
        questionnaire, args.orgs, int(args.responses * 0.95), seed=2025, shift=-0.1
    )
    t1 = time.perf_counter()
    table = analyse_round(current, previous)
    t2 = time.perf_counter()
    info = RoundInfo(
        None,
        2026,
        "Synthetic national round 2026",
        questionnaire.id,
        questionnaire.version,
        date(2026, 1, 15),
        date(2026, 2, 28),
        5,
        10,
        2025,
    )
    names = {
        code: f"NHS Synthetic {code} Integrated Care Board" for code in current.organisation_labels
    }
    work = jobs(table, names)
    t3 = time.perf_counter()
    print(
        f"synthetic data {t1 - t0:.1f} s; analysis {t2 - t1:.2f} s ({len(table):,} rows); "
        f"split into {len(work)} jobs {t3 - t2:.2f} s"
    )

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(args.keep or tmp)
        out.mkdir(parents=True, exist_ok=True)
        # Serial reference on a few organisations (after a warm-up that imports and caches fonts).
        render(work[0], info, questionnaire, out)
        sample = work[1:6]
        s0 = time.perf_counter()
        for job in sample:
            render(job, info, questionnaire, out)
        serial = (time.perf_counter() - s0) / len(sample)
        print(f"one organisation, serial: {serial:.2f} s (PDF + DOCX + HTML)")

        g0 = time.perf_counter()
        finished = list(generate(work, info, questionnaire, out, workers=args.workers))
        total = time.perf_counter() - g0
        done = len(finished)
        cpu = sum(d.cpu_seconds for d in finished)
        size = sum(p.stat().st_size for p in out.iterdir()) / 1e6
    print(
        f"{done} organisations, {3 * done} files ({size:.0f} MB) with {args.workers} workers: "
        f"{total:.1f} s total, {total / done:.3f} s per organisation (wall), target <= 120 s: "
        f"{'met' if total <= 120 else 'MISSED'}"
    )
    print(
        f"CPU time in the workers: {cpu:.1f} s, {cpu / done:.3f} s per organisation; on an idle "
        f"{args.workers}-core machine that is about {cpu / args.workers:.0f} s wall"
    )
    print(f"end to end including analysis: {total + (t3 - t1):.1f} s")
    print(
        f"load average during the run (other processes share the cores): {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()

"""Reports for every organisation of a round, in parallel worker processes.

The analysis table is computed once by the caller. Each task carries only its organisation's
slice of the table (a few hundred rows), and the round facts and questionnaire are sent once
per worker, so no worker touches the database and nothing large is pickled per task.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analysis import DomainReliability, RoundTable
from survey.reports.agenda import build_agenda
from survey.reports.agenda_document import agenda_docx, agenda_html
from survey.reports.report import report_pdf
from survey.services.results.evidence import RoundInfo, split_by_organisation
from survey.services.results.local import LocalResult

if TYPE_CHECKING:
    from survey.services.assurance import Assessment
    from survey.services.results.comments import Comments
    from survey.services.results.trend import Trend


@dataclass(frozen=True)
class Job:
    code: str
    name: str
    table: RoundTable
    local: tuple[LocalResult, ...] = ()
    #: the organisation's results over the last rounds, and its ratings and actions
    trend: Trend | None = None
    assessment: Assessment | None = None
    #: Cronbach's alpha of the organisation's and the whole round's domains (methods annex)
    reliability: DomainReliability | None = None
    #: the organisation's open comments (their count, and the comments at the threshold)
    comments: Comments | None = None


@dataclass(frozen=True)
class Done:
    code: str
    files: tuple[str, ...]
    #: CPU seconds the worker spent on this organisation
    cpu_seconds: float = 0.0


def file_stem(code: str, info: RoundInfo) -> str:
    return f"{re.sub(r'[^A-Za-z0-9_-]', '_', code)}-{info.year}"


def render(job: Job, info: RoundInfo, questionnaire: Any, output: Path, html: bool = True) -> Done:
    """Write one organisation's report PDF, agenda DOCX (and HTML); return the file names."""
    started = time.process_time()
    stem = file_stem(job.code, info)
    files = []
    pdf = report_pdf(
        job.table,
        job.code,
        info,
        questionnaire,
        organisation_name=job.name,
        local=job.local,
        trend=job.trend,
        reliability=job.reliability,
    )
    (output / f"{stem}-report.pdf").write_bytes(pdf)
    files.append(f"{stem}-report.pdf")
    agenda = build_agenda(
        job.table,
        job.code,
        info,
        questionnaire,
        organisation_name=job.name,
        assessment=job.assessment,
        trend=job.trend,
        local=job.local,
        comments=job.comments,
    )
    (output / f"{stem}-agenda.docx").write_bytes(agenda_docx(agenda))
    files.append(f"{stem}-agenda.docx")
    if html:
        (output / f"{stem}-agenda.html").write_text(agenda_html(agenda), encoding="utf-8")
        files.append(f"{stem}-agenda.html")
    return Done(job.code, tuple(files), time.process_time() - started)


_WORKER: dict[str, Any] = {}


def _init(info: RoundInfo, questionnaire: Any, output: str, html: bool) -> None:
    _WORKER.update(info=info, questionnaire=questionnaire, output=Path(output), html=html)


def _run(job: Job) -> Done:
    return render(
        job, _WORKER["info"], _WORKER["questionnaire"], _WORKER["output"], _WORKER["html"]
    )


def jobs(
    table: RoundTable,
    names: Mapping[str, str] | None = None,
    local: Mapping[str, Sequence[LocalResult]] | None = None,
    codes: Sequence[str] | None = None,
) -> list[Job]:
    """One job per organisation in the table (or only ``codes``)."""
    wanted = set(codes) if codes else None
    return [
        Job(code, (names or {}).get(code, code), rows, tuple((local or {}).get(code, ())))
        for code, rows in split_by_organisation(table)
        if wanted is None or code in wanted
    ]


def generate(
    work: Sequence[Job],
    info: RoundInfo,
    questionnaire: Any,
    output: Path,
    *,
    workers: int = 1,
    html: bool = True,
) -> Iterator[Done]:
    """Render every job, yielding each as it finishes (in parallel when ``workers`` > 1)."""
    output.mkdir(parents=True, exist_ok=True)
    if workers <= 1 or len(work) <= 1:
        for job in work:
            yield render(job, info, questionnaire, output, html)
        return
    # spawn: workers start clean (no inherited database connections or threads).
    with ProcessPoolExecutor(
        max_workers=min(workers, len(work)),
        mp_context=get_context("spawn"),
        initializer=_init,
        initargs=(info, questionnaire, str(output), html),
    ) as pool:
        futures = [pool.submit(_run, job) for job in work]
        for future in as_completed(futures):
            yield future.result()

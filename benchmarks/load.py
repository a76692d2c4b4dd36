"""Load and soak: hundreds of respondents complete the survey at once under gunicorn.

    .venv/bin/python -m benchmarks.load                                 # SQLite (WAL, busy timeout)
    .venv/bin/python -m benchmarks.load --database-url postgresql://... # PostgreSQL
    .venv/bin/python -m benchmarks.load --kill-worker-after 5           # SIGKILL a worker mid-load
    .venv/bin/python -m benchmarks.load --database-url ... --restart-db-after 5 \\
        --restart-db-command "su postgres -c 'pg_ctl -D /path/data restart -m fast'"

Every respondent opens their emailed link, answers every section page by page and submits;
10% leave half-way with "Save and come back later" and come back in a new session, and 10%
submit twice at once (a double click). Afterwards the script checks, against the database:
responses stored = respondents who completed, 0 duplicates, 0 5xx, 0 "database is locked" in
the server log; and prints p50/p95/p99 per endpoint. Loopback only; every loop is bounded
(--respondents, per-request timeouts, --max-seconds).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

from benchmarks.bench_respond import (
    ROOT,
    SECRET_KEY,
    _free_port,
    _prepare_database,
    _wait_until_up,
    seed,
)
from tests.survey.respond.live import HttpClient, Reply

_RADIO = re.compile(r'name="([a-z0-9_]+)" type="radio"')
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
_CONTINUE = re.compile(r'href="(/s/[^"]+/(\d+))"[^>]*>Continue where you left off')


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.status: dict[int, int] = defaultdict(int)
        self.transport_errors = 0
        self.completed = 0
        self.failed_respondents: list[str] = []

    def record(self, endpoint: str, seconds: float, status: int) -> None:
        with self.lock:
            self.latency[endpoint].append(seconds)
            self.status[status] += 1


def _call(
    stats: Stats,
    client: HttpClient,
    endpoint: str,
    method: str,
    path: str,
    form: dict[str, str] | None = None,
) -> Reply:
    """One request, retried on a dropped connection (a killed worker or a restarting database)."""
    for attempt in range(6):
        started = time.perf_counter()
        try:
            reply = client.request(method, path, form)
        except OSError:
            with stats.lock:
                stats.transport_errors += 1
            time.sleep(0.3 * (attempt + 1))
            continue
        stats.record(endpoint, time.perf_counter() - started, reply.status)
        if reply.status in (502, 503, 504):
            time.sleep(0.3 * (attempt + 1))
            continue
        return reply
    raise RuntimeError(f"{method} {endpoint} kept failing")


def _answers(html: str, rng: random.Random) -> dict[str, str]:
    token = _TOKEN.search(html)
    if token is None:
        raise RuntimeError("page without a form")
    form = {"csrf_token": token.group(1), "action": "continue"}
    for name in set(_RADIO.findall(html)):
        form[name] = rng.choice(["1", "2", "3", "4", "5", "dk"])
    return form


def respond(stats: Stats, base_url: str, link: str, behaviour: str, seed_value: int) -> None:
    rng = random.Random(seed_value)
    path = urlsplit(link).path
    client = HttpClient(base_url)
    _call(stats, client, "start", "GET", path)
    number, resumed = 1, False
    while True:
        page = _call(stats, client, "section GET", "GET", f"{path}/{number}")
        if page.status != 200:
            raise RuntimeError(f"section {number}: {page.status}")
        form = _answers(page.text, rng)
        if behaviour == "resume" and number == 3 and not resumed:
            form["action"] = "save"
            _call(stats, client, "section POST", "POST", f"{path}/{number}", form)
            client = HttpClient(base_url)  # back later, on another device
            start = _call(stats, client, "start", "GET", path)
            match = _CONTINUE.search(start.text)
            if match is None:
                raise RuntimeError("no 'Continue where you left off' after saving")
            number, resumed = int(match.group(2)), True
            continue
        reply = _call(stats, client, "section POST", "POST", f"{path}/{number}", form)
        if reply.status != 302:
            raise RuntimeError(f"section {number} POST: {reply.status}")
        if reply.location.endswith("/check"):
            break
        number += 1
    check = _call(stats, client, "check GET", "GET", f"{path}/check")
    token = _TOKEN.search(check.text)
    if token is None:
        raise RuntimeError("check page without a form")
    submit = {"csrf_token": token.group(1)}
    if behaviour == "double":
        replies: list[Reply] = []
        threads = [
            threading.Thread(
                target=lambda: replies.append(
                    _call(stats, client, "submit", "POST", f"{path}/check", submit)
                )
            )
            for _ in range(2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    else:
        _call(stats, client, "submit", "POST", f"{path}/check", submit)
    final = _call(stats, client, "start", "GET", path)
    if "Survey complete" not in final.text:
        raise RuntimeError("the link does not show the survey as complete")
    with stats.lock:
        stats.completed += 1


def _worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def _count(database_url: str) -> tuple[int, int]:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as connection:
        responses = connection.execute(text("SELECT count(*) FROM response")).scalar_one()
        completed = connection.execute(
            text("SELECT count(*) FROM invitation WHERE status = 'completed'")
        ).scalar_one()
    engine.dispose()
    return int(responses), int(completed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--respondents", type=int, default=500)
    parser.add_argument(
        "--concurrency", type=int, default=100, help="respondents answering at the same moment"
    )
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--max-seconds", type=float, default=900)
    parser.add_argument(
        "--kill-worker-after",
        type=float,
        help="SIGKILL one gunicorn worker after this many seconds",
    )
    parser.add_argument(
        "--restart-db-after", type=float, help="run --restart-db-command after this many seconds"
    )
    parser.add_argument(
        "--restart-db-command", help="shell command that restarts the database server"
    )
    args = parser.parse_args(argv)
    if not 0 < args.respondents <= 5000 or not 0 < args.max_seconds <= 3600:
        parser.error("bounded runs only: 0 < --respondents <= 5000, 0 < --max-seconds <= 3600")

    workdir = Path(tempfile.mkdtemp(prefix="assure360-load-"))
    database_url, cleanup = _prepare_database(
        args.database_url or f"sqlite:///{workdir / 'load.sqlite'}", workdir
    )
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    links = seed(database_url, base_url, workdir / "outbox", args.respondents)
    log = workdir / "gunicorn.log"
    environment = {
        **os.environ,
        "SECRET_KEY": SECRET_KEY,
        "DATABASE_URL": database_url,
        "PUBLIC_BASE_URL": base_url,
        "MAIL_OUTBOX_DIR": str(workdir / "outbox"),
        "PYTHONPATH": str(ROOT),
        "INSECURE_COOKIES": "1",
        "RATELIMIT_DISABLED": "1",
    }
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "--workers",
        str(args.workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(args.threads),
        "--bind",
        f"127.0.0.1:{port}",
        "--chdir",
        str(ROOT),
        "--timeout",
        "60",
        "--error-logfile",
        str(log),
        "--log-level",
        "info",
        "benchmarks._hello_app:application",
    ]
    server = subprocess.Popen(command, env=environment)
    stats = Stats()
    faults: list[str] = []
    try:
        _wait_until_up(port, server)
        behaviours = ["double"] * (args.respondents // 10) + ["resume"] * (args.respondents // 10)
        behaviours += ["plain"] * (args.respondents - len(behaviours))
        random.Random(1).shuffle(behaviours)

        def inject() -> None:
            if args.kill_worker_after is not None:
                time.sleep(args.kill_worker_after)
                pids = _worker_pids(server.pid)
                if pids:
                    os.kill(pids[0], signal.SIGKILL)
                    faults.append(
                        f"SIGKILL gunicorn worker {pids[0]} at {args.kill_worker_after:g} s"
                    )
            if args.restart_db_after is not None and args.restart_db_command:
                time.sleep(args.restart_db_after)
                outcome = subprocess.run(
                    args.restart_db_command, shell=True, capture_output=True, timeout=120
                )
                faults.append(
                    f"database restarted at {args.restart_db_after:g} s (exit {outcome.returncode})"
                )

        injector = threading.Thread(target=inject, daemon=True)
        injector.start()
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
            futures = {
                pool.submit(respond, stats, base_url, link, behaviour, index): link
                for index, (link, behaviour) in enumerate(zip(links, behaviours, strict=True))
            }
            for future, link in futures.items():
                try:
                    future.result(
                        timeout=max(1.0, args.max_seconds - (time.perf_counter() - started))
                    )
                except (
                    Exception
                ) as error:  # a respondent that could not finish is reported, not fatal
                    stats.failed_respondents.append(f"{link[-12:]}: {error}")
        elapsed = time.perf_counter() - started
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    responses, completed_invitations = _count(database_url)
    server_log = log.read_text(errors="replace")
    locked = server_log.count("database is locked")
    tracebacks = server_log.count("Traceback")
    five_xx = sum(count for status, count in stats.status.items() if status >= 500)
    dialect = database_url.split(":", 1)[0].split("+", 1)[0]
    print(
        f"database: {dialect}; gunicorn {args.workers} workers x {args.threads} threads; "
        f"{args.respondents} respondents, {args.concurrency} at once; {elapsed:.1f} s; "
        f"{os.cpu_count()} CPUs shared"
    )
    for fault in faults:
        print(f"  fault: {fault}")
    for endpoint, values in sorted(stats.latency.items()):
        cuts = statistics.quantiles(values, n=100) if len(values) > 1 else values * 99
        print(
            f"  {endpoint:<13} {len(values):6d} requests   p50 {cuts[49] * 1000:7.1f} ms   "
            f"p95 {cuts[94] * 1000:7.1f} ms   p99 {cuts[98] * 1000:7.1f} ms"
        )
    print(
        f"  completed respondents {stats.completed}; responses stored {responses}; "
        f"invitations completed {completed_invitations}; "
        f"duplicates {responses - completed_invitations}"
    )
    print(
        f"  5xx replies {five_xx} "
        f"(after retries: {len(stats.failed_respondents)} respondents could not finish); "
        f"dropped connections {stats.transport_errors}; 'database is locked' {locked}; "
        f"tracebacks in log {tracebacks}"
    )
    for failure in stats.failed_respondents[:10]:
        print(f"    {failure}")
    if cleanup is not None:
        cleanup()  # type: ignore[operator]
    ok = (
        responses == stats.completed == completed_invitations
        and locked == 0
        and (five_xx == 0 or faults)
    )
    print("RESULT:", "OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

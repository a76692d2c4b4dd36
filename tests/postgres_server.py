"""A throwaway PostgreSQL server for one test module, that a test may stop and start again.

It is a cluster of its own (``initdb``) on a free port of 127.0.0.1 with trust authentication,
so a test can restart or crash it without touching the server the rest of the suite uses.
As root it runs the server binaries as the ``postgres`` user, as scripts/run-tests.sh does.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from tests.smtp import free_port

#: the PostgreSQL role and operating-system user the server runs as when the tests run as root
SERVER_USER = "postgres"


def server_binaries() -> Path | None:
    """The newest installed PostgreSQL server's bin folder (Debian's layout, else the PATH)."""
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version, reverse=True):
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    found = shutil.which("pg_ctl")
    if found and (Path(found).parent / "initdb").exists():
        return Path(found).parent
    return None


def _version(folder: str) -> tuple[int, ...]:
    name = Path(folder).parent.name
    return tuple(int(part) for part in name.split(".") if part.isdigit())


class PostgresServer:
    """``start()``, ``stop()`` (an immediate shutdown: a crash, as far as clients can tell),
    ``url()`` for a database on it, and a few administrative statements."""

    def __init__(self, binaries: Path) -> None:
        self.binaries = binaries
        self.port = free_port()
        self._as_root = os.getuid() == 0
        # Not under pytest's tmp_path: as root that lies in a 0700 folder of root's, which the
        # postgres user cannot enter. A short path of its own, removed by ``destroy()``.
        self.folder = Path(tempfile.mkdtemp(prefix="assure360-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        if self._as_root:
            account = pwd.getpwnam(SERVER_USER)
            os.chown(self.folder, account.pw_uid, account.pw_gid)
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", SERVER_USER, "-N")

    def _run(self, program: str, *arguments: str) -> None:
        command = [str(self.binaries / program), *arguments]
        options: dict[str, Any] = {"user": SERVER_USER} if self._as_root else {}
        result = subprocess.run(
            command,
            cwd=self.folder,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            **options,
        )
        if result.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(
                f"{' '.join(command)} failed ({result.returncode}):\n"
                f"{result.stdout}{result.stderr}\n{log}"
            )

    def start(self) -> None:
        """Start the server and wait until it accepts connections (after crash recovery)."""
        settings = [
            f"-p {self.port}",
            "-c listen_addresses=127.0.0.1",
            "-c unix_socket_directories=''",
            "-c max_connections=50",
            # a crash of the server process is simulated, not of the machine: no need to sync
            "-c fsync=off",
        ]
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", " ".join(settings), "-w",
            "-t", "30", "start",
        )  # fmt: skip

    def stop(self, mode: str = "immediate") -> None:
        """Stop the server; ``immediate`` ends every backend at once, without a checkpoint."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def url(self, database: str = "postgres") -> str:
        return URL.create(
            "postgresql+psycopg",
            username=SERVER_USER,
            host="127.0.0.1",
            port=self.port,
            database=database,
        ).render_as_string(hide_password=False)

    def execute(self, statement: str, database: str = "postgres") -> list[Any]:
        """Run one statement in autocommit mode on a connection of its own; its rows, if any."""
        engine = create_engine(self.url(database), isolation_level="AUTOCOMMIT", poolclass=NullPool)
        try:
            with engine.connect() as connection:
                result = connection.execute(text(statement))
                return list(result) if result.returns_rows else []
        finally:
            engine.dispose()

    def terminate_backends(self, database: str) -> int:
        """End every other connection to ``database`` (as a network fault or an operator would),
        waiting until they are gone; how many there were."""
        rows = self.execute(
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"
            " WHERE pid <> pg_backend_pid() AND datname = current_database()",
            database,
        )
        return sum(1 for (ended,) in rows if ended)

    def destroy(self) -> None:
        if self.running():
            try:
                self.stop()
            except RuntimeError:
                pass
        shutil.rmtree(self.folder, ignore_errors=True)

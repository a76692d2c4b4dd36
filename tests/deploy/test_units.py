"""The shipped systemd units and logrotate file name things that exist: our commands, the WSGI
entry point, an unprivileged user, the logs nginx writes."""

from __future__ import annotations

import importlib
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "deploy" / "systemd"
SERVICES = sorted(UNITS.glob("*.service"))


def _unit(path: Path) -> dict[str, dict[str, str]]:
    """A unit file's sections; continuation lines joined (systemd's syntax, not INI's)."""
    sections: dict[str, dict[str, str]] = {}
    text = re.sub(r"\\\n\s*", " ", path.read_text())
    current: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
        else:
            key, _, value = line.partition("=")
            current[key] = value
    return sections


def test_the_units_are_the_web_app_the_mail_worker_and_retention() -> None:
    assert [path.name for path in SERVICES] == [
        "assure360-mail.service",
        "assure360-retention.service",
        "assure360-web.service",
    ]
    timer = _unit(UNITS / "assure360-retention.timer")
    assert timer["Timer"]["OnCalendar"].endswith("Europe/London")
    assert timer["Install"]["WantedBy"] == "timers.target"


@pytest.mark.parametrize("path", SERVICES, ids=lambda path: path.name)
def test_each_service_runs_unprivileged_from_the_deployment_folder(path: Path) -> None:
    service = _unit(path)["Service"]
    assert service["User"] == service["Group"] == "assure360"
    assert service["WorkingDirectory"] == "/srv/assure360"
    assert service["NoNewPrivileges"] == "yes" and service["ProtectSystem"] == "strict"
    assert service["ExecStart"].startswith("/srv/assure360/venv/bin/")


@pytest.mark.parametrize("path", SERVICES, ids=lambda path: path.name)
def test_each_service_starts_a_program_this_package_provides(path: Path) -> None:
    program, *arguments = shlex.split(_unit(path)["Service"]["ExecStart"])
    name = Path(program).name
    if name == "gunicorn":
        module, _, attribute = arguments[-1].partition(":")
        assert (module, attribute) == ("survey.wsgi", "app")
        assert importlib.util.find_spec(module) is not None
        return
    assert name == "assure360"
    environment = {**os.environ, "SECRET_KEY": "x" * 32}
    result = subprocess.run(
        [str(Path(sys.executable).parent / "assure360"), *arguments, "--help"],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_logrotate_rotates_the_logs_the_nginx_site_writes() -> None:
    site = (ROOT / "deploy" / "nginx" / "assure360.conf").read_text()
    logs = set(re.findall(r"(/var/log/nginx/assure360-[a-z]+\.log)", site))
    assert logs == {"/var/log/nginx/assure360-access.log", "/var/log/nginx/assure360-error.log"}
    rotated = (ROOT / "deploy" / "logrotate" / "assure360").read_text()
    assert "/var/log/nginx/assure360-*.log" in rotated

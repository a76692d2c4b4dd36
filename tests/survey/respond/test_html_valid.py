"""Every respondent page, error state and public page checked by the Nu Html Checker (vnu.jar,
the validator behind validator.w3.org/nu), which finds ARIA misuse that axe does not report:
``aria-labelledby`` on a role-less ``div``, ``role="text"`` and the like.

Needs Java and ``tests/browser/node_modules/vnu-jar`` (pinned in tests/browser/package.json;
scripts/run-tests.sh installs both when missing).
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from survey.services.invitations import opt_out_link
from tests.survey.helpers import answer_everything, csrf_token

VNU_JAR = (
    Path(__file__).resolve().parents[2]
    / "browser"
    / "node_modules"
    / "vnu-jar"
    / "build"
    / "dist"
    / "vnu.jar"
)


def _errors(folder: Path) -> dict[str, list[str]]:
    """The checker's errors per file of ``folder`` (warnings are left to review)."""
    files = sorted(str(path) for path in folder.glob("*.html"))
    assert files, "nothing to check"
    run = subprocess.run(
        ["java", "-jar", str(VNU_JAR), "--format", "json", "--stdout", *files],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = json.loads(run.stdout)
    found: dict[str, list[str]] = {}
    for message in report["messages"]:
        if message["type"] in ("error", "non-document-error"):
            name = Path(message.get("url", "?")).name
            found.setdefault(name, []).append(
                f"line {message.get('lastLine')}: {message['message']}"
            )
    assert run.returncode in (0, 1), run.stderr  # 1: some file has errors
    return found


def _text(response: Any) -> str:
    return str(response.get_data(as_text=True))


def _pages(client: Any, db: Any, make_invitation: Any) -> dict[str, tuple[int, str]]:
    """Every page a stakeholder or a passer-by can reach, with its status, in each state."""
    issued = make_invitation()
    path = issued.path
    pages: dict[str, Any] = {}
    pages["start"] = client.get(path)
    pages["section-1"] = client.get(f"{path}/1")
    key = csrf_token(_text(pages["section-1"]))
    pages["section-1-errors"] = client.post(
        f"{path}/1", data={"csrf_token": key, "action": "continue"}
    )
    pages["section-1-no-key"] = client.post(f"{path}/1", data={"action": "continue"})
    answer_everything(client, path)
    total = int(re.findall(r"Section \d+ of (\d+)", _text(pages["section-1"]))[0])
    last = client.get(f"{path}/{total}")
    comment = re.findall(r'<textarea[^>]*name="([a-z0-9_]+)"', _text(last))[0]
    pages["section-last-too-long"] = client.post(
        f"{path}/{total}", data={"csrf_token": key, "action": "continue", comment: "x" * 3000}
    )
    pages["section-2-change"] = client.get(f"{path}/2?return=check")
    pages["saved"] = client.get(f"{path}/saved")
    pages["start-resume"] = client.get(path)
    pages["check"] = client.get(f"{path}/check")
    pages["check-no-key"] = client.post(f"{path}/check", data={})
    pages["complete"] = client.post(f"{path}/check", data={"csrf_token": key})
    pages["complete"] = client.get(path)
    pages["already-submitted"] = client.post(f"{path}/check", data={"csrf_token": key})
    incomplete = make_invitation()
    pages["check-missing"] = client.get(f"{incomplete.path}/check")
    pages["dead-link"] = client.get("/s/not-a-link")
    stakeholder = incomplete.invitation.stakeholder
    opt_out = opt_out_link(stakeholder).removeprefix("http://localhost")
    pages["opt-out"] = client.get(opt_out)
    pages["opted-out"] = client.post(opt_out)
    pages["accessibility"] = client.get("/accessibility")
    pages["privacy"] = client.get("/privacy")
    pages["privacy-round"] = client.get(f"/privacy?round={issued.invitation.round_id}")
    pages["why-asked"] = client.get("/why-am-i-being-asked")
    pages["login"] = client.get("/auth/login")
    login_key = csrf_token(_text(pages["login"]))
    pages["login-errors"] = client.post(
        "/auth/login", data={"csrf_token": login_key, "email": "", "password": ""}
    )
    pages["not-found"] = client.get("/no-such-page")
    return {name: (response.status_code, _text(response)) for name, response in pages.items()}


def test_every_respondent_and_public_page_is_valid_html(
    client: Any, db: Any, make_invitation: Any, tmp_path: Path
) -> None:
    pages = _pages(client, db, make_invitation)
    statuses = {name: status for name, (status, _html) in pages.items()}
    assert statuses["section-1-errors"] == 400 and statuses["already-submitted"] == 409
    assert statuses["dead-link"] == 404 and statuses["check"] == 200
    for name, (_status, html) in pages.items():
        (tmp_path / f"{name}.html").write_text(html, encoding="utf-8")
    assert _errors(tmp_path) == {}


def test_the_checker_does_find_the_aria_faults_it_is_here_for(tmp_path: Path) -> None:
    (tmp_path / "broken.html").write_text(
        '<!DOCTYPE html><html lang="en-GB"><head><title>Broken</title></head><body><main>'
        '<div class="nhsuk-error-summary" aria-labelledby="t" tabindex="-1">'
        '<h1 id="t">There is a problem</h1></div><span role="text">Important</span>'
        "</main></body></html>",
        encoding="utf-8",
    )
    [messages] = _errors(tmp_path).values()
    assert any("aria-labelledby" in m for m in messages), messages
    assert any("role" in m and "text" in m for m in messages), messages


@pytest.fixture(autouse=True)
def _checker_installed() -> None:
    assert VNU_JAR.is_file(), (
        f"{VNU_JAR} is missing: run 'npm ci --ignore-scripts' in tests/browser"
    )

"""The built package carries its templates, static files, migrations and questionnaires."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

RENDER_FROM_INSTALLED_COPY = """
import survey, questionnaires
from survey import create_app
app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
client = app.test_client()
page = client.get("/s/not-a-real-link")
css = client.get("/static/nhsuk/nhsuk-frontend.min.css")
print(survey.__file__)
print(app.template_folder)
print(page.status_code, "This link or page is not working" in page.get_data(as_text=True))
print(css.status_code)
print(len(questionnaires.load("ccg-360").items))
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    [built] = out.glob("assure360-*.whl")
    return built


def test_the_wheel_ships_web_files_migrations_and_questionnaires(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "survey/templates/base.html",
        "survey/templates/respond/section.html",
        "survey/templates/email/invitation.txt",
        "survey/static/nhsuk/nhsuk-frontend.min.css",
        "survey/migrations/env.py",
        "survey/migrations/alembic.ini",
        "questionnaires/bundled/ccg-360.yaml",
    ):
        assert expected in names, expected
    assert any(name.startswith("survey/migrations/versions/") for name in names)


def test_an_installed_copy_renders_pages(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    result = subprocess.run(
        [sys.executable, "-c", RENDER_FROM_INSTALLED_COPY],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    module, templates, page, css, items = result.stdout.split("\n")[:5]
    assert module.startswith(str(target)), module
    assert templates.startswith(str(target)), templates
    assert page == "404 True"
    assert css == "200"
    assert int(items) >= 30

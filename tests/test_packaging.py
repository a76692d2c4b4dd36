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
    built_with = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            str(ROOT),
        ],
        capture_output=True,
        timeout=300,
    )
    assert built_with.returncode == 0, built_with.stderr.decode(errors="replace")[-4000:]
    [built] = out.glob("assure360-*.whl")
    (out / "build.log").write_bytes(built_with.stdout + built_with.stderr)
    return built


def test_building_the_package_gives_no_warnings(wheel: Path) -> None:
    log = (wheel.parent / "build.log").read_text()
    assert "Warning" not in log and "would be ignored" not in log, log[-3000:]


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
        "survey/wsgi.py",
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


WSGI_FROM_INSTALLED_COPY = """
from survey.wsgi import app
health = app.test_client().get("/health")
print(app.config["SECRET_KEY"], app.config["PUBLIC_BASE_URL"], health.status_code)
"""


def test_the_installed_wsgi_app_reads_dotenv_from_the_working_directory(
    wheel: Path, tmp_path: Path
) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), wheel],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (tmp_path / ".env").write_text(
        "SECRET_KEY=from-dotenv\nPUBLIC_BASE_URL=https://survey.example.nhs.uk\n"
        f"DATABASE_URL=sqlite:///{tmp_path / 'db.sqlite'}\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "PUBLIC_BASE_URL")}
    result = subprocess.run(
        [sys.executable, "-c", WSGI_FROM_INSTALLED_COPY],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(target)},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    # the database has no schema yet: healthy only once migrated
    assert result.stdout.split() == ["from-dotenv", "https://survey.example.nhs.uk", "503"]

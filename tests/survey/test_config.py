"""Configuration: environment variables, .env, and refusing to start without a secret key."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from survey import create_app
from survey.config import ConfigError, normalise_database_url

ENV_NAMES = (
    "SECRET_KEY",
    "DATABASE_URL",
    "ASSURE360_DEMO",
    "FLASK_DEBUG",
    "SUPPRESSION_THRESHOLD",
    "COMMENT_THRESHOLD",
    "SECRET_KEY_FALLBACKS",
)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_refuses_to_start_without_a_secret_key(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}"})


def test_the_demo_runs_without_a_secret_key(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("ASSURE360_DEMO", "1")
    assert create_app().config["SECRET_KEY"]


def test_settings_come_from_the_environment(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("SECRET_KEY", "from-env")
    clean_env.setenv("DATABASE_URL", "postgres://u:p@db.example/assure")
    clean_env.setenv("SUPPRESSION_THRESHOLD", "7")
    clean_env.setenv("COMMENT_THRESHOLD", "12")
    clean_env.setenv("SECRET_KEY_FALLBACKS", "last-year, the-year-before ,")
    config = create_app().config
    assert config["SECRET_KEY_FALLBACKS"] == ["last-year", "the-year-before"]
    assert config["SECRET_KEY"] == "from-env"
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db.example/assure"
    assert (config["SUPPRESSION_THRESHOLD"], config["COMMENT_THRESHOLD"]) == (7, 12)


def test_default_database_is_sqlite_in_the_instance_folder(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("SECRET_KEY", "x")
    app = create_app()
    assert (
        app.config["SQLALCHEMY_DATABASE_URI"]
        == f"sqlite:///{Path(app.instance_path) / 'assure360.sqlite'}"
    )
    assert app.config["MAIL_BACKEND"] == "file"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "SUPPRESSION_THRESHOLD",
            "five",
            "SUPPRESSION_THRESHOLD must be a whole number, got 'five'",
        ),
        ("SUPPRESSION_THRESHOLD", "2", "SUPPRESSION_THRESHOLD must be at least 3"),
        (
            "COMMENT_THRESHOLD",
            "3",
            "COMMENT_THRESHOLD (3) must not be below SUPPRESSION_THRESHOLD (5)",
        ),
        (
            "OIDC_ISSUER",
            "https://login.microsoftonline.com/x/v2.0",
            "OIDC_CLIENT_ID and OIDC_CLIENT_SECRET must be set too",
        ),
    ],
)
def test_bad_settings_are_named(
    clean_env: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    clean_env.setenv("SECRET_KEY", "x")
    clean_env.setenv(name, value)
    with pytest.raises(ConfigError) as error:
        create_app()
    assert message in str(error.value)


def test_postgres_urls_use_psycopg() -> None:
    assert normalise_database_url("postgresql://h/db") == "postgresql+psycopg://h/db"
    assert normalise_database_url("sqlite:///x") == "sqlite:///x"


def _cli(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ENV_NAMES}
    base["DATABASE_URL"] = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    base.update(env)
    command = [sys.executable, "-c", "from survey.commands import main; main()", *args]
    return subprocess.run(
        command, cwd=tmp_path, env=base, capture_output=True, text=True, timeout=60
    )


def test_the_command_line_says_clearly_why_it_will_not_start(tmp_path: Path) -> None:
    result = _cli(tmp_path, {}, "round", "list")
    assert result.returncode == 1
    assert "SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SECRET_KEY=from-dotenv\n")
    result = _cli(tmp_path, {}, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    listed = _cli(tmp_path, {}, "round", "list")
    assert listed.returncode == 0, listed.stderr

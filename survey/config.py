"""Configuration from environment variables (and an optional ``.env``), checked at start-up."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from analysis import MIN_THRESHOLD


class ConfigError(RuntimeError):
    """The configuration cannot run the application; the message says which setting and why."""


_TRUE = {"1", "true", "yes", "on"}

#: the privacy notice's lawful basis unless LAWFUL_BASIS says otherwise
DEFAULT_LAWFUL_BASIS = (
    "UK GDPR Article 6(1)(e): the processing is necessary for a task carried out in the public "
    "interest, the assurance of NHS commissioners that NHS England carries out under the "
    "National Health Service Act 2006."
)


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in _TRUE


def _env_optional_bool(name: str) -> bool | None:
    value = os.environ.get(name)
    return None if value is None or not value.strip() else value.strip().lower() in _TRUE


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {value!r}") from None


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return float(value)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {value!r}") from None


def normalise_database_url(url: str) -> str:
    """Use the psycopg 3 driver for PostgreSQL URLs written the usual ways."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def from_environment(instance_path: str) -> dict[str, Any]:
    """Settings read from the process environment, with defaults that need nothing installed."""
    instance = Path(instance_path)
    return {
        "SECRET_KEY": os.environ.get("SECRET_KEY"),
        # earlier keys, newest first, comma-separated: sessions and sealed answers made under
        # them still open while a rotation completes
        "SECRET_KEY_FALLBACKS": [
            key.strip()
            for key in os.environ.get("SECRET_KEY_FALLBACKS", "").split(",")
            if key.strip()
        ],
        "DEBUG": _env_bool("FLASK_DEBUG"),
        "DEMO": _env_bool("ASSURE360_DEMO"),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(
            os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'assure360.sqlite'}"
        ),
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000"),
        "MAIL_BACKEND": os.environ.get("MAIL_BACKEND", "file"),
        "MAIL_OUTBOX_DIR": os.environ.get("MAIL_OUTBOX_DIR", str(instance / "outbox")),
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", "localhost"),
        "MAIL_PORT": _env_int("MAIL_PORT", 25),
        "MAIL_USE_STARTTLS": _env_bool("MAIL_USE_STARTTLS"),
        "MAIL_USE_SSL": _env_bool("MAIL_USE_SSL"),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME"),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD"),
        "MAIL_SENDER": os.environ.get(
            "MAIL_SENDER", "Assure360 survey team <survey@assure360.invalid>"
        ),
        "MAIL_REPLY_TO": os.environ.get("MAIL_REPLY_TO"),
        "MAIL_RATE_PER_SECOND": _env_float("MAIL_RATE_PER_SECOND", 0.0),
        "MAIL_BATCH_SIZE": _env_int("MAIL_BATCH_SIZE", 500),
        # messages claimed per commit: 1 leaves at most ~2 ambiguous after a crash; more is faster
        "MAIL_CLAIM_SIZE": _env_int("MAIL_CLAIM_SIZE", 1),
        "MAIL_TIMEOUT": _env_float("MAIL_TIMEOUT", 30.0),
        "MAIL_WORKER_POLL_SECONDS": _env_float("MAIL_WORKER_POLL_SECONDS", 5.0),
        # no heartbeat from any mail worker for this long: the pages say none is running
        "MAIL_WORKER_STALE_SECONDS": _env_float("MAIL_WORKER_STALE_SECONDS", 300.0),
        # hand queued mail to the sender as soon as the change that queued it commits, instead
        # of leaving it to the mail worker (default: only for the file backend, which the demo
        # and the tests use with no worker running)
        "MAIL_SEND_AFTER_COMMIT": _env_optional_bool("MAIL_SEND_AFTER_COMMIT"),
        "SURVEY_CONTACT": os.environ.get(
            "SURVEY_CONTACT", "the survey team at survey@assure360.invalid"
        ),
        # the governance pages (accessibility statement, privacy notice, why am I being asked):
        # who runs the survey, who controls the data and how to reach them
        "ORGANISATION_NAME": os.environ.get("ORGANISATION_NAME", "NHS England"),
        "CONTROLLER_NAME": os.environ.get("CONTROLLER_NAME") or None,
        "DPO_CONTACT": os.environ.get(
            "DPO_CONTACT", "the data protection officer at dpo@assure360.invalid"
        ),
        "LAWFUL_BASIS": os.environ.get("LAWFUL_BASIS", DEFAULT_LAWFUL_BASIS),
        "ACCESSIBILITY_CONTACT": os.environ.get("ACCESSIBILITY_CONTACT") or None,
        "ACCESSIBILITY_TESTED_ON": os.environ.get("ACCESSIBILITY_TESTED_ON", "3 December 2026"),
        "SURVEY_PURPOSE": os.environ.get("SURVEY_PURPOSE", ""),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        # reverse proxies in front of the app (nginx: 1); their X-Forwarded-* headers are
        # believed, and only theirs: 0 ignores the headers (nobody in front)
        "TRUSTED_PROXIES": _env_int("TRUSTED_PROXIES", 0),
        "RATELIMIT_ENABLED": not _env_bool("RATELIMIT_DISABLED"),
        "SESSION_COOKIE_SECURE": not _env_bool("INSECURE_COOKIES"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": not _env_bool("INSECURE_COOKIES"),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "PERMANENT_SESSION_LIFETIME": _env_int("SESSION_MINUTES", 480) * 60,
        # OpenID Connect sign-in (NHSmail through Microsoft Entra ID, or any provider): off
        # unless OIDC_ISSUER is set; OIDC_NAME is what the sign-in button calls it
        "OIDC_ISSUER": os.environ.get("OIDC_ISSUER", ""),
        "OIDC_CLIENT_ID": os.environ.get("OIDC_CLIENT_ID", ""),
        "OIDC_CLIENT_SECRET": os.environ.get("OIDC_CLIENT_SECRET", ""),
        "OIDC_NAME": os.environ.get("OIDC_NAME", "NHSmail"),
        # managers must use TOTP two-factor for a password sign-in (the demo turns it off)
        "TWO_FACTOR_FOR_MANAGERS": _env_bool("TWO_FACTOR_FOR_MANAGERS", True),
        "SUPPRESSION_THRESHOLD": _env_int("SUPPRESSION_THRESHOLD", 5),
        "COMMENT_THRESHOLD": _env_int("COMMENT_THRESHOLD", 10),
        # interim results releases a round may have in any 24 hours: each one is a moment at
        # which results change, so a reader who knows who answered in between learns more
        "INTERIM_RELEASES_PER_DAY": _env_int("INTERIM_RELEASES_PER_DAY", 1),
    }


def validate(settings: Mapping[str, Any]) -> None:
    """Refuse settings the application cannot run safely with."""
    relaxed = settings.get("DEBUG") or settings.get("DEMO") or settings.get("TESTING")
    if not settings.get("SECRET_KEY") and not relaxed:
        raise ConfigError(
            "SECRET_KEY is not set. Survey links are signed with it, so it must be a long random "
            "value kept the same across restarts: set SECRET_KEY in the environment or in .env "
            "(for example: python -c 'import secrets; print(secrets.token_hex(32))'). "
            "Only the demo (ASSURE360_DEMO=1) and debug mode run without one."
        )
    if settings["MAIL_BACKEND"] not in {"file", "smtp"}:
        raise ConfigError(
            f"MAIL_BACKEND must be 'file' or 'smtp', got {settings['MAIL_BACKEND']!r}"
        )
    if settings.get("MAIL_USE_SSL") and settings.get("MAIL_USE_STARTTLS"):
        raise ConfigError("MAIL_USE_SSL and MAIL_USE_STARTTLS cannot both be on")
    if float(settings.get("MAIL_RATE_PER_SECOND") or 0) < 0:
        raise ConfigError(
            "MAIL_RATE_PER_SECOND must not be negative (0 = no limit), "
            f"got {settings['MAIL_RATE_PER_SECOND']!r}"
        )
    if int(settings.get("TRUSTED_PROXIES") or 0) < 0:
        raise ConfigError(f"TRUSTED_PROXIES must be 0 or more, got {settings['TRUSTED_PROXIES']!r}")
    if settings.get("OIDC_ISSUER") and not (
        settings.get("OIDC_CLIENT_ID") and settings.get("OIDC_CLIENT_SECRET")
    ):
        raise ConfigError(
            "OIDC_ISSUER is set, so OIDC_CLIENT_ID and OIDC_CLIENT_SECRET must be set too "
            "(the application's registration at the identity provider)"
        )
    for name in ("SUPPRESSION_THRESHOLD", "COMMENT_THRESHOLD"):
        if int(settings[name]) < MIN_THRESHOLD:
            raise ConfigError(
                f"{name} must be at least {MIN_THRESHOLD} (smaller groups identify people), "
                f"got {settings[name]!r}"
            )
    if int(settings["COMMENT_THRESHOLD"]) < int(settings["SUPPRESSION_THRESHOLD"]):
        raise ConfigError(
            f"COMMENT_THRESHOLD ({settings['COMMENT_THRESHOLD']}) must not be below "
            f"SUPPRESSION_THRESHOLD ({settings['SUPPRESSION_THRESHOLD']})"
        )


def load_config(instance_path: str, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Environment settings, then ``overrides``, normalised and validated."""
    settings = from_environment(instance_path)
    settings.update(overrides or {})
    settings["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(
        settings["SQLALCHEMY_DATABASE_URI"]
    )
    if settings.get("MAIL_SEND_AFTER_COMMIT") is None:
        settings["MAIL_SEND_AFTER_COMMIT"] = settings["MAIL_BACKEND"] == "file"
    if (settings.get("DEMO") or settings.get("DEBUG")) and "SESSION_COOKIE_SECURE" not in (
        overrides or {}
    ):
        # The demo and debug servers speak plain http://127.0.0.1: a Secure cookie would never
        # come back.
        settings["SESSION_COOKIE_SECURE"] = settings["REMEMBER_COOKIE_SECURE"] = False
    if settings.get("DEMO") and "TWO_FACTOR_FOR_MANAGERS" not in (overrides or {}):
        # the demo's seeded managers sign in with a printed password, with no phone to hand
        settings["TWO_FACTOR_FOR_MANAGERS"] = False
    if not settings.get("SECRET_KEY") and (settings.get("DEBUG") or settings.get("DEMO")):
        # A fixed, public key: sessions and links are forgeable with it, which only a local demo
        # or a debugging session can accept (and links survive restarts between seed and serve).
        settings["SECRET_KEY"] = "assure360-demo-key-not-secret"
    # the controller is the organisation running the survey, and accessibility problems go to
    # the survey team, unless the deployment names others
    settings["CONTROLLER_NAME"] = settings.get("CONTROLLER_NAME") or settings["ORGANISATION_NAME"]
    settings["ACCESSIBILITY_CONTACT"] = (
        settings.get("ACCESSIBILITY_CONTACT") or settings["SURVEY_CONTACT"]
    )
    validate(settings)
    # A connection the database dropped (a restart) is found and replaced before use.
    settings.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})
    settings.setdefault("WTF_CSRF_TIME_LIMIT", None)
    return settings

"""Assure360: the Flask application for the 360-degree stakeholder survey."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from survey.config import load_config
from survey.transactions import TransactionalFlask

_PACKAGE_DIR = Path(__file__).resolve().parent


def _web_folder(name: str) -> str:
    """The top-level ``templates/`` or ``static/`` folder.

    In a source checkout they sit beside the package; a built wheel carries them inside it
    (pyproject maps ``survey.templates`` and ``survey.static`` onto the top-level folders).
    """
    checkout = _PACKAGE_DIR.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / name).is_dir():
        return str(checkout / name)
    return str(_PACKAGE_DIR / name)


TEMPLATE_FOLDER = _web_folder("templates")
STATIC_FOLDER = _web_folder("static")


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application: load and check configuration, bind extensions, register blueprints.

    :param config: settings that override the environment (tests pass a mapping here).
    """
    app = TransactionalFlask(
        __name__,
        instance_relative_config=True,
        template_folder=TEMPLATE_FOLDER,
        static_folder=STATIC_FOLDER,
    )
    app.config.update(load_config(app.instance_path, overrides=config))
    # The default SQLite database and mail outbox live in the instance folder (as in flaskr).
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    from survey import commands, errors, extensions, filters, security
    from survey.auth import bp as auth_bp
    from survey.health import bp as health_bp
    from survey.home import bp as home_bp
    from survey.manage import bp as manage_bp
    from survey.respond import bp as respond_bp
    from survey.results import bp as results_bp

    extensions.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    filters.init_app(app)
    app.register_blueprint(respond_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(home_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(results_bp)
    app.register_blueprint(manage_bp)
    commands.init_app(app)
    return app

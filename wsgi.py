"""WSGI entry point of a checkout: ``gunicorn wsgi:app`` (installed: ``survey.wsgi:app``)."""

from survey.wsgi import app

__all__ = ["app"]

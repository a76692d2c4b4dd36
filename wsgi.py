"""WSGI entry point for gunicorn: ``gunicorn wsgi:app``."""

from dotenv import load_dotenv

from survey import create_app

load_dotenv()
app = create_app()

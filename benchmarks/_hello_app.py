"""WSGI entry for benchmarks/bench_respond.py: the survey app, with a bare Flask app at /hello.

The bare app is a separate Flask instance (no database, no CSRF, no security headers), mounted
beside the survey app so that gunicorn serves both in one run: it is the baseline the survey
pages are compared with. Settings come from the environment, as in production (SECRET_KEY,
DATABASE_URL, PUBLIC_BASE_URL, MAIL_OUTBOX_DIR).
"""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from survey import create_app

hello = Flask("hello")


@hello.get("/")
def say_hello() -> str:
    return "Hello, World!"


survey_app = create_app()
application = DispatcherMiddleware(survey_app, {"/hello": hello})

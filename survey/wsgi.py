"""The WSGI application for gunicorn: ``gunicorn survey.wsgi:app``.

Settings come from the environment and from a ``.env`` file in the working directory (as the
``assure360`` command reads them), so an installed package needs no checkout beside it.
"""

from dotenv import find_dotenv, load_dotenv

from survey import create_app

load_dotenv(find_dotenv(usecwd=True))
app = create_app()

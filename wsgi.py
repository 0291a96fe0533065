"""The WSGI entry point: `gunicorn wsgi:app`."""

from jifen.app import create_app

app = create_app()

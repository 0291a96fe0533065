"""The WSGI entry point: `gunicorn wsgi:app`."""

import gc

from jifen.app import create_app

app = create_app()
# The app's long-lived objects (models, schemas, routes) move out of the collector's
# reach: otherwise every full collection re-scans them, which cost ~40% of a small
# request's CPU time under gunicorn.
gc.freeze()

"""Compressed answers: the mall's and the console's pages, style sheets, scripts and
images travel compressed (Brotli, else gzip) to a browser that accepts it, since the app
serves them itself with no proxy in front (flask-compress).

API answers are left as they are: they are small, and a client library may not ask
for compression. BREACH reads a secret out of compressed pages that also reflect text
an attacker chooses. The mall's pages keep the two apart: those holding a member's
codes (an order's, the member card's) reflect nothing from the request but its path,
whose parts are ids the routes check; the CSRF token every page holds is signed with a
timestamp, so it differs from one response to the next; and pages are never cached
(`Cache-Control: no-store`).
"""

from __future__ import annotations

from flask import Flask
from flask_compress import Compress

MIMETYPES = [
    "text/html",
    "text/css",
    "image/svg+xml",
    "application/javascript",
    "text/javascript",
]


def init_app(app: Flask) -> None:
    app.config.setdefault("COMPRESS_MIMETYPES", MIMETYPES)
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_MIN_SIZE", 500)
    Compress(app)

"""Compressed answers: the mall's pages and the themes' style sheets and images travel
compressed (Brotli, else gzip) to a browser that accepts it, since the app serves them
itself with no proxy in front (flask-compress).

API answers are left as they are: they are small, and a client library may not ask
for compression. A page holding a secret beside text a visitor controls is what BREACH
reads through compression; the mall's only secret in a page, its CSRF token, is signed
with a timestamp, so it differs from one response to the next and cannot be guessed
byte by byte from the compressed sizes.
"""

from __future__ import annotations

from flask import Flask
from flask_compress import Compress

MIMETYPES = ["text/html", "text/css", "image/svg+xml", "application/javascript"]


def init_app(app: Flask) -> None:
    app.config.setdefault("COMPRESS_MIMETYPES", MIMETYPES)
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_MIN_SIZE", 500)
    Compress(app)

"""Files merchants uploaded (logos, product pictures: jifen.uploads), served from the
file storage. A file's name is new with each upload, so it never changes: browsers may
keep it for a year. Only images are kept there, and each is served as the type it was
recognised as, never one the request suggests."""

from __future__ import annotations

from flask import Blueprint, Response, abort

from jifen.storage import StorageError
from jifen.uploads import CONTENT_TYPES
from jifen.web import services

bp = Blueprint("stored_files", __name__)
YEAR = 365 * 24 * 3600


@bp.route("/files/tenants/<tenant>/images/<name>")
def image(tenant: str, name: str) -> Response:
    extension = name.rpartition(".")[2]
    if extension not in CONTENT_TYPES:
        abort(404)
    try:
        data = services().storage.get(f"tenants/{tenant}/images/{name}")
    except (KeyError, StorageError):
        abort(404)
    response = Response(data, mimetype=CONTENT_TYPES[extension])
    response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    return response

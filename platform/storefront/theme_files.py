"""The themes' static files (style sheets, images), by theme."""

from __future__ import annotations

from operator import attrgetter

from flask import Blueprint, abort, current_app, send_from_directory
from werkzeug import Response

bp = Blueprint("themes", __name__)


@bp.route("/themes/<theme>/static/<path:filename>")
def static_file(theme: str, filename: str) -> Response:
    themes = current_app.extensions["jifen.themes"]
    found = themes.find(theme)
    if found is None:
        abort(404)
    folder = themes.isolate(theme, "static", attrgetter("static"), found)
    response = send_from_directory(folder, filename, max_age=3600)
    # Read whole (a theme's files are small): a response in memory is compressed and
    # answered conditionally like a page (jifen.compression).
    response.direct_passthrough = False
    response.make_sequence()
    response.close()  # the file, read: its body stays
    return response

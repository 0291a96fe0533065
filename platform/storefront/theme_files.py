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
    return send_from_directory(folder, filename, max_age=3600)

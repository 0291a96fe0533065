"""The member-facing storefront, resolved by host name or by `/m/<slug>/`."""

from __future__ import annotations

from operator import attrgetter
from typing import Any

from flask import Blueprint, abort, current_app, redirect, request, send_from_directory, url_for
from werkzeug import Response

from jifen.errors import NotFound
from jifen.headers import allow_framing_by
from jifen.tenants import service as tenants
from jifen.tenants.models import Tenant
from jifen.web import db_session

bp = Blueprint("storefront", __name__)


def render(tenant: Tenant, name: str, **context: Any) -> str:
    """Render `name` from the tenant's theme (falling back to the base theme)."""
    env = current_app.extensions["jifen.theme_env"]
    theme = tenant.theme if tenant.theme in current_app.extensions["jifen.themes"] else "base"
    page: str = env.get_template(f"@{theme}/{name}").render(tenant=tenant, theme=theme, **context)
    return page


@bp.route("/")
def by_host() -> str | Response:
    tenant = tenants.by_host(db_session(), request.host)
    if tenant is None:
        return redirect(url_for("console.login"))
    return home(tenant)


@bp.route("/m/<slug>/")
def by_slug(slug: str) -> str:
    try:
        tenant = tenants.by_slug(db_session(), slug)
    except NotFound:
        abort(404)
    return home(tenant)


def home(tenant: Tenant) -> str:
    if tenant.status != "active":
        abort(404)
    allow_framing_by(tenant.frame_ancestors)
    return render(tenant, "home.html")


@bp.route("/themes/<theme>/static/<path:filename>")
def theme_static(theme: str, filename: str) -> Response:
    themes = current_app.extensions["jifen.themes"]
    found = themes.find(theme)
    if found is None:
        abort(404)
    folder = themes.isolate(theme, "static", attrgetter("static"), found)
    return send_from_directory(folder, filename, max_age=3600)

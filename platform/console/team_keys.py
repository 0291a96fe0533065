"""The tenant's API keys: listed with their scopes, limits and last use; made with a
name, scopes and a rate limit (the token shown once, as it is made); revoked, which
stops them at once (jifen.tenants.apikeys).

Every role sees the keys (never a secret: only the digest of one is kept); those who
configure the tenant make and revoke them.
"""

from __future__ import annotations

import uuid

from flask import flash, redirect, request, url_for
from werkzeug import Response

from jifen.audit import Actor
from jifen.console.access import current, staff_page
from jifen.console.pages import bp, render
from jifen.console.team import printable
from jifen.errors import ValidationFailed
from jifen.i18n import N_, translate
from jifen.pagination import MAX_CURSOR, InvalidCursor
from jifen.tenants import apikeys, roles
from jifen.tenants.models import Tenant
from jifen.web import db_session, request_actor, services

PAGE = 50
NAME_LENGTH = 100


def _actor() -> Actor:
    return request_actor("user", str(current().user.id))


def _tenant() -> Tenant:
    tenant = current().tenant
    assert tenant is not None
    return tenant


@bp.route("/api-keys")
@staff_page(roles.VIEW)
def api_keys() -> str:
    """The tenant's keys, newest first, revoked ones marked."""
    cursor = (request.args.get("after") or "")[:MAX_CURSOR] or None
    session, tenant = db_session(), _tenant()
    try:
        keys, following = apikeys.page_of_keys(session, tenant.id, limit=PAGE, cursor=cursor)
    except InvalidCursor:
        keys, following = apikeys.page_of_keys(session, tenant.id, limit=PAGE, cursor=None)
    return render(
        "console/team_api_keys.html",
        keys=keys,
        following=following,
        configures=current().can(roles.CONFIGURE),
    )


def _form_problems(values: dict[str, str], scopes: list[str]) -> dict[str, str]:
    problems = {}
    if not values["name"]:
        problems["name"] = translate(N_("Required."))
    elif len(values["name"]) > NAME_LENGTH:
        problems["name"] = translate(N_("At most %(length)s characters."), {"length": NAME_LENGTH})
    if not scopes:
        problems["scopes"] = translate(N_("Choose at least one."))
    elif not set(scopes) <= apikeys.SCOPES:
        problems["scopes"] = translate(N_("Choose among the scopes listed."))
    limit = values["rate_limit"]
    if limit and not (limit.isascii() and limit.isdigit() and len(limit) <= 10):
        problems["rate_limit"] = translate(
            N_("A whole number of requests a minute, from 1 to %(maximum)s."),
            {"maximum": apikeys.MAX_RATE_LIMIT},
        )
    return problems


@bp.route("/api-keys/new", methods=["GET", "POST"])
@staff_page(roles.CONFIGURE)
def api_key_new() -> tuple[str, int]:
    """Make a key: its token is shown on the answer to this form, and never again."""
    values = {"name": "", "rate_limit": ""}
    scopes: list[str] = []
    problems: dict[str, str] = {}
    if request.method == "POST":
        values = {key: printable(request.form.get(key, ""), 200) for key in values}
        scopes = [scope[:64] for scope in request.form.getlist("scopes")[:50]]
        problems = _form_problems(values, scopes)
        if not problems:
            svc = services()
            try:
                key, token = apikeys.create_api_key(
                    db_session(),
                    tenant_id=_tenant().id,
                    name=values["name"],
                    scopes=scopes,
                    actor=_actor(),
                    clock=svc.clock,
                    keyring=svc.keyring,
                    rate_limit=int(values["rate_limit"]) if values["rate_limit"] else None,
                )
            except ValidationFailed as refused:
                field = "rate_limit" if "rate_limit" in refused.details else "scopes"
                problems = {field: refused.translated()}
            else:
                return render("console/team_api_key_made.html", key=key, token=token), 200
    return render(
        "console/team_api_key_new.html",
        values=values,
        chosen=set(scopes),
        scopes=sorted(apikeys.SCOPES),
        problems=problems,
    ), (422 if problems else 200)


@bp.route("/api-keys/<uuid:key_id>/revoke", methods=["POST"])
@staff_page(roles.CONFIGURE)
def api_key_revoke(key_id: uuid.UUID) -> Response:
    """Revoke a key: calls with it are refused from now on."""
    key = apikeys.revoke_api_key(
        db_session(), _tenant().id, key_id, actor=_actor(), clock=services().clock
    )
    flash(translate(N_("The key %(name)s is revoked."), {"name": key.name}))
    return redirect(url_for("console.api_keys"), 303)

"""The members' side of the mall: the language it speaks to them unless they choose
another, how they sign in (a link from the merchant's app, a one-time code), and the
secret the merchant's server signs sign-in links with, rotated without a gap: a new
secret is made (shown once) while the old one still works, the server moves to it, and
the old one is revoked (jifen.members.sign_in_links: two live at most)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from marshmallow import ValidationError
from werkzeug import Response

from jifen.console.access import current, staff_page
from jifen.console.pages import bp
from jifen.console.settings import page
from jifen.console.settings_forms import problems_in, ticked
from jifen.console.setup import actor, save_settings
from jifen.i18n import N_, translate
from jifen.members import sign_in_links
from jifen.pagination import InvalidCursor
from jifen.tenants import roles
from jifen.tenants.schemas import SIGN_IN_METHODS, TenantSettingsPatch
from jifen.web import db_session, services

# The languages the mall speaks, each named in itself.
LANGUAGES = {"zh_CN": "简体中文", "en": "English"}
METHODS = {
    "link": N_("A link from your app, signed by your server"),
    "code": N_("A one-time code sent by SMS or email"),
}
_SIGN_IN = TenantSettingsPatch(
    only=("locale", "sign_in_methods", "auto_create_members", "code_sign_in_creates_members")
)
KEYS_PER_PAGE = 20


@bp.route("/settings/members", methods=["GET", "POST"])
@staff_page(roles.CONFIGURE)
def settings_members() -> tuple[str, int] | Response:
    """The members' language and the ways they sign in."""
    tenant = current().tenant
    assert tenant is not None
    values: dict[str, Any] = {
        "locale": tenant.locale,
        "sign_in_methods": list(tenant.sign_in_methods),
        "auto_create_members": tenant.auto_create_members,
        "code_sign_in_creates_members": tenant.code_sign_in_creates_members,
    }
    problems: dict[str, str] = {}
    if request.method == "POST":
        methods = request.form.getlist("sign_in_methods")
        values = {
            "locale": request.form.get("locale", "")[:8],
            "sign_in_methods": [m for m in SIGN_IN_METHODS if m in methods],
            "auto_create_members": ticked(request.form, "auto_create_members"),
            "code_sign_in_creates_members": ticked(request.form, "code_sign_in_creates_members"),
        }
        if values["locale"] not in LANGUAGES:
            problems["locale"] = translate(N_("Choose one."))
        try:
            changes = _SIGN_IN.load(values)
        except ValidationError as refused:
            problems |= problems_in(refused.messages)
        if not values["sign_in_methods"]:
            problems["sign_in_methods"] = translate(N_("Choose one way at least."))
        if not problems:
            save_settings(tenant, changes)
            flash(translate(N_("The members' language and sign-in are saved.")))
            return redirect(url_for("console.settings_members"), 303)
    return page(
        "console/settings_members.html",
        values=values,
        problems=problems,
        languages=LANGUAGES,
        methods={method: translate(label) for method, label in METHODS.items()},
    ), (422 if problems else 200)


@bp.route("/settings/sign-in-keys", methods=["GET", "POST"])
@staff_page(roles.MANAGE)
def settings_keys() -> str | tuple[str, int]:
    """The sign-in keys, live and revoked, a page at a time; a post makes a new one and
    shows its secret this once."""
    tenant = current().tenant
    assert tenant is not None
    session, svc = db_session(), services()
    made, problem, status = None, None, 200
    if request.method == "POST":
        try:
            made = sign_in_links.create_key(
                session, tenant.id, actor=actor(), clock=svc.clock, keyring=svc.keyring
            )
        except sign_in_links.TooManySignInKeys as refused:
            problem, status = refused.translated(), 409
    try:
        keys, after = sign_in_links.keys(
            session, limit=KEYS_PER_PAGE, cursor=request.args.get("after") or None
        )
    except InvalidCursor:
        keys, after = sign_in_links.keys(session, limit=KEYS_PER_PAGE)
    return page(
        "console/settings_keys.html",
        keys=keys,
        after=after,
        live=sign_in_links.live_count(session),
        made=made,
        problem=problem,
        most=sign_in_links.ACTIVE_KEYS,
        mall=url_for("storefront.home", slug=tenant.slug, _external=True),
    ), status


@bp.route("/settings/sign-in-keys/<key_id>/revoke", methods=["POST"])
@staff_page(roles.MANAGE)
def settings_key_revoke(key_id: str) -> Response:
    """Revoke a key: links signed with it open nothing from now on."""
    tenant = current().tenant
    assert tenant is not None
    key = sign_in_links.revoke_key(
        db_session(), tenant.id, key_id, actor=actor(), clock=services().clock
    )
    message = N_("The key %(key)s is revoked: links signed with it open nothing now.")
    flash(translate(message, {"key": key.id}))
    return redirect(url_for("console.settings_keys"), 303)

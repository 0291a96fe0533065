"""The member-facing storefront, resolved by host name or by `/m/<slug>/`.

Pages speak the member's language (`Accept-Language`, else the tenant's locale) through
the catalogs (`{{ _("...") }}` in the themes' templates). A member signs in by a link
from the merchant's app (jifen.members.sign_in_links) and stays signed in to that
tenant's mall only (jifen.session_cookies).
"""

from __future__ import annotations

from datetime import date
from operator import attrgetter
from typing import Any
from zoneinfo import ZoneInfo

import flask_babel
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    get_flashed_messages,
    redirect,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import format_number
from flask_wtf.csrf import generate_csrf, validate_csrf
from werkzeug import Response
from wtforms import ValidationError

from jifen import session_cookies
from jifen.db import set_tenant
from jifen.errors import NotFound
from jifen.headers import allow_framing_by
from jifen.i18n import N_, catalog_locale, translate
from jifen.ledger import history
from jifen.members.models import Checkin, Member
from jifen.members.sign_in_links import Link, SignInLinkRefused, open_link
from jifen.rules import recording
from jifen.rules.errors import AlreadyCheckedIn
from jifen.rules.events import EventIn
from jifen.tenants import service as tenants
from jifen.tenants.models import Tenant
from jifen.web import db_session, request_actor, services, set_tenant_locale

bp = Blueprint("storefront", __name__)


def render(tenant: Tenant, name: str, **context: Any) -> str:
    """Render `name` from the tenant's theme (falling back to the base theme)."""
    env = current_app.extensions["jifen.theme_env"]
    theme = tenant.theme if tenant.theme in current_app.extensions["jifen.themes"] else "base"
    page: str = env.get_template(f"@{theme}/{name}").render(
        tenant=tenant, theme=theme, lang=_reader_language(), **context
    )
    return page


def _reader_language() -> str:
    """The page's language as HTML names it (`zh-CN`, `en`)."""
    return (catalog_locale(str(flask_babel.get_locale())) or "en").replace("_", "-")


def _mall(tenant: Tenant) -> Tenant:
    """The tenant's mall, if it is open: the request's session is scoped to the tenant,
    its pages speak the tenant's language unless the member's browser asks for another,
    and may be framed by the tenant's app."""
    if tenant.status != "active":
        abort(404)
    set_tenant(db_session(), tenant.id)
    set_tenant_locale(tenant.locale)
    allow_framing_by(tenant.frame_ancestors)
    return tenant


def _by_slug(slug: str) -> Tenant:
    try:
        return _mall(tenants.by_slug(db_session(), slug))
    except NotFound:
        abort(404)


def _by_host() -> Tenant:
    """The mall this host name serves (a merchant's own domain); 404 for none."""
    tenant = tenants.by_host(db_session(), request.host)
    if tenant is None:
        abort(404)
    return _mall(tenant)


@bp.route("/")
def by_host() -> str | Response:
    tenant = tenants.by_host(db_session(), request.host)
    if tenant is None:
        return redirect(url_for("console.login"))
    return home(_mall(tenant), url_for("storefront.check_in_by_host"))


@bp.route("/m/<slug>/")
def by_slug(slug: str) -> str:
    tenant = _by_slug(slug)
    return home(tenant, url_for("storefront.check_in_by_slug", slug=tenant.slug))


def home(tenant: Tenant, check_in_url: str) -> str:
    member = signed_in_member(tenant)
    points = checked_in = None
    if member is not None:
        clock = services().clock
        points = history.summary(db_session(), member.id, clock=clock)
        checked_in = db_session().get(Checkin, (tenant.id, member.id, _today(tenant)))
    return render(
        tenant,
        "home.html",
        member=member,
        points=points,
        checked_in=checked_in,
        check_in_url=check_in_url,
        csrf_token=generate_csrf,
        notices=get_flashed_messages(),
    )


def _today(tenant: Tenant) -> date:
    """The tenant's local day now: the day a check-in counts for."""
    return services().clock.now().astimezone(ZoneInfo(tenant.timezone)).date()


@bp.post("/m/<slug>/check-in")
def check_in_by_slug(slug: str) -> Response:
    tenant = _by_slug(slug)
    return check_in(tenant, url_for("storefront.by_slug", slug=tenant.slug))


@bp.post("/check-in")
def check_in_by_host() -> Response:
    return check_in(_by_host(), url_for("storefront.by_host"))


def check_in(tenant: Tenant, home_url: str) -> Response:
    """The signed-in member checks in for today, through the earn engine (a `checkin`
    event, whose rules pay the streak), and is sent back home with what it earned. The
    event's id is the member's day, so a double submit records one check-in."""
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        abort(400)
    member = signed_in_member(tenant)
    if member is None:
        return redirect(home_url, 303)
    svc = services()
    day = _today(tenant)
    event = EventIn(event_id=f"checkin:{member.id}:{day}", kind="checkin", member_id=member.id)
    try:
        outcome = recording.record(
            db_session(),
            event,
            rule_types=svc.rule_types,
            actor=request_actor("member", str(member.id)),
            clock=svc.clock,
            keyring=svc.keyring,
        )
    except AlreadyCheckedIn:
        flash(translate(N_("You have already checked in today.")))
        return redirect(home_url, 303)
    earned = (outcome.result or {}).get("points") or 0
    flash(
        translate(
            N_("Checked in: +%(points)s %(points_name)s."),
            {"points": format_number(earned), "points_name": tenant.points_name},
        )
    )
    return redirect(home_url, 303)


def signed_in_member(tenant: Tenant) -> Member | None:
    """The member signed in to this tenant's mall in this browser, if any."""
    found = session_cookies.current(session_cookies.mall(tenant))
    if found is None:
        return None
    member = db_session().get(Member, (tenant.id, found.subject_id))
    return member if member is not None and member.status == "active" else None


@bp.route("/m/<slug>/sign-in")
def sign_in_by_slug(slug: str) -> tuple[str, int] | Response:
    db_session(write=True)  # a link is opened with GET, and signs in: a write
    tenant = _by_slug(slug)
    return sign_in(tenant, url_for("storefront.by_slug", slug=tenant.slug))


@bp.route("/sign-in")
def sign_in_by_host() -> tuple[str, int] | Response:
    db_session(write=True)  # a link is opened with GET, and signs in: a write
    return sign_in(_by_host(), url_for("storefront.by_host"))


def sign_in(tenant: Tenant, home_url: str) -> tuple[str, int] | Response:
    """A sign-in link from the merchant's app: the member signed in and sent to the
    mall's home (303, so that the link leaves the address bar), or a page saying the
    link cannot be used (403, the same page whatever its fault)."""
    link = Link(**{name: request.args.get(name, "") for name in Link.__dataclass_fields__})
    svc = services()
    try:
        member = open_link(db_session(), tenant, link, clock=svc.clock, keyring=svc.keyring)
    except SignInLinkRefused as refused:
        return render(tenant, "sign_in_refused.html", message=refused.translated()), 403
    response = redirect(home_url, 303)
    session_cookies.sign_in(response, session_cookies.mall(tenant), member.id)
    return response


@bp.route("/themes/<theme>/static/<path:filename>")
def theme_static(theme: str, filename: str) -> Response:
    themes = current_app.extensions["jifen.themes"]
    found = themes.find(theme)
    if found is None:
        abort(404)
    folder = themes.isolate(theme, "static", attrgetter("static"), found)
    return send_from_directory(folder, filename, max_age=3600)

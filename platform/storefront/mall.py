"""The storefront's blueprint and what every mall page shares.

One blueprint serves every tenant's mall, registered twice: as `storefront` under
`/m/<slug>/`, and as `host_storefront` at the root of a merchant's own host name. Before a view
runs, the tenant is found (by the slug, else by the host name: 404 for none, or for a
mall that is not open), the request's session is scoped to it, and its pages speak the
tenant's language unless the member's browser asks for another. Links between mall pages
are built with relative endpoints (`url_for(".product", ...)`), which keep the slug.

A member signs in by a link from the merchant's app (jifen.members.sign_in_links) or,
where the tenant allows it, with a one-time code (jifen.members.sign_in_codes), and
stays signed in to that tenant's mall only (jifen.session_cookies).
"""

from __future__ import annotations

import json
import re
import secrets
import uuid
from collections.abc import Callable
from operator import attrgetter
from typing import Any, TypeVar

import flask_babel
from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    get_flashed_messages,
    redirect,
    request,
    url_for,
)
from flask_wtf.csrf import generate_csrf, validate_csrf
from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload
from werkzeug import Response
from werkzeug.exceptions import Forbidden
from werkzeug.exceptions import NotFound as NotFoundPage
from wtforms import ValidationError

from jifen import idempotency, session_cookies
from jifen.db import set_tenant
from jifen.errors import JifenError, NotFound
from jifen.headers import allow_framing_by
from jifen.i18n import LOCALES, N_, catalog_locale, translate
from jifen.ledger import history
from jifen.mall import catalog
from jifen.mall.models import Product
from jifen.members import TierView, tiers_of
from jifen.members.models import Member
from jifen.notify import mask
from jifen.storefront import overrides
from jifen.storefront.branding import palette
from jifen.tenants import revisions, sessions
from jifen.tenants import service as tenants
from jifen.tenants.models import Tenant, WebSession
from jifen.theming import BASE_THEME, Look, override_name, read_preview
from jifen.web import (
    db_session,
    services,
    set_chosen_locale,
    set_tenant_locale,
    set_tenant_timezone,
)

bp = Blueprint("storefront", __name__)
HOST_MALL = "host_storefront"  # the blueprint's name where a merchant's host name serves it
DEFAULT_COLOR = "#d0282b"  # a theme that names no colour
LANGUAGE_COOKIE = "jifen_lang"
# A member's tags are not a page's business: not loaded (a query saved on every page).
_TAGLESS = (lazyload(Member.tag_rows),)

View = TypeVar("View", bound=Callable[..., Any])


def writes(view: View) -> View:
    """Marks a view that writes although browsers open it with GET (a sign-in link)."""
    view.writes = True  # type: ignore[attr-defined]
    return view


@bp.url_value_preprocessor
def _take_slug(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    g.mall_slug = values.pop("slug", None) if values else None


@bp.url_defaults
def _keep_slug(endpoint: str, values: dict[str, Any]) -> None:
    slug = g.get("mall_slug")
    if slug is not None and current_app.url_map.is_endpoint_expecting(endpoint, "slug"):
        values.setdefault("slug", slug)


@bp.before_request
def _open_mall() -> Response | None:
    view = current_app.view_functions.get(request.endpoint or "")
    session = db_session(write=getattr(view, "writes", False))
    if g.mall_slug is not None:
        known = tenants.known_slug(g.mall_slug)
        if known is not None:
            _read_together(session, known)
        try:
            tenant: Tenant | None = tenants.scoped_by_slug(session, g.mall_slug)
        except NotFound:
            tenant = None
        if tenant is not None and known is None:
            _read_together(session, tenant.id)
    else:
        tenant = tenants.by_host(session, request.host)
        if tenant is None and request.endpoint == f"{HOST_MALL}.home":
            return redirect(url_for("console.login"))  # the platform's own host name
        if tenant is not None:
            _read_together(session, tenant.id)
    if tenant is None or tenant.status != "active":
        abort(404)
    set_tenant_locale(tenant.locale)
    set_tenant_timezone(tenant.timezone)
    allow_framing_by(tenant.frame_ancestors)
    g.mall = tenant
    set_chosen_locale(chosen_language())
    return None


def _read_together(session: Session, tenant_id: uuid.UUID) -> None:
    """Scope the session to the tenant, and read in one statement what every page reads
    first: the tenant, this browser's session at its mall and that session's member.
    They stay in the session's identity map while g holds them, and the lookups that
    follow (tenants.scoped_by_slug, session_cookies.current, signed_in_member), which
    check them, find them there without a statement of their own."""
    set_tenant(session, tenant_id)
    token = request.cookies.get(session_cookies.mall_cookie(tenant_id))
    if not token:
        g.mall_rows = session.execute(select(Tenant).where(Tenant.id == tenant_id)).first()
        return
    g.mall_rows = session.execute(
        select(Tenant, WebSession, Member)
        .select_from(Tenant)
        .outerjoin(WebSession, WebSession.digest == sessions.token_digest(token))
        .outerjoin(Member, Member.id == WebSession.subject_id)
        .where(Tenant.id == tenant_id)
        .options(*_TAGLESS)
    ).first()


@bp.after_request
def _not_kept(response: Response) -> Response:
    """A mall's page is one member's (their points, their codes): no cache keeps it."""
    if response.mimetype == "text/html":
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(404)
def _not_found(error: NotFoundPage) -> tuple[str, int] | NotFoundPage:
    """The mall's own page for anything it does not have, or has for someone else."""
    if "mall" not in g:
        return error  # no such mall
    return render("not_found.html"), 404


@bp.errorhandler(403)
def _signed_out(error: Forbidden) -> tuple[str, int] | Forbidden:
    """A member's own page, asked for by a browser signed in to no member here."""
    if "mall" not in g:
        return error
    message = translate(
        N_("Open the mall from %(name)s's app to see this page."), {"name": mall().name}
    )
    return render("sign_in_refused.html", message=message), 403


@bp.errorhandler(JifenError)
def _refused(error: JifenError) -> tuple[str, int]:
    """What the mall refuses (a cursor it did not make, say), on a page of its own."""
    if "mall" not in g:
        return error.translated(), error.status
    return render("refused.html", message=error.translated()), error.status


def mall() -> Tenant:
    """The tenant whose mall this request is for."""
    tenant: Tenant = g.mall
    return tenant


def product_on_sale(product_id: uuid.UUID) -> Product:
    """The mall's product: 404, the same page, for one not active or another tenant's."""
    try:
        found = catalog.get_product(db_session(), product_id)
    except NotFound:
        abort(404)
    if found.status != "active":
        abort(404)
    return found


def signed_in_member() -> Member | None:
    """The member signed in to this mall in this browser, if any."""
    if "mall_member" not in g:
        tenant = mall()
        found = session_cookies.current(session_cookies.mall(tenant))
        member = (
            db_session().get(Member, (tenant.id, found.subject_id), options=_TAGLESS)
            if found
            else None
        )
        g.mall_member = member if member is not None and member.status == "active" else None
    member_or_none: Member | None = g.mall_member
    return member_or_none


def ladder() -> list[TierView]:
    """The mall's tiers, lowest first, with their benefits (read once a revision)."""
    tenant = mall()
    return revisions.kept(tenant, "tiers", lambda: tiers_of(db_session(), tenant.id))


def tier_of(member: Member) -> TierView | None:
    """The member's tier, with its benefits (None: below every tier)."""
    return next((t for t in ladder() if t.code == member.tier), None)


def balance_of(member: Member) -> int:
    """The points the member can spend now (one query: the wallet, less lapsed lots)."""
    wallets = history.wallets_now(db_session(), [member.id], clock=services().clock)
    return wallets.get(member.id, (0, 0, 0))[0]


def member_here() -> Member:
    """The signed-in member, for a member's own page: 403 (a page saying to open the
    mall from the app) for a browser signed in to no member here."""
    member = signed_in_member()
    if member is None:
        abort(403)
    return member


def chosen_language() -> str | None:
    """The language this browser's reader chose (jifen.storefront.language): the
    signed-in member's, else the cookie's (None: none chosen)."""
    member = signed_in_member()
    if member is not None and member.locale:
        return member.locale
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    return chosen if chosen in LOCALES else None


_FORM_KEY = re.compile(r"[A-Za-z0-9_-]{22}")


def new_form_key() -> str:
    """A key for a form that must act once however often it is sent (`form_key`)."""
    return secrets.token_urlsafe(16)


def form_key(value: str) -> str:
    """The key a form this mall rendered carries (`new_form_key`); 400 for any other."""
    if not _FORM_KEY.fullmatch(value):
        abort(400)
    return value


def claim_once(kind: str, member_id: uuid.UUID, key: str, payload: Any) -> tuple[str, Any]:
    """Claim the member's `kind` of form that acts once (its `form_key`) with what it
    asks (`payload`, as JSON): the key it acts under, for `idempotency.complete`, and the
    body stored for it when it acted already (a double submit), else None."""
    svc = services()
    claimed = f"mall-{kind}:{member_id}:{key}"
    stored = idempotency.claim(
        db_session(),
        tenant_id=mall().id,
        key=claimed,
        method="POST",
        route=request.path,
        fingerprint=idempotency.request_hash("POST", request.path, json.dumps(payload).encode()),
        now=svc.clock.now(),
        wait=svc.settings.idempotency_wait,
    )
    return claimed, stored.body if stored is not None else None


def whole_number(text: str, most: int) -> int | None:
    """A whole number from 1 to `most` as a member typed it, else None. Digits are ASCII
    ones: "²" and Arabic-Indic digits are digits to Python's str.isdigit, not to a form."""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(most)):
        return None
    number = int(text)
    return number if 1 <= number <= most else None


def half_hidden(name: str) -> str:
    """A person's name as a page shows it to someone else: its first letter and two
    stars, whatever its length (张**, A**), which would tell too."""
    return name[0] + "**"


def half_hidden_phone(phone: str) -> str:
    """A phone number as a page shows it: enough to recognise it, not to call it
    (138****8000), as notices mask it."""
    return mask("".join(c for c in phone if c.isdigit()))


def check_form() -> None:
    """A form posted to the mall carries the CSRF token of a page the mall rendered."""
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        abort(400)


def _previewed() -> Look | None:
    """The look a signed preview link shows this page in (the console's set-up frames
    one while the merchant chooses), instead of the mall's own."""
    token = request.args.get("preview")
    if not token:
        return None
    return read_preview(current_app.secret_key or b"", token[:1000], mall().id)


def render(name: str, **context: Any) -> str:
    """Render `name` from the tenant's theme (falling back to the base theme), with what
    every page shows: the tenant and its colours, the signed-in member, the notices
    flashed to it."""
    tenant = mall()
    themes = current_app.extensions["jifen.themes"]
    look = _previewed() or Look(tenant.theme, tenant.brand_color)
    theme = look.theme if look.theme in themes else BASE_THEME
    settings = themes.isolate(theme, "settings", attrgetter("settings"), themes.get(theme))
    colors = palette(
        look.brand_color or settings.get("primary_color", DEFAULT_COLOR),
        settings.get("surface_color", "#ffffff"),
    )
    context |= {
        "tenant": tenant,
        "theme": theme,
        "stylesheet": settings.get("stylesheet"),
        "colors": colors,
        "lang": _reader_language(),
        "member": signed_in_member(),
        "csrf_token": generate_csrf,
        "notices": get_flashed_messages(),
    }
    versions = revisions.kept(tenant, "templates", overrides.versions_of)
    if versions:
        sandbox = current_app.extensions["jifen.override_env"]
        template = override_name(tenant.id, versions, theme, name)
        try:
            page: str = sandbox.get_template(template).render(**context)
            return page
        except Exception:  # a merchant's template: whatever it raises, the theme's stands in
            overrides.log.warning(
                "tenant %s: its template %s failed; the theme's is shown",
                tenant.slug,
                name,
                exc_info=True,
            )
    env = current_app.extensions["jifen.theme_env"]
    page = env.get_template(f"@{theme}/{name}").render(**context)
    return page


def next_page(endpoint: str, given: dict[str, Any], cursor: str | None) -> str | None:
    """The address of a list's next page: the same filters, from where this page ends."""
    return url_for(endpoint, **(given | {"cursor": cursor})) if cursor else None


def reader_language_code() -> str:
    """The page's language as our catalogs name it (`zh_CN`, `en`)."""
    return catalog_locale(str(flask_babel.get_locale())) or "en"


def _reader_language() -> str:
    """The page's language as HTML names it (`zh-CN`, `en`)."""
    return reader_language_code().replace("_", "-")


def register(app: Any) -> None:
    """Serve the malls at `/m/<slug>/` and at the root of merchants' host names."""
    app.register_blueprint(bp, url_prefix="/m/<slug>")
    app.register_blueprint(bp, name=HOST_MALL)

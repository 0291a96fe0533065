"""A new merchant's set-up, from a verified account to a working branded mall: the mall
itself (its name, address, currency, time zone, language and what its points are
called), its look (a theme, a colour, a logo, previewed live), how points are earned and
expire and its first products, and the keys its systems use (shown once).

Each step is a page that saves as it goes: a merchant who leaves comes back to the step
they reached (`Tenant.setup_step`), and every step can be changed later in the console.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import current_app, redirect, request, url_for
from marshmallow import ValidationError
from werkzeug import Response

from jifen.console.access import current, staff_page, user_page
from jifen.console.forms import problems_of
from jifen.console.pages import bp, make_room, page_language, render
from jifen.errors import JifenError, ValidationFailed
from jifen.i18n import LOCALES, N_, translate
from jifen.ledger import policy
from jifen.mall import catalog
from jifen.mall.starter import load_starter_catalog
from jifen.members import sign_in_links
from jifen.rules import management
from jifen.tenants import apikeys, roles, users
from jifen.tenants import service as tenants
from jifen.tenants.models import Tenant
from jifen.tenants.schemas import RGB
from jifen.theming import Look, preview_token
from jifen.types import RateField
from jifen.uploads import MAX_IMAGE_BYTES, store_image
from jifen.web import db_session, request_actor, services

# The steps after the mall is made, in order; a tenant's `setup_step` is the next one.
STEPS = ("look", "points", "keys")
DONE = "done"
# A self-serve user may own this many malls (sign-up invites abuse; operators make more).
MAX_OWNED = 5
COMMON_ZONES = (
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Taipei",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Asia/Seoul",
    "Australia/Sydney",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "UTC",
)
EXPIRY_CHOICES = ("none", "rolling", "calendar")
PRODUCT_CHOICES = ("starter", "one")
DEFAULT_POINTS_NAME = {"zh_CN": "积分", "en": "points"}


def actor() -> Any:
    return request_actor("user", str(current().user.id))


def step_url(step: str) -> str:
    """The page of a set-up step (the console's home once done)."""
    return url_for(f"console.setup_{step}") if step in STEPS else url_for("console.home")


def _advance(tenant: Tenant, finished: str) -> None:
    """Move the tenant's set-up past `finished`, never back."""
    if tenant.setup_step in STEPS and STEPS.index(tenant.setup_step) <= STEPS.index(finished):
        following = STEPS.index(finished) + 1
        tenant.setup_step = STEPS[following] if following < len(STEPS) else DONE


# -- the mall ----------------------------------------------------------------------------


@bp.route("/malls/new", methods=["GET", "POST"])
@user_page()
def setup_mall() -> tuple[str, int] | Response:
    """Make a new mall, owned by the signed-in user, and work in it."""
    language = page_language()
    values = {
        "name": "",
        "slug": "",
        "currency": "CNY",
        "timezone": "Asia/Shanghai",
        "locale": language if language in LOCALES else "zh_CN",
        "points_name": DEFAULT_POINTS_NAME.get(language, "积分"),
    }
    problems: dict[str, str] = {}
    if request.method == "POST":
        values = {key: request.form.get(key, "").strip()[:100] for key in values}
        values["slug"] = values["slug"].lower()
        problems = _check_mall(values)
        if not problems:
            return _make_mall(values)
    return render(
        "console/setup_mall.html",
        values=values,
        problems=problems,
        currencies=sorted(tenants.CURRENCIES),
        zones=COMMON_ZONES,
        other_zones=sorted(tenants.time_zones() - set(COMMON_ZONES)),
    ), (422 if problems else 200)


def _check_mall(values: dict[str, str]) -> dict[str, str]:
    problems: dict[str, str] = {}
    session = db_session()
    for field, most in (("name", 100), ("points_name", 16)):
        if not values[field]:
            problems[field] = translate(N_("Required."))
        elif len(values[field]) > most:
            problems[field] = translate(N_("At most %(length)s characters."), {"length": most})
    try:
        tenants.check_slug(session, values["slug"])
    except JifenError as refused:
        problems["slug"] = refused.translated()
    try:
        tenants.check_settings(
            locale=values["locale"], timezone=values["timezone"], currency=values["currency"]
        )
    except ValidationFailed as refused:
        for field, message in refused.details.items():
            problems[field] = translate(message)
    staff = current()
    owned = [role for _, role in users.tenants_of(session, staff.user.id) if role == "owner"]
    if len(owned) >= MAX_OWNED:
        problems["name"] = translate(
            N_("You own %(count)s malls already: ask us for more."), {"count": len(owned)}
        )
    return problems


def _make_mall(values: dict[str, str]) -> Response:
    staff, svc, session = current(), services(), db_session()
    tenant = tenants.create_tenant(
        session,
        slug=values["slug"],
        name=values["name"],
        actor=actor(),
        clock=svc.clock,
        locale=values["locale"],
        timezone=values["timezone"],
        currency=values["currency"],
        points_name=values["points_name"],
    )
    tenant.setup_step = STEPS[0]
    users.add_staff(
        session,
        tenant_id=tenant.id,
        user_id=staff.user.id,
        role="owner",
        actor=actor(),
        clock=svc.clock,
    )
    staff.web_session.tenant_id = tenant.id
    return redirect(step_url(STEPS[0]), 303)


@bp.route("/malls/address-check")
@user_page()
def slug_check() -> str:
    """Whether a mall's address is free, as the set-up form asks while it is typed."""
    slug = request.args.get("slug", "").strip().lower()[:64]
    problem = None
    try:
        tenants.check_slug(db_session(), slug)
    except JifenError as refused:
        problem = refused.translated()
    address = url_for("storefront.home", slug=slug, _external=True) if problem is None else None
    return render("console/slug_check.html", problem=problem, address=address, slug=slug)


# -- the look ----------------------------------------------------------------------------


@bp.route("/setup/look", methods=["GET", "POST"])
@staff_page(roles.CONFIGURE)
def setup_look() -> tuple[str, int] | Response:
    """The mall's theme, colour and logo, with a live preview of its home page."""
    tenant = current().tenant
    assert tenant is not None
    look = Look(tenant.theme, tenant.brand_color)
    problems: dict[str, str] = {}
    if request.method == "POST":
        look = look_of(request.form.get("theme", ""), request.form.get("brand_color", ""))
        changes: dict[str, Any] = {"theme": look.theme, "brand_color": look.brand_color}
        problems = look_problems(look)
        logo = request.files.get("logo")
        if not problems and logo is not None and logo.filename:
            try:
                changes["logo_url"] = store_image(
                    services().storage, tenant.id, logo.read(UPLOAD_READ), field="logo"
                )
            except ValidationFailed as refused:
                problems = problems_of(refused, default_field="logo")
        if not problems:
            save_settings(tenant, changes)
            _advance(tenant, "look")
            if request.form.get("then") == "stay":
                return redirect(url_for("console.setup_look"), 303)
            return redirect(step_url(tenant.setup_step), 303)
    return render(
        "console/setup_look.html",
        look=look,
        themes=themes(),
        preview=preview_address(tenant, look),
        problems=problems,
        steps=STEPS,
    ), (422 if problems else 200)


make_room(
    ("console.setup_look", "console.settings_look", "console.settings_banners"),
    MAX_IMAGE_BYTES * 5 + 1024 * 1024,
    N_("What was sent is too large: an image may be at most 2 MB."),
)
# Read at most a byte beyond the largest image taken, so a larger one is refused whole.
UPLOAD_READ = 2 * 1024 * 1024 + 1


def look_of(theme: str, color: str) -> Look:
    """The look a form or a preview's query names (checked by `look_problems`)."""
    color = color.strip().lower()[:7]
    return Look(theme.strip()[:32], color or None)


def look_problems(look: Look) -> dict[str, str]:
    """What is wrong with a look, by input: a theme not installed, a colour not #rrggbb."""
    problems = {}
    if look.theme not in current_app.extensions["jifen.themes"]:
        problems["theme"] = translate(N_("No installed theme has this name."))
    if look.brand_color is not None and not RGB.fullmatch(look.brand_color):
        problems["brand_color"] = translate(N_("A colour is written #rrggbb."))
    return problems


def themes() -> list[dict[str, str]]:
    """The installed themes, each with its title and description in the page's language."""
    installed = current_app.extensions["jifen.themes"]
    language = page_language()
    listed = []
    for name in sorted(installed.names()):
        title, description = installed.get(name).described(language)
        listed.append({"name": name, "title": title, "description": description})
    return listed


def preview_address(tenant: Tenant, look: Look) -> str:
    """The mall's home page as it would look in `look`, signed so that only staff's
    previews show a look not saved."""
    token = preview_token(current_app.secret_key or b"", tenant.id, look)
    return url_for("storefront.home", slug=tenant.slug, preview=token)


@bp.route("/setup/look/preview")
@staff_page(roles.CONFIGURE)
def look_preview() -> str:
    """The preview's frame for the look being chosen (asked for as the form changes)."""
    tenant = current().tenant
    assert tenant is not None
    # The settings' look page may ask for the theme's own colour instead of the one picked.
    color = "" if request.args.get("theme_colour") else request.args.get("brand_color", "")
    look = look_of(request.args.get("theme", ""), color)
    if look_problems(look):
        look = Look(tenant.theme, tenant.brand_color)
    return render("console/look_preview.html", preview=preview_address(tenant, look))


def save_settings(tenant: Tenant, changes: dict[str, Any]) -> None:
    """Change some of the tenant's settings that nothing recorded depends on (its look,
    name, banners, language, sign-in methods); audited by the service."""
    tenants.update_settings(
        db_session(),
        tenant.id,
        changes,
        actor=actor(),
        clock=services().clock,
        in_use=lambda setting: False,  # none of these is locked
    )


# -- points and products -------------------------------------------------------------------


@bp.route("/setup/points", methods=["GET", "POST"])
@staff_page(roles.CONFIGURE)
def setup_points() -> tuple[str, int] | Response:
    """How members earn points and when they expire, and the mall's first products."""
    tenant = current().tenant
    assert tenant is not None
    values = {
        "rate": "1",
        "expiry": "rolling",
        "rolling_months": "24",
        "products": "starter",
        "product_name": "",
        "product_points": "",
        "product_stock": "",
    }
    problems: dict[str, str] = {}
    if request.method == "POST":
        values = {key: request.form.get(key, "").strip()[:100] for key in values}
        problems = _earning_problems(values)
        if not problems:
            problems = _save_earning(tenant, values)
        if not problems:
            _advance(tenant, "points")
            return redirect(step_url(tenant.setup_step), 303)
        db_session().rollback()  # nothing of a refused step is kept
    return render(
        "console/setup_points.html",
        values=values,
        problems=problems,
        tenant=tenant,
        steps=STEPS,
    ), (422 if problems else 200)


def _whole(text: str, *, least: int, most: int) -> int | None:
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(most)):
        return None
    number = int(text)
    return number if least <= number <= most else None


_RATE = RateField(minimum=Decimal(0), min_inclusive=False, maximum=Decimal(10_000))


def _earning_problems(values: dict[str, str]) -> dict[str, str]:
    problems = {}
    try:
        _RATE.deserialize(values["rate"])
    except ValidationError:
        problems["rate"] = translate(
            N_("Give the points per 1.00 spent: a number above 0 with at most 4 decimals.")
        )
    if values["expiry"] not in EXPIRY_CHOICES:
        problems["expiry"] = translate(N_("Choose one."))
    elif (
        values["expiry"] == "rolling"
        and _whole(values["rolling_months"], least=1, most=120) is None
    ):
        problems["rolling_months"] = translate(N_("A whole number of months from 1 to 120."))
    if values["products"] not in PRODUCT_CHOICES:
        problems["products"] = translate(N_("Choose one."))
    elif values["products"] == "one":
        if not values["product_name"]:
            problems["product_name"] = translate(N_("Required."))
        if _whole(values["product_points"], least=1, most=10_000_000) is None:
            problems["product_points"] = translate(
                N_("A whole number of points from 1 to 10,000,000.")
            )
        if _whole(values["product_stock"], least=0, most=1_000_000) is None:
            problems["product_stock"] = translate(N_("A whole number from 0 to 1,000,000."))
    return problems


def _save_earning(tenant: Tenant, values: dict[str, str]) -> dict[str, str]:
    """Save the step; what the services refused, by field (nothing saved then)."""
    svc, session = services(), db_session()
    expiry: dict[str, Any] = {"expiry": values["expiry"]}
    if values["expiry"] == "rolling":
        expiry["rolling_months"] = int(values["rolling_months"])
    elif values["expiry"] == "calendar":
        expiry |= {"clear_month": 12, "clear_day": 31, "clear_years": 1}
    try:
        policy.set_policy(session, tenant.id, expiry, actor=actor(), clock=svc.clock)
    except ValidationFailed as refused:
        return problems_of(refused, default_field="expiry")
    management.create_rule(
        session,
        {
            "name": translate(N_("Points for purchases")),
            "type": "spend",
            "params": {"rate": values["rate"]},
            "status": "active",
        },
        rule_types=svc.rule_types,
        actor=actor(),
        clock=svc.clock,
    )
    if values["products"] == "starter":
        load_starter_catalog(
            session,
            tenant.id,
            locale=tenant.locale,
            modes=svc.redeem_modes,
            actor=actor(),
            clock=svc.clock,
        )
        return {}
    try:
        catalog.create_product(
            session,
            tenant.id,
            {
                "kind": "physical",
                "name": values["product_name"],
                "points_price": int(values["product_points"]),
                "stock": int(values["product_stock"]),
                "status": "active",
            },
            modes=svc.redeem_modes,
            tiers=[],
            actor=actor(),
            clock=svc.clock,
        )
    except ValidationFailed as refused:
        return problems_of(refused, default_field="product_name")
    return {}


# -- keys ----------------------------------------------------------------------------------


@bp.route("/setup/keys", methods=["GET", "POST"])
@staff_page(roles.MANAGE)
def setup_keys() -> str:
    """The API key and the sign-in link secret the merchant's systems use, made on asking
    and shown this once, with snippets that work as shown."""
    tenant = current().tenant
    assert tenant is not None
    made = None
    if request.method == "POST":
        svc, session = services(), db_session()
        _, token = apikeys.create_api_key(
            session,
            tenant_id=tenant.id,
            name=translate(N_("Set-up key")),
            scopes=sorted(apikeys.SCOPES),
            actor=actor(),
            clock=svc.clock,
            keyring=svc.keyring,
        )
        key = sign_in_links.create_key(
            session, tenant.id, actor=actor(), clock=svc.clock, keyring=svc.keyring
        )
        made = {"token": token, "key_id": key.id, "secret": key.secret}
        _advance(tenant, "keys")
    base = request.host_url.rstrip("/")
    return render(
        "console/setup_keys.html",
        made=made,
        tenant=tenant,
        base=base,
        mall=url_for("storefront.home", slug=tenant.slug, _external=True),
        steps=STEPS,
    )

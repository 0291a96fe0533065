"""The mall's branding: its name and what points are called, its theme, colour and logo
with a live preview (the set-up's, jifen.console.setup), and the home page's banners."""

from __future__ import annotations

import re
from typing import Any

from flask import flash, redirect, request, url_for
from marshmallow import ValidationError
from werkzeug import Response
from werkzeug.datastructures import FileStorage

from jifen.console.access import current, staff_page
from jifen.console.pages import bp
from jifen.console.settings import page
from jifen.console.settings_forms import problems_in, problems_of_error, ticked, whole
from jifen.console.setup import (
    UPLOAD_READ,
    look_of,
    look_problems,
    preview_address,
    save_settings,
    themes,
)
from jifen.errors import ValidationFailed
from jifen.i18n import N_, translate
from jifen.tenants import roles
from jifen.tenants.models import Tenant
from jifen.tenants.schemas import MAX_BANNERS, TenantSettingsPatch
from jifen.theming import Look
from jifen.uploads import store_image
from jifen.web import services

_NAMES = TenantSettingsPatch(only=("name", "points_name"))
_BANNERS = TenantSettingsPatch(only=("banners",))
BANNER_FIELDS = ("image_url", "alt", "link")
_ROW = re.compile(r"banners-([0-9])-([a-z_]+)")


@bp.route("/settings/look", methods=["GET", "POST"])
@staff_page(roles.CONFIGURE)
def settings_look() -> tuple[str, int] | Response:
    """The mall's name, theme, colour and logo; the preview follows the theme and the
    colour as they are chosen."""
    tenant = current().tenant
    assert tenant is not None
    look = Look(tenant.theme, tenant.brand_color)
    values = {"name": tenant.name, "points_name": tenant.points_name}
    problems: dict[str, str] = {}
    if request.method == "POST":
        values = {name: request.form.get(name, "").strip()[:120] for name in values}
        own_colour = not ticked(request.form, "theme_colour")
        look = look_of(
            request.form.get("theme", ""),
            request.form.get("brand_color", "") if own_colour else "",
        )
        problems = look_problems(look)
        try:
            changes: dict[str, Any] = _NAMES.load(values)
        except ValidationError as refused:
            problems |= problems_in(refused.messages)
        if not problems:
            changes |= {"theme": look.theme, "brand_color": look.brand_color}
            problems = _logo(tenant, request.files.get("logo"), changes)
        if not problems:
            save_settings(tenant, changes)
            flash(translate(N_("Your mall's look is saved.")))
            return redirect(url_for("console.settings_look"), 303)
    return page(
        "console/settings_look.html",
        tenant=tenant,
        look=look,
        values=values,
        themes=themes(),
        preview=preview_address(tenant, look),
        problems=problems,
    ), (422 if problems else 200)


def _logo(tenant: Tenant, logo: FileStorage | None, changes: dict[str, Any]) -> dict[str, str]:
    """Keep a new logo (or drop the logo when asked) in `changes`; its problems."""
    if ticked(request.form, "remove_logo"):
        changes["logo_url"] = None
    elif logo is not None and logo.filename:
        try:
            changes["logo_url"] = store_image(
                services().storage, tenant.id, logo.read(UPLOAD_READ), field="logo"
            )
        except ValidationFailed as refused:
            return problems_of_error(refused, default_field="logo")
    return {}


# -- banners -----------------------------------------------------------------------------


@bp.route("/settings/banners", methods=["GET", "POST"])
@staff_page(roles.CONFIGURE)
def settings_banners() -> tuple[str, int] | Response:
    """The home page's banners, in order: an image (an address, or a file uploaded),
    what it says for members who cannot see it, and where a tap leads."""
    tenant = current().tenant
    assert tenant is not None
    problems: dict[str, str] = {}
    if request.method == "GET":
        rows = [_row_of(banner) for banner in tenant.banners] or [_blank()]
        return _banners_page(tenant, rows, problems), 200
    rows = _posted_rows()
    if request.form.get("action") == "add":
        return _banners_page(tenant, [*rows, _blank()][:MAX_BANNERS], problems), 200
    if "remove" in request.form:
        gone = whole(request.form["remove"], least=0, most=len(rows) - 1)
        return _banners_page(tenant, [r for i, r in enumerate(rows) if i != gone], problems), 200
    if "up" in request.form:
        moved = whole(request.form["up"], least=1, most=len(rows) - 1)
        if moved is not None:
            rows[moved - 1], rows[moved] = rows[moved], rows[moved - 1]
        return _banners_page(tenant, rows, problems), 200
    kept = [row for row in rows if _filled(row)]
    problems = _banner_problems(kept)
    if not problems:
        problems = _keep_uploads(kept, tenant)
    if not problems:
        banners = _BANNERS.load({"banners": [_banner(row) for row in kept]})["banners"]
        save_settings(tenant, {"banners": banners})
        flash(translate(N_("The banners are saved.")))
        return redirect(url_for("console.settings_banners"), 303)
    return _banners_page(tenant, kept or [_blank()], problems), 422


def _banners_page(tenant: Tenant, rows: list[dict[str, str]], problems: dict[str, str]) -> str:
    return page(
        "console/settings_banners.html",
        rows=rows,
        problems=problems,
        most=MAX_BANNERS,
        shop=url_for("storefront.shelf", slug=tenant.slug),
        preview=preview_address(tenant, Look(tenant.theme, tenant.brand_color)),
    )


def _blank() -> dict[str, str]:
    return dict.fromkeys(BANNER_FIELDS, "")


def _row_of(banner: dict[str, str | None]) -> dict[str, str]:
    return {name: banner.get(name) or "" for name in BANNER_FIELDS}


def _banner(row: dict[str, str]) -> dict[str, str | None]:
    return {"image_url": row["image_url"], "alt": row["alt"], "link": row["link"] or None}


def _posted_rows() -> list[dict[str, str]]:
    """The banners posted, in their order (at most `MAX_BANNERS`: the rows' numbers are
    one digit, and rows past the most are not read)."""
    found: dict[int, dict[str, str]] = {}
    for key, value in request.form.items():
        matched = _ROW.fullmatch(key)
        if matched and matched[2] in BANNER_FIELDS and int(matched[1]) < MAX_BANNERS:
            row = found.setdefault(int(matched[1]), _blank())
            row[matched[2]] = value.strip()[:600]
    for key in request.files:
        matched = _ROW.fullmatch(key)
        if matched and matched[2] == "image" and int(matched[1]) < MAX_BANNERS:
            found.setdefault(int(matched[1]), _blank())
    return [found[index] | {"index": str(index)} for index in sorted(found)]


def _filled(row: dict[str, str]) -> bool:
    """Whether a row says anything (a row left blank is dropped)."""
    return any(row[name] for name in BANNER_FIELDS) or _upload(row) is not None


def _upload(row: dict[str, str]) -> FileStorage | None:
    upload = request.files.get(f"banners-{row['index']}-image")
    return upload if upload is not None and upload.filename else None


def _banner_problems(rows: list[dict[str, str]]) -> dict[str, str]:
    """What is wrong with the rows, by input, before any file is kept (an image coming
    as a file stands in for its address)."""
    checked = [
        _banner(row) | ({"image_url": "/uploaded.png"} if _upload(row) else {}) for row in rows
    ]
    try:
        _BANNERS.load({"banners": checked})
    except ValidationError as refused:
        return problems_in(refused.messages)
    return {}


def _keep_uploads(rows: list[dict[str, str]], tenant: Tenant) -> dict[str, str]:
    """Keep each uploaded image, its address in its row; the problems of the files
    refused, by row as the page shows them again."""
    problems = {}
    for number, row in enumerate(rows):
        upload = _upload(row)
        if upload is None:
            continue
        try:
            row["image_url"] = store_image(
                services().storage, tenant.id, upload.read(UPLOAD_READ), field="image"
            )
        except ValidationFailed as refused:
            found = problems_of_error(refused, default_field="image")
            problems[f"banners-{number}-image"] = " ".join(found.values())
    return problems

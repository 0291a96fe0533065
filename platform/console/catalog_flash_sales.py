"""Flash sales (秒杀): every product's, running, to come or ended, a page at a time; a
new one for a product (its window in the mall's time zone, price, stock of its own and
limit per member); and one ended now (or called off, if it has not started)."""

from __future__ import annotations

import uuid
from typing import Any
from zoneinfo import ZoneInfo

from flask import flash, redirect, request, url_for
from flask_babel import format_datetime
from marshmallow import ValidationError
from werkzeug import Response

from jifen.console.access import current, staff_page
from jifen.console.catalog_inputs import Reader, problems_in, refusal_problems
from jifen.console.pages import bp, render
from jifen.errors import JifenError
from jifen.i18n import N_, translate
from jifen.mall import catalog, schemas
from jifen.mall.models import FlashSale, Product
from jifen.tenants import roles
from jifen.tenants.models import Tenant
from jifen.web import db_session, request_actor, services

PAGE = 25
STATES = {
    "running": N_("Running"),
    "upcoming": N_("To come"),
    "ended": N_("Ended"),
}
# Products the new sale's search shows.
FOUND = 20


def _tenant() -> Tenant:
    tenant = current().tenant
    assert tenant is not None
    return tenant


@bp.route("/catalog/flash-sales")
@staff_page(roles.VIEW)
def catalog_flash_sales() -> str:
    """The flash sales, latest start first; by state."""
    session, now = db_session(), services().clock.now()
    state = request.args.get("state", "")
    cursor = request.args.get("cursor", "")[:512] or None
    rows, next_cursor = catalog.list_flash_sales(
        session, now=now, state=state if state in STATES else None, cursor=cursor, limit=PAGE
    )
    names = catalog.product_names(session, [sale.product_id for sale in rows])
    return render(
        "console/catalog_flash_sales.html",
        sales=[_row(sale, names, now) for sale in rows],
        next_cursor=next_cursor,
        state=state if state in STATES else "",
        states=STATES,
        can_configure=current().can(roles.CONFIGURE),
    )


def _row(sale: FlashSale, names: dict[uuid.UUID, str], now: Any) -> dict[str, Any]:
    state = "running" if sale.starts_at <= now < sale.ends_at else "upcoming"
    state = "ended" if sale.ends_at <= now else state
    return {
        "id": sale.id,
        "product_id": sale.product_id,
        "product": names.get(sale.product_id, ""),
        "starts": format_datetime(sale.starts_at, "short"),
        "ends": format_datetime(sale.ends_at, "short"),
        "price": sale.points_price,
        "stock": sale.stock,
        "sold": sale.sold,
        "limit": sale.limit_per_member,
        "state": state,
    }


@bp.route("/catalog/flash-sales/new", methods=["GET", "POST"])
@staff_page(roles.CONFIGURE)
def catalog_new_flash_sale() -> tuple[str, int] | Response:
    """A new flash sale of the product named by `product` (a search finds it first)."""
    session, svc = db_session(), services()
    product_id = _uuid(request.values.get("product", ""))
    if product_id is None:
        q = request.args.get("q", "").strip()[:100]
        found: list[Product] = []
        if q:
            found, _ = catalog.search_products(session, now=svc.clock.now(), q=q, limit=FOUND)
        return render("console/catalog_flash_sale.html", product=None, q=q, found=found), 200
    product = catalog.get_product(session, product_id)
    values = {
        "starts_at": "",
        "ends_at": "",
        "points_price": "",
        "stock": "",
        "limit_per_member": "",
    }
    problems: dict[str, str] = {}
    if request.method == "POST":
        data, values, problems = _read()
        if data is not None:
            try:
                catalog.create_flash_sale(
                    session,
                    product.id,
                    data,
                    actor=request_actor("user", str(current().user.id)),
                    clock=svc.clock,
                )
            except JifenError as refused:
                problems = refusal_problems(refused, default_field="starts_at")
            else:
                flash(
                    translate(
                        N_("The flash sale of %(name)s is scheduled."), {"name": product.name}
                    )
                )
                return redirect(url_for("console.catalog_flash_sales"), 303)
    return render(
        "console/catalog_flash_sale.html",
        product=product,
        values=values,
        problems=problems,
        zone=_tenant().timezone,
    ), (422 if problems else 200)


def _read() -> tuple[dict[str, Any] | None, dict[str, str], dict[str, str]]:
    """The posted sale as the API's schema loads it; what was typed; problems."""
    tenant = _tenant()
    reader = Reader(request.form, zone=ZoneInfo(tenant.timezone), currency=tenant.currency)
    raw: dict[str, Any] = {}
    for name in ("starts_at", "ends_at"):
        moment = reader.moment(name)
        if moment is not None:
            raw[name] = moment.isoformat()
    for name in ("points_price", "stock"):
        number = reader.whole(name)
        if number is not None:
            raw[name] = number
    raw["limit_per_member"] = reader.whole("limit_per_member")
    problems: dict[str, str] = {}
    loaded = None
    try:
        loaded = schemas.FlashSaleIn().load(raw)
    except ValidationError as refused:
        problems = problems_in(refused.messages)
    problems |= reader.problems
    return (None if problems else loaded), dict(reader.values), problems


@bp.route("/catalog/flash-sales/<uuid:sale_id>/end", methods=["POST"])
@staff_page(roles.CONFIGURE)
def catalog_end_flash_sale(sale_id: uuid.UUID) -> Response:
    """End a running flash sale now, or call off one still to come."""
    outcome = catalog.end_flash_sale(
        db_session(),
        sale_id,
        actor=request_actor("user", str(current().user.id)),
        clock=services().clock,
    )
    said = (
        N_("The flash sale is ended.")
        if outcome == "ended"
        else N_("The flash sale is called off.")
    )
    flash(translate(said))
    return redirect(url_for("console.catalog_flash_sales"), 303)


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text[:64]) if text else None
    except ValueError:
        return None

"""Coupons: the coupon products of the catalog and the terms each one's coupons carry
(what they take off at the merchant's checkout, from what order, for how long)."""

from __future__ import annotations

from typing import Any

from flask import request

from jifen.console.access import current, staff_page
from jifen.console.catalog_product_form import COUPON_TYPES, STATUSES
from jifen.console.pages import bp, page_language, render
from jifen.i18n import N_, format_money, translate
from jifen.mall import catalog
from jifen.mall.models import Product
from jifen.tenants import roles
from jifen.web import db_session, services

PAGE = 25


@bp.route("/catalog/coupons")
@staff_page(roles.VIEW)
def catalog_coupons() -> str:
    """The coupon products, a page at a time, each with its terms in words."""
    cursor = request.args.get("cursor", "")[:512] or None
    rows, next_cursor = catalog.search_products(
        db_session(), now=services().clock.now(), kind="coupon", cursor=cursor, limit=PAGE
    )
    return render(
        "console/catalog_coupons.html",
        coupons=[_coupon(product) for product in rows],
        next_cursor=next_cursor,
        statuses=STATUSES,
        can_configure=current().can(roles.CONFIGURE),
    )


def _coupon(product: Product) -> dict[str, Any]:
    terms = product.fulfilment.get("coupon") or {}
    tenant = current().tenant
    assert tenant is not None
    currency, locale = tenant.currency, page_language()
    kind = terms.get("type")
    if kind == "amount_off":
        gives = translate(
            N_("%(amount)s off"),
            {"amount": format_money(int(terms["amount_off"]), currency, locale)},
        )
    elif kind == "percent_off":
        gives = translate(N_("%(percent)s%% off"), {"percent": terms["percent_off"]})
    else:
        gives = translate(COUPON_TYPES.get(str(kind), N_("Free shipping")))
    threshold = int(terms.get("threshold") or 0)
    return {
        "id": product.id,
        "name": product.name,
        "gives": gives,
        "threshold": format_money(threshold, currency, locale) if threshold else None,
        "valid_days": terms.get("valid_days"),
        "points_price": product.points_price,
        "stock": product.stock,
        "sold": product.sold,
        "status": product.status,
    }

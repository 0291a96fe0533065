"""Lotteries: the lottery products, and each one's prize table edited with the odds it
implies (each prize's chance, the points a draw gives back on average against what it
costs), shown as a table and a chart, and its published draw periods."""

from __future__ import annotations

import uuid
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, request, url_for
from werkzeug import Response

from jifen.console.access import current, staff_page
from jifen.console.catalog_inputs import Reader
from jifen.console.catalog_prizes import (
    MAX_PRIZES,
    PERIODS,
    OddsView,
    odds_view,
    read_table,
    table_values,
)
from jifen.console.catalog_product_form import (
    LOTTERY,
    STATUSES,
    settings_prefix,
    settings_problems,
)
from jifen.console.pages import bp, render
from jifen.errors import JifenError
from jifen.i18n import N_, translate
from jifen.mall import catalog, lottery
from jifen.mall.models import Product
from jifen.members import tiers
from jifen.tenants import roles
from jifen.web import db_session, request_actor, services

PAGE = 25
PREFIX = settings_prefix(LOTTERY)
# Periods the page lists, newest first.
PERIODS_SHOWN = 7


@bp.route("/catalog/lotteries")
@staff_page(roles.VIEW)
def catalog_lotteries() -> str:
    """The lottery products, each with the points a draw costs and gives back."""
    cursor = request.args.get("cursor", "")[:512] or None
    rows, next_cursor = catalog.search_products(
        db_session(), now=services().clock.now(), mode=LOTTERY, cursor=cursor, limit=PAGE
    )
    return render(
        "console/catalog_lotteries.html",
        lotteries=[(product, _odds(product)) for product in rows],
        next_cursor=next_cursor,
        statuses=STATUSES,
        can_configure=current().can(roles.CONFIGURE),
    )


def _odds(product: Product) -> OddsView | None:
    """The odds of the product's stored table (None if a plugin's change left it
    unreadable: the page still lists it)."""
    try:
        return odds_view(
            services().redeem_modes.parse(LOTTERY, product.mode_params), product.points_price
        )
    except JifenError:
        return None


@bp.route("/catalog/products/<uuid:product_id>/lottery", methods=["GET", "POST"])
@staff_page(roles.CONFIGURE)
def catalog_lottery(product_id: uuid.UUID) -> tuple[str, int] | Response:
    """A lottery's prize table and its odds: "Show the odds" shows those of the table
    as edited, unsaved; "Save" keeps it."""
    session, svc = db_session(), services()
    product = catalog.get_product(session, product_id)
    if product.mode != LOTTERY:
        abort(404)
    table = table_values(product.mode_params)
    odds, preview = _odds(product), False
    problems: dict[str, str] = {}
    if request.method == "POST":
        table, problems, loaded = _posted_table()
        odds = None
        if loaded is not None and request.form.get("then") == "preview":
            odds, preview = odds_view(loaded, product.points_price), True
        elif loaded is not None:
            catalog.update_product(
                session,
                product.id,
                {"mode_params": loaded},
                modes=svc.redeem_modes,
                tiers=tiers.tiers_of(session, product.tenant_id),
                actor=request_actor("user", str(current().user.id)),
                clock=svc.clock,
            )
            flash(translate(N_("The prize table is saved.")))
            return redirect(url_for("console.catalog_lottery", product_id=product.id), 303)
    return _page(product, table, problems, odds, preview)


def _page(
    product: Product,
    table: dict[str, Any],
    problems: dict[str, str],
    odds: OddsView | None,
    preview: bool,
) -> tuple[str, int]:
    svc = services()
    if request.method == "GET":
        # The current and next periods are made first, in a transaction of their own, as
        # the API's odds make them: their seed hashes are published before anyone draws.
        periods = lottery.published(svc, product)["periods"][:PERIODS_SHOWN]
    else:  # a post writes in the request's transaction: read what there is
        periods = lottery.periods(
            db_session().connection(),
            product.tenant_id,
            product.id,
            now=svc.clock.now(),
            keyring=svc.keyring,
            limit=PERIODS_SHOWN,
        )
    return render(
        "console/catalog_lottery.html",
        product=product,
        table=table,
        problems=problems,
        odds=odds,
        preview=preview,
        periods=periods,
        prefix=PREFIX,
        period_options=[(value, translate(label)) for value, label in PERIODS.items()],
        max_prizes=MAX_PRIZES,
    ), (422 if problems else 200)


def _posted_table() -> tuple[dict[str, Any], dict[str, str], dict[str, Any] | None]:
    """The posted table: its values to show again, its problems, and its settings as
    the lottery mode loads them (None while it has problems or a row was added or
    removed)."""
    tenant = current().tenant
    assert tenant is not None
    reader = Reader(request.form, zone=ZoneInfo(tenant.timezone), currency=tenant.currency)
    posted = read_table(reader, PREFIX)
    if posted.params is None:
        return posted.values, reader.problems, None
    try:
        loaded = services().redeem_modes.parse(LOTTERY, posted.params)
    except JifenError as refused:
        return posted.values, settings_problems(refused, LOTTERY) | reader.problems, None
    if reader.problems:
        return posted.values, reader.problems, None
    return posted.values, {}, services().redeem_modes.stored(LOTTERY, loaded)

"""A lottery in the mall: its published odds on the product's page, and its audit page,
which lists each period's draws with the seed hash published before the period and the
seed revealed after it, and the recipe to recompute any draw (jifen.mall.lottery)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import abort, request

from jifen.errors import JifenError
from jifen.mall import lottery
from jifen.storefront.mall import bp, next_page, product_on_sale, render
from jifen.web import db_session, services

DRAWS_PAGE = 50


@bp.route("/shop/<uuid:product_id>/draws")
def lottery_audit(product_id: uuid.UUID) -> str | tuple[str, int]:
    product = product_on_sale(product_id)
    if product.mode != "lottery":
        abort(404)
    odds = lottery.published(services(), product)
    names = {prize["code"]: prize["name"] for prize in odds["prizes"]}
    period = request.args.get("period")
    draws: list[Any] = []
    more = None
    if period is not None:
        if period not in {p.key for p in odds["periods"]}:
            abort(404)
        try:
            draws, cursor = lottery.draws_of(
                db_session().connection(),
                product.tenant_id,
                product.id,
                period,
                limit=DRAWS_PAGE,
                cursor=request.args.get("cursor"),
            )
        except JifenError as error:  # a cursor from elsewhere
            return render("refused.html", message=error.translated()), 400
        more = next_page(".lottery_audit", {"product_id": product.id, "period": period}, cursor)
    return render(
        "lottery_audit.html",
        product=product,
        odds=odds,
        names=names,
        period=period,
        draws=draws,
        more_url=more,
    )

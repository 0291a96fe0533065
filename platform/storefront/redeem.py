"""Redeeming a product: the confirmation page (what it costs, the balance after, the
address a physical item goes to: one of the member's saved addresses, or a new one,
saved to them too unless they say not to), the order placed from it, and the order's
own page.

The confirmation form carries a key of its own, so a double submit (a second tap, a
reload) makes one order: the key is claimed as an API request's `Idempotency-Key` is
(jifen.idempotency), and a repeat is sent to the order the first one placed. Anything
the order is refused for (too few points, out of stock, over a limit) is said on the
page and nothing is taken: the request's transaction is rolled back.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import abort, redirect, request, url_for
from werkzeug import Response

from jifen import idempotency
from jifen.errors import JifenError
from jifen.i18n import N_, translate
from jifen.mall import after_sales, orders, payments, reviews
from jifen.mall.models import Order, Product
from jifen.members.models import Member
from jifen.storefront.addresses import Shipping, choices, keep, shipping_from
from jifen.storefront.mall import (
    balance_of,
    bp,
    check_form,
    claim_once,
    form_key,
    mall,
    member_here,
    new_form_key,
    product_on_sale,
    render,
    signed_in_member,
)
from jifen.web import db_session, request_actor, services

MOST = 99  # the most units one order takes from the mall's pages
# What a refused order says to the member who placed it (the API's messages speak of
# "the member"); any other refusal reads as the API's.
REFUSALS = {
    "insufficient_points": N_("You do not have enough %(points_name)s for this."),
    "out_of_stock": N_("Sorry, there are not enough left."),
    "over_limit": N_("You have reached this item's limit."),
    "tier_required": N_("This item is for members of a higher tier."),
    "not_listed": N_("This item is not on sale now."),
}


def _refusal(error: JifenError) -> str:
    said = REFUSALS.get(error.code)
    if said is None:
        return error.translated()
    return translate(said, {"points_name": mall().points_name})


def _quantity(given: str | None) -> int:
    try:
        quantity = int(given or 1)
    except ValueError:
        return 1
    return min(max(quantity, 1), MOST)


def _needs_address(product: Product) -> bool:
    """A physical item is shipped: its address is asked for up front, unless its mode
    draws whether it is given (a lottery asks the winner afterwards)."""
    return product.kind == "physical" and not services().redeem_modes.delivery_drawn(product.mode)


def _confirmation(
    product: Product,
    member: Member,
    quantity: int,
    shipping: Shipping | None = None,
    **context: Any,
) -> dict[str, Any]:
    svc = services()
    session = db_session()
    price = orders.quote(
        session, product.id, member.id, quantity, modes=svc.redeem_modes, now=svc.clock.now()
    )
    balance = balance_of(member)
    needs_address = _needs_address(product)
    return {
        "product": product,
        "quantity": quantity,
        "price": price,
        "balance": balance,
        "needs_address": needs_address,
        **(choices(member, shipping) if needs_address else {"address": {}, "problems": {}}),
        "order_key": new_form_key(),
        **context,
    }


@bp.route("/shop/<uuid:product_id>/redeem")
def redeem(product_id: uuid.UUID) -> str | Response:
    member = signed_in_member()
    if member is None:
        return redirect(url_for(".product", product_id=product_id), 303)
    product = product_on_sale(product_id)
    quantity = _quantity(request.args.get("quantity"))
    return render("redeem.html", **_confirmation(product, member, quantity))


@bp.post("/shop/<uuid:product_id>/redeem")
def place(product_id: uuid.UUID) -> tuple[str, int] | Response:
    check_form()
    member = member_here()
    product = product_on_sale(product_id)
    form = request.form
    quantity = _quantity(form.get("quantity"))
    order_key = form_key(form.get("order_key", ""))
    context = {"order_key": order_key}
    shipping = shipping_from(member, form) if _needs_address(product) else None
    if shipping is not None and shipping.address is None:
        page = _confirmation(product, member, quantity, shipping, **context)
        return render("redeem.html", **page), 422
    address = shipping.address if shipping is not None else None
    svc, session = services(), db_session()
    try:
        payload = [str(product.id), quantity, address]
        claimed, stored = claim_once("order", member.id, order_key, payload)
        if stored is not None:  # a double submit: the order the first one placed
            return redirect(url_for(".order", order_id=stored["order_id"]), 303)
        with session.begin_nested():
            order = orders.place(
                session,
                svc,
                mall().id,
                member.id,
                product.id,
                quantity,
                address=address,
                actor=request_actor("member", str(member.id)),
            )
    except JifenError as refused:
        page = _confirmation(
            product, member, quantity, shipping, refused=_refusal(refused), **context
        )
        return render("redeem.html", **page), refused.status
    if shipping is not None:
        keep(member, shipping)
    idempotency.complete(session, claimed, 303, {"order_id": str(order.id)})
    return redirect(url_for(".order", order_id=order.id), 303)


def own_order(order_id: uuid.UUID) -> Order:
    """One of the signed-in member's orders: 404, the same page, for anyone else's."""
    member = member_here()
    found = db_session().get(Order, (mall().id, order_id))
    if found is None or found.member_id != member.id:
        abort(404)
    return found


@bp.route("/orders/<uuid:order_id>")
def order(order_id: uuid.UUID) -> str:
    return order_page(own_order(order_id))


def order_page(found: Order, **context: Any) -> str:
    """The order's page: its status, what it delivered, the address, and what the member
    may do with it now (pay, give the address, cancel, ask for help, review it);
    `context` carries what a form sent back to it had wrong."""
    session, svc = db_session(), services()
    view = orders.order_view(session, found, svc.keyring)
    payment = None
    if found.status == "awaiting_payment" and "payment_id" in found.details:
        payment = payments.find(session, uuid.UUID(found.details["payment_id"]))
    pay_url = None
    if payment is not None and svc.payment_providers.has_page(payment.provider):
        pay_url = url_for(
            "pay.payment_page", slug=payment.provider.replace("_", "-"), payment_id=payment.id
        )
    review = reviews.of_order(session, found.id)
    shipping = context.pop("shipping", None)
    if found.status == "awaiting_address":
        context |= choices(member_here(), shipping)
    return render(
        "order.html",
        order=view,
        payment=payment,
        pay_url=pay_url,
        cancellable=member_may_cancel(found),
        receivable=member_may_confirm(found),
        review=review,
        reviewable=review is None and reviews.reviewable(found),
        after_sales=after_sales.on_order(session, found),
        **context,
    )


def member_may_confirm(found: Order) -> bool:
    """Whether the member may say the order's goods arrived: shipped, not completed
    (jifen.storefront.receiving)."""
    return found.kind == "physical" and found.status in orders.MOVES["complete"][0]


def member_may_cancel(found: Order) -> bool:
    """Whether the member may cancel the order themselves: goods not shipped yet, and not
    a prize drawn (a draw is not taken back). Codes, coupons and vouchers, delivered the
    moment they are redeemed, are the merchant's to take back."""
    return (
        found.kind == "physical"
        and found.status in orders.MOVES["cancel"][0]
        and found.mode not in services().redeem_modes.drawing_delivery()
    )


@bp.post("/orders/<uuid:order_id>/address")
def give_address(order_id: uuid.UUID) -> tuple[str, int] | Response:
    """Where a prize drawn without an address goes (an order `awaiting_address`)."""
    check_form()
    found = own_order(order_id)
    member = member_here()
    shipping = shipping_from(member, request.form)
    if shipping.address is None:
        return order_page(found, shipping=shipping), 422
    svc = services()
    try:
        with db_session().begin_nested():
            orders.give_address(
                db_session(),
                found.id,
                shipping.address,
                keyring=svc.keyring,
                actor=request_actor("member", str(found.member_id)),
                clock=svc.clock,
            )
    except JifenError as refused:  # given already, from another tab
        return render("refused.html", message=refused.translated()), refused.status
    keep(member, shipping)
    return redirect(url_for(".order", order_id=found.id), 303)

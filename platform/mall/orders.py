"""Orders: one state machine for every kind of product and every redemption mode.

    created -> awaiting_payment -> paid -> fulfilled -> completed
       |              |             |          |            |
       |          cancelled     cancelled   refunded     refunded
       |                        refunded
       +-> awaiting_address -> paid
                  |
              cancelled

An order is placed in one transaction: the member's wallet is locked first (so that one
member's concurrent orders queue, and per-member limits hold under concurrency), the
product is checked (on sale, the member's tier, the limits, the address), the mode
prices it and takes payment and stock through the `Till`, and the order is written with
its history. Anything refused rolls all of it back. Codes, coupons and vouchers are
issued at once, and such orders complete at once; physical ones wait for the merchant
to ship them. A physical prize drawn without an address (a lottery asks for none up
front) waits `awaiting_address` until the member gives one (`give_address`).
Cancelling (before fulfilment) and refunding give the points back to the lots they came
from and put the stock back.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jifen import audit
from jifen.audit import Actor
from jifen.clock import Clock
from jifen.db import get_owned, reading_before_writing, tenant_of
from jifen.errors import NotFound
from jifen.i18n import N_, Message
from jifen.keyring import Keyring
from jifen.ledger import HoldNotOpen, open_journal, policy_of
from jifen.mall import catalog, codes, payments, sql
from jifen.mall.domain_events import OrderMoved
from jifen.mall.errors import (
    AddressRequired,
    NotListed,
    OrderStateConflict,
    OutOfStock,
    OverLimit,
    TierRequired,
)
from jifen.mall.models import Coupon, Order, OrderEvent, Payment, Product
from jifen.mall.modes import Item, RedeemModes, Shopper
from jifen.mall.till import OrderTill
from jifen.members import Member, TierView, seal, tiers_of, unseal
from jifen.outbox.events import emit
from jifen.pagination import decode_cursor, page_of
from jifen.types import new_id

if TYPE_CHECKING:
    from jifen.mall.collaborators import MallCollaborators

# Which moves each status allows, and where they lead.
MOVES: dict[str, tuple[tuple[str, ...], str]] = {
    "pay": (("awaiting_payment",), "paid"),
    "address": (("awaiting_address",), "paid"),
    "ship": (("paid",), "fulfilled"),
    "complete": (("fulfilled",), "completed"),
    "cancel": (("created", "awaiting_payment", "awaiting_address", "paid"), "cancelled"),
    "refund": (("paid", "fulfilled", "completed"), "refunded"),
}
# Unambiguous characters for codes read aloud or typed at a till (no 0/O, 1/I/L).
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 12


def _item(product: Product, modes: RedeemModes, *, sale_price: int | None = None) -> Item:
    return Item(
        id=product.id,
        kind=product.kind,
        name=product.name,
        points_price=product.points_price if sale_price is None else sale_price,
        cash_price=product.cash_price,
        currency=product.currency,
        params=modes.parse(product.mode, product.mode_params),
    )


def _priced(
    product: Product,
    shelf: Any,
    member_id: uuid.UUID,
    tier: TierView | None,
    modes: RedeemModes,
) -> tuple[Item, Shopper]:
    """The product and the member as the mode prices them: in a flash sale at its price,
    which is final (no tier discount on top)."""
    discount = catalog.discount_for(product, tier) if shelf.sale_id is None else 0
    shopper = Shopper(member_id, tier.code if tier else None, discount)
    return _item(product, modes, sale_price=shelf.sale_price), shopper


def quote(
    session: Session,
    product_id: uuid.UUID,
    member_id: uuid.UUID,
    quantity: int,
    *,
    modes: RedeemModes,
    now: datetime,
) -> Any:
    """What `quantity` of the product would cost the member now (nothing is taken): in a
    flash sale, at its price."""
    product = catalog.get_product(session, product_id)
    shelf = sql.shelf(session.connection(), product.tenant_id, product.id, now)
    tier, _ = standing(session, member_id)
    item, shopper = _priced(product, shelf, member_id, tier, modes)
    return modes.call(product.mode, "quote", item, shopper, quantity)


def place(
    session: Session,
    svc: MallCollaborators,
    tenant_id: uuid.UUID,
    member_id: uuid.UUID,
    product_id: uuid.UUID,
    quantity: int,
    *,
    address: dict[str, Any] | None,
    actor: Actor,
) -> Order:
    """Redeem `quantity` of a product for a member (see the module's docstring)."""
    clock, keyring, modes = svc.clock, svc.keyring, svc.redeem_modes
    now = clock.now()
    # What refuses an order at once is read first: a sold-out flash sale's crowd is
    # answered without loading anything else (the conditional update that takes the
    # stock below stays the guarantee).
    with reading_before_writing(session) as connection:
        shelf = sql.shelf(connection, tenant_id, product_id, now)
    if shelf is None:
        raise NotFound("product", product_id)
    _check_on_sale(shelf, now)
    # A mode that draws whether the product is given (a lottery) takes stock only then.
    drawn = modes.delivery_drawn(shelf.mode)
    # In a flash sale, its own stock, price and limit.
    available = shelf.stock if shelf.sale_id is None else shelf.sale_stock
    if available is not None and available < quantity and not drawn:
        raise OutOfStock(details={"product_id": str(product_id), "requested": quantity})
    # Then the wallet: every order of this member queues here.
    open_journal(session, clock).wallets_of([member_id])
    product = catalog.get_product(session, product_id)
    tier, ladder = standing(session, member_id)
    _check_tier(product, tier, ladder)
    policy = policy_of(session, tenant_id)
    today = policy.local_day(now)
    _check_limits(session, product, member_id, quantity, today)
    if shelf.sale_id is not None and shelf.sale_limit is not None:
        taken = sql.sale_units_taken(session.connection(), tenant_id, member_id, shelf.sale_id)
        if taken + quantity > shelf.sale_limit:
            raise OverLimit(
                details={
                    "period": "flash_sale",
                    "limit": shelf.sale_limit,
                    "taken": taken,
                    "requested": quantity,
                }
            )
    if product.kind == "physical" and address is None and not drawn:
        raise AddressRequired(details={"address": [Message(N_("Required for physical products."))]})
    item, shopper = _priced(product, shelf, member_id, tier, modes)
    price = modes.call(product.mode, "quote", item, shopper, quantity)
    order = Order(
        tenant_id=tenant_id,
        id=new_id(),
        member_id=member_id,
        product_id=product.id,
        flash_sale_id=shelf.sale_id,
        kind=product.kind,
        mode=product.mode,
        quantity=quantity,
        points=price.points,
        cash=price.cash or None,
        currency=price.currency,
        status="created",
        address=seal(address, keyring) if address else None,
        delivery=None,
        details={},
        local_day=today,
        created_at=now,
        updated_at=now,
    )
    session.add(order)
    session.flush()
    till = _till(session, svc, order, product, actor)
    order.status = modes.call(product.mode, "redeem", item, shopper, quantity, price, till)
    if order.status == "paid" and product.kind == "physical" and address is None:
        order.status = "awaiting_address"  # a drawn prize to ship: see `give_address`
    order.entry_id, order.hold_id = till.entry_id, till.hold_id
    order.details = {**till.details, "notes": list(price.notes)}
    waiting = order.status in ("awaiting_payment", "awaiting_address")
    steps = ["created", order.status if waiting else "paid"]
    _record_steps(session, order, steps + _deliver(session, order, product, now), actor, now)
    audit.record(
        session,
        tenant_id=tenant_id,
        actor=actor,
        action="order.place",
        object_type="order",
        object_id=order.id,
        after={"product_id": str(product.id), "quantity": quantity, "points": price.points},
        now=now,
    )
    return order


def _till(
    session: Session, svc: MallCollaborators, order: Order, product: Product, actor: Actor
) -> OrderTill:
    return OrderTill(
        session,
        order.id,
        product,
        order.member_id,
        actor,
        svc.clock,
        svc.keyring,
        svc.payment_providers,
        svc.till_services,
        entry_id=order.entry_id,
        hold_id=order.hold_id,
        flash_sale_id=order.flash_sale_id,
        details=dict(order.details),
    )


def _deliver(session: Session, order: Order, product: Product, now: datetime) -> list[str]:
    """The steps past payment that happen at once, taken: an order its mode delivered
    already (a lottery's points prize), or a paid one that needs no shipping (its codes,
    coupons or vouchers issued now)."""
    if order.status == "paid" and product.kind != "physical":
        order.delivery = _issue(session, order, product, now)
        order.status = "completed"
    return ["fulfilled", "completed"] if order.status == "completed" else []


def standing(session: Session, member_id: uuid.UUID) -> tuple[TierView | None, list[TierView]]:
    """The member's tier (with its benefits) and the tenant's ladder."""
    code = session.execute(select(Member.tier).where(Member.id == member_id)).one_or_none()
    if code is None:
        raise NotFound("member", member_id)
    ladder = tiers_of(session, tenant_of(session))
    return next((t for t in ladder if t.code == code.tier), None), ladder


def _check_on_sale(product: Any, now: datetime) -> None:
    window = {
        "listed_from": product.listed_from.isoformat() if product.listed_from else None,
        "listed_until": product.listed_until.isoformat() if product.listed_until else None,
    }
    if product.status != "active":
        raise NotListed(details={"status": product.status})
    if product.listed_from is not None and now < product.listed_from:
        raise NotListed(N_("The product is not on sale yet."), details=window)
    if product.listed_until is not None and now >= product.listed_until:
        raise NotListed(N_("The product is no longer on sale."), details=window)


def _check_tier(product: Product, tier: TierView | None, ladder: list[TierView]) -> None:
    if product.min_tier is None:
        return
    needed = next((t for t in ladder if t.code == product.min_tier), None)
    if needed is None:  # the tier was removed since: the item is for nobody below the top
        raise TierRequired(details={"min_tier": product.min_tier})
    if tier is None or tier.rank < needed.rank:
        raise TierRequired(
            details={"min_tier": product.min_tier, "tier": tier.code if tier else None}
        )


def _check_limits(
    session: Session, product: Product, member_id: uuid.UUID, quantity: int, today: Any
) -> None:
    limits = (product.limit_per_day, product.limit_per_week, product.limit_ever)
    if all(limit is None for limit in limits):
        return
    week_start = today - timedelta(days=today.weekday())
    taken = sql.units_taken(
        session.connection(),
        product.tenant_id,
        member_id,
        product.id,
        today=today,
        week_start=week_start,
    )
    for name, limit, units in zip(("day", "week", "ever"), limits, taken, strict=True):
        if limit is not None and units + quantity > limit:
            raise OverLimit(
                details={"period": name, "limit": limit, "taken": units, "requested": quantity}
            )


def _issue(session: Session, order: Order, product: Product, now: datetime) -> dict[str, Any]:
    """Deliver a non-physical order at once: codes from a virtual product's pool, or
    coupons or service vouchers, one a unit."""
    if product.kind == "virtual":
        codes.issue(session, order, now)
        return {"codes": order.quantity}
    kind = "coupon" if product.kind == "coupon" else "voucher"
    terms = product.fulfilment.get(product.kind) or {}
    valid_until = now + timedelta(days=int(terms.get("valid_days", 365)))
    issued = []
    for _ in range(order.quantity):
        code = _new_code(session)
        session.add(
            Coupon(
                tenant_id=order.tenant_id,
                id=new_id(),
                kind=kind,
                code=code,
                order_id=order.id,
                member_id=order.member_id,
                product_id=product.id,
                terms=terms,
                valid_until=valid_until,
                status="issued",
                redeemed_at=None,
                created_at=now,
            )
        )
        issued.append(code)
    return {f"{kind}s": issued, "valid_until": valid_until.isoformat(), **terms}


def _new_code(session: Session) -> str:
    """A fresh code: 12 of 31 characters is 59 bits, so a clash is a rare retry."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if session.scalar(select(Coupon.id).where(Coupon.code == code)) is None:
            return code


def _record_steps(
    session: Session,
    order: Order,
    statuses: list[str],
    actor: Actor,
    now: datetime,
    note: dict[str, Any] | None = None,
) -> None:
    """Append steps to the order's history (the note goes on the first), and announce
    them (`OrderMoved`)."""
    if not statuses:
        return
    moved = OrderMoved(order.id, order.member_id, order.product_id, statuses, statuses[-1])
    emit(session, moved, now=now, tenant_id=order.tenant_id, actor=actor)
    last = session.scalar(
        select(OrderEvent.seq)
        .where(OrderEvent.order_id == order.id)
        .order_by(OrderEvent.seq.desc())
        .limit(1)
    )
    first = 0 if last is None else last + 1
    for offset, status in enumerate(statuses):
        session.add(
            OrderEvent(
                tenant_id=order.tenant_id,
                order_id=order.id,
                seq=first + offset,
                status=status,
                actor_kind=actor.kind,
                actor_id=actor.id,
                note=note if offset == 0 else None,
                created_at=now,
            )
        )
    session.flush()


# --- the merchant's moves ------------------------------------------------------------


def get_order(session: Session, order_id: uuid.UUID) -> Order:
    return get_owned(session, Order, order_id, "order")


def _move(
    session: Session,
    order_id: uuid.UUID,
    move: str,
    *,
    actor: Actor,
    clock: Clock,
    note: dict[str, Any] | None = None,
    delivery: dict[str, Any] | None = None,
    address: str | None = None,
    undoing: MallCollaborators | None = None,
) -> Order:
    """Move the order, record and announce the step. A cancellation or refund passes
    `undoing`: what placing the order did is undone first, so that the move's
    in-transaction subscribers (the earn engine's take-back) come after it, as its
    history reads."""
    order = get_order(session, order_id)
    allowed, status = MOVES[move]
    if move == "ship" and order.kind != "physical":
        raise OrderStateConflict(
            N_("Only physical orders are shipped."), details={"kind": order.kind}
        )
    now = clock.now()
    values: dict[str, Any] = {"updated_at": now}
    if delivery is not None:
        values["delivery"] = delivery
    if address is not None:
        values["address"] = address
    if not sql.move_order(
        session.connection(), order.tenant_id, order.id, allowed, status, **values
    ):
        session.refresh(order)
        raise OrderStateConflict(
            details={"status": order.status, "move": move, "allowed_from": list(allowed)}
        )
    session.refresh(order)
    if undoing is not None:
        _give_back(session, undoing, order, actor)
    _record_steps(session, order, [status], actor, now, note)
    audit.record(
        session,
        tenant_id=order.tenant_id,
        actor=actor,
        action=f"order.{move}",
        object_type="order",
        object_id=order.id,
        after={"status": status, **(note or {})},
        now=now,
    )
    return order


def ship(
    session: Session,
    order_id: uuid.UUID,
    carrier: str,
    tracking_number: str,
    *,
    actor: Actor,
    clock: Clock,
) -> Order:
    """The merchant shipped a physical order: its carrier and tracking number."""
    shipment = {"carrier": carrier, "tracking_number": tracking_number}
    return _move(session, order_id, "ship", actor=actor, clock=clock, delivery=shipment)


def give_address(
    session: Session,
    order_id: uuid.UUID,
    address: dict[str, Any],
    *,
    keyring: Keyring,
    actor: Actor,
    clock: Clock,
) -> Order:
    """The member's shipping address for an order `awaiting_address` (a physical prize
    drawn without one): kept encrypted, and the order is then paid, ready to ship."""
    sealed = seal(address, keyring)
    return _move(session, order_id, "address", actor=actor, clock=clock, address=sealed)


def complete(session: Session, order_id: uuid.UUID, *, actor: Actor, clock: Clock) -> Order:
    """A shipped order arrived."""
    return _move(session, order_id, "complete", actor=actor, clock=clock)


def undo(
    session: Session,
    svc: MallCollaborators,
    order_id: uuid.UUID,
    move: str,
    *,
    reason: str | None,
    actor: Actor,
) -> Order:
    """Cancel an order before it is fulfilled (`move` "cancel"), or refund a paid one,
    shipped or completed too ("refund"): the points go back to the lots they came from,
    the stock back on the shelf, and its coupons or vouchers are void; cash paid goes
    back through the payment provider, after commit."""
    clock = svc.clock
    order = get_order(session, order_id)
    # The member's wallet first, as when the order was placed.
    open_journal(session, clock).wallets_of([order.member_id], active=False)
    order = _move(
        session,
        order_id,
        move,
        actor=actor,
        clock=clock,
        note={"reason": reason} if reason else None,
        undoing=svc,
    )
    return order


def _give_back(session: Session, svc: MallCollaborators, order: Order, actor: Actor) -> None:
    """Undo what placing the order did (the order has moved to cancelled or refunded)."""
    product = catalog.get_product(session, order.product_id)
    till = _till(session, svc, order, product, actor)
    modes = svc.redeem_modes
    modes.call(order.mode, "refund", _item(product, modes), order.quantity, till)
    till.refund_charge()
    order.refund_entry_id = till.refund_entry_id
    for coupon in session.scalars(select(Coupon).where(Coupon.order_id == order.id)):
        if coupon.status == "issued":
            coupon.status = "void"
    session.flush()


def payment_settled(
    session: Session, svc: MallCollaborators, payment: Payment, succeeded: bool, *, actor: Actor
) -> Order:
    """The order's payment succeeded (its held points are spent and the order is paid)
    or failed or expired (the order is cancelled: points released, stock back). Cash
    that arrives for an order no longer waiting for it is refunded."""
    assert payment.order_id is not None
    order = get_order(session, payment.order_id)
    open_journal(session, svc.clock).wallets_of([order.member_id], active=False)
    now = svc.clock.now()
    product = catalog.get_product(session, order.product_id)
    if succeeded and order.status == "awaiting_payment":
        till = _till(session, svc, order, product, actor)
        try:
            till.capture()
        except HoldNotOpen:
            succeeded = False  # the hold timed out first: the order cannot be paid now
        else:
            note = {"payment_id": str(payment.id)}
            order = _move(session, order.id, "pay", actor=actor, clock=svc.clock, note=note)
            order.entry_id = till.entry_id
            _record_steps(session, order, _deliver(session, order, product, now), actor, now)
            return order
    payments.refund(session, payment, now)  # only a succeeded payment is refunded
    if order.status == "awaiting_payment":
        reason = {"reason": f"payment {payment.status}", "payment_id": str(payment.id)}
        order = _move(
            session, order.id, "cancel", actor=actor, clock=svc.clock, note=reason, undoing=svc
        )
    return order


# --- reading -------------------------------------------------------------------------


def order_view(session: Session, order: Order, keyring: Keyring) -> dict[str, Any]:
    """An order as the API shows it: its address decrypted, its history, its product's
    name."""
    history = session.scalars(
        select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.seq)
    ).all()
    name = session.scalar(select(Product.name).where(Product.id == order.product_id))
    view = {column.key: getattr(order, column.key) for column in Order.__table__.columns}
    view["address"] = unseal(order.address, keyring) if order.address else None
    if order.kind == "virtual" and order.delivery:
        view["delivery"] = {**order.delivery, "codes": codes.codes_of(session, order, keyring)}
    view["product_name"] = name
    view["history"] = history
    return view


def search_orders(
    session: Session,
    *,
    member_id: uuid.UUID | None = None,
    product_id: uuid.UUID | None = None,
    status: str | None = None,
    product_named: str | None = None,
    placed_from: date | None = None,
    placed_until: date | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[Order], str | None]:
    """Orders matching every filter, newest first, and the next page's cursor:
    `product_named` holds words the product's name has, `placed_from` and
    `placed_until` are the first and last days (the tenant's, both included) they may
    have been placed on."""
    query = select(Order)
    if member_id is not None:
        query = query.where(Order.member_id == member_id)
    if product_id is not None:
        query = query.where(Order.product_id == product_id)
    if status is not None:
        query = query.where(Order.status == status)
    if product_named is not None:
        named = select(Product.id).where(*catalog.name_matches(product_named))
        query = query.where(Order.product_id.in_(named))
    if placed_from is not None:
        query = query.where(Order.local_day >= placed_from)
    if placed_until is not None:
        query = query.where(Order.local_day <= placed_until)
    if cursor is not None:
        (after,) = decode_cursor(cursor, uuid.UUID)
        query = query.where(Order.id < after)
    rows = list(session.scalars(query.order_by(Order.id.desc()).limit(limit + 1)))
    return page_of(rows, limit, lambda order: (order.id,))

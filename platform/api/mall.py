"""/api/v1 mall: categories, products and their stock, quotes, and orders with the
merchant's moves (ship, complete, cancel, refund)."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView

from jifen.api.auth import READ_DOC, WRITE_DOC, actor, require_scope, secured_blueprint, tenant
from jifen.errors import NotFound
from jifen.i18n import N_
from jifen.ledger import history
from jifen.mall import (
    cashier,
    catalog,
    codes,
    coupons,
    lottery,
    orders,
    partners,
    payments,
    schemas,
    topups,
)
from jifen.mall import settings as mall_settings
from jifen.members import addresses, tiers
from jifen.pagination import PageQuery, page
from jifen.web import db_session, services

blp = secured_blueprint("mall", __name__, url_prefix="/api/v1", description="The mall.")
READ, WRITE = require_scope("mall:read"), require_scope("mall:write")


@blp.route("/categories")
class Categories(MethodView):
    @blp.doc(**READ_DOC)
    @blp.arguments(PageQuery(), location="query")
    @blp.response(200, schemas.CategoryPage())
    @READ
    def get(self, query: dict[str, Any]) -> Any:
        """The categories, in shelf order; each names its parent."""
        return page(*catalog.list_categories(db_session(), **query))

    @blp.doc(**WRITE_DOC)
    @blp.arguments(schemas.CategoryIn())
    @blp.response(201, schemas.CategoryOut())
    @WRITE
    def post(self, data: dict[str, Any]) -> Any:
        """Add a category, under `parent_id` when given."""
        return catalog.create_category(
            db_session(), tenant().id, data, actor=actor(), clock=services().clock
        )


@blp.route("/categories/<uuid:category_id>")
class CategoryById(MethodView):
    @blp.doc(**WRITE_DOC)
    @blp.arguments(schemas.CategoryChange())
    @blp.response(200, schemas.CategoryOut())
    @WRITE
    def patch(self, changes: dict[str, Any], category_id: uuid.UUID) -> Any:
        """Rename, reorder or move a category."""
        return catalog.update_category(
            db_session(), category_id, changes, actor=actor(), clock=services().clock
        )


def _catalog_args() -> dict[str, Any]:
    svc = services()
    return {
        "modes": svc.redeem_modes,
        "tiers": tiers.tiers_of(db_session(), tenant().id),
        "actor": actor(),
        "clock": svc.clock,
    }


@blp.route("/products")
class Products(MethodView):
    @blp.doc(**READ_DOC)
    @blp.arguments(schemas.ProductQuery(), location="query")
    @blp.response(200, schemas.ProductPage())
    @READ
    def get(self, query: dict[str, Any]) -> Any:
        """Find products: by words of the name, category (and those under it), kind, tag,
        price range, on sale now; with `member_id`, priced for that member, and with
        `affordable=true` only what they can pay for now."""
        session = db_session()
        member_id = query.pop("member_id", None)
        buyer = _buyer(member_id) if member_id else None
        svc = services()
        rows, next_cursor = catalog.search_products(
            session,
            now=svc.clock.now(),
            buyer=buyer,
            drawn_modes=svc.redeem_modes.drawing_delivery(),
            **query,
        )
        sales = catalog.sale_prices(session, [p.id for p in rows], svc.clock.now()) if buyer else {}
        items = [
            catalog.product_view(
                p,
                member_price=catalog.unit_price(p, buyer.tier, sales.get(p.id)) if buyer else None,
            )
            for p in rows
        ]
        return {"items": items, "next_cursor": next_cursor}

    @blp.doc(**WRITE_DOC)
    @blp.arguments(schemas.ProductIn())
    @blp.response(201, schemas.ProductOut())
    @WRITE
    def post(self, data: dict[str, Any]) -> Any:
        """Add a product: its kind, redemption mode, price, stock, window, limits and
        audience. New products are drafts unless `status` says otherwise."""
        product = catalog.create_product(db_session(), tenant().id, data, **_catalog_args())
        return catalog.product_view(product)


def _buyer(member_id: uuid.UUID) -> catalog.Buyer:
    """The member as the catalog prices for: a read, no wallet lock."""
    session = db_session()
    points = history.summary(session, member_id, clock=services().clock)
    tier, _ = orders.standing(session, member_id)
    return catalog.Buyer(tier=tier, balance=points.balance)


@blp.route("/products/<uuid:product_id>")
class ProductById(MethodView):
    @blp.doc(**READ_DOC)
    @blp.response(200, schemas.ProductOut())
    @READ
    def get(self, product_id: uuid.UUID) -> Any:
        """A product by our id."""
        return catalog.product_view(catalog.get_product(db_session(), product_id))

    @blp.doc(**WRITE_DOC)
    @blp.arguments(schemas.ProductFields())
    @blp.response(200, schemas.ProductOut())
    @WRITE
    def patch(self, changes: dict[str, Any], product_id: uuid.UUID) -> Any:
        """Change some of a product's fields (not its stock: see /stock)."""
        product = catalog.update_product(db_session(), product_id, changes, **_catalog_args())
        return catalog.product_view(product)


@blp.route("/products/<uuid:product_id>/stock")
class ProductStock(MethodView):
    @blp.doc(**WRITE_DOC)
    @blp.arguments(schemas.StockChange())
    @blp.response(200, schemas.ProductOut())
    @WRITE
    def post(self, data: dict[str, Any], product_id: uuid.UUID) -> Any:
        """Add units to the stock (or remove them, never below zero); safe while members
        are ordering."""
        product = catalog.change_stock(
            db_session(), product_id, data["change"], actor=actor(), clock=services().clock
        )
        return catalog.product_view(product)


@blp.route("/products/<uuid:product_id>/codes")
class ProductCodes(MethodView):
    @blp.doc(**WRITE_DOC)
    @blp.arguments(schemas.CodesUpload())
    @blp.response(200, schemas.CodesReport())
    @WRITE
    def post(self, data: dict[str, Any], product_id: uuid.UUID) -> Any:
        """Add codes to a virtual product's pool (its stock): the CSV's first column.
        Codes already in the pool are left out; unusable lines are reported."""
        svc = services()
        return codes.upload(
            db_session(),
            product_id,
            data["csv"],
            keyring=svc.keyring,
            actor=actor(),
            clock=svc.clock,
        )


@blp.route("/products/<uuid:product_id>/flash-sales")
class ProductFlashSales(MethodView):
    @blp.doc(**READ_DOC)
    @blp.arguments(PageQuery(), location="query")
    @blp.response(200, schemas.FlashSalePage())
    @READ
    def get(self, query: dict[str, Any], product_id: uuid.UUID) -> Any:
        """The product's flash sales, latest first."""
        return page(*catalog.flash_sales_of(db_session(), product_id, **query))

    @blp.doc(**WRITE_DOC)
    @blp.arguments(schemas.FlashSaleIn())
    @blp.response(201, schemas.FlashSaleOut())
    @WRITE
    def post(self, data: dict[str, Any], product_id: uuid.UUID) -> Any:
        """Schedule a flash sale (秒杀): within its window the product sells at its price
        from its own stock, at most `limit_per_member` units each."""
        return catalog.create_flash_sale(
            db_session(), product_id, data, actor=actor(), clock=services().clock
        )


@blp.route("/products/<uuid:product_id>/quote")
class ProductQuote(MethodView):
    @blp.doc(**READ_DOC)
    @blp.arguments(schemas.QuoteQuery(), location="query")
    @blp.response(200, schemas.QuoteOut())
    @READ
    def get(self, query: dict[str, Any], product_id: uuid.UUID) -> Any:
        """What the member would pay for `quantity` units now, with the discounts applied."""
        return orders.quote(
            db_session(),
            product_id,
            query["member_id"],
            query["quantity"],
            modes=services().redeem_modes,
            now=services().clock.now(),
        )


@blp.route("/orders")
class Orders(MethodView):
    @blp.doc(**READ_DOC)
    @blp.arguments(schemas.OrderQuery(), location="query")
    @blp.response(200, schemas.OrderPage())
    @READ
    def get(self, query: dict[str, Any]) -> Any:
        """Orders, newest first: a member's, a product's, or by status."""
        session = db_session()
        rows, next_cursor = orders.search_orders(session, **query)
        keyring = services().keyring
        return {
            "items": [orders.order_view(session, o, keyring) for o in rows],
            "next_cursor": next_cursor,
        }

    @blp.doc(**WRITE_DOC)
    @blp.arguments(schemas.OrderIn())
    @blp.response(201, schemas.OrderOut())
    @blp.alt_response(202, schema=schemas.OrderOut(), description="Awaiting payment.")
    @WRITE
    def post(self, data: dict[str, Any]) -> Any:
        """Redeem a product for a member; a physical one goes to `address`, or to one of
        the member's saved addresses (`address_id`: another member's is 422
        `unknown_address`). Send an `Idempotency-Key`: a double submit then answers with
        the first order instead of placing a second. An order with a cash part answers
        202, `awaiting_payment`: its points are held and its stock taken, and its payment
        (`details.payment_id`) is requested from the provider after commit."""
        svc = services()
        session = db_session()
        address = data["address"]
        if data["address_id"] is not None:
            address = addresses.ship_to(session, data["member_id"], data["address_id"], svc.keyring)
        order = orders.place(
            session,
            svc,
            tenant().id,
            data["member_id"],
            data["product_id"],
            data["quantity"],
            address=address,
            actor=actor(),
        )
        view = orders.order_view(session, order, svc.keyring)
        return (view, 202) if order.status == "awaiting_payment" else view


@blp.route("/orders/<uuid:order_id>")
class OrderById(MethodView):
    @blp.doc(**READ_DOC)
    @blp.response(200, schemas.OrderOut())
    @READ
    def get(self, order_id: uuid.UUID) -> Any:
        """An order with its history."""
        session = db_session()
        return orders.order_view(session, orders.get_order(session, order_id), services().keyring)


def _answer(order: Any) -> Any:
    return orders.order_view(db_session(), order, services().keyring)


@blp.route("/orders/<uuid:order_id>:address")
class AddressOrder(MethodView):
    @blp.doc(**WRITE_DOC)
    @blp.arguments(schemas.OrderAddress())
    @blp.response(200, schemas.OrderOut())
    @WRITE
    def post(self, data: dict[str, Any], order_id: uuid.UUID) -> Any:
        """Give the shipping address of an order `awaiting_address` (a physical lottery
        prize won without one): the order is then `paid`, ready to ship. Any other
        order: 409 `order_state_conflict`."""
        svc = services()
        order = orders.give_address(
            db_session(),
            order_id,
            data["address"],
            keyring=svc.keyring,
            actor=actor(),
            clock=svc.clock,
        )
        return _answer(order)


@blp.route("/orders/<uuid:order_id>:ship")
class ShipOrder(MethodView):
    @blp.doc(**WRITE_DOC)
    @blp.arguments(schemas.Shipment())
    @blp.response(200, schemas.OrderOut())
    @WRITE
    def post(self, data: dict[str, Any], order_id: uuid.UUID) -> Any:
        """Mark a paid physical order shipped, with its carrier and tracking number."""
        order = orders.ship(
            db_session(),
            order_id,
            data["carrier"],
            data["tracking_number"],
            actor=actor(),
            clock=services().clock,
        )
        return _answer(order)


@blp.route("/orders/<uuid:order_id>:complete")
class CompleteOrder(MethodView):
    @blp.doc(**WRITE_DOC)
    @blp.response(200, schemas.OrderOut())
    @WRITE
    def post(self, order_id: uuid.UUID) -> Any:
        """Mark a shipped order delivered."""
        return _answer(
            orders.complete(db_session(), order_id, actor=actor(), clock=services().clock)
        )


def _undo(move: str, data: dict[str, Any], order_id: uuid.UUID) -> Any:
    order = orders.undo(
        db_session(), services(), order_id, move, reason=data["reason"], actor=actor()
    )
    return _answer(order)


@blp.route("/orders/<uuid:order_id>:cancel")
class CancelOrder(MethodView):
    @blp.doc(**WRITE_DOC)
    @blp.arguments(schemas.OrderNote())
    @blp.response(200, schemas.OrderOut())
    @WRITE
    def post(self, data: dict[str, Any], order_id: uuid.UUID) -> Any:
        """Cancel an order not yet fulfilled: the points and the stock go back."""
        return _undo("cancel", data, order_id)


@blp.route("/orders/<uuid:order_id>:refund")
class RefundOrder(MethodView):
    @blp.doc(**WRITE_DOC)
    @blp.arguments(schemas.OrderNote())
    @blp.response(200, schemas.OrderOut())
    @WRITE
    def post(self, data: dict[str, Any], order_id: uuid.UUID) -> Any:
        """Refund an order: the points go back to the lots they came from, the stock back
        on the shelf, and its coupons or vouchers stop working."""
        return _undo("refund", data, order_id)


@blp.route("/coupons")
class Coupons(MethodView):
    @blp.doc(**READ_DOC)
    @blp.arguments(schemas.CouponQuery(), location="query")
    @blp.response(200, schemas.CouponPage())
    @READ
    def get(self, query: dict[str, Any]) -> Any:
        """A member's coupons and vouchers, newest first."""
        return page(*coupons.of_member(db_session(), query.pop("member_id"), **query))


@blp.route("/coupons/<string:code>")
class CouponByCode(MethodView):
    @blp.doc(**READ_DOC)
    @blp.arguments(schemas.CouponCheck(), location="query")
    @blp.response(200, schemas.CouponOut())
    @READ
    def get(self, query: dict[str, Any], code: str) -> Any:
        """Check a coupon at the checkout without using it: refused as using it would be;
        with `order_amount`, what it would take off."""
        coupon = coupons.find(db_session(), code)
        found = coupons.check(coupon, services().clock.now(), query.get("order_amount"))
        return coupons.view(coupon, **found)


@blp.route("/coupons/<string:code>:redeem")
class RedeemCoupon(MethodView):
    @blp.doc(**WRITE_DOC)
    @blp.arguments(schemas.CouponUse())
    @blp.response(200, schemas.CouponOut())
    @WRITE
    def post(self, data: dict[str, Any], code: str) -> Any:
        """Use a coupon on the checkout's order, once; a retry for the same `order_ref`
        answers as the first time."""
        coupon = coupons.redeem(
            db_session(),
            code,
            data["order_ref"],
            data["order_amount"],
            actor=actor(),
            clock=services().clock,
        )
        assert coupon.redemption is not None  # a redeemed coupon records its redemption
        return coupons.view(coupon, discount=coupon.redemption["discount"])


@blp.route("/partners")
class Partners(MethodView):
    @blp.doc(**READ_DOC)
    @blp.arguments(PageQuery(), location="query")
    @blp.response(200, schemas.PartnerPage())
    @READ
    def get(self, query: dict[str, Any]) -> Any:
        """Partner brands funding co-branded items, by name, with what their budgets have
        used."""
        return page(*partners.list_partners(db_session(), **query))

    @blp.doc(**WRITE_DOC)
    @blp.arguments(schemas.PartnerIn())
    @blp.response(201, schemas.PartnerOut())
    @WRITE
    def post(self, data: dict[str, Any]) -> Any:
        """Add a partner brand and its budget for co-branded items."""
        return partners.create_partner(
            db_session(), tenant().id, data, actor=actor(), clock=services().clock
        )


@blp.route("/partners/<uuid:partner_id>")
class PartnerById(MethodView):
    @blp.doc(**READ_DOC)
    @blp.response(200, schemas.PartnerOut())
    @READ
    def get(self, partner_id: uuid.UUID) -> Any:
        """A partner and its budget."""
        return partners.get_partner(db_session(), partner_id)


@blp.route("/partners/<uuid:partner_id>/budget")
class PartnerBudget(MethodView):
    @blp.doc(**WRITE_DOC)
    @blp.arguments(schemas.BudgetChange())
    @blp.response(200, schemas.PartnerOut())
    @WRITE
    def post(self, data: dict[str, Any], partner_id: uuid.UUID) -> Any:
        """Add to the budget (or take from it, never below what is used)."""
        return partners.change_budget(
            db_session(), partner_id, data["change"], actor=actor(), clock=services().clock
        )


def _lottery_product(session: Any, product_id: uuid.UUID) -> Any:
    product = catalog.get_product(session, product_id)
    if product.mode != "lottery":
        raise NotFound("lottery", product_id, N_("This product is not a lottery."))
    return product


@blp.route("/products/<uuid:product_id>/lottery")
class ProductLottery(MethodView):
    @blp.doc(**READ_DOC)
    @blp.response(200, schemas.LotteryOut())
    @READ
    def get(self, product_id: uuid.UUID) -> Any:
        """A lottery's published odds and its draw periods: the seed hash of the current
        and the next period, and the seeds of ended ones, to recompute their draws."""
        svc = services()
        return lottery.published(svc, _lottery_product(db_session(), product_id))


@blp.route("/products/<uuid:product_id>/lottery/draws")
class ProductLotteryDraws(MethodView):
    @blp.doc(**READ_DOC)
    @blp.arguments(schemas.DrawQuery(), location="query")
    @blp.response(200, schemas.DrawPage())
    @READ
    def get(self, query: dict[str, Any], product_id: uuid.UUID) -> Any:
        """Every draw of a period, in order, with the prize drawn and the prize given."""
        product = _lottery_product(db_session(), product_id)
        connection = db_session().connection()
        period = query.pop("period")
        return page(*lottery.draws_of(connection, product.tenant_id, product.id, period, **query))


@blp.route("/mall/settings")
class Settings(MethodView):
    @blp.doc(**READ_DOC)
    @blp.response(200, schemas.SettingsOut())
    @READ
    def get(self) -> Any:
        """The mall's settings: payment provider and window, checkout and top-up rates."""
        return mall_settings.settings_of(db_session(), tenant().id)

    @blp.doc(**WRITE_DOC)
    @blp.arguments(schemas.SettingsChange())
    @blp.response(200, schemas.SettingsOut())
    @WRITE
    def patch(self, changes: dict[str, Any]) -> Any:
        """Change some of the settings."""
        svc = services()
        return mall_settings.update_settings(
            db_session(),
            tenant().id,
            changes,
            providers=svc.payment_providers,
            actor=actor(),
            clock=svc.clock,
        )


@blp.route("/payments/<uuid:payment_id>")
class PaymentById(MethodView):
    @blp.doc(**READ_DOC)
    @blp.response(200, schemas.PaymentOut())
    @READ
    def get(self, payment_id: uuid.UUID) -> Any:
        """A payment: what is owed, how to pay it, and whether it has settled."""
        return payments.get_payment(db_session(), payment_id)


def _settle(payment_id: uuid.UUID, status: str) -> Any:
    return cashier.settle(db_session(), services(), payment_id, status, actor=actor())


@blp.route("/payments/<uuid:payment_id>:confirm")
class ConfirmPayment(MethodView):
    @blp.doc(**WRITE_DOC)
    @blp.response(200, schemas.PaymentOut())
    @WRITE
    def post(self, payment_id: uuid.UUID) -> Any:
        """The money arrived (staff confirm a manual payment): the order's held points
        are spent, a top-up's credited. Providers notify on
        `/payments/notify/<provider>`."""
        return _settle(payment_id, "succeeded")


@blp.route("/payments/<uuid:payment_id>:fail")
class FailPayment(MethodView):
    @blp.doc(**WRITE_DOC)
    @blp.response(200, schemas.PaymentOut())
    @WRITE
    def post(self, payment_id: uuid.UUID) -> Any:
        """The payment failed: the order is cancelled, its points released."""
        return _settle(payment_id, "failed")


@blp.route("/topups")
class Topups(MethodView):
    @blp.doc(**WRITE_DOC)
    @blp.arguments(schemas.TopupIn())
    @blp.response(202, schemas.PaymentOut())
    @WRITE
    def post(self, data: dict[str, Any]) -> Any:
        """A member buys points (when the merchant sells them): the answer is the payment,
        `requested` (its provider is asked after commit); the points are credited when
        it succeeds. Send an `Idempotency-Key`."""
        return topups.buy(
            db_session(),
            services(),
            tenant().id,
            data["member_id"],
            data["points"],
            data.get("currency") or tenant().currency,
        )

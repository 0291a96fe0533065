"""The order's till: what a redemption mode may do inside the order's transaction
(`jifen.mall.modes.Till`), recorded for the order row, and the services plugins offer
every mode through it (`register_till_services()`)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from types import MappingProxyType
from typing import Any

import pluggy
from sqlalchemy.orm import Session

from jifen import ledger
from jifen.audit import Actor
from jifen.clock import Clock
from jifen.i18n import N_, Message
from jifen.keyring import Keyring
from jifen.ledger import Policy
from jifen.mall import payments, sql
from jifen.mall import settings as mall_settings
from jifen.mall.counters import Counter
from jifen.mall.errors import OutOfStock, UnknownTillService
from jifen.mall.models import MallSettings, Product
from jifen.registry import Registry


@dataclass(frozen=True)
class TillService:
    """A service a plugin offers every redeem mode through its till: `till.service(name)`
    answers `make(till)`, made for the order that till serves (see
    `register_till_services` in `jifen.hookspecs`)."""

    name: str
    make: Callable[[OrderTill], Any]


class TillServices(Registry[TillService]):
    """Every till service, by name, from `register_till_services()`."""

    def __init__(self, plugins: pluggy.PluginManager) -> None:
        super().__init__(
            plugins,
            "register_till_services",
            kind="till service",
            unknown=UnknownTillService,
            field="service",
        )

    def make(self, name: str, till: OrderTill) -> Any:
        """Service `name` made for the order `till` serves, isolated as a call into the
        plugin offering it."""
        return self.isolate(name, "make", self.get(name).make, till)


@dataclass
class OrderTill:
    session: Session
    order_id: uuid.UUID
    product: Product
    member_id: uuid.UUID
    actor: Actor
    clock: Clock
    keyring: Keyring
    providers: payments.PaymentProviders
    services: TillServices
    entry_id: uuid.UUID | None = None
    hold_id: uuid.UUID | None = None
    flash_sale_id: uuid.UUID | None = None
    refund_entry_id: uuid.UUID | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def _reference(self) -> str:
        return f"order:{self.order_id}"

    # Read only when a mode needs them (payments, lottery periods).
    @cached_property
    def settings(self) -> MallSettings:
        return mall_settings.settings_of(self.session, self.product.tenant_id)

    @cached_property
    def policy(self) -> Policy:
        return ledger.policy_of(self.session, self.product.tenant_id)

    # --- points ----------------------------------------------------------------------

    def spend(self, points: int) -> uuid.UUID:
        entry = ledger.redeem(
            self.session,
            self.member_id,
            points,
            actor=self.actor,
            clock=self.clock,
            reference=self._reference,
            memo=self.product.name[:200],
        )
        self.entry_id = entry.id
        return entry.id

    def reserve(self, points: int) -> None:
        """Hold points until the order's payment settles: the hold outlives the payment
        window by `payments.REQUEST_GRACE`, so the payment's expiry, not the hold's,
        cancels an unpaid order."""
        hold = ledger.reserve(
            self.session,
            self.member_id,
            points,
            actor=self.actor,
            clock=self.clock,
            reference=self._reference,
            memo=self.product.name[:200],
            timeout=timedelta(minutes=self.settings.payment_minutes) + payments.REQUEST_GRACE,
        )
        self.hold_id = hold.id

    def capture(self) -> None:
        """Spend the points held for the order (if it held any)."""
        if self.hold_id is None:
            return
        entry = ledger.capture(self.session, self.hold_id, actor=self.actor, clock=self.clock)
        self.entry_id = entry.id

    def award(self, points: int, reason: str | Message) -> None:
        """Credit points the order won (a prize), with `reason` as the entry's memo;
        `give_back` takes them back."""
        entry = ledger.earn(
            self.session,
            self.member_id,
            points,
            actor=self.actor,
            clock=self.clock,
            reference=self._reference,
            memo=reason,
        )
        self.record(award_entry_id=str(entry.id))

    def give_back(self) -> None:
        """Return what the order spent, to the lots it came from, and take back what it
        won."""
        if self.entry_id is None and self.hold_id is not None:
            hold = ledger.get_hold(self.session, self.hold_id)
            if hold.status == "open":
                ledger.release(self.session, hold.id, actor=self.actor, clock=self.clock)
        if self.entry_id is not None:
            self.refund_entry_id = self._reverse(self.entry_id)
        if self.details.get("award_entry_id"):
            self._reverse(uuid.UUID(self.details["award_entry_id"]))

    def _reverse(self, entry_id: uuid.UUID) -> uuid.UUID:
        entry = ledger.reverse(
            self.session,
            entry_id,
            actor=self.actor,
            clock=self.clock,
            reference=self._reference,
            memo=Message(N_("returned: %(product)s"), {"product": self.product.name}),
        )
        return entry.id

    # --- stock -----------------------------------------------------------------------

    def take_stock(self, quantity: int) -> None:
        """Take units: from the flash sale's own stock when the order is in one; a
        bundle's parts too, in id order (as every order takes them)."""
        connection, tenant_id = self.session.connection(), self.product.tenant_id
        for holder, holder_id, units in self._stock(quantity):
            if not sql.take_stock(connection, tenant_id, holder, holder_id, units):
                part = holder_id if holder == "product" else self.product.id
                raise OutOfStock(details={"product_id": str(part), "requested": units})

    def take_stock_if_left(self, quantity: int) -> bool:
        """Take units as `take_stock` does, all or nothing (a savepoint undoes a bundle's
        parts already taken), and say whether they were left."""
        try:
            with self.session.begin_nested():
                self.take_stock(quantity)
        except OutOfStock:
            return False
        return True

    def return_stock(self, quantity: int) -> None:
        if self.product.kind == "virtual":
            return  # a virtual product's stock is its codes: an issued code is spent
        connection, tenant_id = self.session.connection(), self.product.tenant_id
        for holder, holder_id, units in self._stock(quantity):
            sql.return_stock(connection, tenant_id, holder, holder_id, units)

    def _stock(self, quantity: int) -> list[tuple[str, uuid.UUID, int]]:
        """Where `quantity` units come from: the sale or the product, then the parts."""
        own = (
            ("flash_sale", self.flash_sale_id)
            if self.flash_sale_id
            else ("product", self.product.id)
        )
        parts = sorted(
            (uuid.UUID(p["product_id"]), p["quantity"] * quantity)
            for p in self.product.bundle or []
        )
        return [(*own, quantity), *(("product", pid, units) for pid, units in parts)]

    # --- money -----------------------------------------------------------------------

    def charge(self, amount: int, currency: str) -> str:
        """Request the cash part from the tenant's payment provider: the payment is
        written "requested" (its status, returned) and the provider is asked after
        commit; the cashier pays or cancels the order when it settles."""
        payment = payments.request(
            self.session,
            self.providers,
            self.settings,
            purpose="order",
            member_id=self.member_id,
            amount=amount,
            currency=currency,
            description=self.product.name,
            now=self.clock.now(),
            order_id=self.order_id,
        )
        self.record(payment_id=str(payment.id))
        return payment.status

    def refund_charge(self) -> None:
        """Give back the cash the order paid (the payment is `refunding`, and its
        provider is asked after commit), or cancel its payment if it has not settled."""
        if self.details.get("payment_id"):
            payment = payments.get_payment(self.session, uuid.UUID(self.details["payment_id"]))
            payments.withdraw(self.session, payment, self.clock.now())

    # --- the order's data, the mode's counters, services ----------------------------

    def record(self, **details: Any) -> None:
        """Keep details on the order (JSON values) for the member, the merchant, and the
        mode's own refund."""
        self.details.update(details)

    @property
    def recorded(self) -> Mapping[str, Any]:
        """What the order has recorded so far (read-only)."""
        return MappingProxyType(self.details)

    def counter(self, key: str) -> Counter:
        """The mode's counter under `key` (see `jifen.mall.counters`)."""
        return Counter(self.session.connection(), self.product.tenant_id, self.product.mode, key)

    def service(self, name: str) -> Any:
        """A service a plugin offers every mode (`register_till_services()`), made for
        this order: the built-in "lottery" (auditable draws and prize stock,
        `jifen.mall.Draws`) and "partners" (partner budgets, `jifen.mall.Budgets`)."""
        return self.services.make(name, self)

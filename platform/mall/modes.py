"""Redemption modes: what plugins provide through `register_redeem_modes()`, and what
they are given.

A mode prices an item for a member (`quote`), takes payment and stock when the member
orders it (`redeem`) and gives them back when the order is cancelled or refunded
(`refund`). It never sees a session: it acts through the `Till` it is handed, which
does its work inside the order's transaction, so a mode that raises leaves nothing
behind.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import pluggy
from marshmallow import Schema

from jifen.i18n import Message
from jifen.mall.errors import ModeParamsInvalid, UnknownRedeemMode
from jifen.registry import Configurables


@dataclass(frozen=True)
class Item:
    """A product as a mode sees it; `params` are its settings for the mode, parsed."""

    id: uuid.UUID
    kind: str
    name: str
    points_price: int
    cash_price: int | None
    currency: str | None
    params: Mapping[str, Any]


@dataclass(frozen=True)
class Shopper:
    """The member ordering: their tier and the percent off points prices it gives here."""

    id: uuid.UUID
    tier: str | None
    discount_percent: int


@dataclass(frozen=True)
class Price:
    """What an order costs: points and, for points-plus-cash, money in minor units."""

    points: int
    cash: int = 0
    currency: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)


class Counter(Protocol):
    """A number a mode keeps under a key of its choosing (`Till.counter`)."""

    def next(self, limit: int | None = None) -> int | None:
        """Count one more and return the new value (1 the first time); None, counting
        nothing, once it has reached `limit`. Concurrent orders get distinct values."""
        ...

    def back(self) -> None:
        """Count one fewer (an order that counted is given back); never below zero."""
        ...


class Till(Protocol):
    """What a mode may do inside the order's transaction (`jifen.mall.orders` keeps it).

    The same few primitives serve every mode; none belongs to one of them.

    Points: `spend` debits the member now; `reserve` holds points for the payment window
    and `capture` spends them; `award(points, reason)` credits points the order won, with
    `reason` as the entry's memo: best a `jifen.i18n.Message` (`Message(N_("lottery prize:
    %(prize)s"), {"prize": name})`), shown in each reader's language, while a plain
    string is shown as written; `give_back` returns what the order spent to the lots it
    came from (or releases its hold) and takes back what it awarded.

    Stock: `take_stock` takes units of the product (a flash sale's own, a bundle's parts
    too) with one conditional update and raises `OutOfStock`; `take_stock_if_left` takes
    them all or nothing and says whether it did, for a mode that gives something else
    when they ran out; `return_stock` puts them back.

    Money: `charge` requests the cash part from the tenant's payment provider (the
    payment is "requested"; the provider is asked after commit, and the cashier captures
    or releases the hold when it settles: return "awaiting_payment"); `refund_charge`
    gives the cash back (the provider is asked after commit), or cancels the payment if
    it has not settled yet.

    The order's data: `record` keeps JSON details on the order (shown to the member and
    the merchant, used for settlement); `recorded` reads them back, in `refund` too.

    Counters: `counter(key)` is the mode's own number under `key` (a product's id for a
    numbered edition, a product and member for a stamp card), in one row per (tenant,
    mode, key); modes never see each other's.

    Services: `service(name)` gives a service bound to the order, that a mode uses but
    does not own, offered by a plugin (`register_till_services`). Built in, platform
    data: "lottery" (`jifen.mall.lottery.Draws`: auditable draws in published
    commit-reveal periods, and a prize table's stock) and "partners"
    (`jifen.mall.partners.Budgets`: partner brands' budgets).

    Anything a till method raises is the platform's domain error (`OutOfStock`,
    `InsufficientPoints`...): let it through, and the order is refused as a whole.
    """

    def spend(self, points: int) -> uuid.UUID: ...

    def reserve(self, points: int) -> None: ...

    def capture(self) -> None: ...

    def award(self, points: int, reason: str | Message) -> None: ...

    def give_back(self) -> None: ...

    def take_stock(self, quantity: int) -> None: ...

    def take_stock_if_left(self, quantity: int) -> bool: ...

    def return_stock(self, quantity: int) -> None: ...

    def charge(self, amount: int, currency: str) -> str: ...

    def refund_charge(self) -> None: ...

    def record(self, **details: Any) -> None: ...

    @property
    def recorded(self) -> Mapping[str, Any]: ...

    def counter(self, key: str) -> Counter: ...

    def service(self, name: str) -> Any: ...


class RedeemMode(Protocol):
    name: str
    title: str

    # Read-only, so that the nested `class Params(Schema)` of an implementation fits.
    @property
    def Params(self) -> type[Schema]: ...

    takes_cash: bool  # its products carry a cash price (and others may not)
    # An optional `delivery_drawn = True` (absent: False) says that `redeem` decides
    # whether the product itself is given (a lottery's goods prize) and takes its stock
    # only then (`Till.take_stock_if_left`): its orders are placed whatever the stock,
    # and a physical one without an address waits `awaiting_address` when it is given.

    def quote(self, item: Item, shopper: Shopper, quantity: int) -> Price: ...

    def redeem(self, item: Item, shopper: Shopper, quantity: int, price: Price, till: Till) -> str:
        """Take payment and stock; return the status the order reaches ("paid", or
        "awaiting_payment" after a `charge`)."""
        ...

    def refund(self, item: Item, quantity: int, till: Till) -> None: ...


def discounted(points: int, percent: int) -> int:
    """A points price less a percent discount; the discount is rounded down, so the
    price never drops below what the merchant set by more than the percent."""
    return points - points * percent // 100


def points_price(item: Item, shopper: Shopper, quantity: int) -> Price:
    """`quantity` units at the item's points price less the shopper's tier discount,
    with a note when there is one."""
    unit = discounted(item.points_price, shopper.discount_percent)
    notes = (f"{shopper.discount_percent}% tier discount",) if unit != item.points_price else ()
    return Price(points=unit * quantity, notes=notes)


class RedeemModes(Configurables[RedeemMode]):
    """Every redemption mode, by name, from `register_redeem_modes()`."""

    def __init__(self, plugins: pluggy.PluginManager) -> None:
        super().__init__(
            plugins,
            "register_redeem_modes",
            kind="redeem mode",
            unknown=UnknownRedeemMode,
            field="mode",
        )

    def delivery_drawn(self, name: str) -> bool:
        """Whether mode `name` draws whether the product itself is given (see
        `RedeemMode`)."""
        return getattr(self.get(name), "delivery_drawn", False) is True

    def drawing_delivery(self) -> list[str]:
        """The modes that draw whether the product itself is given."""
        return [name for name in self.names() if self.delivery_drawn(name)]

    def parse(self, name: str, params: Any) -> dict[str, Any]:
        """A product's settings for mode `name`, checked by the mode's schema."""
        return self.load_params(name, params, invalid=ModeParamsInvalid, field="mode_params")

    def stored(self, name: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """Parsed settings as JSON, as the mode's schema writes them."""
        return self.dump_params(name, params)

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


class Till(Protocol):
    """What a mode may do inside the order's transaction (`jifen.mall.orders` keeps it).

    Points: `spend` debits the member now; `reserve` holds points for the payment window
    and `capture` spends them; `give_back` returns what the order spent to the lots it
    came from (or releases its hold). Money: `charge` asks the tenant's payment provider
    for the cash part and says whether it is "pending" or "succeeded" (the cashier
    captures or releases the hold when a pending one settles); `refund_charge` gives
    the cash back. Stock: `take_stock` takes units with one conditional update and
    raises `OutOfStock`; `return_stock` puts them back. A partner's budget: `fund` uses
    part of it (raising `PartnerBudgetExhausted` when too little is left) and records the
    partner on the order for settlement; `unfund` gives back what the order used.
    `record` keeps details on the order for the member, the merchant and settlement.
    """

    def spend(self, points: int) -> uuid.UUID: ...

    def reserve(self, points: int) -> None: ...

    def capture(self) -> None: ...

    def charge(self, amount: int, currency: str) -> str: ...

    def refund_charge(self) -> None: ...

    def give_back(self) -> None: ...

    def take_stock(self, quantity: int) -> None: ...

    def return_stock(self, quantity: int) -> None: ...

    def fund(self, partner_id: uuid.UUID, amount: int) -> None: ...

    def unfund(self) -> None: ...

    def award(self, points: int, reason: str) -> None: ...

    def draw(
        self,
        codes: list[str],
        weights: list[int],
        stocks: list[int | None],
        consolation: int,
        period: str,
    ) -> int: ...

    def undraw(self) -> None: ...

    def record(self, **details: Any) -> None: ...


class RedeemMode(Protocol):
    name: str
    title: str
    Params: type[Schema]
    takes_cash: bool  # its products carry a cash price (and others may not)

    def quote(self, item: Item, shopper: Shopper, quantity: int) -> Price: ...

    def redeem(self, item: Item, shopper: Shopper, quantity: int, price: Price, till: Till) -> str:
        """Take payment and stock; return the status the order reaches ("paid", or
        "points_held" while a payment is pending)."""
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

    def parse(self, name: str, params: Any) -> dict[str, Any]:
        """A product's settings for mode `name`, checked by the mode's schema."""
        return self.load_params(name, params, invalid=ModeParamsInvalid, field="mode_params")

    def stored(self, name: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """Parsed settings as JSON, as the mode's schema writes them."""
        return self.dump_params(name, params)

"""A redeem mode written outside the platform and its built-in plugins needs nothing the
till does not already offer: here a stamp card (every third redemption of a product by
a member fills the card and earns a bonus) and a numbered limited edition (each unit
gets the next number of a fixed run), built on the till's points, stock, recorded data
and per-mode counters, and used end to end through the API."""

from __future__ import annotations

import pytest
from marshmallow import Schema
from rules.api import call

from jifen.errors import Conflict, ValidationFailed
from jifen.hookimpl import hookimpl
from jifen.mall.modes import Item, Price, Shopper, Till, points_price
from jifen.types import StrictInteger

from .shop import ADDRESS, balance, get_product, member, order, placed, product


class StampCard:
    """Every `stamps`-th redemption of a product by a member earns `bonus` points; a
    refund takes its stamp, and the bonus it earned, back."""

    name = "stamp_card"
    title = "Stamp card"
    takes_cash = False

    class Params(Schema):
        stamps = StrictInteger(required=True, minimum=2, maximum=100)
        bonus = StrictInteger(required=True, maximum=10**6)

    def quote(self, item: Item, shopper: Shopper, quantity: int) -> Price:
        if quantity != 1:
            raise ValidationFailed(details={"quantity": ["One stamp an order."]})
        return points_price(item, shopper, 1)

    def redeem(self, item: Item, shopper: Shopper, quantity: int, price: Price, till: Till) -> str:
        till.spend(price.points)
        till.take_stock(1)
        card = f"{item.id}:{shopper.id}"
        stamp = till.counter(card).next()
        assert stamp is not None
        full = stamp % item.params["stamps"] == 0
        till.record(card=card, stamp=stamp, card_full=full)
        if full:
            till.award(item.params["bonus"], "stamp card full")
        return "paid"

    def refund(self, item: Item, quantity: int, till: Till) -> None:
        till.give_back()  # the points, and the bonus if this order earned one
        till.return_stock(1)
        till.counter(till.recorded["card"]).back()


class EditionSoldOut(Conflict):
    code = "edition_sold_out"
    message = "Every number of this edition is taken."


class NumberedEdition:
    """A run of `edition` units, numbered 1 to `edition` in the order they are redeemed;
    a refunded unit's number is retired, never given again."""

    name = "numbered_edition"
    title = "Numbered limited edition"
    takes_cash = False

    class Params(Schema):
        edition = StrictInteger(required=True, minimum=1, maximum=10**6)

    def quote(self, item: Item, shopper: Shopper, quantity: int) -> Price:
        return points_price(item, shopper, quantity)

    def redeem(self, item: Item, shopper: Shopper, quantity: int, price: Price, till: Till) -> str:
        till.spend(price.points)
        till.take_stock(quantity)
        numbers = []
        for _ in range(quantity):
            number = till.counter(str(item.id)).next(limit=item.params["edition"])
            if number is None:
                raise EditionSoldOut(details={"edition": item.params["edition"]})
            numbers.append(number)
        till.record(numbers=numbers, of=item.params["edition"])
        return "paid"

    def refund(self, item: Item, quantity: int, till: Till) -> None:
        till.give_back()
        till.return_stock(quantity)


class OutsidePlugin:
    """Registered the way any installed plugin is, from outside `jifen_plugins`."""

    def __init__(self) -> None:
        self.modes = [StampCard(), NumberedEdition()]

    @hookimpl
    def register_redeem_modes(self) -> list:
        return self.modes


@pytest.fixture(autouse=True)
def outside_modes(svc) -> None:
    svc.plugins.register(OutsidePlugin(), name="test_outside_modes")
    svc.__dict__.pop("redeem_modes", None)  # built on first use: rebuild with the new modes


def test_every_third_stamp_fills_the_card_and_earns_the_bonus(client, tenant):
    coffee = product(
        client,
        tenant,
        mode="stamp_card",
        mode_params={"stamps": 3, "bonus": 500},
        points_price=100,
        stock=None,
    )
    alice, bob = member(client, tenant, 1_000), member(client, tenant, 1_000)

    alices = [placed(client, tenant, alice, coffee["id"], address=ADDRESS) for _ in range(3)]
    bobs = placed(client, tenant, bob, coffee["id"], address=ADDRESS)

    assert [(o["details"]["stamp"], o["details"]["card_full"]) for o in alices] == [
        (1, False),
        (2, False),
        (3, True),
    ]
    assert bobs["details"]["stamp"] == 1  # each member has their own card
    assert balance(client, tenant, alice) == 1_000 - 300 + 500
    assert balance(client, tenant, bob) == 900


def test_a_refund_takes_its_stamp_and_its_bonus_back(client, tenant):
    coffee = product(
        client,
        tenant,
        mode="stamp_card",
        mode_params={"stamps": 2, "bonus": 50},
        points_price=100,
        stock=None,
    )
    alice = member(client, tenant, 1_000)
    placed(client, tenant, alice, coffee["id"], address=ADDRESS)
    full = placed(client, tenant, alice, coffee["id"], address=ADDRESS)
    assert balance(client, tenant, alice) == 850

    call(client, tenant, "POST", f"/orders/{full['id']}:refund", {}, 200)

    assert balance(client, tenant, alice) == 900
    again = placed(client, tenant, alice, coffee["id"], address=ADDRESS)
    assert (again["details"]["stamp"], again["details"]["card_full"]) == (2, True)
    assert balance(client, tenant, alice) == 850


def test_a_numbered_edition_numbers_each_unit_until_the_run_is_taken(client, tenant):
    prints = product(
        client,
        tenant,
        mode="numbered_edition",
        mode_params={"edition": 3},
        points_price=200,
        stock=10,
    )
    buyer = member(client, tenant, 5_000)

    first = placed(client, tenant, buyer, prints["id"], 2, address=ADDRESS)
    refused = order(client, tenant, buyer, prints["id"], 2, address=ADDRESS)
    last = placed(client, tenant, buyer, prints["id"], address=ADDRESS)

    assert first["details"]["numbers"] == [1, 2]
    assert (refused.status_code, refused.json["code"]) == (409, "edition_sold_out")
    assert last["details"] == {"numbers": [3], "of": 3, "notes": []}
    assert balance(client, tenant, buyer) == 5_000 - 600
    assert get_product(client, tenant, prints["id"])["stock"] == 7

    call(client, tenant, "POST", f"/orders/{first['id']}:refund", {}, 200)
    retired = order(client, tenant, buyer, prints["id"], address=ADDRESS)

    assert retired.json["code"] == "edition_sold_out"  # refunded numbers are not reissued
    assert balance(client, tenant, buyer) == 5_000 - 200
    assert get_product(client, tenant, prints["id"])["stock"] == 9


def test_a_modes_counters_are_its_own_and_its_tenants(client, tenant, make_tenant):
    other = make_tenant("other")
    for shop in (tenant, other):
        prints = product(
            client,
            shop,
            mode="numbered_edition",
            mode_params={"edition": 5},
            points_price=1,
            stock=None,
        )
        buyer = member(client, shop, 10)
        assert placed(client, shop, buyer, prints["id"], address=ADDRESS)["details"]["numbers"] == [
            1
        ]


CHINESE = {"Accept-Language": "zh-CN"}


def test_an_outside_modes_own_message_reads_as_written_in_any_language(client, tenant):
    coffee = product(client, tenant, mode="stamp_card", mode_params={"stamps": 3, "bonus": 500})
    alice = member(client, tenant, 1_000)

    refused = order(client, tenant, alice, coffee["id"], 2, address=ADDRESS, headers=CHINESE)

    assert (refused.status_code, refused.json["code"]) == (422, "validation_error")
    assert refused.json["message"] == "请求无效。"
    assert refused.json["details"] == {"quantity": ["One stamp an order."]}  # no catalog has it


def test_an_outside_modes_parameters_are_refused_in_the_readers_language(client, tenant):
    body = {
        "kind": "physical",
        "name": "Coffee",
        "points_price": 100,
        "stock": 10,
        "mode": "stamp_card",
        "mode_params": {"stamps": 1, "bonus": 500},
    }

    refused = client.post("/api/v1/products", json=body, headers=tenant.headers | CHINESE)

    assert (refused.status_code, refused.json["code"]) == (422, "mode_params_invalid")
    assert refused.json["details"] == {
        "mode_params": {"stamps": ["必须大于或等于 2 且小于或等于 100。"]}
    }

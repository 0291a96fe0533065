"""Services a plugin offers every redeem mode through its till (`register_till_services`):
a mode from one outside plugin uses a service another outside plugin offers, with no
change to the platform; a service that fails fails the order, named, keeping nothing."""

from __future__ import annotations

import pytest
from marshmallow import Schema, fields
from rules.api import call

from jifen.hookimpl import hookimpl
from jifen.mall import OrderTill, TillService
from jifen.mall.modes import Item, Price, Shopper, Till, points_price
from jifen.types import StrictInteger

from .shop import ADDRESS, balance, get_product, member, order, placed, product


class WelcomeGift:
    """A bonus on a member's first order of the mode using it."""

    def __init__(self, till: OrderTill) -> None:
        self.till = till

    def give(self, points: int) -> None:
        if self.till.counter(f"welcome:{self.till.member_id}").next(limit=1):
            self.till.award(points, "welcome gift")
            self.till.record(welcome_gift=points)


class Bug(Exception):
    """What a service's bug raises; its message must never reach a client."""


def broken(till: OrderTill) -> None:
    raise Bug("the service's own bug")


class GiftServices:
    """An outside plugin offering services, and nothing else."""

    @hookimpl
    def register_till_services(self) -> list:
        return [TillService("welcome_gift", WelcomeGift), TillService("broken_gift", broken)]


class WelcomeExchange:
    """An outside plugin's mode: an exchange whose first order per member earns a bonus,
    through the till service its product names."""

    name = "welcome_exchange"
    title = "Exchange with a welcome gift"
    takes_cash = False

    class Params(Schema):
        bonus = StrictInteger(required=True, maximum=10**6)
        service = fields.String(load_default="welcome_gift")

    def quote(self, item: Item, shopper: Shopper, quantity: int) -> Price:
        return points_price(item, shopper, quantity)

    def redeem(self, item: Item, shopper: Shopper, quantity: int, price: Price, till: Till) -> str:
        till.spend(price.points)
        till.take_stock(quantity)
        till.service(item.params["service"]).give(item.params["bonus"])
        return "paid"

    def refund(self, item: Item, quantity: int, till: Till) -> None:
        till.give_back()
        till.return_stock(quantity)

    @hookimpl
    def register_redeem_modes(self) -> list:
        return [self]


@pytest.fixture(autouse=True)
def outside_plugins(svc) -> None:
    svc.plugins.register(GiftServices(), name="test_gift_services")
    svc.plugins.register(WelcomeExchange(), name="test_welcome_mode")
    for built_on_first_use in ("redeem_modes", "till_services"):
        svc.__dict__.pop(built_on_first_use, None)


def a_mug(client, tenant, **mode_params) -> dict:
    params = {"bonus": 500, **mode_params}
    return product(client, tenant, mode="welcome_exchange", mode_params=params, points_price=300)


def orders_of(client, tenant, member_id: str) -> list:
    return call(client, tenant, "GET", f"/orders?member_id={member_id}", None, 200).json["items"]


def test_hook_register_till_services_a_mode_uses_a_service_another_plugin_offers(client, tenant):
    mug = a_mug(client, tenant)
    alice = member(client, tenant, 1_000)

    first = placed(client, tenant, alice, mug["id"], address=ADDRESS)
    assert (first["status"], first["details"]["welcome_gift"]) == ("paid", 500)
    assert balance(client, tenant, alice) == 1_000 - 300 + 500
    second = placed(client, tenant, alice, mug["id"], address=ADDRESS)
    assert "welcome_gift" not in second["details"]  # one gift a member
    assert balance(client, tenant, alice) == 900
    assert get_product(client, tenant, mug["id"])["stock"] == 8

    call(client, tenant, "POST", f"/orders/{first['id']}:refund", {}, 200)
    assert balance(client, tenant, alice) == 900 + 300 - 500  # the gift went back too


def test_a_service_whose_make_raises_fails_the_order_named_and_keeps_nothing(client, tenant):
    mug = a_mug(client, tenant, service="broken_gift")
    buyer = member(client, tenant, 1_000)

    response = order(client, tenant, buyer, mug["id"], address=ADDRESS)

    assert (response.status_code, response.json["code"]) == (500, "plugin_failed")
    assert response.json["details"] == {
        "plugin": "test_gift_services",
        "call": "till service 'broken_gift'.make",
    }
    assert "test_gift_services" in response.json["message"]
    assert "own bug" not in str(response.json)
    assert balance(client, tenant, buyer) == 1_000
    assert get_product(client, tenant, mug["id"])["stock"] == 10
    assert orders_of(client, tenant, buyer) == []


def test_a_service_no_plugin_offers_fails_the_order_listing_those_offered(client, tenant):
    mug = a_mug(client, tenant, service="nobody_offers")
    buyer = member(client, tenant, 1_000)

    response = order(client, tenant, buyer, mug["id"], address=ADDRESS)

    assert (response.status_code, response.json["code"]) == (500, "unknown_till_service")
    assert response.json["details"] == {
        "service": "nobody_offers",
        "known": ["broken_gift", "lottery", "partners", "welcome_gift"],
    }
    assert balance(client, tenant, buyer) == 1_000
    assert get_product(client, tenant, mug["id"])["stock"] == 10
    assert orders_of(client, tenant, buyer) == []

"""A plugin that raises is isolated and named, for every hook the platform calls: the
operation fails with `plugin_failed` (or, for an earn rule's evaluation, `rule_failed`),
the rest of the app carries on, and nothing of the operation is kept: points, stock,
orders and payments are as they were. Domain errors pass through unchanged. A payment
provider is called by the relay after commit: one that raises is named in the relay's
record and retried, and the payment stays as it was recorded."""

from __future__ import annotations

from typing import Any

import pytest
from mall.fake_gateways import FragileGateway
from mall.shop import ADDRESS, balance, get_product, member, order, placed, product
from marshmallow import Schema
from rules.api import call

from jifen.errors import Conflict
from jifen.hookimpl import hookimpl
from jifen.mall.modes import Item, Price, Shopper, Till, points_price


class Bug(Exception):
    """What a plugin's bug raises; its message must never reach a client."""


class NotToday(Conflict):
    """A plugin's own domain error: passed to the client as it is."""

    code = "not_today"
    message = "Not today."


class FragileMode:
    """A redeem mode that takes points and stock, then fails where it is told to."""

    name = "fragile_mode"
    title = "Fragile"
    takes_cash = False
    fails_in: str | None = None
    refuses = False

    class Params(Schema):
        pass

    def _maybe_fail(self, call: str) -> None:
        if self.fails_in == call:
            raise Bug("the plugin's own bug")

    def quote(self, item: Item, shopper: Shopper, quantity: int) -> Price:
        self._maybe_fail("quote")
        return points_price(item, shopper, quantity)

    def redeem(self, item: Item, shopper: Shopper, quantity: int, price: Price, till: Till) -> str:
        till.spend(price.points)
        till.take_stock(quantity)
        till.record(note="taken")
        if self.refuses:
            raise NotToday(details={"why": "a plugin's refusal"})
        self._maybe_fail("redeem")
        return "paid"

    def refund(self, item: Item, quantity: int, till: Till) -> None:
        till.give_back()
        till.return_stock(quantity)
        self._maybe_fail("refund")

    @hookimpl
    def register_redeem_modes(self) -> list:
        return [self]


@pytest.fixture
def fragile_mode(svc) -> FragileMode:
    mode = FragileMode()
    svc.plugins.register(mode, name="test_fragile_mode")
    svc.__dict__.pop("redeem_modes", None)  # built on first use: rebuild with the new mode
    return mode


@pytest.fixture
def fragile_gateway(client, tenant, svc) -> FragileGateway:
    return install_fragile_gateway(client, tenant, svc)


def install_fragile_gateway(client, tenant, svc) -> FragileGateway:
    """The gateway, installed as a plugin and chosen by the tenant: the app's payment
    providers are collected from the hook again, as the tenant's choice is checked."""
    gateway = FragileGateway()
    svc.plugins.register(gateway, name="test_fragile_gateway")
    svc.__dict__.pop("payment_providers", None)
    call(client, tenant, "PATCH", "/mall/settings", {"payment_provider": gateway.name}, 200)
    return gateway


def orders_of(client, tenant, member_id: str) -> list[dict[str, Any]]:
    return call(client, tenant, "GET", f"/orders?member_id={member_id}", None, 200).json["items"]


def state(client, tenant, member_id: str, product_id: str) -> tuple:
    """What an isolated failure must leave as it was."""
    orders = [(o["id"], o["status"]) for o in orders_of(client, tenant, member_id)]
    stock = get_product(client, tenant, product_id)["stock"]
    points = call(client, tenant, "GET", f"/members/{member_id}/points", None, 200).json
    return points["balance"], points["held"], stock, orders


def assert_plugin_failed(response, plugin: str, call_name: str) -> None:
    assert response.status_code == 500, response.json
    assert response.json["code"] == "plugin_failed"
    assert response.json["details"] == {"plugin": plugin, "call": call_name}
    assert plugin in response.json["message"]
    assert "own bug" not in str(response.json)


@pytest.mark.parametrize("fails_in", ["quote", "redeem"])
def test_hook_register_redeem_modes_a_mode_that_raises_placing_an_order_is_named_and_keeps_nothing(
    client, tenant, fragile_mode, fails_in
):
    buyer = member(client, tenant, 1_000)
    item = product(client, tenant, mode="fragile_mode", points_price=300, stock=5)
    before = state(client, tenant, buyer, item["id"])
    fragile_mode.fails_in = fails_in

    response = order(client, tenant, buyer, item["id"], 2, address=ADDRESS)

    assert_plugin_failed(response, "test_fragile_mode", f"redeem mode 'fragile_mode'.{fails_in}")
    assert state(client, tenant, buyer, item["id"]) == before == (1_000, 0, 5, [])
    fragile_mode.fails_in = None
    assert placed(client, tenant, buyer, item["id"], 2, address=ADDRESS)["status"] == "paid"
    assert balance(client, tenant, buyer) == 400


def test_a_quote_that_raises_is_named(client, tenant, fragile_mode):
    buyer = member(client, tenant, 1_000)
    item = product(client, tenant, mode="fragile_mode", points_price=300)
    fragile_mode.fails_in = "quote"

    response = call(client, tenant, "GET", f"/products/{item['id']}/quote?member_id={buyer}")

    assert_plugin_failed(response, "test_fragile_mode", "redeem mode 'fragile_mode'.quote")


def test_a_mode_that_raises_refunding_an_order_is_named_and_keeps_nothing(
    client, tenant, fragile_mode
):
    buyer = member(client, tenant, 1_000)
    item = product(client, tenant, mode="fragile_mode", points_price=300, stock=5)
    paid = placed(client, tenant, buyer, item["id"], address=ADDRESS)
    before = state(client, tenant, buyer, item["id"])
    fragile_mode.fails_in = "refund"

    response = call(client, tenant, "POST", f"/orders/{paid['id']}:refund", {})

    assert_plugin_failed(response, "test_fragile_mode", "redeem mode 'fragile_mode'.refund")
    assert state(client, tenant, buyer, item["id"]) == before == (700, 0, 4, [(paid["id"], "paid")])


def test_a_domain_error_a_mode_raises_passes_through_unchanged(client, tenant, fragile_mode):
    buyer = member(client, tenant, 1_000)
    item = product(client, tenant, mode="fragile_mode", points_price=300, stock=5)
    fragile_mode.refuses = True

    refused = order(client, tenant, buyer, item["id"], address=ADDRESS)

    assert refused.status_code == 409
    assert refused.json["code"] == "not_today"
    assert refused.json["details"] == {"why": "a plugin's refusal"}
    assert state(client, tenant, buyer, item["id"]) == (1_000, 0, 5, [])


def test_the_tills_own_refusal_passes_through_a_mode_unchanged(client, tenant, fragile_mode):
    buyer = member(client, tenant, 1_000)
    item = product(client, tenant, mode="fragile_mode", points_price=300, stock=1)

    refused = order(client, tenant, buyer, item["id"], 5, address=ADDRESS)
    poor = order(client, tenant, member(client, tenant, 10), item["id"], address=ADDRESS)

    assert (refused.status_code, refused.json["code"]) == (409, "out_of_stock")
    assert poor.json["code"] == "insufficient_points"
    assert state(client, tenant, buyer, item["id"]) == (1_000, 0, 1, [])


def a_phone(client, tenant) -> dict:
    body = {"mode": "points_cash", "points_price": 2_000, "cash_price": 30_000, "currency": "CNY"}
    return product(client, tenant, stock=5, **body)


def payments_cursor(svc) -> dict[str, Any]:
    (state,) = [
        c
        for c in svc.relay.status()
        if c["subscriber"] == "payments" and c["lane"] == "interactive"
    ]
    return state


def assert_relay_named(svc, plugin: str, call_name: str) -> None:
    """The relay's `payments` subscriber failed on the provider, named, and retries."""
    state = payments_cursor(svc)
    assert state["attempts"] == 1
    assert state["last_error"].startswith("PluginFailed")
    assert plugin in state["last_error"] and call_name in state["last_error"]
    assert "own bug" not in state["last_error"]


def test_hook_register_payment_providers_a_provider_that_raises_starting_is_named_and_retried(
    client, tenant, svc, clock
):
    fragile_gateway = install_fragile_gateway(client, tenant, svc)
    buyer = member(client, tenant, 5_000)
    phone = a_phone(client, tenant)
    fragile_gateway.fails_in = "start"

    response = order(client, tenant, buyer, phone["id"], address=ADDRESS)
    assert response.status_code == 202  # the provider is asked after commit
    assert svc.jobs.wait_idle()

    assert_relay_named(svc, "test_fragile_gateway", "payment provider 'fragile_gateway'.start")
    placed_id = response.json["id"]
    held = (3_000, 2_000, 4, [(placed_id, "awaiting_payment")])
    assert state(client, tenant, buyer, phone["id"]) == held
    payment_path = f"/payments/{response.json['details']['payment_id']}"
    assert call(client, tenant, "GET", payment_path, None, 200).json["status"] == "requested"

    fragile_gateway.fails_in = None
    clock.advance(minutes=1)
    svc.relay.drain()

    assert state(client, tenant, buyer, phone["id"]) == (3_000, 0, 4, [(placed_id, "paid")])
    assert call(client, tenant, "GET", payment_path, None, 200).json["status"] == "succeeded"


def test_a_provider_that_raises_refunding_is_named_and_the_refund_stays_recorded(
    client, tenant, svc, clock, fragile_gateway
):
    buyer = member(client, tenant, 5_000)
    phone = a_phone(client, tenant)
    placed = order(client, tenant, buyer, phone["id"], address=ADDRESS).json
    assert svc.jobs.wait_idle()
    assert state(client, tenant, buyer, phone["id"]) == (3_000, 0, 4, [(placed["id"], "paid")])
    fragile_gateway.fails_in = "refund"

    refunded = call(client, tenant, "POST", f"/orders/{placed['id']}:refund", {}, 200).json
    assert svc.jobs.wait_idle()

    assert refunded["status"] == "refunded"
    assert_relay_named(svc, "test_fragile_gateway", "payment provider 'fragile_gateway'.refund")
    assert state(client, tenant, buyer, phone["id"]) == (5_000, 0, 5, [(placed["id"], "refunded")])
    payment_path = f"/payments/{placed['details']['payment_id']}"
    assert call(client, tenant, "GET", payment_path, None, 200).json["status"] == "refunding"

    fragile_gateway.fails_in = None
    clock.advance(minutes=1)
    svc.relay.drain()

    assert call(client, tenant, "GET", payment_path, None, 200).json["status"] == "refunded"


def test_a_provider_answering_start_in_the_wrong_shape_is_named_and_retried(
    client, tenant, svc, fragile_gateway
):
    buyer = member(client, tenant, 5_000)
    phone = a_phone(client, tenant)
    fragile_gateway.fails_in = "shape"

    response = order(client, tenant, buyer, phone["id"], address=ADDRESS)
    assert response.status_code == 202
    assert svc.jobs.wait_idle()

    assert_relay_named(svc, "test_fragile_gateway", "payment provider 'fragile_gateway'.start")
    payment_path = f"/payments/{response.json['details']['payment_id']}"
    assert call(client, tenant, "GET", payment_path, None, 200).json["status"] == "requested"


@pytest.mark.parametrize("fails_in", ["parse_notification", "shape"])
def test_a_notification_parser_that_raises_or_answers_the_wrong_shape_is_named_and_changes_nothing(
    client, tenant, svc, fragile_gateway, fails_in
):
    fragile_gateway.outcome = "pending"  # the member pays on the gateway, which notifies
    buyer = member(client, tenant, 5_000)
    phone = a_phone(client, tenant)
    placed = order(client, tenant, buyer, phone["id"], address=ADDRESS).json
    payment_id = placed["details"]["payment_id"]
    assert svc.jobs.wait_idle()
    before = state(client, tenant, buyer, phone["id"])
    fragile_gateway.fails_in = fails_in
    headers, body = fragile_gateway.notification(payment_id, "succeeded")

    response = client.post("/api/v1/payments/notify/fragile_gateway", data=body, headers=headers)

    # Named like every plugin failure; 502, not 500: the provider sends it again later.
    assert response.status_code == 502, response.json
    assert response.json["code"] == "plugin_failed"
    call_name = "payment provider 'fragile_gateway'.parse_notification"
    assert response.json["details"] == {"plugin": "test_fragile_gateway", "call": call_name}
    assert "own bug" not in str(response.json)
    assert state(client, tenant, buyer, phone["id"]) == before
    assert call(client, tenant, "GET", f"/payments/{payment_id}", None, 200).json["status"] == (
        "pending"
    )
    fragile_gateway.fails_in = None
    paid = client.post("/api/v1/payments/notify/fragile_gateway", data=body, headers=headers)
    assert (paid.status_code, paid.json["status"]) == (200, "succeeded")


class FragileParams(Schema):
    """A rule type's schema with a bug."""

    def load(self, *args: Any, **kwargs: Any) -> Any:
        raise Bug("the schema's own bug")


class FragileRuleType:
    name = "fragile_params"
    title = "Fragile parameters"
    Params = FragileParams

    def phase(self, params: Any) -> str:
        return "bonus"

    def evaluate(self, event: Any, member: Any, params: Any, ctx: Any) -> list:
        return []

    @hookimpl
    def register_earn_rules(self) -> list:
        return [self]


def test_hook_register_earn_rules_a_rule_type_whose_schema_raises_is_named_and_keeps_nothing(
    client, tenant, svc
):
    svc.plugins.register(FragileRuleType(), name="test_fragile_rules")
    svc.__dict__.pop("rule_types", None)
    body = {"name": "shaky", "type": "fragile_params", "params": {}, "status": "active"}

    response = call(client, tenant, "POST", "/rules", body)

    assert_plugin_failed(response, "test_fragile_rules", "earn rule 'fragile_params'.Params.load")
    assert call(client, tenant, "GET", "/rules", None, 200).json["items"] == []

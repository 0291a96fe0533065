"""The `payments` subscriber: providers are called after commit, with no transaction
open and no lock held, with the payment id as their idempotency key; a provider that
fails is retried, and no money moves without a record."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

from conftest import sqlite_only
from rules.api import call

from jifen.mall import cashier
from jifen.mall import settings as mall_settings
from jifen.mall.domain_events import PaymentRequested
from jifen.outbox import relay as relays
from jifen.outbox.relay import Delivered

from .fake_gateways import FakeGateway, HangingGateway
from .shop import (
    ADDRESS,
    a_phone,
    awaiting_payment,
    balance,
    give,
    member,
    placed,
    points,
    product,
    use_gateway,
)


def payment(client, tenant, payment_id: str) -> dict:
    return call(client, tenant, "GET", f"/payments/{payment_id}", None, 200).json


def order_status(client, tenant, order_id: str) -> str:
    return call(client, tenant, "GET", f"/orders/{order_id}", None, 200).json["status"]


def window_of(svc, tenant) -> timedelta:
    """The tenant's payment window."""
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        minutes = mall_settings.settings_of(session, tenant.tenant_id).payment_minutes
    return timedelta(minutes=minutes)


def test_a_provider_that_hangs_holds_no_lock(client, tenant, svc):
    gateway = HangingGateway()
    use_gateway(client, tenant, svc, gateway)
    buyer, other = member(client, tenant, 5_000), member(client, tenant, 5_000)
    phone, flask = a_phone(client, tenant), product(client, tenant, points_price=100)
    try:
        held = awaiting_payment(client, tenant, buyer, phone["id"], address=ADDRESS)
        assert gateway.entered.wait(10)  # the relay is inside the provider's call

        began = time.monotonic()
        assert placed(client, tenant, other, flask["id"], address=ADDRESS)["status"] == "paid"
        assert points(client, tenant, buyer)["held"] == 2_000
        give(client, tenant, buyer, 100)
        assert balance(client, tenant, buyer) == 3_100
        assert time.monotonic() - began < 10  # nothing waited for the hanging call
        assert payment(client, tenant, held["details"]["payment_id"])["status"] == "requested"
    finally:
        gateway.go_on.set()
    assert svc.jobs.wait_idle()

    assert payment(client, tenant, held["details"]["payment_id"])["status"] == "pending"


def test_a_provider_that_raises_is_retried_with_the_same_payment_id(client, tenant, svc, clock):
    gateway = FakeGateway("flaky_test", failures=1)
    use_gateway(client, tenant, svc, gateway)
    buyer = member(client, tenant, 5_000)
    held = awaiting_payment(client, tenant, buyer, a_phone(client, tenant)["id"], address=ADDRESS)
    payment_id = uuid.UUID(held["details"]["payment_id"])
    assert svc.jobs.wait_idle()

    assert gateway.started == [payment_id]
    asked = payment(client, tenant, str(payment_id))
    assert asked["status"] == "requested"  # recorded, and nothing collected
    assert order_status(client, tenant, held["id"]) == "awaiting_payment"
    assert points(client, tenant, buyer)["held"] == 2_000

    clock.advance(seconds=relays.backoff(1).total_seconds())
    svc.relay.drain()

    assert gateway.started == [payment_id, payment_id]
    started = payment(client, tenant, str(payment_id))
    assert (started["status"], started["reference"]) == ("pending", f"ref-{payment_id}")
    # The window starts when the provider has the payment.
    assert started["expires_at"] == (clock.now() + window_of(svc, tenant)).isoformat()


@sqlite_only
def test_a_provider_that_fails_after_its_refund_call_leaves_the_payment_refunding(
    client, tenant, svc, clock
):
    gateway = FakeGateway("refund_test", outcome="succeeded", failures=0)
    use_gateway(client, tenant, svc, gateway)
    buyer = member(client, tenant, 5_000)
    bought = awaiting_payment(client, tenant, buyer, a_phone(client, tenant)["id"], address=ADDRESS)
    payment_id = bought["details"]["payment_id"]
    assert svc.jobs.wait_idle()
    assert order_status(client, tenant, bought["id"]) == "paid"
    gateway.failures = 1

    call(client, tenant, "POST", f"/orders/{bought['id']}:refund", {}, 200)
    assert svc.jobs.wait_idle()

    assert gateway.refunds == [f"refund-{payment_id}"]
    assert payment(client, tenant, payment_id)["status"] == "refunding"  # recorded
    assert balance(client, tenant, buyer) == 5_000

    clock.advance(seconds=relays.backoff(1).total_seconds())
    svc.relay.drain()

    assert gateway.refunds == [f"refund-{payment_id}"] * 2  # the same refund, again
    assert payment(client, tenant, payment_id)["status"] == "refunded"


@sqlite_only
def test_a_repeated_request_calls_the_provider_at_most_once_once_the_payment_moved_on(
    client, tenant, svc, clock
):
    gateway = FakeGateway("counting_test")
    use_gateway(client, tenant, svc, gateway)
    buyer = member(client, tenant, 5_000)
    held = awaiting_payment(client, tenant, buyer, a_phone(client, tenant)["id"], address=ADDRESS)
    payment_id = uuid.UUID(held["details"]["payment_id"])
    assert svc.jobs.wait_idle()
    event = PaymentRequested(payment_id, "手机 Phone")
    again = Delivered(uuid.uuid4(), tenant.tenant_id, event.type, 1, 0, clock.now(), event)
    subscriber = svc.relay.subscriber("payments")

    subscriber.deliver(svc, again)
    call(client, tenant, "POST", f"/payments/{payment_id}:confirm", None, 200)
    subscriber.deliver(svc, again)

    assert gateway.started == [payment_id]
    assert payment(client, tenant, str(payment_id))["status"] == "succeeded"


@sqlite_only
def test_a_requested_payment_waits_out_the_grace_and_its_hold_outlives_the_window(
    client, tenant, svc, clock
):
    gateway = FakeGateway("down_test", failures=1_000)
    use_gateway(client, tenant, svc, gateway)
    buyer = member(client, tenant, 5_000)
    held = awaiting_payment(client, tenant, buyer, a_phone(client, tenant)["id"], address=ADDRESS)
    payment_id = held["details"]["payment_id"]
    assert svc.jobs.wait_idle()
    window = window_of(svc, tenant)

    clock.advance(seconds=window.total_seconds() - 60)
    assert cashier.expire_due(svc) == 0  # still requested: its window has not started
    assert points(client, tenant, buyer)["held"] == 2_000
    gateway.failures = 0
    svc.relay.drain()
    assert payment(client, tenant, payment_id)["status"] == "pending"

    clock.advance(seconds=window.total_seconds() - 60)
    assert cashier.expire_due(svc) == 0
    assert points(client, tenant, buyer)["held"] == 2_000  # the hold is still open
    clock.advance(minutes=2)
    assert cashier.expire_due(svc) == 1

    order = call(client, tenant, "GET", f"/orders/{held['id']}", None, 200).json
    assert (order["status"], order["history"][-1]["note"]["reason"]) == (
        "cancelled",
        "payment expired",
    )
    assert (points(client, tenant, buyer)["balance"], points(client, tenant, buyer)["held"]) == (
        5_000,
        0,
    )

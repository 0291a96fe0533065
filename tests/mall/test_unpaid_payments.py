"""Payments that end without the money: a payment whose order is cancelled is cancelled
(the provider never hears of one it never had), one the provider never answered for
expires after `REQUEST_GRACE`, and money that arrives for either anyway goes back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import sqlite_only
from rules.api import call
from sqlalchemy import select

from jifen.audit import AuditEvent
from jifen.mall import cashier
from jifen.mall.payments import REQUEST_GRACE

from .fake_gateways import FakeGateway, HangingGateway
from .shop import ADDRESS, a_phone, awaiting_payment, get_product, member, points, use_gateway

NOTIFY = "/api/v1/payments/notify/{name}"

pytestmark = sqlite_only


def relay_down(svc) -> None:
    """Stop the process's relay worker: committed events wait in the log (as when the
    relay is down) until the test delivers them (`svc.relay.drain()`)."""
    svc.jobs.worker.stop()


def payment(client, tenant, held: dict) -> dict:
    return call(client, tenant, "GET", f"/payments/{held['details']['payment_id']}").json


def order(client, tenant, held: dict) -> dict:
    return call(client, tenant, "GET", f"/orders/{held['id']}", None, 200).json


def notify(client, gateway: FakeGateway, payment_id: str, outcome: str):
    headers, body = gateway.notification(payment_id, outcome, f"gw-{payment_id}")
    return client.post(NOTIFY.format(name=gateway.name), data=body, headers=headers)


def assert_given_back(client, tenant, buyer: str, held: dict, reason: str | None) -> None:
    """The order is cancelled for `reason`, its points released and its stock back."""
    cancelled = order(client, tenant, held)
    note = cancelled["history"][-1]["note"] or {}
    assert (cancelled["status"], note.get("reason")) == ("cancelled", reason)
    wallet = points(client, tenant, buyer)
    assert (wallet["balance"], wallet["held"]) == (5_000, 0)
    assert get_product(client, tenant, cancelled["product_id"])["stock"] == 5


def late_refunds(svc, tenant, payment_id: str) -> list[tuple[dict, dict]]:
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        return [
            (e.before, e.after)
            for e in session.scalars(
                select(AuditEvent).where(
                    AuditEvent.object_id == payment_id, AuditEvent.action == "payment.refund_late"
                )
            )
        ]


@pytest.fixture
def gateway(client, tenant, svc) -> FakeGateway:
    gateway = FakeGateway("unpaid_test")
    use_gateway(client, tenant, svc, gateway)
    return gateway


def test_cancelling_an_order_cancels_its_requested_payment_and_the_provider_never_hears_of_it(
    client, tenant, svc, gateway
):
    relay_down(svc)
    buyer = member(client, tenant, 5_000)
    held = awaiting_payment(client, tenant, buyer, a_phone(client, tenant)["id"], address=ADDRESS)

    call(client, tenant, "POST", f"/orders/{held['id']}:cancel", {"reason": "changed mind"}, 200)

    assert payment(client, tenant, held)["status"] == "cancelled"
    assert_given_back(client, tenant, buyer, held, "changed mind")
    assert svc.relay.drain().delivered >= 1  # the payment.requested event, delivered
    assert gateway.started == []
    assert payment(client, tenant, held)["status"] == "cancelled"


def test_cancelling_an_order_cancels_its_pending_payment_and_money_arriving_later_goes_back(
    client, tenant, svc, gateway
):
    buyer = member(client, tenant, 5_000)
    held = awaiting_payment(client, tenant, buyer, a_phone(client, tenant)["id"], address=ADDRESS)
    assert svc.jobs.wait_idle()
    payment_id = held["details"]["payment_id"]
    assert payment(client, tenant, held)["status"] == "pending"

    call(client, tenant, "POST", f"/orders/{held['id']}:cancel", {}, 200)
    assert payment(client, tenant, held)["status"] == "cancelled"
    assert_given_back(client, tenant, buyer, held, None)

    paid = notify(client, gateway, payment_id, "succeeded")  # the member paid anyway

    assert paid.status_code == 200, paid.json
    assert paid.json["status"] == "refunding"
    assert svc.jobs.wait_idle()
    assert gateway.refunds == [f"refund-{payment_id}"]
    assert payment(client, tenant, held)["status"] == "refunded"
    assert late_refunds(svc, tenant, payment_id) == [
        ({"status": "cancelled"}, {"status": "refunding", "received": "succeeded"})
    ]
    assert_given_back(client, tenant, buyer, held, None)  # the order stays cancelled
    assert notify(client, gateway, payment_id, "succeeded").json["status"] == "refunded"
    assert gateway.refunds == [f"refund-{payment_id}"]  # once


def test_money_arriving_for_an_expired_payment_goes_back(client, tenant, svc, clock, gateway):
    buyer = member(client, tenant, 5_000)
    held = awaiting_payment(client, tenant, buyer, a_phone(client, tenant)["id"], address=ADDRESS)
    assert svc.jobs.wait_idle()
    clock.advance(minutes=31)
    assert cashier.expire_due(svc) == 1
    assert payment(client, tenant, held)["status"] == "expired"

    paid = notify(client, gateway, held["details"]["payment_id"], "succeeded")

    assert (paid.status_code, paid.json["status"]) == (200, "refunding")
    assert svc.jobs.wait_idle()
    assert payment(client, tenant, held)["status"] == "refunded"
    assert gateway.refunds == [f"refund-{held['details']['payment_id']}"]
    assert_given_back(client, tenant, buyer, held, "payment expired")
    # A decline arriving late changes nothing.
    declined = notify(client, gateway, held["details"]["payment_id"], "failed")
    assert (declined.status_code, declined.json["status"]) == (200, "refunded")


def test_a_requested_payment_the_provider_never_answered_for_expires_after_the_grace(
    client, tenant, svc, clock, gateway
):
    relay_down(svc)
    buyer = member(client, tenant, 5_000)
    held = awaiting_payment(client, tenant, buyer, a_phone(client, tenant)["id"], address=ADDRESS)

    clock.advance(seconds=(REQUEST_GRACE - timedelta(minutes=1)).total_seconds())
    assert cashier.expire_due(svc) == 0
    assert payment(client, tenant, held)["status"] == "requested"
    clock.advance(minutes=2)
    assert cashier.expire_due(svc) == 1
    assert cashier.expire_due(svc) == 0

    assert payment(client, tenant, held)["status"] == "expired"
    assert_given_back(client, tenant, buyer, held, "payment expired")
    svc.relay.drain()  # the relay is back: it skips the expired payment
    assert gateway.started == []
    assert payment(client, tenant, held)["status"] == "expired"


def test_the_relay_back_after_the_grace_leaves_the_unanswered_payment_to_the_sweep(
    client, tenant, svc, clock, gateway
):
    relay_down(svc)
    buyer = member(client, tenant, 5_000)
    held = awaiting_payment(client, tenant, buyer, a_phone(client, tenant)["id"], address=ADDRESS)
    clock.advance(seconds=REQUEST_GRACE.total_seconds())

    svc.relay.drain()  # before the sweep has run

    assert gateway.started == []
    assert cashier.expire_due(svc) == 1
    assert_given_back(client, tenant, buyer, held, "payment expired")


def test_an_answer_collecting_money_for_a_payment_cancelled_meanwhile_gives_it_back(
    client, tenant, svc
):
    gateway = HangingGateway("slow_test")
    gateway.outcome = "succeeded"  # it settles at once, once it answers
    use_gateway(client, tenant, svc, gateway)
    buyer = member(client, tenant, 5_000)
    held = awaiting_payment(client, tenant, buyer, a_phone(client, tenant)["id"], address=ADDRESS)
    payment_id = held["details"]["payment_id"]
    try:
        assert gateway.entered.wait(10)  # the relay is inside the provider's call
        call(client, tenant, "POST", f"/orders/{held['id']}:cancel", {}, 200)
        assert payment(client, tenant, held)["status"] == "cancelled"
    finally:
        gateway.go_on.set()
    assert svc.jobs.wait_idle()

    recorded = payment(client, tenant, held)
    assert (recorded["status"], recorded["reference"]) == ("refunded", f"ref-{payment_id}")
    assert gateway.refunds == [f"refund-{payment_id}"]
    assert late_refunds(svc, tenant, payment_id) == [
        ({"status": "cancelled"}, {"status": "refunding", "received": "succeeded"})
    ]
    assert_given_back(client, tenant, buyer, held, None)

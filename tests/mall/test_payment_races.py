"""Races around a payment: the provider's notification against the provider's answer to
`start`, and a notification against a cancel of the order. Whatever the order of
arrival, the payment settles once, the provider's words are kept, no money is lost, and
on PostgreSQL the two sides lock in one order (the wallet first) so neither deadlocks."""

from __future__ import annotations

import threading
import time

import pytest
from conftest import raw_connect, sqlite_only
from rules.api import call
from sqlalchemy import event

from .fake_gateways import FakeGateway, HangingGateway
from .shop import ADDRESS, a_phone, awaiting_payment, member, points, use_gateway

NOTIFY = "/api/v1/payments/notify/{name}"


def payment(client, tenant, payment_id: str) -> dict:
    return call(client, tenant, "GET", f"/payments/{payment_id}", None, 200).json


def order(client, tenant, order_id: str) -> dict:
    return call(client, tenant, "GET", f"/orders/{order_id}", None, 200).json


def notify(client, gateway: FakeGateway, payment_id: str, outcome: str, reference=None):
    headers, body = gateway.notification(payment_id, outcome, reference)
    return client.post(NOTIFY.format(name=gateway.name), data=body, headers=headers)


@sqlite_only
def test_a_payment_notification_before_the_providers_answer_settles_and_the_answer_only_fills_in(
    client, tenant, svc
):
    gateway = HangingGateway()
    use_gateway(client, tenant, svc, gateway)
    buyer = member(client, tenant, 5_000)
    held = awaiting_payment(client, tenant, buyer, a_phone(client, tenant)["id"], address=ADDRESS)
    payment_id = held["details"]["payment_id"]
    try:
        assert gateway.entered.wait(10)  # the relay is inside the provider's call
        paid = notify(client, gateway, payment_id, "succeeded", reference=f"gw-{payment_id}")
        assert paid.status_code == 200, paid.json
        assert (paid.json["status"], paid.json["reference"]) == ("succeeded", f"gw-{payment_id}")
        assert order(client, tenant, held["id"])["status"] == "paid"
    finally:
        gateway.go_on.set()
    assert svc.jobs.wait_idle()  # the answer ("pending", its own reference) is recorded

    settled = payment(client, tenant, payment_id)
    assert (settled["status"], settled["reference"]) == ("succeeded", f"gw-{payment_id}")
    assert settled["instructions"] == f"Pay on the fake gateway: {payment_id}"  # was missing
    history = [step["status"] for step in order(client, tenant, held["id"])["history"]]
    assert history == ["created", "awaiting_payment", "paid"]
    assert (points(client, tenant, buyer)["balance"], points(client, tenant, buyer)["held"]) == (
        3_000,
        0,
    )
    assert gateway.refunds == []


@sqlite_only
def test_a_decline_notified_before_the_providers_answer_stays_declined(client, tenant, svc):
    gateway = HangingGateway()
    use_gateway(client, tenant, svc, gateway)
    buyer = member(client, tenant, 5_000)
    held = awaiting_payment(client, tenant, buyer, a_phone(client, tenant)["id"], address=ADDRESS)
    payment_id = held["details"]["payment_id"]
    try:
        assert gateway.entered.wait(10)
        declined = notify(client, gateway, payment_id, "failed")  # no reference in it
        assert (declined.status_code, declined.json["status"]) == (200, "failed")
    finally:
        gateway.go_on.set()
    assert svc.jobs.wait_idle()

    settled = payment(client, tenant, payment_id)
    assert (settled["status"], settled["reference"]) == ("failed", f"ref-{payment_id}")
    cancelled = order(client, tenant, held["id"])
    assert (cancelled["status"], cancelled["history"][-1]["note"]["reason"]) == (
        "cancelled",
        "payment failed",
    )
    assert (points(client, tenant, buyer)["balance"], points(client, tenant, buyer)["held"]) == (
        5_000,
        0,
    )


class PauseAfterWalletLock:
    """Holds the thread named `thread` right after its transaction has locked a wallet,
    until another transaction is waiting for a lock (seen in `pg_locks`): so the other
    side of the race reaches its first contended lock while this one holds the wallet."""

    def __init__(self, engine, owner_url: str, thread: str) -> None:
        self.engine, self.owner_url, self.thread = engine, owner_url, thread
        self.locked = threading.Event()
        self.saw_a_waiter = False

    def __enter__(self) -> PauseAfterWalletLock:
        event.listen(self.engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "after_cursor_execute", self._after)

    def _after(self, conn, cursor, statement: str, *args: object) -> None:
        if threading.current_thread().name != self.thread or self.locked.is_set():
            return
        if "FOR UPDATE OF accounts" not in statement:
            return
        self.locked.set()
        with raw_connect(self.owner_url) as watcher:
            watcher.autocommit = True
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not self.saw_a_waiter:
                waiting = watcher.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
                self.saw_a_waiter = waiting.fetchone()[0] > 0
                time.sleep(0.01)


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_a_cancel_and_a_payment_notification_racing_lock_the_wallet_first_and_lose_no_money(
    app, client, tenant, svc, database
):
    gateway = FakeGateway("racing_test")
    use_gateway(client, tenant, svc, gateway)
    buyer = member(client, tenant, 5_000)
    held = awaiting_payment(client, tenant, buyer, a_phone(client, tenant)["id"], address=ADDRESS)
    payment_id = held["details"]["payment_id"]
    assert svc.jobs.wait_idle()
    assert payment(client, tenant, payment_id)["status"] == "pending"
    answers: dict[str, object] = {}

    def cancel() -> None:
        path = f"/api/v1/orders/{held['id']}:cancel"
        answers["cancel"] = app.test_client().post(path, json={}, headers=tenant.headers)

    def pay() -> None:
        answers["notify"] = notify(app.test_client(), gateway, payment_id, "succeeded")

    with PauseAfterWalletLock(svc.db.engine, database.owner, "cancel") as pause:
        cancelling = threading.Thread(target=cancel, name="cancel")
        cancelling.start()
        assert pause.locked.wait(30)  # the cancel holds the member's wallet
        paying = threading.Thread(target=pay, name="notify")
        paying.start()
        cancelling.join(60)
        paying.join(60)

    assert pause.saw_a_waiter  # the notification queued behind the cancel
    assert not cancelling.is_alive() and not paying.is_alive()
    assert answers["cancel"].status_code == 200, answers["cancel"].json
    assert answers["notify"].status_code == 200, answers["notify"].json
    assert answers["notify"].json["status"] == "refunding"  # the late money goes back
    assert svc.jobs.wait_idle()
    assert payment(client, tenant, payment_id)["status"] == "refunded"
    assert gateway.refunds == [f"refund-{payment_id}"]
    assert order(client, tenant, held["id"])["status"] == "cancelled"
    assert (points(client, tenant, buyer)["balance"], points(client, tenant, buyer)["held"]) == (
        5_000,
        0,
    )

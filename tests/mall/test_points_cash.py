"""Points plus cash: the points are held while the cash part is paid, spent when the
payment succeeds, released when it fails or times out; and points top-ups. Providers are
asked after the order commits (the relay's `payments` subscriber)."""

from __future__ import annotations

from rules.api import call

from jifen.mall import cashier

from .fake_gateways import InstantGateway
from .shop import (
    ADDRESS,
    a_phone,
    awaiting_payment,
    balance,
    get_product,
    member,
    points,
    product,
    use_gateway,
)


def settings(client, tenant, **changes) -> dict:
    return call(client, tenant, "PATCH", "/mall/settings", changes, 200).json


def test_points_are_held_until_staff_confirm_the_payment(client, tenant, svc):
    buyer = member(client, tenant, 5_000)
    phone = a_phone(client, tenant)

    held = awaiting_payment(client, tenant, buyer, phone["id"], address=ADDRESS)

    assert (held["points"], held["cash"]) == (2_000, 30_000)
    wallet = points(client, tenant, buyer)
    assert (wallet["balance"], wallet["held"]) == (3_000, 2_000)
    payment_path = f"/payments/{held['details']['payment_id']}"
    assert svc.jobs.wait_idle()  # the relay asks the provider after commit
    payment = call(client, tenant, "GET", payment_path, None, 200).json
    assert (payment["status"], payment["amount"], payment["provider"]) == (
        "pending",
        30_000,
        "manual",
    )
    assert payment["instructions"] == "Pay 300.00 CNY at the counter; staff confirm it."

    confirmed = call(client, tenant, "POST", f"{payment_path}:confirm", None, 200).json

    assert confirmed["status"] == "succeeded"
    order = call(client, tenant, "GET", f"/orders/{held['id']}", None, 200).json
    assert [s["status"] for s in order["history"]] == ["created", "awaiting_payment", "paid"]
    wallet = points(client, tenant, buyer)
    assert (wallet["balance"], wallet["held"]) == (3_000, 0)
    again = call(client, tenant, "POST", f"{payment_path}:fail", None, 409).json
    assert again["code"] == "payment_not_pending"

    refunded = call(client, tenant, "POST", f"/orders/{held['id']}:refund", {}, 200).json
    assert refunded["status"] == "refunded"
    assert balance(client, tenant, buyer) == 5_000
    assert svc.jobs.wait_idle()  # the provider gives the money back after commit
    assert call(client, tenant, "GET", payment_path, None, 200).json["status"] == "refunded"


def test_a_failed_payment_releases_the_points_and_the_stock(client, tenant, svc):
    buyer = member(client, tenant, 5_000)
    phone = a_phone(client, tenant)
    held = awaiting_payment(client, tenant, buyer, phone["id"], address=ADDRESS)
    assert svc.jobs.wait_idle()

    call(client, tenant, "POST", f"/payments/{held['details']['payment_id']}:fail", None, 200)

    order = call(client, tenant, "GET", f"/orders/{held['id']}", None, 200).json
    assert order["status"] == "cancelled"
    assert order["history"][-1]["note"]["reason"] == "payment failed"
    wallet = points(client, tenant, buyer)
    assert (wallet["balance"], wallet["held"]) == (5_000, 0)
    assert get_product(client, tenant, phone["id"])["stock"] == 5


def test_an_unpaid_order_times_out(client, tenant, svc, clock):
    settings(client, tenant, payment_minutes=15)
    buyer = member(client, tenant, 5_000)
    phone = a_phone(client, tenant)
    held = awaiting_payment(client, tenant, buyer, phone["id"], address=ADDRESS)
    assert svc.jobs.wait_idle()

    clock.advance(minutes=14)
    assert cashier.expire_due(svc) == 0
    clock.advance(minutes=2)
    assert cashier.expire_due(svc) == 1
    assert cashier.expire_due(svc) == 0

    order = call(client, tenant, "GET", f"/orders/{held['id']}", None, 200).json
    assert (order["status"], order["history"][-1]["note"]["reason"]) == (
        "cancelled",
        "payment expired",
    )
    assert points(client, tenant, buyer)["held"] == 0
    assert balance(client, tenant, buyer) == 5_000
    assert get_product(client, tenant, phone["id"])["stock"] == 5
    late = call(client, tenant, "POST", f"/payments/{held['details']['payment_id']}:confirm")
    assert late.status_code == 409


def test_a_provider_that_settles_at_once_pays_the_order_once_it_is_asked(client, tenant, svc):
    use_gateway(client, tenant, svc, InstantGateway("succeeded"))
    buyer = member(client, tenant, 5_000)
    voucher = product(
        client,
        tenant,
        kind="service",
        mode="points_cash",
        points_price=500,
        cash_price=9_900,
        currency="CNY",
        service={"booking_url": "https://spa.example.com", "valid_days": 30},
    )

    placed = awaiting_payment(client, tenant, buyer, voucher["id"])
    assert svc.jobs.wait_idle()

    bought = call(client, tenant, "GET", f"/orders/{placed['id']}", None, 200).json
    assert bought["status"] == "completed"
    assert len(bought["delivery"]["vouchers"]) == 1
    assert balance(client, tenant, buyer) == 4_500
    payment = call(client, tenant, "GET", f"/payments/{placed['details']['payment_id']}")
    assert payment.json["status"] == "succeeded"
    unknown = call(client, tenant, "PATCH", "/mall/settings", {"payment_provider": "alipay"}, 422)
    assert unknown.json["code"] == "unknown_payment_provider"


def test_a_points_cash_item_needs_its_cash_price(client, tenant):
    body = {"kind": "physical", "name": "Phone", "points_price": 1, "mode": "points_cash"}
    refused = call(client, tenant, "POST", "/products", body, 422).json
    assert "cash_price" in refused["details"]
    exchange = {**body, "mode": "exchange", "cash_price": 100, "currency": "CNY"}
    assert "cash_price" in call(client, tenant, "POST", "/products", exchange, 422).json["details"]


def test_points_are_bought_only_once_the_payment_succeeds(client, tenant, svc):
    buyer = member(client, tenant)
    refused = call(client, tenant, "POST", "/topups", {"member_id": buyer, "points": 1_000}, 403)
    assert refused.json["code"] == "topup_disabled"
    settings(client, tenant, topup_enabled=True, topup_rate=30)

    payment = call(client, tenant, "POST", "/topups", {"member_id": buyer, "points": 1_000}, 202)

    # 1,000 points at 30 a yuan: 33.333... yuan, rounded up to the fen.
    assert (payment.json["amount"], payment.json["currency"]) == (3_334, "CNY")
    assert payment.json["status"] == "requested"  # as the transaction wrote it
    assert balance(client, tenant, buyer) == 0
    assert svc.jobs.wait_idle()
    path = f"/payments/{payment.json['id']}"
    assert call(client, tenant, "GET", path, None, 200).json["status"] == "pending"
    call(client, tenant, "POST", f"{path}:confirm", None, 200)
    assert balance(client, tenant, buyer) == 1_000
    call(client, tenant, "POST", f"{path}:confirm", None, 409)
    assert balance(client, tenant, buyer) == 1_000


def test_a_top_up_paid_at_once_credits_its_points_once_the_provider_is_asked(client, tenant, svc):
    use_gateway(client, tenant, svc, InstantGateway("succeeded"))
    settings(client, tenant, topup_enabled=True, topup_rate=100)
    buyer = member(client, tenant)

    payment = call(client, tenant, "POST", "/topups", {"member_id": buyer, "points": 500}, 202)
    assert svc.jobs.wait_idle()

    assert balance(client, tenant, buyer) == 500
    paid = call(client, tenant, "GET", f"/payments/{payment.json['id']}", None, 200).json
    assert paid["status"] == "succeeded"


def test_a_payment_declined_at_once_cancels_the_order_and_gives_everything_back(
    client, tenant, svc
):
    use_gateway(client, tenant, svc, InstantGateway("failed"))
    buyer = member(client, tenant, 5_000)
    phone = a_phone(client, tenant)

    held = awaiting_payment(client, tenant, buyer, phone["id"], address=ADDRESS)
    assert svc.jobs.wait_idle()

    order = call(client, tenant, "GET", f"/orders/{held['id']}", None, 200).json
    assert (order["status"], order["history"][-1]["note"]["reason"]) == (
        "cancelled",
        "payment failed",
    )
    wallet = points(client, tenant, buyer)
    assert (wallet["balance"], wallet["held"]) == (5_000, 0)
    assert get_product(client, tenant, phone["id"])["stock"] == 5
    payment = call(client, tenant, "GET", f"/payments/{held['details']['payment_id']}")
    assert payment.json["status"] == "failed"

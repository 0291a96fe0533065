"""Providers notify results on a signed route, and the offline test gateway's pay /
decline page posts such notifications: a good signature settles the payment (and moves
the order), a bad one changes nothing, a repeat changes nothing."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlencode

from conftest import sqlite_only
from rules.api import call

from jifen.mall.payments import PaymentRequest

from .shop import ADDRESS, a_phone, awaiting_payment, get_product, member, points

pytestmark = sqlite_only

NOTIFY = "/api/v1/payments/notify/offline_test"
FORM = "application/x-www-form-urlencoded"


def on_the_test_gateway(client, tenant, svc) -> tuple[str, dict]:
    """A member, and an order of theirs whose payment the offline test gateway has."""
    call(client, tenant, "PATCH", "/mall/settings", {"payment_provider": "offline_test"}, 200)
    buyer = member(client, tenant, 5_000)
    held = awaiting_payment(client, tenant, buyer, a_phone(client, tenant)["id"], address=ADDRESS)
    assert svc.jobs.wait_idle()
    return buyer, held


def signed(svc, payment_id, status: str) -> bytes:
    gateway = svc.payment_providers.get("offline_test")
    return gateway.notification_body(uuid.UUID(str(payment_id)), status)


def order_of(client, tenant, held: dict) -> dict:
    return call(client, tenant, "GET", f"/orders/{held['id']}", None, 200).json


def test_a_signed_notification_settles_the_payment_once(client, tenant, svc):
    buyer, held = on_the_test_gateway(client, tenant, svc)
    payment_id = held["details"]["payment_id"]
    body = signed(svc, payment_id, "succeeded")

    paid = client.post(NOTIFY, data=body, content_type=FORM)  # no API key

    assert paid.status_code == 200, paid.json
    assert (paid.json["id"], paid.json["status"]) == (payment_id, "succeeded")
    assert order_of(client, tenant, held)["status"] == "paid"
    assert (points(client, tenant, buyer)["balance"], points(client, tenant, buyer)["held"]) == (
        3_000,
        0,
    )
    history = order_of(client, tenant, held)["history"]

    repeated = client.post(NOTIFY, data=body, content_type=FORM)
    late = client.post(NOTIFY, data=signed(svc, payment_id, "failed"), content_type=FORM)

    assert (repeated.status_code, late.status_code) == (200, 200)
    assert late.json["status"] == "succeeded"
    assert order_of(client, tenant, held)["history"] == history
    assert points(client, tenant, buyer)["balance"] == 3_000


def test_a_notification_whose_signature_does_not_verify_changes_nothing(client, tenant, svc):
    buyer, held = on_the_test_gateway(client, tenant, svc)
    payment_id = held["details"]["payment_id"]
    forged = signed(svc, payment_id, "failed").replace(b"status=failed", b"status=succeeded")

    for body in (forged, b"payment_id=" + payment_id.encode() + b"&status=succeeded", b""):
        refused = client.post(NOTIFY, data=body, content_type=FORM)
        assert refused.status_code == 403
        assert refused.json["code"] == "notification_rejected"

    assert order_of(client, tenant, held)["status"] == "awaiting_payment"
    payment = call(client, tenant, "GET", f"/payments/{payment_id}", None, 200).json
    assert payment["status"] == "pending"
    assert points(client, tenant, buyer)["held"] == 2_000


def test_a_notification_for_an_unknown_payment_is_refused(client, tenant, svc):
    on_the_test_gateway(client, tenant, svc)
    unknown = client.post(NOTIFY, data=signed(svc, uuid.uuid4(), "succeeded"), content_type=FORM)
    assert (unknown.status_code, unknown.json["code"]) == (422, "unknown_payment")
    manual = client.post("/api/v1/payments/notify/manual", data=b"", content_type=FORM)
    assert manual.json["code"] == "unknown_payment_provider"


def test_a_notification_to_a_provider_nobody_installed_is_422(client):
    for name in ("alipay", "manual", "x" * 300):  # none, or one that takes no notifications
        refused = client.post(f"/api/v1/payments/notify/{name}", data=b"", content_type=FORM)
        assert refused.status_code == 422, refused.json
        assert refused.json["code"] == "unknown_payment_provider"
        assert refused.json["details"] == {"provider": name}  # the installed ones unlisted


def test_malformed_notifications_are_refused_never_500(client, tenant, svc):
    _, held = on_the_test_gateway(client, tenant, svc)
    gateway = svc.payment_providers.get("offline_test")
    signed_nonsense = [
        urlencode(gateway.notification(held["details"]["payment_id"], "maybe")).encode(),
        urlencode(gateway.notification("not-a-uuid", "succeeded")).encode(),
    ]
    bodies = [
        b"\xff\xfe\x00\x01",
        b'{"payment_id": "x", "status": "succeeded"}',
        b"payment_id&status&sign",
        b"%%%=&&==",
        b"sign=" + b"0" * 64,
        b"payment_id=" + b"9" * 5_000,
        *signed_nonsense,
    ]
    for body in bodies:
        for content_type in (FORM, "application/json", "application/octet-stream", None):
            refused = client.post(NOTIFY, data=body, content_type=content_type)
            assert refused.status_code == 403, (body, content_type, refused.json)
            assert refused.json["code"] == "notification_rejected"

    assert client.get(NOTIFY).status_code == 405
    assert order_of(client, tenant, held)["status"] == "awaiting_payment"


def test_a_notification_over_one_mebibyte_is_413_and_changes_nothing(client, tenant, svc):
    _, held = on_the_test_gateway(client, tenant, svc)
    body = signed(svc, held["details"]["payment_id"], "succeeded") + b"&pad=" + b"x" * 2**20

    refused = client.post(NOTIFY, data=body, content_type=FORM)

    assert (refused.status_code, refused.json["code"]) == (413, "payload_too_large")
    assert order_of(client, tenant, held)["status"] == "awaiting_payment"


def buttons(page: str) -> dict[str, tuple[str, dict[str, str]]]:
    """The page's forms, by the status they post: (action, fields)."""
    found = {}
    for form in re.findall(r"<form (.*?)</form>", page, re.S):
        action = re.search(r'action="([^"]+)"', form)[1]
        fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form))
        found[fields["status"]] = (action, fields)
    return found


def test_the_test_gateways_page_pays(client, tenant, svc):
    _, held = on_the_test_gateway(client, tenant, svc)
    payment_id = held["details"]["payment_id"]
    payment = call(client, tenant, "GET", f"/payments/{payment_id}", None, 200).json
    path = f"/pay/offline-test/{payment_id}"
    assert path in payment["instructions"]

    page = client.get(path)

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "测试支付网关" in html and "¥300.00" in html  # the merchant's language
    action, fields = buttons(html)["succeeded"]
    assert action == path  # posted back to the page, as the gateway's notification
    paid = client.post(action, data=fields)
    # The member is sent back to the order in the mall.
    assert paid.status_code == 303
    assert paid.headers["Location"] == f"/m/{tenant.slug}/orders/{held['id']}"
    assert order_of(client, tenant, held)["status"] == "paid"
    # A form whose signature does not verify changes nothing.
    forged = client.post(action, data=fields | {"status": "failed"})
    assert forged.status_code == 403 and order_of(client, tenant, held)["status"] == "paid"


def test_a_gateway_page_settles_its_own_payment_only(client, tenant, svc):
    _, first = on_the_test_gateway(client, tenant, svc)
    _, second = on_the_test_gateway(client, tenant, svc)
    second_page = client.get(f"/pay/offline-test/{second['details']['payment_id']}")
    _, fields = buttons(second_page.get_data(as_text=True))["succeeded"]

    crossed = client.post(f"/pay/offline-test/{first['details']['payment_id']}", data=fields)

    assert crossed.status_code == 400
    assert order_of(client, tenant, second)["status"] == "awaiting_payment"
    assert order_of(client, tenant, first)["status"] == "awaiting_payment"


def test_the_test_gateways_page_declines(client, tenant, svc):
    buyer, held = on_the_test_gateway(client, tenant, svc)
    html = client.get(f"/pay/offline-test/{held['details']['payment_id']}").get_data(as_text=True)

    action, fields = buttons(html)["failed"]
    assert client.post(action, data=fields).status_code == 303

    order = order_of(client, tenant, held)
    assert (order["status"], order["history"][-1]["note"]["reason"]) == (
        "cancelled",
        "payment failed",
    )
    assert (points(client, tenant, buyer)["balance"], points(client, tenant, buyer)["held"]) == (
        5_000,
        0,
    )
    assert get_product(client, tenant, order["product_id"])["stock"] == 5


def test_the_test_gateways_page_speaks_english_and_is_only_for_its_payments(
    client, tenant, svc, clock
):
    _, held = on_the_test_gateway(client, tenant, svc)
    gateway = svc.payment_providers.get("offline_test")
    request = PaymentRequest(uuid.uuid4(), 9_900, "CNY", "", expires_at=clock.now())

    english = gateway.payment_page(request, "en")

    assert "Offline test gateway" in english and ">Pay<" in english and ">Decline<" in english
    assert client.get(f"/pay/offline-test/{uuid.uuid4()}").status_code == 404
    assert client.get(f"/pay/manual/{held['details']['payment_id']}").status_code == 404

"""The console's orders: the list and its filters, an order's page (its address only for
staff who handle orders), shipping, cancelling and refunding from it, shipping from a
file (all rows or none, each wrong row named by its line), and the export."""

from __future__ import annotations

import csv
import io
import re
import uuid

import pytest
from conftest import sqlite_only
from mall.shop import ADDRESS, a_phone, awaiting_payment, balance, member, product, shipped
from rules.api import call
from sqlalchemy import select

from console.console_pages import CHINESE, ENGLISH, form_fields, page, post, signed_in_as, text
from console.orders_world import helped_order, paid_order
from jifen.audit import AuditEvent

pytestmark = sqlite_only


def send(client, url: str, data: dict, headers=ENGLISH):
    """Post to a form's action as its page does, with the CSRF token of the console."""
    token = form_fields(page(client, "/console/orders", headers))["csrf_token"]
    return client.post(url, data={"csrf_token": token} | data, headers=headers)


def order_of(client, tenant, order_id: str) -> dict:
    return call(client, tenant, "GET", f"/orders/{order_id}", None, 200).json


def a_member(client, tenant, external_id: str, phone: str | None = None) -> str:
    body = {"external_id": external_id} | ({"phone": phone} if phone else {})
    member_id = call(client, tenant, "POST", "/members", body, 201).json["id"]
    call(client, tenant, "POST", "/points/earn", {"member_id": member_id, "amount": 5_000}, 201)
    return member_id


# --- the list ------------------------------------------------------------------------


@pytest.mark.parametrize(("headers", "shipped_word"), [(ENGLISH, "Shipped"), (CHINESE, "已发货")])
def test_the_list_shows_the_orders_newest_first(client, svc, tenant, headers, shipped_word):
    first = paid_order(client, tenant, name="Jasmine tea")
    second = shipped(client, tenant, member(client, tenant, 1_000), product(client, tenant)["id"])
    signed_in_as(client, svc, tenant, "viewer", headers)

    listed = text(page(client, "/console/orders", headers))

    assert listed.index(f"#{second['id'][-8:].upper()}") < listed.index(
        f"#{first['id'][-8:].upper()}"
    )
    assert "Jasmine tea" in listed and shipped_word in listed


def test_the_list_filters_by_status_product_member_and_days(client, svc, tenant, clock):
    alice = a_member(client, tenant, "wx-alice", phone="13800138001")
    bob = a_member(client, tenant, "wx-bob")
    tea = paid_order(client, tenant, alice, name="Jasmine tea")
    clock.advance(days=2)
    mug = paid_order(client, tenant, bob, name="Travel mug")
    call(
        client,
        tenant,
        "POST",
        f"/orders/{mug['id']}:ship",
        {"carrier": "SF", "tracking_number": "1"},
    )
    signed_in_as(client, svc, tenant, "viewer")

    def found(query: str) -> set[str]:
        listed = page(client, f"/console/orders?{query}")
        return {o["id"] for o in (tea, mug) if f"/console/orders/{o['id']}" in listed}

    assert found("") == {tea["id"], mug["id"]}
    assert found("status=fulfilled") == {mug["id"]}
    assert found("product=jasmine") == {tea["id"]}
    assert found("product=mug+travel") == {mug["id"]}
    assert found("member=wx-bob") == {mug["id"]}
    assert found("member=138+0013+8001") == {tea["id"]}
    assert found(f"member={alice}") == {tea["id"]}
    day = clock.now().date().isoformat()
    assert found(f"placed_from={day}") == {mug["id"]}
    assert found(f"placed_until={day}&status=paid") == {tea["id"]}


@pytest.mark.parametrize("headers", [ENGLISH, CHINESE])
def test_wrong_filters_are_named_beside_their_fields(client, svc, tenant, headers):
    signed_in_as(client, svc, tenant, "viewer", headers)

    answer = client.get(
        "/console/orders?status=lost&member=nobody&placed_from=2026-02-30"
        "&placed_until=2025-01-01&product=<b>tea</b>",
        headers=headers,
    )

    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    for field in ("status", "member", "placed_from"):
        assert f'id="{field}-problem"' in html
    assert "&lt;b&gt;tea&lt;/b&gt;" in html and "<b>tea</b>" not in html
    for nasty in ("product=%00tea", "member=%00", "member=%2B86+138", "placed_from=0000-01-01"):
        assert client.get(f"/console/orders?{nasty}").status_code == 422, nasty
    mixed = client.get("/console/orders?placed_from=2026-03-02&placed_until=2026-03-01")
    assert mixed.status_code == 422 and "comes before the first" in text(mixed.get_data(True))


def test_the_list_pages_by_cursor(client, svc, tenant, monkeypatch):
    monkeypatch.setattr("jifen.console.orders.PAGE", 2)
    made = [paid_order(client, tenant)["id"] for _ in range(3)]
    signed_in_as(client, svc, tenant, "viewer")

    first = page(client, "/console/orders?status=paid")
    cursor = first.split("cursor=")[1].split("&")[0].split('"')[0]
    second = page(client, f"/console/orders?status=paid&cursor={cursor}")

    assert [o in first for o in made] == [False, True, True]
    assert [o in second for o in made] == [True, False, False]
    assert client.get("/console/orders?cursor=not-ours").status_code == 422
    assert client.get("/console/orders?cursor=" + "A" * 600).status_code == 422


# --- an order's page -----------------------------------------------------------------


def test_staff_who_handle_orders_see_where_an_order_goes(client, svc, tenant):
    order = paid_order(client, tenant, name="Jasmine tea")
    signed_in_as(client, svc, tenant, "operator")

    shown = text(page(client, f"/console/orders/{order['id']}"))

    assert "Jasmine tea" in shown and ADDRESS["line"] in shown and ADDRESS["phone"] in shown
    assert "Mark as shipped" in shown and "Cancel the order" in shown


@pytest.mark.parametrize("headers", [ENGLISH, CHINESE])
def test_a_viewer_sees_the_order_but_not_its_address_nor_its_forms(client, svc, tenant, headers):
    order = paid_order(client, tenant, name="Jasmine tea")
    signed_in_as(client, svc, tenant, "viewer", headers)

    html = page(client, f"/console/orders/{order['id']}", headers)

    assert "Jasmine tea" in html
    assert ADDRESS["line"] not in html and ADDRESS["phone"] not in html
    assert "/ship" not in html and "/cancel" not in html


def test_an_order_page_shows_its_payment_and_its_history(client, svc, tenant):
    buyer = member(client, tenant, 5_000)
    held = awaiting_payment(client, tenant, buyer, a_phone(client, tenant)["id"], address=ADDRESS)
    assert svc.jobs.wait_idle()
    call(client, tenant, "POST", f"/payments/{held['details']['payment_id']}:confirm", None, 200)
    signed_in_as(client, svc, tenant, "owner", CHINESE)

    shown = text(page(client, f"/console/orders/{held['id']}", CHINESE))

    assert "¥300.00" in shown and "manual" in shown
    assert shown.index("已下单") < shown.index("待付款")


# --- ship, cancel, refund ------------------------------------------------------------


def test_staff_ship_an_order_from_its_page(client, svc, tenant):
    order = paid_order(client, tenant)
    signed_in_as(client, svc, tenant, "operator")
    url = f"/console/orders/{order['id']}"

    answer = send(client, f"{url}/ship", {"carrier": "SF <i>Express</i>", "tracking_number": "SF9"})

    assert answer.status_code == 303 and answer.headers["Location"].endswith(url)
    shipped_order = order_of(client, tenant, order["id"])
    assert shipped_order["status"] == "fulfilled"
    assert shipped_order["delivery"] == {"carrier": "SF <i>Express</i>", "tracking_number": "SF9"}
    html = page(client, url)
    assert "The order is shipped." in text(html)
    assert "SF &lt;i&gt;Express&lt;/i&gt;" in html and "<i>Express" not in html
    assert "Operator" in text(html.split("History")[1])  # who shipped it


@pytest.mark.parametrize("headers", [ENGLISH, CHINESE])
def test_a_shipment_missing_its_tracking_number_is_refused_beside_it(client, svc, tenant, headers):
    order = paid_order(client, tenant)
    signed_in_as(client, svc, tenant, "operator", headers)
    url = f"/console/orders/{order['id']}"

    answer = send(client, f"{url}/ship", {"carrier": "S" * 65, "tracking_number": "  "}, headers)

    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert 'id="tracking_number-problem"' in html and 'id="carrier-problem"' in html
    assert order_of(client, tenant, order["id"])["status"] == "paid"


def test_shipping_an_order_shipped_meanwhile_says_so(client, svc, tenant):
    order = paid_order(client, tenant)
    signed_in_as(client, svc, tenant, "operator")
    url = f"/console/orders/{order['id']}"
    page(client, url)  # the form, open while a colleague ships it through the API
    call(
        client,
        tenant,
        "POST",
        f"/orders/{order['id']}:ship",
        {"carrier": "SF", "tracking_number": "A"},
    )

    answer = send(client, f"{url}/ship", {"carrier": "EMS", "tracking_number": "B"})

    assert answer.status_code == 409
    assert "cannot do that in its current state" in text(answer.get_data(as_text=True))
    assert order_of(client, tenant, order["id"])["delivery"]["tracking_number"] == "A"


def test_cancelling_an_order_gives_its_points_back(client, svc, tenant):
    buyer = member(client, tenant, 1_000)
    order = paid_order(client, tenant, buyer, points_price=300)
    signed_in_as(client, svc, tenant, "operator")

    answer = send(
        client, f"/console/orders/{order['id']}/cancel", {"cancel_reason": "Out of stock, sorry."}
    )

    assert answer.status_code == 303
    assert order_of(client, tenant, order["id"])["status"] == "cancelled"
    assert balance(client, tenant, buyer) == 1_000
    assert "Out of stock, sorry." in text(page(client, f"/console/orders/{order['id']}"))


def test_refunding_a_shipped_order_gives_it_back_whole_and_resolves_its_request(
    client, svc, tenant
):
    ids = helped_order(client, tenant, points_price=400)
    signed_in_as(client, svc, tenant, "operator")
    before = balance(client, tenant, ids["member_id"])

    answer = send(client, f"/console/orders/{ids['order_id']}/refund", {"refund_reason": ""})

    assert answer.status_code == 303
    assert order_of(client, tenant, ids["order_id"])["status"] == "refunded"
    assert balance(client, tenant, ids["member_id"]) == before + 400
    asked = call(client, tenant, "GET", f"/after-sales/{ids['after_sales_id']}", None, 200).json
    assert asked["status"] == "resolved"


def test_a_reason_too_long_refuses_the_refund(client, svc, tenant):
    ids = helped_order(client, tenant)
    signed_in_as(client, svc, tenant, "operator")

    answer = send(client, f"/console/orders/{ids['order_id']}/refund", {"refund_reason": "x" * 501})

    assert answer.status_code == 422
    assert 'id="refund_reason-problem"' in answer.get_data(as_text=True)
    assert order_of(client, tenant, ids["order_id"])["status"] == "completed"


def test_what_a_role_may_not_do_is_refused_and_changes_nothing(client, svc, tenant):
    order = paid_order(client, tenant)
    signed_in_as(client, svc, tenant, "viewer")
    url = f"/console/orders/{order['id']}"

    for action, data in (("ship", {"carrier": "SF", "tracking_number": "1"}), ("cancel", {})):
        assert send(client, f"{url}/{action}", data).status_code == 403
    assert client.get("/console/orders/shipping").status_code == 403
    assert order_of(client, tenant, order["id"])["status"] == "paid"


def test_another_merchants_order_is_not_there(client, svc, tenant, make_tenant):
    other = make_tenant("elsewhere")
    theirs = paid_order(client, other)
    signed_in_as(client, svc, tenant, "owner")

    assert client.get(f"/console/orders/{theirs['id']}").status_code == 404
    assert client.get(f"/console/orders/{uuid.uuid4()}").status_code == 404
    refused = send(
        client,
        f"/console/orders/{theirs['id']}/ship",
        {"carrier": "SF", "tracking_number": "1"},
    )
    assert refused.status_code == 404
    assert order_of(client, other, theirs["id"])["status"] == "paid"


# --- shipping from a file ------------------------------------------------------------


def upload(client, data: bytes, headers=ENGLISH, name: str = "shipments.csv"):
    return post(
        client,
        "/console/orders/shipping",
        {},
        headers,
        files={"file": (io.BytesIO(data), name)},
    )


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_a_file_of_tracking_numbers_ships_its_orders(client, svc, tenant, encoding):
    orders = [paid_order(client, tenant) for _ in range(2)]
    signed_in_as(client, svc, tenant, "operator")
    rows = "order_id,carrier,tracking_number,note\r\n" + "".join(
        f"{o['id']},顺丰速运,SF{n},\r\n" for n, o in enumerate(orders)
    )

    answer = upload(client, rows.encode(encoding))

    assert answer.status_code == 303, text(answer.get_data(as_text=True))
    assert [order_of(client, tenant, o["id"])["delivery"] for o in orders] == [
        {"carrier": "顺丰速运", "tracking_number": "SF0"},
        {"carrier": "顺丰速运", "tracking_number": "SF1"},
    ]
    assert "2 orders shipped." in text(page(client, answer.headers["Location"]))


@pytest.mark.parametrize(("headers", "required"), [(ENGLISH, "Required."), (CHINESE, "必填。")])
def test_a_file_with_wrong_lines_names_each_and_ships_nothing(
    client, svc, tenant, headers, required
):
    good = paid_order(client, tenant)
    done = shipped(client, tenant, member(client, tenant, 1_000))
    signed_in_as(client, svc, tenant, "operator", headers)
    rows = [
        "order_id,carrier,tracking_number",
        f"{good['id']},SF,SF1",
        "",
        f"{done['id']},SF,SF2",
        "not-an-id,SF,SF3",
        f"{uuid.uuid4()},SF,SF4",
        f'{good["id"]},"SF ""Express""",SF5',
        f"{paid_order(client, tenant)['id']},<script>x</script>,",
    ]

    answer = upload(client, "\n".join(rows).encode(), headers)

    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    lines = [int(n) for n in re.findall(r"<strong>[^<]*?(\d+)[^<]*</strong>", html)]
    assert lines == [4, 5, 6, 7, 8]
    said = text(html)
    assert f"tracking_number: {required}" in said
    if headers is ENGLISH:
        assert "Line 4: This order has shipped already." in said
    assert order_of(client, tenant, good["id"])["status"] == "paid"


def test_a_file_that_is_no_shipments_is_refused_whole(client, svc, tenant):
    signed_in_as(client, svc, tenant, "operator")

    for data in (b"id,carrier\n1,SF\n", b"\x00\xff\xfe\x00", b"order_id,carrier,tracking_number\n"):
        answer = upload(client, data)
        assert answer.status_code == 422, data
    no_file = post(client, "/console/orders/shipping", {})
    assert no_file.status_code == 422 and "Choose a CSV file." in text(no_file.get_data(True))
    unclosed = upload(client, b'order_id,carrier,tracking_number\n"x,SF,1\n')
    assert unclosed.status_code == 422


# --- the export ----------------------------------------------------------------------


def exported(client, data: dict | None = None, headers=ENGLISH) -> list[dict[str, str]]:
    answer = send(client, "/console/orders/export", data or {}, headers)
    assert answer.status_code == 200, answer.get_data(as_text=True)[:2000]
    assert answer.headers["Content-Type"].startswith("text/csv")
    assert answer.is_streamed
    body = answer.get_data(as_text=True)
    assert body.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(body[1:])))


def test_the_export_streams_every_page_of_the_filtered_orders(client, svc, tenant, monkeypatch):
    monkeypatch.setattr("jifen.console.orders_export.EXPORT_PAGE", 1)
    made = [paid_order(client, tenant, name=f"=HYPERLINK(tea {n})") for n in range(3)]
    shipped(client, tenant, member(client, tenant, 1_000))
    signed_in_as(client, svc, tenant, "operator")

    rows = exported(client, {"status": "paid"})

    assert [row["order_id"] for row in rows] == [o["id"] for o in reversed(made)]
    assert rows[0]["product"].startswith("'=HYPERLINK")
    assert (rows[0]["recipient"], rows[0]["address"]) == (ADDRESS["name"], ADDRESS["line"])
    assert (rows[0]["points"], rows[0]["status"], rows[0]["tracking_number"]) == ("100", "paid", "")
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        audited = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "order.export")
        ).one()
    assert audited.after == {"filters": {"status": "paid"}, "addresses": True}


def test_a_viewer_exports_the_figures_without_the_addresses(client, svc, tenant):
    alice = a_member(client, tenant, "wx-alice", phone="13800138001")
    paid_order(client, tenant, alice)
    paid_order(client, tenant)
    signed_in_as(client, svc, tenant, "viewer", CHINESE)

    rows = exported(client, {"member": "13800138001"}, CHINESE)

    assert [row["member"] for row in rows] == ["wx-alice"]
    assert "recipient" not in rows[0] and "phone" not in rows[0]
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        audited = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "order.export")
        ).one()
    assert audited.after == {"filters": {"member": alice}, "addresses": False}


def test_an_exported_file_filled_in_ships_its_orders(client, svc, tenant):
    made = [paid_order(client, tenant) for _ in range(2)]
    signed_in_as(client, svc, tenant, "operator")
    rows = exported(client, {"status": "paid"})
    for n, row in enumerate(rows):
        row |= {"carrier": "EMS", "tracking_number": f"E{n}"}
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)

    assert upload(client, out.getvalue().encode("utf-8-sig")).status_code == 303
    assert {order_of(client, tenant, o["id"])["status"] for o in made} == {"fulfilled"}


def test_an_export_with_wrong_filters_shows_them(client, svc, tenant):
    signed_in_as(client, svc, tenant, "viewer")

    answer = send(client, "/console/orders/export", {"placed_from": "yesterday"})

    assert answer.status_code == 422
    assert 'id="placed_from-problem"' in answer.get_data(as_text=True)

"""A member keeps an address book in the mall (/account/addresses): adds, edits, makes
one the default and deletes them (after a step that asks), each shown with its phone
half hidden, in their language; picks one when they redeem a physical item or give a
prize its address, or types a new one that is saved too unless they untick it. Bad
input is said field by field, an eleventh address is refused, another member's address
is a 404 wherever it is named, and nothing is written without the form's token."""

from __future__ import annotations

import json
import re

import pytest
from conftest import sqlite_only
from mall.shop import ADDRESS, balance, product
from rules.api import call
from test_member_addresses import OFFICE, book, save

from storefront.mall_pages import CHINESE, ENGLISH, form_fields, page, shopper, text
from storefront.test_lottery_pages import a_lottery
from storefront.test_redeem import confirm, confirmation, orders_of

pytestmark = sqlite_only


def book_url(tenant, tail: str = "") -> str:
    return f"/m/{tenant.slug}/account/addresses{tail}"


def add(client, tenant, headers=ENGLISH, **fields):
    form = form_fields(page(client, book_url(tenant, "/new"), headers))
    return client.post(book_url(tenant, "/new"), data=form | fields, headers=headers)


@pytest.mark.parametrize(
    ("headers", "says"),
    [
        (
            ENGLISH,
            {
                "empty": "No saved addresses yet.",
                "listed": "Office 李雷 · 139****9000 Default address 北京市 海淀区 中关村大街 1 号",
                "saved": "Address saved.",
                "ask": "Delete this address? Home 张伟 · 138****8000 Default address 上海市",
                "then": "世纪大道 200 号 Your newest other address becomes the default.",
                "deleted": "Address deleted.",
                "default": "This is your default address now.",
            },
        ),
        (
            CHINESE,
            {
                "empty": "还没有保存的地址。",
                "listed": "Office 李雷 · 139****9000 默认地址 北京市 海淀区 中关村大街 1 号",
                "saved": "地址已保存。",
                "ask": "删除这个地址？ Home 张伟 · 138****8000 默认地址 上海市",
                "then": "世纪大道 200 号 您最新保存的其他地址将成为默认地址。",
                "deleted": "地址已删除。",
                "default": "已设为默认地址。",
            },
        ),
    ],
)
def test_a_member_keeps_an_address_book(client, tenant, headers, says):
    alice = shopper(client, tenant)
    assert says["empty"] in text(page(client, book_url(tenant), headers))

    assert add(client, tenant, headers, **ADDRESS, label="Home").status_code == 303
    done = add(client, tenant, headers, **OFFICE, label="Office", is_default="on")

    assert done.status_code == 303 and done.headers["Location"] == book_url(tenant)
    listed = page(client, book_url(tenant), headers)
    assert says["saved"] in text(listed) and says["listed"] in text(listed)
    assert ADDRESS["phone"] not in listed and OFFICE["phone"] not in listed
    (home,) = [a for a in book(client, tenant, alice) if a["label"] == "Home"]

    edit = book_url(tenant, f"/{home['id']}/edit")
    form = form_fields(page(client, edit, headers)) | ADDRESS | {"label": "Home"}
    edited = client.post(edit, data=form | {"line": "世纪大道 200 号"}, headers=headers)
    assert edited.status_code == 303
    made = client.post(book_url(tenant, f"/{home['id']}/default"), data=form, headers=headers)
    assert made.status_code == 303
    assert says["default"] in text(page(client, book_url(tenant), headers))
    assert [a["line"] for a in (s["address"] for s in book(client, tenant, alice))] == [
        "世纪大道 200 号",
        OFFICE["line"],
    ]

    asked = page(client, book_url(tenant, f"/{home['id']}/delete"), headers)
    assert says["ask"] in text(asked) and says["then"] in text(asked)
    gone = client.post(book_url(tenant, f"/{home['id']}/delete"), data=form, headers=headers)

    assert gone.status_code == 303
    assert says["deleted"] in text(page(client, book_url(tenant), headers))
    assert [(a["label"], a["is_default"]) for a in book(client, tenant, alice)] == [
        ("Office", True)
    ]


@pytest.mark.parametrize(
    ("fields", "field", "says"),
    [
        (ADDRESS | {"name": ""}, "name", "Missing data for required field."),
        (ADDRESS | {"region": "   "}, "region", "Missing data for required field."),
        (ADDRESS | {"line": "号" * 301}, "line", "Longer than maximum length 300."),
        (ADDRESS | {"label": "L" * 21}, "label", "Longer than maximum length 20."),
    ],
)
def test_a_bad_address_is_said_by_its_field_and_nothing_is_saved(
    client, tenant, fields, field, says
):
    alice = shopper(client, tenant)

    refused = add(client, tenant, **fields)

    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert f'id="address-{field}-problem">{says}' in html
    assert f'value="{ADDRESS["name"]}"' in html or field == "name"  # what was typed is kept
    assert book(client, tenant, alice) == []


@pytest.mark.parametrize(
    ("headers", "says"),
    [
        (ENGLISH, "An address book keeps at most 10 addresses: delete one first."),
        (CHINESE, "地址簿最多保存 10 个地址，请先删除一个。"),
    ],
)
def test_an_eleventh_address_is_refused_on_the_page(client, tenant, headers, says):
    alice = shopper(client, tenant)
    for n in range(10):
        save(client, tenant, alice, ADDRESS | {"line": f"世纪大道 {n} 号"})
    assert 'href="/m/acme/account/addresses/new"' not in page(client, book_url(tenant), headers)

    refused = add(client, tenant, headers, **OFFICE)

    assert refused.status_code == 409 and says in text(refused.get_data(as_text=True))
    assert len(book(client, tenant, alice)) == 10


def test_the_same_address_sent_twice_is_saved_once(client, tenant):
    alice = shopper(client, tenant)
    form = form_fields(page(client, book_url(tenant, "/new")))

    for _ in range(2):
        client.post(book_url(tenant, "/new"), data=form | ADDRESS, headers=ENGLISH)

    assert len(book(client, tenant, alice)) == 1


def test_an_address_saved_again_takes_its_new_label_and_the_default(client, tenant):
    alice = shopper(client, tenant)
    add(client, tenant, **ADDRESS, label="Home")
    add(client, tenant, **OFFICE, label="Office")  # the default stays Home

    again = add(client, tenant, **OFFICE, label="Work", is_default="on")

    assert again.status_code == 303
    assert [(a["label"], a["is_default"]) for a in book(client, tenant, alice)] == [
        ("Work", True),
        ("Home", False),
    ]


def test_another_members_address_is_a_404_wherever_it_is_named(client, app, tenant):
    bob = shopper(client, tenant, user_id="wx-bob")
    bobs = save(client, tenant, bob, OFFICE)["id"]
    alice_phone = app.test_client()
    shopper(alice_phone, tenant, points=1_000)
    form = form_fields(page(alice_phone, book_url(tenant)))
    mug = product(client, tenant, name="Travel mug", points_price=300)

    for tail in ("/edit", "/delete"):
        page(alice_phone, book_url(tenant, f"/{bobs}{tail}"), status=404)
    for tail in ("/edit", "/delete", "/default"):
        posted = alice_phone.post(book_url(tenant, f"/{bobs}{tail}"), data=form | ADDRESS)
        assert posted.status_code == 404
    redeemed = confirm(alice_phone, tenant, mug["id"], ship_to=bobs)

    assert redeemed.status_code == 404
    assert "李雷" not in redeemed.get_data(as_text=True)
    assert balance(client, tenant, shopper_id(alice_phone, tenant)) == 1_000
    assert [(a["label"], a["address"]) for a in book(client, tenant, bob)] == [(None, OFFICE)]


def shopper_id(client, tenant) -> str:
    data = json.loads(client.get(f"/m/{tenant.slug}/account/data").get_data(as_text=True))
    return data["member"]["id"]


def test_a_form_without_its_token_or_a_signed_out_browser_changes_nothing(client, app, tenant):
    page(client, book_url(tenant), status=403)
    page(client, book_url(tenant, "/new"), status=403)
    alice = shopper(client, tenant)
    home = save(client, tenant, alice)["id"]

    assert client.post(book_url(tenant, "/new"), data=OFFICE).status_code == 400
    for tail in ("/edit", "/delete", "/default"):
        assert client.post(book_url(tenant, f"/{home}{tail}"), data=OFFICE).status_code == 400
    signed_out = app.test_client()
    assert signed_out.post(book_url(tenant, f"/{home}/delete"), data={}).status_code == 403
    assert [a["address"]["line"] for a in book(client, tenant, alice)] == [ADDRESS["line"]]


def test_what_a_member_types_is_shown_as_text(client, tenant):
    alice = shopper(client, tenant)
    sly = "<b>Home</b>"
    save(client, tenant, alice, ADDRESS | {"name": "<script>x</script>"}, label=sly)

    listed = page(client, book_url(tenant))

    assert "<script>x" not in listed and "&lt;script&gt;x&lt;/script&gt;" in listed
    assert "<b>Home" not in listed and "&lt;b&gt;Home&lt;/b&gt;" in listed


def test_the_data_download_has_the_address_book(client, tenant):
    alice = shopper(client, tenant)
    save(client, tenant, alice, OFFICE, label="Office")

    data = json.loads(client.get(f"/m/{tenant.slug}/account/data").get_data(as_text=True))

    (saved,) = data["addresses"]
    assert (saved["label"], saved["is_default"], saved["address"]) == ("Office", True, OFFICE)


# --- where an item ships -------------------------------------------------------------


def test_redeeming_offers_the_saved_addresses_with_the_default_chosen(client, tenant, clock):
    mug = product(client, tenant, name="Travel mug", points_price=300)
    alice = shopper(client, tenant, points=1_000)
    save(client, tenant, alice, ADDRESS, label="Home")
    clock.advance(minutes=1)
    office = save(client, tenant, alice, OFFICE, label="Office", is_default=True)["id"]

    html = confirmation(client, tenant, mug["id"])
    choices = re.findall(
        r'<input type="radio" id="[^"]+" name="ship_to" value="([^"]+)"( checked)?', html
    )
    assert choices[0] == (office, " checked") and choices[-1] == ("new", "")
    assert "139****9000" in html and OFFICE["phone"] not in html

    done = confirm(client, tenant, mug["id"], ship_to=office)

    assert done.status_code == 303
    assert OFFICE["line"] in text(page(client, done.headers["Location"]))
    (placed,) = orders_of(client, tenant, alice)
    assert placed["address"] == OFFICE
    assert len(book(client, tenant, alice)) == 2


@pytest.mark.parametrize("ticked", [True, False])
def test_a_new_address_is_saved_to_the_book_unless_unticked(client, tenant, ticked):
    mug = product(client, tenant, name="Travel mug", points_price=300)
    alice = shopper(client, tenant, points=1_000)
    html = confirmation(client, tenant, mug["id"])
    assert 'name="save" checked' in html and 'name="ship_to"' not in html  # an empty book

    form = form_fields(html) | ADDRESS | ({"save": "on"} if ticked else {})
    done = confirm(client, tenant, mug["id"], form=form)
    again = confirm(client, tenant, mug["id"], form=form)  # a double submit

    assert done.status_code == again.status_code == 303
    assert done.headers["Location"] == again.headers["Location"]
    assert len(orders_of(client, tenant, alice)) == 1
    saved = book(client, tenant, alice)
    assert [(s["address"]["line"], s["is_default"]) for s in saved] == (
        [(ADDRESS["line"], True)] if ticked else []
    )


def test_a_new_address_typed_beside_saved_ones_is_checked_field_by_field(client, tenant):
    mug = product(client, tenant, name="Travel mug", points_price=300)
    alice = shopper(client, tenant, points=1_000)
    save(client, tenant, alice, OFFICE)

    refused = confirm(client, tenant, mug["id"], ship_to="new", name="张伟", save="on")

    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'id="ship-to-new" name="ship_to" value="new" checked' in html
    assert 'id="address-phone-problem">Missing data for required field.' in html
    assert balance(client, tenant, alice) == 1_000 and len(book(client, tenant, alice)) == 1


def test_a_full_book_places_the_order_and_says_the_address_was_not_saved(client, tenant):
    mug = product(client, tenant, name="Travel mug", points_price=300)
    alice = shopper(client, tenant, points=1_000)
    for n in range(10):
        save(client, tenant, alice, OFFICE | {"line": f"中关村大街 {n} 号"})
    assert 'name="save"' not in confirmation(client, tenant, mug["id"])

    done = confirm(client, tenant, mug["id"], ship_to="new", save="on", **ADDRESS)

    assert done.status_code == 303
    order = text(page(client, done.headers["Location"]))
    assert "Your address book is full, so this address was not saved in it." in order
    assert ADDRESS["line"] in order and len(book(client, tenant, alice)) == 10


def test_a_prize_awaiting_its_address_takes_a_saved_one(client, tenant):
    scarf = {"code": "scarf", "name": "Silk scarf", "weight": 1, "stock": 5, "goods": True}
    wheel = a_lottery(
        client, tenant, [scarf, {"code": "thanks", "name": "+5", "weight": 0, "points": 5}]
    )
    alice = shopper(client, tenant, points=1_000)
    office = save(client, tenant, alice, OFFICE)["id"]
    drawn = confirm(client, tenant, wheel["id"])
    order_page = page(client, drawn.headers["Location"])
    assert f'value="{office}" checked' in order_page
    action = re.search(r'action="([^"]+/address)"', order_page)[1]

    given = client.post(action, data=form_fields(order_page) | {"ship_to": office})

    assert given.status_code == 303
    (won,) = orders_of(client, tenant, alice)
    assert (won["status"], won["address"]) == ("paid", OFFICE)
    assert call(client, tenant, "GET", f"/orders/{won['id']}", None, 200).json["address"] == OFFICE


def test_editing_an_address_without_a_postal_code_keeps_it_without_one(client, tenant):
    alice = shopper(client, tenant)
    saved = save(client, tenant, alice, ADDRESS | {"postal_code": None}, label="Home")
    edit = book_url(tenant, f"/{saved['id']}/edit")
    html = page(client, edit)
    typed = dict(
        re.findall(r'<input id="address-\w+" name="(\w+)" type="\w+"[^>]* value="([^"]*)"', html)
    )
    assert typed["postal_code"] == ""  # an empty field, not "None"

    sent = client.post(edit, data=form_fields(html) | typed | {"label": "Home"})

    assert sent.status_code == 303
    (kept,) = book(client, tenant, alice)
    assert kept["address"]["postal_code"] is None

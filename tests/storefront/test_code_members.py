"""Where the merchant chooses, a visitor whose phone or email is no member's becomes one
by signing in with a code: registered like any new member (the welcome rule pays), found
again at the next sign-in; where it does not, the page says the address is nobody's, as
before. The merchant then gives the member its own user id, or merges it into its own
member, and the visitor's browser goes on signed in as that member."""

from __future__ import annotations

import pytest
from conftest import sqlite_only
from rules.api import call, rule

from storefront.mall_pages import CHINESE, ENGLISH, page, text
from storefront.test_check_in import balance
from storefront.test_code_sign_in import ask, enter, sent_code, sms  # noqa: F401 (a fixture)

pytestmark = sqlite_only

PHONE = "13800001111"


@pytest.fixture
def codes_make_members(client, tenant):
    body = {"sign_in_methods": ["link", "code"], "code_sign_in_creates_members": True}
    settings = call(client, tenant, "PATCH", "/tenant", body, 200).json
    assert settings["code_sign_in_creates_members"] is True


def sign_in_with_code(client, tenant, svc, sms, address: str = PHONE, headers=ENGLISH):  # noqa: F811
    asked = ask(client, tenant, address, headers)
    return enter(client, asked.headers["Location"], sent_code(svc, sms), headers)


def made(client, tenant) -> list[dict]:
    return call(client, tenant, "GET", "/members?status=active", None, 200).json["items"]


@pytest.mark.parametrize("headers", [ENGLISH, CHINESE])
def test_without_the_choice_an_address_that_is_nobodys_makes_no_member(
    client,
    tenant,
    svc,
    sms,  # noqa: F811
    headers,
):
    call(client, tenant, "PATCH", "/tenant", {"sign_in_methods": ["code"]}, 200)

    refused = sign_in_with_code(client, tenant, svc, sms, headers=headers)

    assert refused.status_code == 403
    said = text(refused.get_data(as_text=True))
    assert ("No member of this mall" if headers is ENGLISH else "本商城") in said
    assert made(client, tenant) == []


@pytest.mark.parametrize(("headers", "greeting"), [(ENGLISH, "My account"), (CHINESE, "我的账户")])
def test_a_visitor_becomes_a_member_and_the_next_sign_in_finds_the_same_one(
    client,
    tenant,
    svc,
    sms,  # noqa: F811
    codes_make_members,
    headers,
    greeting,
):
    rule(client, tenant, "task", {"event": "registered", "points": 100, "title": "welcome"})

    signed_in = sign_in_with_code(client, tenant, svc, sms, "138 0000 1111", headers)

    assert signed_in.status_code == 303 and signed_in.headers["Location"] == f"/m/{tenant.slug}/"
    (member,) = made(client, tenant)
    assert (member["origin"], member["external_id"], member["phone"]) == ("code", None, PHONE)
    assert balance(client, tenant, member["id"]) == 100  # the welcome rule paid
    assert greeting in text(page(client, f"/m/{tenant.slug}/account", headers))
    assert "None" not in text(page(client, f"/m/{tenant.slug}/", headers))  # no name yet
    phone = client.application.test_client()  # another browser
    again = sign_in_with_code(phone, tenant, svc, sms, PHONE, headers)
    assert again.status_code == 303
    assert [m["id"] for m in made(client, tenant)] == [member["id"]]
    assert greeting in text(page(phone, f"/m/{tenant.slug}/account", headers))


def test_a_frozen_members_address_makes_no_new_member(
    client,
    tenant,
    svc,
    sms,  # noqa: F811
    codes_make_members,
):
    body = {"external_id": "wx-frozen", "phone": PHONE}
    frozen = call(client, tenant, "POST", "/members", body, 201).json["id"]
    call(client, tenant, "PATCH", f"/members/{frozen}", {"status": "frozen"}, 200)

    assert sign_in_with_code(client, tenant, svc, sms).status_code == 403
    assert made(client, tenant) == []


def test_the_merchant_gives_the_member_its_user_id(
    client,
    tenant,
    svc,
    sms,  # noqa: F811
    codes_make_members,
):
    sign_in_with_code(client, tenant, svc, sms)
    (member,) = made(client, tenant)

    given = call(client, tenant, "PATCH", f"/members/{member['id']}", {"external_id": "wx-7"}, 200)

    assert (given.json["external_id"], given.json["origin"]) == ("wx-7", "code")
    found = call(client, tenant, "GET", "/members?external_id=wx-7", None, 200).json["items"]
    assert [m["id"] for m in found] == [member["id"]]
    # Now the merchant's: not merged into another.
    alice = call(client, tenant, "POST", "/members", {"external_id": "wx-alice"}, 201).json["id"]
    refused = call(client, tenant, "POST", f"/members/{member['id']}:merge", {"into_id": alice})
    assert (refused.status_code, refused.json["code"]) == (409, "not_code_made")


@pytest.mark.parametrize(
    ("headers", "hello"), [(ENGLISH, "Hello, Alice"), (CHINESE, "Alice，您好")]
)
def test_after_a_merge_the_visitors_browser_is_signed_in_as_the_merchants_member(
    client,
    tenant,
    svc,
    sms,  # noqa: F811
    codes_make_members,
    headers,
    hello,
):
    sign_in_with_code(client, tenant, svc, sms, headers=headers)
    (visitor,) = made(client, tenant)
    call(client, tenant, "POST", "/points/earn", {"member_id": visitor["id"], "amount": 30}, 201)
    alice = call(
        client, tenant, "POST", "/members", {"external_id": "wx-alice", "name": "Alice"}, 201
    )

    body = {"into_external_id": "wx-alice"}
    merged = call(client, tenant, "POST", f"/members/{visitor['id']}:merge", body, 200).json

    assert (merged["status"], merged["merged_into"]) == ("merged", alice.json["id"])
    home = text(page(client, f"/m/{tenant.slug}/", headers))
    assert hello in home
    assert balance(client, tenant, alice.json["id"]) == 30
    found = call(client, tenant, "GET", f"/members/{alice.json['id']}", None, 200).json
    assert found["phone"] == PHONE  # Alice had none

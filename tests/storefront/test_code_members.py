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


def merged_into_alice(client, tenant, svc, sms, **alice) -> tuple[str, str]:  # noqa: F811
    """The visitor's member, made at their code sign-in, and the merchant's Alice it was
    merged into; the welcome rule pays 100."""
    rule(client, tenant, "task", {"event": "registered", "points": 100, "title": "welcome"})
    sign_in_with_code(client, tenant, svc, sms)
    (visitor,) = made(client, tenant)
    body = {"external_id": "wx-alice", "name": "Alice", **alice}
    alice_id = call(client, tenant, "POST", "/members", body, 201).json["id"]
    merge = f"/members/{visitor['id']}:merge"
    call(client, tenant, "POST", merge, {"into_id": alice_id}, 200)
    return visitor["id"], alice_id


@pytest.mark.parametrize("own", [{"phone": "13900002222"}, {}])
def test_after_a_merge_the_visitors_next_code_signs_in_the_member_merged_into(
    client,
    tenant,
    svc,
    sms,  # noqa: F811
    codes_make_members,
    own,
):
    _, alice = merged_into_alice(client, tenant, svc, sms, **own)
    assert balance(client, tenant, alice) == 100 + 100  # Alice's welcome and the visitor's

    phone = client.application.test_client()  # the visitor's other browser
    assert sign_in_with_code(phone, tenant, svc, sms, PHONE).status_code == 303

    assert "Hello, Alice" in text(page(phone, f"/m/{tenant.slug}/", ENGLISH))
    assert [m["id"] for m in made(client, tenant)] == [alice]  # no new member
    assert balance(client, tenant, alice) == 100 + 100  # no second welcome gift
    mine = call(client, tenant, "GET", f"/members/{alice}", None, 200).json
    assert mine["phone"] == own.get("phone", PHONE)


def test_erasing_the_member_merged_into_leaves_nothing_that_finds_the_person(
    client,
    tenant,
    svc,
    sms,  # noqa: F811
    codes_make_members,
):
    visitor, alice = merged_into_alice(client, tenant, svc, sms, phone="13900002222")

    call(client, tenant, "POST", f"/members/{alice}/erasure", None, 200)

    for phone in (PHONE, "13900002222"):
        found = call(client, tenant, "GET", f"/members?phone={phone}", None, 200).json
        assert found["items"] == []
    browser = client.application.test_client()
    assert sign_in_with_code(browser, tenant, svc, sms, PHONE).status_code == 303
    (stranger,) = made(client, tenant)  # someone new to the mall
    assert stranger["id"] not in (visitor, alice) and stranger["phone"] == PHONE

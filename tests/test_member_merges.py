"""POST /members/{id}:merge: the merchant merges a member the mall made at a code sign-in
into its own member. Everything moves (points with their dates and a reservation, an
order and its coupon, a check-in, an invitation, a notice choice), the merged member
says where it went, a repeat changes nothing, the merge is audited and announced, the
books verify; and every refusal has its own code."""

from __future__ import annotations

import uuid

import pytest
from mall.shop import ADDRESS, help_asked, placed, reviewed, shipped
from rules.api import call, member, rule
from sqlalchemy import select
from storefront.mall_pages import ENGLISH, coffee_card, shopper, text
from storefront.test_check_in import balance, check_in_form
from storefront.test_code_members import PHONE, made, sign_in_with_code
from storefront.test_code_sign_in import sms  # noqa: F401 (a fixture)
from storefront.test_invites import invite_link
from storefront.test_notice_choices import turn_off_reminders
from storefront.test_sign_in_links import link, new_key
from test_domain_events import logged

from jifen.audit import AuditEvent
from jifen.db import cross_tenant
from jifen.ledger.verify import verify_tenant
from jifen.members.models import Checkin, NoticeChoice, Referral


def code_sign_in_makes_members(client, tenant) -> None:
    body = {"sign_in_methods": ["link", "code"], "code_sign_in_creates_members": True}
    call(client, tenant, "PATCH", "/tenant", body, 200)


@pytest.fixture
def visitor(client, tenant, svc, sms):  # noqa: F811
    """A member the mall made for a visitor who signed in with a code, in `client`."""
    code_sign_in_makes_members(client, tenant)
    assert sign_in_with_code(client, tenant, svc, sms).status_code == 303
    (made_for_code,) = made(client, tenant)
    return made_for_code["id"]


def merge(client, tenant, member_id: str, body: dict, status: int | None = None, **headers):
    response = client.post(
        f"/api/v1/members/{member_id}:merge", json=body, headers=tenant.headers | headers
    )
    if status is not None:
        assert response.status_code == status, response.json
    return response


def rows(svc, model, member_column, member_id: str) -> list:
    with svc.db.session() as session, cross_tenant(session, "test"):
        return list(session.scalars(select(model).where(member_column == uuid.UUID(member_id))))


def test_everything_of_the_visitor_moves_to_the_merchants_member(
    app,
    client,
    tenant,
    svc,
    sms,  # noqa: F811
):
    code_sign_in_makes_members(client, tenant)
    inviter = app.test_client()
    friend = shopper(inviter, tenant, user_id="wx-friend")
    client.get(invite_link(inviter, tenant).removeprefix("http://localhost"))
    assert sign_in_with_code(client, tenant, svc, sms).status_code == 303
    (visitor,) = [m["id"] for m in made(client, tenant) if m["origin"] == "code"]
    rule(client, tenant, "checkin", {"points": 5})
    action, form = check_in_form(client, tenant)
    assert client.post(action, data=form).status_code == 303
    turn_off_reminders(client, tenant)
    call(client, tenant, "POST", "/points/earn", {"member_id": visitor, "amount": 500}, 201)
    order = placed(client, tenant, visitor, coffee_card(client, tenant, points=100)["id"])
    body = {"member_id": visitor, "kind": "reserve", "amount": 50, "reference": "till-1"}
    hold = call(client, tenant, "POST", "/holds", body, 201).json
    alice = member(client, tenant, "wx-alice", name="Alice")
    key = {"Idempotency-Key": "merge-1"}

    merged = merge(client, tenant, visitor, {"into_external_id": "wx-alice"}, 200, **key).json
    replayed = merge(client, tenant, visitor, {"into_external_id": "wx-alice"}, 200, **key)
    again = merge(client, tenant, visitor, {"into_id": alice}, 200).json

    assert (merged["status"], merged["merged_into"], merged["phone"]) == ("merged", alice, None)
    assert replayed.headers["Idempotent-Replayed"] == "true" and again == merged
    points = call(client, tenant, "GET", f"/members/{alice}/points", None, 200).json
    assert (points["balance"], points["held"]) == (5 + 500 - 100 - 50, 50)
    assert call(client, tenant, "GET", f"/holds/{hold['id']}", None, 200).json["member_id"] == alice
    assert (
        call(client, tenant, "GET", f"/orders/{order['id']}", None, 200).json["member_id"] == alice
    )
    mine = call(client, tenant, "GET", f"/members/{alice}", None, 200).json
    assert (mine["name"], mine["phone"]) == ("Alice", PHONE)
    assert [row.member_id for row in rows(svc, Checkin, Checkin.member_id, alice)] != []
    assert [row.inviter_id for row in rows(svc, Referral, Referral.invitee_id, alice)] == [
        uuid.UUID(friend)
    ]
    (choice,) = rows(svc, NoticeChoice, NoticeChoice.member_id, alice)
    assert choice.wanted is False
    assert "Hello, Alice" in client.get(f"/m/{tenant.slug}/").get_data(as_text=True)
    (event,) = logged(svc, "member.merged")
    assert event.payload == {"member_id": visitor, "into_id": alice}
    with svc.db.session() as session, cross_tenant(session, "test"):
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.object_id == visitor)
        ).all()
        assert {"member.merge", "points.merge"} <= set(actions)
        assert verify_tenant(session.connection(), tenant.tenant_id) is None


def test_refusals_have_their_own_codes(client, tenant, make_tenant, visitor):
    alice = member(client, tenant, "wx-alice")
    other = make_tenant("other")
    theirs = member(client, other, "wx-alice")
    frozen = member(client, tenant, "wx-frozen")
    call(client, tenant, "PATCH", f"/members/{frozen}", {"status": "frozen"}, 200)

    def refused(member_id: str, body: dict, status: int) -> str:
        return merge(client, tenant, member_id, body, status).json["code"]

    assert refused(visitor, {"into_id": visitor}, 422) == "merge_into_itself"
    assert refused(visitor, {"into_id": theirs}, 422) == "unknown_member"
    assert refused(visitor, {"into_external_id": "wx-nobody"}, 422) == "unknown_member"
    assert refused(theirs, {"into_id": alice}, 404) == "not_found"
    assert refused(alice, {"into_id": visitor}, 409) == "not_code_made"
    assert refused(visitor, {"into_id": frozen}, 409) == "member_not_active"
    assert refused(visitor, {}, 422) == "validation_error"
    assert refused(visitor, {"into_id": alice, "into_external_id": "wx-alice"}, 422) == (
        "validation_error"
    )
    merge(client, tenant, visitor, {"into_id": alice}, 200)
    assert refused(visitor, {"into_id": frozen}, 409) == "member_merged"
    changed = call(client, tenant, "PATCH", f"/members/{visitor}", {"name": "V"}, 409).json
    assert changed["code"] == "member_merged"


def test_reviews_requests_for_help_and_saved_addresses_move_too(client, tenant, svc, visitor):
    call(client, tenant, "POST", "/points/earn", {"member_id": visitor, "amount": 5_000}, 201)
    voucher = placed(client, tenant, visitor, coffee_card(client, tenant, points=100)["id"])
    review = reviewed(client, tenant, voucher["id"], 5, "Good")
    asked = help_asked(client, tenant, shipped(client, tenant, visitor))
    alice = member(client, tenant, "wx-alice", name="Alice")
    home = {"address": ADDRESS, "label": "Home"}
    call(client, tenant, "POST", f"/members/{alice}/addresses", home, 201)
    for n in range(10):  # the visitor's book is full: ten, the newest last
        office = {"address": ADDRESS | {"line": f"{n} Nanjing Rd"}, "label": f"O{n}"}
        call(client, tenant, "POST", f"/members/{visitor}/addresses", office, 201)

    merge(client, tenant, visitor, {"into_id": alice}, 200)

    assert (
        call(client, tenant, "GET", f"/reviews/{review['id']}", None, 200).json["member_id"]
        == alice
    )
    assert (
        call(client, tenant, "GET", f"/after-sales/{asked['id']}", None, 200).json["member_id"]
        == alice
    )
    book = call(client, tenant, "GET", f"/members/{alice}/addresses", None, 200).json["items"]
    # Alice's own default first, then the visitor's newest nine: a book holds ten.
    assert [a["label"] for a in book] == ["Home", *[f"O{n}" for n in range(9, 0, -1)]]
    assert [a["is_default"] for a in book] == [True] + [False] * 9
    gone = call(client, tenant, "GET", f"/members/{visitor}/addresses", None, 200).json
    assert gone["items"] == []
    # A merged member keeps nothing personal: no address can be saved to it.
    refused = call(client, tenant, "POST", f"/members/{visitor}/addresses", home, 409).json
    assert refused["code"] == "member_merged"


def test_your_tags_of_both_are_the_member_merged_intos(client, tenant, visitor):
    call(client, tenant, "PATCH", f"/members/{visitor}", {"tags": ["vip", "from-mall"]}, 200)
    alice = member(client, tenant, "wx-alice")
    call(client, tenant, "PATCH", f"/members/{alice}", {"tags": ["vip", "store"]}, 200)

    merged = merge(client, tenant, visitor, {"into_id": alice}, 200).json

    assert merged["tags"] == []
    mine = call(client, tenant, "GET", f"/members/{alice}", None, 200).json
    assert mine["tags"] == ["from-mall", "store", "vip"]
    tagged = call(client, tenant, "GET", "/members?tag=from-mall", None, 200).json["items"]
    assert [m["id"] for m in tagged] == [alice]


def test_the_merged_members_invite_link_invites_friends_of_the_member_merged_into(
    app, client, tenant, visitor
):
    call(client, tenant, "PATCH", "/tenant", {"auto_create_members": True}, 200)
    rule(client, tenant, "referral", {"inviter_registered": 100})
    url = invite_link(client, tenant).removeprefix("http://localhost")  # the visitor's
    alice = member(client, tenant, "wx-alice", name="Alice")
    merge(client, tenant, visitor, {"into_id": alice}, 200)

    code = url.rsplit("/", 1)[1]
    inviter = call(client, tenant, "GET", f"/members/invite-codes/{code}", None, 200).json
    assert inviter["id"] == alice
    friend = app.test_client()
    opened = friend.get(url, headers=ENGLISH)
    assert "A** invited you to Acme" in text(opened.get_data(as_text=True))
    assert friend.get(link(tenant, new_key(client, tenant), "wx-bob")).status_code == 303
    assert balance(client, tenant, alice) == 100

"""Inviting friends: a member's invite link and its QR code, in both languages; the
page the link opens, which remembers who invited the browser; a member the mall then
creates for it recorded as the invitee, which the referral rule pays. A forged code, or
another mall's, opens the 404 page; a registered friend, or the inviter, records none."""

from __future__ import annotations

import re
from html import unescape

import pytest
from conftest import sqlite_only
from rules.api import call, rule

from jifen.members.invites import CODE_LENGTH
from storefront.mall_pages import CHINESE, ENGLISH, page, shopper, text
from storefront.test_check_in import balance
from storefront.test_sign_in_links import link, new_key

pytestmark = sqlite_only


def invite_link(client, tenant, headers=ENGLISH) -> str:
    html = page(client, f"/m/{tenant.slug}/account/invite", headers)
    (found,) = re.findall(r'<textarea id="invite-link"[^>]*>([^<]+)</textarea>', html)
    return unescape(found)


@pytest.mark.parametrize(
    ("headers", "says"),
    [
        (ENGLISH, ["Invite friends", "joins Acme as your invitee"]),
        (CHINESE, ["邀请好友", "即可成为您邀请的好友加入 Acme"]),
    ],
)
def test_a_member_has_an_invite_link_and_its_qr_code(client, tenant, headers, says):
    shopper(client, tenant)

    html = page(client, f"/m/{tenant.slug}/account/invite", headers)

    for words in says:
        assert words in text(html)
    assert re.search(r'<img class="card-qr" src="data:image/svg\+xml', html)
    url = invite_link(client, tenant)
    assert re.fullmatch(rf"http://localhost/m/{tenant.slug}/invite/[\w-]{{{CODE_LENGTH}}}", url)


def test_a_friend_the_mall_creates_is_recorded_as_the_invitee_and_paid_for(app, client, tenant):
    call(client, tenant, "PATCH", "/tenant", {"auto_create_members": True}, 200)
    rule(client, tenant, "referral", {"inviter_registered": 100, "invitee_registered": 20})
    alice = shopper(client, tenant)
    url = invite_link(client, tenant).removeprefix("http://localhost")
    friend = app.test_client()

    opened = friend.get(url, headers=ENGLISH)
    assert "A** invited you to Acme" in text(opened.get_data(as_text=True))  # not her name
    remembered = f"jifen_invite_{tenant.tenant_id.hex}"
    assert friend.get_cookie(remembered) is not None
    signed = friend.get(link(tenant, new_key(client, tenant), "wx-bob"))

    assert signed.status_code == 303
    assert balance(client, tenant, alice) == 100
    bob = call(client, tenant, "GET", "/members?external_id=wx-bob", None, 200).json["items"][0]
    assert balance(client, tenant, bob["id"]) == 20
    assert friend.get_cookie(remembered) is None  # recorded once: the browser forgets


def test_a_friend_registered_already_is_no_invitee(app, client, tenant):
    rule(client, tenant, "referral", {"inviter_registered": 100})
    alice = shopper(client, tenant)
    call(client, tenant, "POST", "/members", {"external_id": "wx-bob"}, 201)
    url = invite_link(client, tenant).removeprefix("http://localhost")
    friend = app.test_client()
    friend.get(url)

    assert friend.get(link(tenant, new_key(client, tenant), "wx-bob")).status_code == 303
    assert balance(client, tenant, alice) == 0


def test_the_inviter_opening_their_own_link_is_told_they_are_a_member(client, tenant):
    shopper(client, tenant)
    url = invite_link(client, tenant).removeprefix("http://localhost")

    opened = client.get(url, headers=ENGLISH)

    assert "You are a member already." in text(opened.get_data(as_text=True))
    assert "jifen_invite_" not in opened.headers.get("Set-Cookie", "")


def test_a_forged_or_another_malls_code_opens_the_404_page(app, client, tenant, make_tenant):
    shopper(client, tenant)
    code = invite_link(client, tenant).rsplit("/", 1)[1]
    forged = code[:-2] + ("AA" if not code.endswith("AA") else "BB")
    other = make_tenant("other")

    for url in (
        f"/m/{tenant.slug}/invite/{forged}",
        f"/m/{tenant.slug}/invite/short",
        f"/m/{tenant.slug}/invite/{'é' * CODE_LENGTH}",
        f"/m/{other.slug}/invite/{code}",
    ):
        assert app.test_client().get(url).status_code == 404, url


def test_the_merchant_learns_the_inviter_from_the_code(client, tenant, make_tenant):
    alice = shopper(client, tenant)
    code = invite_link(client, tenant).rsplit("/", 1)[1]

    inviter = call(client, tenant, "GET", f"/members/invite-codes/{code}", None, 200).json

    assert (inviter["id"], inviter["external_id"]) == (alice, "wx-alice")
    forged = code[:-2] + ("AA" if not code.endswith("AA") else "BB")
    other = make_tenant("other")
    for asker, asked in ((tenant, forged), (tenant, "short"), (other, code)):
        missing = call(client, asker, "GET", f"/members/invite-codes/{asked}", None, 404).json
        assert missing["code"] == "not_found" and missing["details"] == {"resource": "invite_code"}
    call(client, tenant, "POST", f"/members/{alice}/erasure", None, 200)
    call(client, tenant, "GET", f"/members/invite-codes/{code}", None, 404)


def test_a_signed_out_browser_has_no_invite_page(client, tenant):
    page(client, f"/m/{tenant.slug}/account/invite", status=403)

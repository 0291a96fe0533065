"""A member opens their mall from the merchant's app by a signed link: the link signs
them in to that tenant's mall once, within its life, and any fault in it (forged,
expired, replayed, a revoked key, another mall's link, a member the merchant has not
registered) leaves them signed out with the same page and nothing written."""

from __future__ import annotations

import re
import textwrap
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from conftest import START, sqlite_only
from rules.api import call, member

from jifen.members import sign_in_links
from jifen.members.models import SignInKey, SignInNonce

CHINESE = {"Accept-Language": "zh-CN"}
ENGLISH = {"Accept-Language": "en"}
REFUSED = "This sign-in link cannot be used. Open the mall again from the app."


def new_key(client, tenant) -> dict:
    return call(client, tenant, "POST", "/tenant/sign-in-keys", None, 201).json


def link(tenant, key: dict, user_id: str, *, now=START, life=sign_in_links.MAX_LIFE) -> str:
    query = sign_in_links.link_query(
        key["id"], key["secret"], tenant.slug, user_id, now=now, life=life
    )
    return f"/m/{tenant.slug}/sign-in?{query}"


def with_param(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {name: values[0] for name, values in parse_qs(parts.query).items()} | changes
    return f"{parts.path}?{urlencode(query)}"


def signed_in_home(client, tenant, headers=ENGLISH) -> str:
    return client.get(f"/m/{tenant.slug}/", headers=headers).get_data(as_text=True)


def earned(client, tenant, member_id: str, points: int) -> None:
    body = {"member_id": member_id, "amount": points}
    call(client, tenant, "POST", "/points/earn", body, 201)


def nonces(svc, tenant) -> int:
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        return session.query(SignInNonce).count()


def test_a_link_signs_the_member_in_and_the_mall_greets_them(client, tenant):
    alice = member(client, tenant, "wx-alice", name="Alice")
    earned(client, tenant, alice, 1_250)
    url = link(tenant, new_key(client, tenant), "wx-alice")

    opened = client.get(url)

    assert opened.status_code == 303
    assert opened.headers["Location"] == f"/m/{tenant.slug}/"
    page = signed_in_home(client, tenant)
    assert "Hello, Alice" in page and "1,250" in page
    assert "Alice，您好" in signed_in_home(client, tenant, CHINESE)


def test_a_link_opens_the_mall_once(client, tenant, svc):
    member(client, tenant, "wx-alice")
    url = link(tenant, new_key(client, tenant), "wx-alice")
    assert client.get(url).status_code == 303
    client.delete_cookie(f"jifen_mall_{tenant.tenant_id.hex}")

    again = client.get(url)

    assert again.status_code == 403 and REFUSED in again.get_data(as_text=True)
    assert "Hello" not in signed_in_home(client, tenant)
    assert nonces(svc, tenant) == 1


@sqlite_only
@pytest.mark.parametrize(
    "fault",
    [
        {"sig": "0" * 64},
        {"member": "wx-bob"},  # signed for another member
        {"expires": "99999999999"},
        {"expires": "²"},
        {"expires": ""},
        {"nonce": "short"},
        {"nonce": "x" * 65},
        {"nonce": "abcdefghijklmnop<script>"},
        {"key": "sk_000000000000"},
        {"key": "k" * 300},
        {"member": ""},
        {"member": "m" * 129},
    ],
)
def test_a_tampered_link_is_refused_with_the_same_page_and_writes_nothing(
    client, tenant, svc, fault
):
    member(client, tenant, "wx-alice")
    member(client, tenant, "wx-bob")
    url = with_param(link(tenant, new_key(client, tenant), "wx-alice"), **fault)

    opened = client.get(url)

    assert opened.status_code == 403
    assert REFUSED in opened.get_data(as_text=True)
    assert "Set-Cookie" not in opened.headers or "jifen_mall" not in opened.headers["Set-Cookie"]
    assert nonces(svc, tenant) == 0


@sqlite_only
def test_an_expired_link_or_one_that_lives_too_long_is_refused(client, tenant, svc, clock):
    member(client, tenant, "wx-alice")
    key = new_key(client, tenant)
    too_long = link(tenant, key, "wx-alice", life=sign_in_links.MAX_LIFE + timedelta(seconds=1))
    stale = link(tenant, key, "wx-alice")

    assert client.get(too_long).status_code == 403
    clock.advance(seconds=sign_in_links.MAX_LIFE.total_seconds())
    assert client.get(stale).status_code == 403
    assert nonces(svc, tenant) == 0


def test_a_revoked_keys_links_open_nothing(client, tenant):
    member(client, tenant, "wx-alice")
    key = new_key(client, tenant)
    url = link(tenant, key, "wx-alice")

    revoked = call(client, tenant, "POST", f"/tenant/sign-in-keys/{key['id']}:revoke", None, 200)

    assert revoked.json["revoked_at"] is not None
    assert client.get(url).status_code == 403


def test_a_link_for_another_mall_or_with_its_key_opens_neither(client, tenant, make_tenant):
    other = make_tenant("other")
    member(client, tenant, "wx-alice")
    member(client, other, "wx-alice")
    ours, theirs = new_key(client, tenant), new_key(client, other)

    signed_for_us = link(tenant, ours, "wx-alice").replace(f"/m/{tenant.slug}/", "/m/other/")
    their_key_here = link(tenant, theirs, "wx-alice")  # their secret, our slug

    assert client.get(signed_for_us).status_code == 403
    assert client.get(their_key_here).status_code == 403


def test_a_session_at_one_mall_signs_in_to_no_other(client, tenant, make_tenant):
    other = make_tenant("other")
    member(client, tenant, "wx-alice", name="Alice")
    member(client, other, "wx-alice", name="Alice")
    assert client.get(link(tenant, new_key(client, tenant), "wx-alice")).status_code == 303

    assert "Hello, Alice" in signed_in_home(client, tenant)
    assert "Hello" not in signed_in_home(client, other)


def test_an_unregistered_member_is_refused_unless_the_tenant_creates_members(client, tenant, svc):
    key = new_key(client, tenant)
    assert client.get(link(tenant, key, "wx-new")).status_code == 403

    call(client, tenant, "PATCH", "/tenant", {"auto_create_members": True}, 200)
    opened = client.get(link(tenant, key, "wx-new"))

    assert opened.status_code == 303
    found = call(client, tenant, "GET", "/members?external_id=wx-new", None, 200).json["items"]
    assert [m["external_id"] for m in found] == ["wx-new"]
    assert "Hello, wx-new" in signed_in_home(client, tenant)


def test_a_member_who_is_not_active_is_not_signed_in(client, tenant, svc):
    alice = member(client, tenant, "wx-alice")
    call(client, tenant, "POST", f"/members/{alice}/erasure", None, 200)

    assert client.get(link(tenant, new_key(client, tenant), "wx-alice")).status_code == 403


# --- the keys, through the API -------------------------------------------------------


@sqlite_only
def test_keys_are_listed_without_their_secrets_and_two_may_be_live(client, tenant, clock):
    first = new_key(client, tenant)
    clock.advance(seconds=1)
    second = new_key(client, tenant)

    third = call(client, tenant, "POST", "/tenant/sign-in-keys", None, 409)
    listed = call(client, tenant, "GET", "/tenant/sign-in-keys", None, 200).json

    assert third.json["code"] == "too_many_sign_in_keys"
    assert [k["id"] for k in listed["items"]] == [first["id"], second["id"]]
    assert all("secret" not in k for k in listed["items"])
    assert listed["next_cursor"] is None
    call(client, tenant, "POST", f"/tenant/sign-in-keys/{first['id']}:revoke", None, 200)
    assert new_key(client, tenant)["id"] not in (first["id"], second["id"])


@sqlite_only
def test_a_replayed_key_creation_leaves_the_secret_out(client, tenant):
    headers = tenant.headers | {"Idempotency-Key": "key-1"}
    first = client.post("/api/v1/tenant/sign-in-keys", headers=headers)
    again = client.post("/api/v1/tenant/sign-in-keys", headers=headers)

    assert first.status_code == again.status_code == 201
    assert first.json["secret"] and "secret" not in again.json
    assert again.json["id"] == first.json["id"]
    assert again.headers["Idempotent-Replayed"] == "true"


def test_another_tenants_key_cannot_be_revoked(client, tenant, make_tenant):
    other = make_tenant("other")
    theirs = new_key(client, other)

    refused = call(client, tenant, "POST", f"/tenant/sign-in-keys/{theirs['id']}:revoke", None)

    assert refused.status_code == 404 and refused.json["code"] == "not_found"
    listed = call(client, other, "GET", "/tenant/sign-in-keys", None, 200).json["items"]
    assert listed[0]["revoked_at"] is None


def test_used_links_are_forgotten_once_expired(client, tenant, svc, clock):
    member(client, tenant, "wx-alice")
    assert client.get(link(tenant, new_key(client, tenant), "wx-alice")).status_code == 303
    with svc.db.transaction() as session:
        assert sign_in_links.purge_used(session, clock.now()) == 0
    clock.advance(seconds=sign_in_links.MAX_LIFE.total_seconds())

    with svc.db.transaction() as session:
        assert sign_in_links.purge_used(session, clock.now()) == 1
    assert nonces(svc, tenant) == 0


def test_the_keys_secret_is_stored_encrypted(client, tenant, svc):
    key = new_key(client, tenant)
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        stored = session.get_one(SignInKey, (tenant.tenant_id, key["id"]))
    assert key["secret"] not in stored.secret_encrypted
    assert svc.keyring.decrypt(stored.secret_encrypted) == key["secret"]


@sqlite_only
def test_the_recipe_in_the_docs_makes_links_that_open_the_mall(client, tenant, clock, monkeypatch):
    docs = (Path(__file__).parents[2] / "docs" / "storefront.md").read_text()
    (recipe,) = re.findall(r"```python\n(.*?)```", docs, re.DOTALL)
    namespace: dict = {}
    exec(textwrap.dedent(recipe), namespace)
    monkeypatch.setattr(time, "time", lambda: clock.now().timestamp())
    member(client, tenant, "wx-alice", name="Alice")
    key = new_key(client, tenant)

    url = namespace["sign_in_link"]("", tenant.slug, key["id"], key["secret"], "wx-alice")

    assert client.get(url).status_code == 303
    assert "Hello, Alice" in signed_in_home(client, tenant)

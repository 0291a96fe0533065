"""The console's API keys: listed with their scopes and limits, made with a name, scopes
and a rate limit (the token shown once, and it works), revoked (and it stops)."""

from __future__ import annotations

import re

from conftest import sqlite_only

from console.console_pages import CHINESE, ENGLISH, form_fields, page, post, signed_in_as, text
from jifen.tenants.models import ApiKey

pytestmark = sqlite_only


def make_key(client, name="Checkout", scopes=("members:read",), rate_limit="", headers=ENGLISH):
    data = {"name": name, "scopes": list(scopes), "rate_limit": rate_limit}
    return post(client, "/console/api-keys/new", data, headers)


def keys_of(svc, tenant) -> list[ApiKey]:
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        return session.query(ApiKey).filter_by(tenant_id=tenant.tenant_id).all()


def test_the_keys_are_listed_in_both_languages(client, svc, tenant):
    signed_in_as(client, svc, tenant, "viewer")
    [key] = keys_of(svc, tenant)
    english = text(page(client, "/console/api-keys", ENGLISH))
    assert f"jf_{key.prefix}_" in english and "members:read" in english and "Active" in english
    assert "Make a key" not in english  # a viewer looks
    chinese = page(client, "/console/api-keys", CHINESE)
    assert 'lang="zh-CN"' in chinese and f"jf_{key.prefix}_" in chinese


def test_a_key_made_here_is_shown_once_and_works(client, svc, tenant):
    signed_in_as(client, svc, tenant, "admin")
    made = make_key(client, "Till", ("members:read", "points:read"), "120")
    assert made.status_code == 200
    token = re.search(r'data-testid="api-key"[^>]*>(jf_[^<]+)<', made.get_data(as_text=True))[1]
    key = next(k for k in keys_of(svc, tenant) if k.name == "Till")
    assert (key.scopes, key.rate_limit) == (["members:read", "points:read"], 120)
    assert token not in page(client, "/console/api-keys")
    answer = client.get("/api/v1/members", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    refused = client.post(
        "/api/v1/members", json={"external_id": "u1"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert refused.status_code == 403


def test_a_revoked_key_stops_at_once(client, svc, tenant):
    signed_in_as(client, svc, tenant, "owner")
    [key] = keys_of(svc, tenant)
    token = form_fields(page(client, "/console/api-keys"))["csrf_token"]
    answer = client.post(f"/console/api-keys/{key.id}/revoke", data={"csrf_token": token})
    assert answer.status_code == 303
    shown = text(page(client, "/console/api-keys"))
    assert "Revoked" in shown and f"The key {key.name} is revoked." in shown
    assert client.get("/api/v1/members", headers=tenant.headers).status_code == 401


def test_refused_keys_are_shown_beside_their_fields_and_escaped(client, svc, tenant):
    signed_in_as(client, svc, tenant, "admin")
    nameless = make_key(client, "", ())
    html = nameless.get_data(as_text=True)
    assert nameless.status_code == 422
    assert 'id="name-problem"' in html and 'id="scopes-problem"' in html
    odd = make_key(client, "<script>x</script>", ("members:read", "root"), "12.5")
    html = odd.get_data(as_text=True)
    assert odd.status_code == 422
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<script>x" not in html
    assert 'id="scopes-problem"' in html and 'id="rate_limit-problem"' in html
    too_many = make_key(client, "Big", ("members:read",), "9999999999")
    assert too_many.status_code == 422 and 'id="rate_limit-problem"' in too_many.get_data(
        as_text=True
    )
    assert len(keys_of(svc, tenant)) == 1


def test_operators_and_viewers_may_not_make_or_revoke_keys(client, svc, tenant):
    signed_in_as(client, svc, tenant, "operator")
    [key] = keys_of(svc, tenant)
    token = form_fields(page(client, "/console/api-keys"))["csrf_token"]
    made = client.post(
        "/console/api-keys/new",
        data={"csrf_token": token, "name": "Mine", "scopes": "members:read"},
    )
    revoked = client.post(f"/console/api-keys/{key.id}/revoke", data={"csrf_token": token})
    assert (made.status_code, revoked.status_code) == (403, 403)
    assert [k.revoked_at for k in keys_of(svc, tenant)] == [None]


def test_another_tenants_key_answers_404(client, svc, tenant, make_tenant):
    other = make_tenant("other")
    signed_in_as(client, svc, tenant, "owner")
    [theirs] = keys_of(svc, other)
    token = form_fields(page(client, "/console/api-keys"))["csrf_token"]
    answer = client.post(f"/console/api-keys/{theirs.id}/revoke", data={"csrf_token": token})
    assert answer.status_code == 404
    assert client.get("/api/v1/members", headers=other.headers).status_code == 200


def test_nothing_posted_for_a_key_makes_a_500(client, svc, tenant):
    signed_in_as(client, svc, tenant, "owner")
    for value in ("", "\x00", "x" * 5000, "-1", "0", "\uff11\uff12", "<b>"):
        answer = make_key(client, value, (value,), value)
        assert answer.status_code == 422, value
    assert client.get("/console/api-keys?after=%00garbage").status_code == 200

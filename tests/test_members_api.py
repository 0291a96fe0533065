"""The members API as a merchant uses it: register, look up, search, change, erase.

Personal data is encrypted at rest, kept out of the audit log, and survives a key
rotation. Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag
from sqlalchemy import select, text
from storefront.test_code_members import sign_in_with_code
from storefront.test_code_sign_in import sms  # noqa: F401 (a fixture)

from jifen.app import create_app
from jifen.audit import AuditEvent
from jifen.config import Settings
from jifen.keyring import Keyring, KeyringError
from jifen.tenants.models import ApiKey

MEMBERS = "/api/v1/members"
PHONE = "13800138000"
EMAIL = "Li.Lei@Example.com"
NAME = "李雷 Li"


def register(client, tenant, **fields):
    body = {"external_id": f"u-{uuid.uuid4().hex[:8]}", **fields}
    response = client.post(MEMBERS, json=body, headers=tenant.headers)
    assert response.status_code == 201, response.json
    return response.json


def search(client, tenant, **query):
    response = client.get(MEMBERS, query_string=query, headers=tenant.headers)
    assert response.status_code == 200, response.json
    return response.json


def ids(page) -> list[str]:
    return [m["id"] for m in page["items"]]


def members_row(svc, tenant_id: uuid.UUID, member_id: str) -> dict:
    """The stored row, read with raw SQL on the app's own connection (RLS applies)."""
    with svc.db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(
                text("SELECT set_config('jifen.tenant_id', :t, true)"), {"t": str(tenant_id)}
            )
            key: object = uuid.UUID(member_id)
        else:
            key = uuid.UUID(member_id).bytes
        row = conn.execute(text("SELECT * FROM members WHERE id = :id"), {"id": key}).mappings()
        rows = [dict(r) for r in row]
    assert len(rows) == 1
    return rows[0]


def audit_events(svc, tenant_id: uuid.UUID, object_id: str) -> list[AuditEvent]:
    with svc.db.session(tenant_id=tenant_id) as session:
        return list(
            session.scalars(
                select(AuditEvent).where(AuditEvent.object_id == object_id).order_by(AuditEvent.id)
            )
        )


# --- create and read -----------------------------------------------------------------


def test_a_registered_member_round_trips_every_field(client, tenant, clock):
    created = client.post(
        MEMBERS,
        json={
            "external_id": "wx/o6zAJs-abc",
            "name": NAME,
            "phone": "138 0013-8000",
            "email": EMAIL,
            "birthday": "1990-02-28",
            "tags": ["vip", "北京", "vip", "new"],
        },
        headers=tenant.headers,
    )
    assert created.status_code == 201, created.json
    member = created.json
    assert member["external_id"] == "wx/o6zAJs-abc"
    assert member["name"] == NAME
    assert member["phone"] == PHONE
    assert member["email"] == EMAIL
    assert member["birthday"] == "1990-02-28"
    assert member["tags"] == sorted({"vip", "北京", "new"})
    assert member["status"] == "active"
    assert datetime.fromisoformat(member["created_at"]) == clock.now()
    uuid.UUID(member["id"])

    fetched = client.get(f"{MEMBERS}/{member['id']}", headers=tenant.headers)
    assert fetched.status_code == 200
    assert fetched.json == member


def test_optional_fields_may_be_left_out(client, tenant):
    member = register(client, tenant)
    assert member["name"] is None
    assert member["phone"] is None
    assert member["email"] is None
    assert member["birthday"] is None
    assert member["tags"] == []


def test_surrounding_whitespace_is_trimmed(client, tenant):
    member = register(client, tenant, name="  王芳 ", tags=[" gold", "gold "])
    assert member["name"] == "王芳"
    assert member["tags"] == ["gold"]


def test_an_unknown_member_id_is_404(client, tenant):
    response = client.get(f"{MEMBERS}/{uuid.uuid4()}", headers=tenant.headers)
    assert response.status_code == 404
    assert response.json["code"] == "not_found"


def test_another_tenants_member_looks_exactly_like_a_missing_one(client, make_tenant):
    acme, other = make_tenant("acme"), make_tenant("other")
    theirs = register(client, other, phone=PHONE)
    mine = client.get(f"{MEMBERS}/{theirs['id']}", headers=acme.headers)
    missing = client.get(f"{MEMBERS}/{uuid.uuid4()}", headers=acme.headers)
    assert mine.status_code == missing.status_code == 404
    assert mine.json == missing.json
    assert search(client, acme)["items"] == []
    assert search(client, acme, phone=PHONE)["items"] == []
    assert search(client, acme, external_id=theirs["external_id"])["items"] == []
    patched = client.patch(f"{MEMBERS}/{theirs['id']}", json={"name": "x"}, headers=acme.headers)
    assert patched.status_code == 404
    erased = client.post(f"{MEMBERS}/{theirs['id']}/erasure", headers=acme.headers)
    assert erased.status_code == 404
    assert client.get(f"{MEMBERS}/{theirs['id']}", headers=other.headers).json["name"] is None
    assert client.get(f"{MEMBERS}/{theirs['id']}", headers=other.headers).json["phone"] == PHONE


def test_two_tenants_may_use_the_same_external_id(client, make_tenant):
    acme, other = make_tenant("acme"), make_tenant("other")
    a = register(client, acme, external_id="openid-1")
    b = register(client, other, external_id="openid-1")
    assert a["id"] != b["id"]
    assert ids(search(client, acme, external_id="openid-1")) == [a["id"]]
    assert ids(search(client, other, external_id="openid-1")) == [b["id"]]


# --- look up and search --------------------------------------------------------------


@pytest.mark.parametrize("external_id", ["wx/o6zAJs-abc", "a?b&c=d#e", "100%", "用户 42", "../x"])
def test_lookup_by_external_id_takes_ids_that_cannot_travel_in_a_path(client, tenant, external_id):
    member = register(client, tenant, external_id=external_id)
    register(client, tenant, external_id="someone-else")
    page = search(client, tenant, external_id=external_id)
    assert ids(page) == [member["id"]]
    assert page["items"][0]["external_id"] == external_id


def test_lookup_of_an_unknown_external_id_finds_nothing(client, tenant):
    register(client, tenant, external_id="known")
    assert search(client, tenant, external_id="unknown") == {"items": [], "next_cursor": None}


@pytest.mark.parametrize(
    "query", ["13800138000", "138 0013 8000", "138-0013-8000", "(138) 0013.8000"]
)
def test_search_by_phone_in_any_formatting(client, tenant, query):
    member = register(client, tenant, phone="138 0013-8000")
    register(client, tenant, phone="13900139000")
    register(client, tenant)
    assert ids(search(client, tenant, phone=query)) == [member["id"]]


def test_international_phone_numbers_keep_their_plus(client, tenant):
    member = register(client, tenant, phone="+86 138 0013 8000")
    assert member["phone"] == "+8613800138000"
    assert ids(search(client, tenant, phone="+86-138-0013-8000")) == [member["id"]]
    assert search(client, tenant, phone="8613800138000")["items"] == []


@pytest.mark.parametrize("query", [EMAIL, EMAIL.lower(), EMAIL.upper(), f"  {EMAIL} "])
def test_search_by_email_ignores_case(client, tenant, query):
    member = register(client, tenant, email=EMAIL)
    register(client, tenant, email="han.meimei@example.com")
    assert ids(search(client, tenant, email=query)) == [member["id"]]


def test_search_by_tag(client, tenant):
    vip = register(client, tenant, tags=["vip", "beijing"])
    vip_too = register(client, tenant, tags=["vip"])
    register(client, tenant, tags=["beijing"])
    register(client, tenant)
    assert ids(search(client, tenant, tag="vip")) == [vip_too["id"], vip["id"]]
    assert search(client, tenant, tag="vi")["items"] == []


def test_search_by_name_substring_ignores_case(client, tenant):
    lilei = register(client, tenant, name="Li Lei 李雷")
    register(client, tenant, name="Han Meimei 韩梅梅")
    register(client, tenant)
    assert ids(search(client, tenant, name="lei")) == [lilei["id"]]
    assert ids(search(client, tenant, name="LI LEI")) == [lilei["id"]]
    assert ids(search(client, tenant, name="李")) == [lilei["id"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [("100%", ["100%off"]), ("a_b", ["a_b"]), ("%", ["100%off"]), ("_", ["a_b"]), ("\\", ["c\\d"])],
)
def test_search_by_name_treats_wildcards_literally(client, tenant, query, expected):
    by_name = {
        n: register(client, tenant, name=n)["id"]
        for n in ["100%off", "100 off", "a_b", "axb", "c\\d"]
    }
    assert ids(search(client, tenant, name=query)) == [by_name[n] for n in expected]


def test_search_by_status(client, tenant):
    active = register(client, tenant)
    frozen = register(client, tenant)
    erased = register(client, tenant)
    client.patch(f"{MEMBERS}/{frozen['id']}", json={"status": "frozen"}, headers=tenant.headers)
    client.post(f"{MEMBERS}/{erased['id']}/erasure", headers=tenant.headers)
    assert ids(search(client, tenant, status="active")) == [active["id"]]
    assert ids(search(client, tenant, status="frozen")) == [frozen["id"]]
    assert ids(search(client, tenant, status="erased")) == [erased["id"]]


def test_search_by_origin_finds_the_members_the_mall_made(client, tenant, svc, sms):  # noqa: F811
    body = {"sign_in_methods": ["link", "code"], "code_sign_in_creates_members": True}
    client.patch("/api/v1/tenant", json=body, headers=tenant.headers)
    yours = register(client, tenant)
    assert sign_in_with_code(client, tenant, svc, sms).status_code == 303

    (made,) = search(client, tenant, origin="code")["items"]
    assert (made["origin"], made["external_id"]) == ("code", None)
    assert ids(search(client, tenant, origin="merchant")) == [yours["id"]]
    refused = client.get(MEMBERS, query_string={"origin": "shop"}, headers=tenant.headers)
    assert (refused.status_code, refused.json["code"]) == (422, "validation_error")
    assert "origin" in refused.json["details"]["query"]


def test_filters_combine(client, tenant):
    both = register(client, tenant, name="Wang", tags=["vip"])
    register(client, tenant, name="Wang")
    register(client, tenant, name="Zhang", tags=["vip"])
    assert ids(search(client, tenant, name="wang", tag="vip")) == [both["id"]]


def test_list_is_newest_first_and_pages_cover_every_member_exactly_once(client, tenant, clock):
    created = []
    for _ in range(7):
        created.append(register(client, tenant)["id"])
        clock.advance(seconds=1)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        query = {"limit": 3} if cursor is None else {"limit": 3, "cursor": cursor}
        page = search(client, tenant, **query)
        assert len(page["items"]) <= 3
        seen.extend(ids(page))
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == list(reversed(created))


def test_a_page_that_exactly_fills_has_no_next_cursor(client, tenant):
    for _ in range(3):
        register(client, tenant)
    page = search(client, tenant, limit=3)
    assert len(page["items"]) == 3
    assert page["next_cursor"] is None


def test_members_created_after_a_cursor_do_not_shift_the_next_page(client, tenant):
    first = [register(client, tenant)["id"] for _ in range(4)]
    page = search(client, tenant, limit=2)
    assert ids(page) == [first[3], first[2]]
    register(client, tenant)
    rest = search(client, tenant, limit=2, cursor=page["next_cursor"])
    assert ids(rest) == [first[1], first[0]]


def test_the_default_page_holds_fifty(client, tenant):
    for _ in range(51):
        register(client, tenant)
    page = search(client, tenant)
    assert len(page["items"]) == 50
    assert page["next_cursor"] is not None
    assert len(search(client, tenant, cursor=page["next_cursor"])["items"]) == 1


# --- change --------------------------------------------------------------------------


def test_patch_changes_only_the_fields_given(client, tenant, clock):
    member = register(client, tenant, name="Old", phone=PHONE, email=EMAIL, tags=["a", "b"])
    clock.advance(minutes=5)
    response = client.patch(
        f"{MEMBERS}/{member['id']}",
        json={"name": "New 新", "tags": ["c", "b", "c"], "birthday": "2000-01-01"},
        headers=tenant.headers,
    )
    assert response.status_code == 200, response.json
    changed = response.json
    assert changed["name"] == "New 新"
    assert changed["tags"] == ["b", "c"]
    assert changed["birthday"] == "2000-01-01"
    assert changed["phone"] == PHONE
    assert changed["email"] == EMAIL
    assert changed["external_id"] == member["external_id"]
    assert changed["created_at"] == member["created_at"]
    assert datetime.fromisoformat(changed["updated_at"]) == clock.now()
    assert client.get(f"{MEMBERS}/{member['id']}", headers=tenant.headers).json == changed
    assert ids(search(client, tenant, tag="a")) == []
    assert ids(search(client, tenant, tag="c")) == [member["id"]]


@pytest.mark.parametrize(
    "patch",
    [
        {},
        {"name": "Same", "tags": ["b", "a", "b"], "status": "active"},
        {"phone": "138 0013 8000", "email": EMAIL, "birthday": None},
    ],
)
def test_a_patch_of_nothing_new_writes_nothing(client, tenant, svc, clock, patch):
    member = register(client, tenant, name="Same", phone=PHONE, email=EMAIL, tags=["a", "b"])
    clock.advance(minutes=5)
    audited = len(audit_events(svc, tenant.tenant_id, member["id"]))

    response = client.patch(f"{MEMBERS}/{member['id']}", json=patch, headers=tenant.headers)

    assert response.status_code == 200, response.json
    assert response.json == member
    assert client.get(f"{MEMBERS}/{member['id']}", headers=tenant.headers).json == member
    assert len(audit_events(svc, tenant.tenant_id, member["id"])) == audited


def test_patch_with_null_clears_phone_and_email(client, tenant):
    member = register(client, tenant, phone=PHONE, email=EMAIL, name="N", birthday="1990-01-01")
    response = client.patch(
        f"{MEMBERS}/{member['id']}",
        json={"phone": None, "email": None, "name": None, "birthday": None},
        headers=tenant.headers,
    )
    assert response.status_code == 200, response.json
    for field in ("phone", "email", "name", "birthday"):
        assert response.json[field] is None
    assert search(client, tenant, phone=PHONE)["items"] == []
    assert search(client, tenant, email=EMAIL)["items"] == []


def test_patch_of_phone_and_email_moves_the_lookup(client, tenant):
    member = register(client, tenant, phone=PHONE, email=EMAIL)
    response = client.patch(
        f"{MEMBERS}/{member['id']}",
        json={"phone": "139-0013-9000", "email": "new@example.com"},
        headers=tenant.headers,
    )
    assert response.status_code == 200, response.json
    assert response.json["phone"] == "13900139000"
    assert search(client, tenant, phone=PHONE)["items"] == []
    assert ids(search(client, tenant, phone="13900139000")) == [member["id"]]
    assert search(client, tenant, email=EMAIL)["items"] == []
    assert ids(search(client, tenant, email="NEW@example.com")) == [member["id"]]


def test_patch_can_change_the_external_id(client, tenant):
    member = register(client, tenant, external_id="old-id")
    response = client.patch(
        f"{MEMBERS}/{member['id']}", json={"external_id": "new/id"}, headers=tenant.headers
    )
    assert response.status_code == 200, response.json
    assert response.json["external_id"] == "new/id"
    assert ids(search(client, tenant, external_id="new/id")) == [member["id"]]
    assert search(client, tenant, external_id="old-id")["items"] == []
    again = client.patch(
        f"{MEMBERS}/{member['id']}", json={"external_id": "new/id"}, headers=tenant.headers
    )
    assert again.status_code == 200


def test_patch_to_a_taken_external_id_is_409_and_changes_nothing(client, tenant):
    register(client, tenant, external_id="taken")
    member = register(client, tenant, external_id="mine", name="Before")
    response = client.patch(
        f"{MEMBERS}/{member['id']}",
        json={"external_id": "taken", "name": "After"},
        headers=tenant.headers,
    )
    assert response.status_code == 409
    assert response.json["code"] == "duplicate_external_id"
    assert client.get(f"{MEMBERS}/{member['id']}", headers=tenant.headers).json == member


def test_freeze_and_unfreeze(client, tenant):
    member = register(client, tenant)
    frozen = client.patch(
        f"{MEMBERS}/{member['id']}", json={"status": "frozen"}, headers=tenant.headers
    )
    assert frozen.status_code == 200
    assert frozen.json["status"] == "frozen"
    assert client.get(f"{MEMBERS}/{member['id']}", headers=tenant.headers).json["status"] == (
        "frozen"
    )
    active = client.patch(
        f"{MEMBERS}/{member['id']}", json={"status": "active"}, headers=tenant.headers
    )
    assert active.json["status"] == "active"


def test_status_cannot_be_set_to_erased_by_patch(client, tenant):
    member = register(client, tenant, phone=PHONE)
    response = client.patch(
        f"{MEMBERS}/{member['id']}", json={"status": "erased"}, headers=tenant.headers
    )
    assert response.status_code == 422
    assert response.json["code"] == "validation_error"
    assert client.get(f"{MEMBERS}/{member['id']}", headers=tenant.headers).json == member


# --- erasure -------------------------------------------------------------------------


def test_erasure_removes_the_person_and_frees_the_external_id(client, tenant, svc, clock):
    member = register(
        client,
        tenant,
        external_id="wx/openid-1",
        name=NAME,
        phone=PHONE,
        email=EMAIL,
        birthday="1990-02-28",
        tags=["vip"],
    )
    clock.advance(days=1)
    response = client.post(f"{MEMBERS}/{member['id']}/erasure", headers=tenant.headers)
    assert response.status_code == 200, response.json
    erased = response.json
    assert erased["id"] == member["id"]
    assert erased["status"] == "erased"
    for field in ("name", "phone", "email", "birthday"):
        assert erased[field] is None
    assert erased["tags"] == []
    assert erased["external_id"] != "wx/openid-1"
    assert client.get(f"{MEMBERS}/{member['id']}", headers=tenant.headers).json == erased

    assert search(client, tenant, external_id="wx/openid-1")["items"] == []
    assert search(client, tenant, phone=PHONE)["items"] == []
    assert search(client, tenant, email=EMAIL)["items"] == []
    assert search(client, tenant, tag="vip")["items"] == []
    assert search(client, tenant, name="李")["items"] == []

    row = members_row(svc, tenant.tenant_id, member["id"])
    for column in (
        "name",
        "phone_encrypted",
        "phone_lookup",
        "email_encrypted",
        "email_lookup",
        "birthday",
    ):
        assert row[column] is None, column
    assert row["erased_at"] is not None

    again = register(client, tenant, external_id="wx/openid-1", phone=PHONE)
    assert again["id"] != member["id"]
    assert ids(search(client, tenant, external_id="wx/openid-1")) == [again["id"]]
    assert ids(search(client, tenant, phone=PHONE)) == [again["id"]]


def test_a_second_erasure_is_harmless(client, tenant):
    member = register(client, tenant, name="X")
    first = client.post(f"{MEMBERS}/{member['id']}/erasure", headers=tenant.headers)
    second = client.post(f"{MEMBERS}/{member['id']}/erasure", headers=tenant.headers)
    assert second.status_code == 200
    assert second.json == first.json


def test_an_erased_member_cannot_be_changed(client, tenant):
    member = register(client, tenant)
    erased = client.post(f"{MEMBERS}/{member['id']}/erasure", headers=tenant.headers).json
    for change in ({"name": "Back"}, {"status": "active"}, {"external_id": "revived"}, {}):
        response = client.patch(f"{MEMBERS}/{member['id']}", json=change, headers=tenant.headers)
        assert response.status_code == 409, change
        assert response.json["code"] == "member_erased"
    assert client.get(f"{MEMBERS}/{member['id']}", headers=tenant.headers).json == erased


def test_the_erased_placeholder_prefix_is_reserved_so_erasure_cannot_collide(client, tenant):
    member = register(client, tenant, name="X")
    other = register(client, tenant)
    placeholder = f"erased:{member['id']}"
    squat = client.post(MEMBERS, json={"external_id": placeholder}, headers=tenant.headers)
    assert squat.status_code == 422
    assert squat.json["code"] == "validation_error"
    assert "external_id" in squat.json["details"]
    renamed = client.patch(
        f"{MEMBERS}/{other['id']}", json={"external_id": placeholder}, headers=tenant.headers
    )
    assert renamed.status_code == 422
    response = client.post(f"{MEMBERS}/{member['id']}/erasure", headers=tenant.headers)
    assert response.status_code == 200, response.json
    assert response.json["status"] == "erased"
    assert client.get(f"{MEMBERS}/{other['id']}", headers=tenant.headers).json == other


# --- personal data at rest and in the audit log --------------------------------------


def test_phone_and_email_are_encrypted_at_rest(client, tenant, svc):
    member = register(client, tenant, phone="138 0013-8000", email=EMAIL)
    row = members_row(svc, tenant.tenant_id, member["id"])
    needles = [PHONE, "138 0013-8000", EMAIL, EMAIL.lower()]
    for column, value in row.items():
        if value is None:
            continue
        stored = value if isinstance(value, bytes) else str(value).encode()
        for needle in needles:
            assert needle.lower().encode() not in stored.lower(), column
    assert row["phone_encrypted"] and row["email_encrypted"]
    assert row["phone_lookup"] and row["email_lookup"]


def test_the_same_phone_encrypts_differently_each_time(client, tenant, svc):
    a = register(client, tenant, phone=PHONE)
    b = register(client, tenant, phone=PHONE)
    row_a = members_row(svc, tenant.tenant_id, a["id"])
    row_b = members_row(svc, tenant.tenant_id, b["id"])
    assert row_a["phone_encrypted"] != row_b["phone_encrypted"]
    assert bytes(row_a["phone_lookup"]) == bytes(row_b["phone_lookup"])


def test_audit_log_names_the_api_key_and_never_the_personal_data(client, tenant, svc):
    member = register(
        client,
        tenant,
        name=NAME,
        phone=PHONE,
        email=EMAIL,
        birthday="1990-02-28",
        tags=["vip"],
    )
    patched = client.patch(
        f"{MEMBERS}/{member['id']}",
        json={"phone": "13900139000", "email": "second@example.com", "name": "王芳"},
        headers=tenant.headers,
    )
    assert patched.status_code == 200
    client.post(f"{MEMBERS}/{member['id']}/erasure", headers=tenant.headers)

    events = audit_events(svc, tenant.tenant_id, member["id"])
    assert [e.action for e in events] == ["member.create", "member.update", "member.erase"]
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        key_id = session.scalar(select(ApiKey.id))
    for event in events:
        assert event.actor_kind == "api_key"
        assert event.actor_id == str(key_id)
        assert event.object_type == "member"
        assert event.created_at.tzinfo is not None
        recorded = json.dumps([event.before, event.after], ensure_ascii=False)
        for secret in (PHONE, "13900139000", EMAIL, "second@example.com", NAME, "王芳"):
            assert secret not in recorded
            assert secret.lower() not in recorded.lower()
        assert "1990-02-28" not in recorded
    create = events[0]
    assert create.after["external_id"] == member["external_id"]
    assert set(create.after) >= {"phone", "email", "name"}


def test_a_refused_write_leaves_no_audit_event(client, tenant, svc):
    register(client, tenant, external_id="taken")
    before = len(audit_events_all(svc, tenant.tenant_id))
    response = client.post(
        MEMBERS, json={"external_id": "taken", "phone": PHONE}, headers=tenant.headers
    )
    assert response.status_code == 409
    assert len(audit_events_all(svc, tenant.tenant_id)) == before


def audit_events_all(svc, tenant_id: uuid.UUID) -> list[AuditEvent]:
    with svc.db.session(tenant_id=tenant_id) as session:
        return list(session.scalars(select(AuditEvent)))


# --- key rotation --------------------------------------------------------------------


def b64key(byte: int) -> str:
    return base64.urlsafe_b64encode(bytes([byte]) * 32).decode()


OLD = f"old:{b64key(1)}"
NEW = f"new:{b64key(2)}"


def keyring(encryption_keys: str, secret_key: str = "s" * 48) -> Keyring:
    return Keyring.from_settings(
        Settings(
            instance_path=Path("instance"),
            database_url="sqlite://",
            migration_database_url="sqlite://",
            secret_key=secret_key,
            encryption_keys=encryption_keys,
        )
    )


def test_rotated_keyring_decrypts_what_the_old_key_wrote():
    old = keyring(OLD)
    rotated = keyring(f"{NEW},{OLD}")
    token = old.encrypt(PHONE)
    assert old.key_id_of(token) == "old"
    assert rotated.decrypt(token) == PHONE
    fresh = rotated.encrypt(PHONE)
    assert rotated.key_id_of(fresh) == "new"
    assert rotated.decrypt(fresh) == PHONE
    assert rotated.lookup_hash(PHONE) == old.lookup_hash(PHONE)


def test_a_keyring_without_the_old_key_cannot_read_its_data():
    token = keyring(OLD).encrypt(PHONE)
    with pytest.raises(KeyringError):
        keyring(NEW).decrypt(token)


def test_a_tampered_ciphertext_is_refused():
    ring = keyring(OLD)
    kid, _, body = ring.encrypt(PHONE).partition(".")
    raw = bytearray(base64.urlsafe_b64decode(body))
    raw[-1] ^= 1
    with pytest.raises(InvalidTag):
        ring.decrypt(f"{kid}.{base64.urlsafe_b64encode(bytes(raw)).decode()}")
    with pytest.raises(InvalidTag):  # a ciphertext moved under another key id
        keyring(f"{OLD},other:{b64key(1)}").decrypt(f"other.{body}")


@pytest.mark.parametrize("setting", ["old", "old:", "old:c2hvcnQ", f":{b64key(1)}"])
def test_malformed_encryption_keys_are_refused(setting):
    with pytest.raises(KeyringError):
        keyring(setting)


def test_without_configured_keys_the_secret_key_decides():
    assert keyring("", "a" * 48).lookup_hash(PHONE) != keyring("", "b" * 48).lookup_hash(PHONE)
    token = keyring("", "a" * 48).encrypt(PHONE)
    with pytest.raises(InvalidTag):
        keyring("", "b" * 48).decrypt(token)


def _app_with_keys(database, tmp_path, clock, name, encryption_keys):
    settings = Settings.from_env(
        {},
        database_url=database.app,
        operator_database_url=database.operator,
        migration_database_url=database.owner,
        instance_path=tmp_path / name,
        secret_key="test-secret-" + "x" * 40,
        encryption_keys=encryption_keys,
        testing=True,
    )
    app = create_app(settings)
    app.extensions["jifen.services"].clock = clock
    return app


def test_after_rotation_old_rows_read_and_search_and_new_writes_use_the_new_key(
    database, tmp_path, clock, make_tenant
):
    tenant = make_tenant("rotating")
    before = _app_with_keys(database, tmp_path, clock, "before", OLD)
    after = _app_with_keys(database, tmp_path, clock, "after", f"{NEW},{OLD}")
    try:
        old_client, new_client = before.test_client(), after.test_client()
        member = register(old_client, tenant, phone=PHONE, email=EMAIL)
        old_row = members_row(before.extensions["jifen.services"], tenant.tenant_id, member["id"])
        assert old_row["phone_encrypted"].startswith("old.")

        got = new_client.get(f"{MEMBERS}/{member['id']}", headers=tenant.headers)
        assert got.status_code == 200
        assert (got.json["phone"], got.json["email"]) == (PHONE, EMAIL)
        assert ids(search(new_client, tenant, phone=PHONE)) == [member["id"]]
        assert ids(search(new_client, tenant, email=EMAIL.upper())) == [member["id"]]

        changed = new_client.patch(
            f"{MEMBERS}/{member['id']}", json={"phone": "13900139000"}, headers=tenant.headers
        )
        assert changed.status_code == 200
        row = members_row(after.extensions["jifen.services"], tenant.tenant_id, member["id"])
        assert row["phone_encrypted"].startswith("new.")
        assert row["email_encrypted"].startswith("old.")
        both = new_client.get(f"{MEMBERS}/{member['id']}", headers=tenant.headers).json
        assert (both["phone"], both["email"]) == ("13900139000", EMAIL)
    finally:
        before.extensions["jifen.services"].close()
        after.extensions["jifen.services"].close()


def test_created_at_is_the_clocks_instant_in_utc(client, tenant, clock):
    clock.set(datetime(2026, 5, 1, 0, 0, tzinfo=UTC))
    member = register(client, tenant)
    assert datetime.fromisoformat(member["created_at"]) == datetime(2026, 5, 1, tzinfo=UTC)
    assert datetime.fromisoformat(member["created_at"]).utcoffset().total_seconds() == 0

"""Bad input gets a clear JSON error with a stable code, and writes nothing.

Every refusal below is checked twice: the body is `{code, message, details}` with the
expected code, and the database holds exactly what it held before the request.
"""

from __future__ import annotations

import json
import uuid

import pytest
from conftest import sqlite_only
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from jifen.audit import SYSTEM
from jifen.members.models import Member
from jifen.pagination import MAX_CURSOR
from jifen.tenants import apikeys
from jifen.tenants.models import ApiKey, Tenant

MEMBERS = "/api/v1/members"
SOME_ID = "01890a5d-ac96-774b-bcce-b302099a8057"


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    assert response.is_json, response.get_data(as_text=True)
    body = response.json
    assert set(body) == {"code", "message", "details"}, body
    assert body["code"] == code, body
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["details"], dict | list)
    return body


def count_members(svc, tenant_id: uuid.UUID) -> int:
    with svc.db.session(tenant_id=tenant_id) as session:
        return session.scalar(select(func.count()).select_from(Member))


@pytest.fixture
def unchanged(svc, tenant):
    """Asserts after the test that the tenant still has no members."""
    yield
    assert count_members(svc, tenant.tenant_id) == 0


def post_member(client, tenant, body, **kwargs):
    return client.post(MEMBERS, json=body, headers=tenant.headers, **kwargs)


# --- authentication and authorisation ------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Bearer not-a-key",
        "Bearer jf_short_secret",
        "Bearer jf_abcdefghijkm_",
        "Bearer xx_abcdefghijkm_secret",
        "Bearer jf_abcdefghijkm_unknownprefixsecret",
    ],
)
def test_missing_or_malformed_api_key_is_401(client, tenant, unchanged, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    for response in (
        client.post(MEMBERS, json={"external_id": "u1"}, headers=headers),
        client.get(MEMBERS, headers=headers),
    ):
        assert_error(response, 401, "invalid_api_key")
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_real_prefix_with_a_wrong_secret_is_401(client, tenant, unchanged):
    prefix = tenant.token.split("_")[1]
    for secret in (
        "wrong",
        tenant.token.split("_", 2)[2] + "x",
        tenant.token.split("_", 2)[2][:-1],
    ):
        response = client.post(
            MEMBERS,
            json={"external_id": "u1"},
            headers={"Authorization": f"Bearer jf_{prefix}_{secret}"},
        )
        assert_error(response, 401, "invalid_api_key")


def test_the_bearer_scheme_is_case_insensitive(client, tenant):
    response = client.get(MEMBERS, headers={"Authorization": f"bearer {tenant.token}"})
    assert response.status_code == 200


def test_a_revoked_key_is_refused(client, tenant, svc, unchanged):
    assert client.get(MEMBERS, headers=tenant.headers).status_code == 200
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        session.execute(update(ApiKey).values(revoked_at=svc.clock.now()))
    assert_error(post_member(client, tenant, {"external_id": "u1"}), 401, "invalid_api_key")
    assert_error(client.get(MEMBERS, headers=tenant.headers), 401, "invalid_api_key")


def test_revoke_api_key_stops_the_key_at_once(client, tenant, svc, unchanged):
    assert client.get(MEMBERS, headers=tenant.headers).status_code == 200
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        key_id = session.scalar(select(ApiKey.id))
        apikeys.revoke_api_key(session, tenant.tenant_id, key_id, actor=SYSTEM, clock=svc.clock)
    assert_error(post_member(client, tenant, {"external_id": "u1"}), 401, "invalid_api_key")
    assert_error(client.get(MEMBERS, headers=tenant.headers), 401, "invalid_api_key")


def test_a_suspended_tenants_keys_are_refused(client, tenant, svc, unchanged):
    with svc.db.transaction() as session:
        session.execute(
            update(Tenant).where(Tenant.id == tenant.tenant_id).values(status="suspended")
        )
    assert_error(post_member(client, tenant, {"external_id": "u1"}), 403, "tenant_suspended")
    assert_error(client.get(MEMBERS, headers=tenant.headers), 403, "tenant_suspended")


def test_a_key_without_the_write_scope_cannot_write(client, make_tenant, svc):
    reader = make_tenant("reader", scopes=("members:read",))
    body = assert_error(post_member(client, reader, {"external_id": "u1"}), 403, "forbidden")
    assert body["details"] == {"scope": "members:write"}
    assert count_members(svc, reader.tenant_id) == 0
    assert client.get(MEMBERS, headers=reader.headers).status_code == 200


def test_a_key_without_the_read_scope_cannot_read(client, make_tenant):
    writer = make_tenant("writer", scopes=("members:write",))
    created = post_member(client, writer, {"external_id": "u1"})
    assert created.status_code == 201
    assert_error(client.get(MEMBERS, headers=writer.headers), 403, "forbidden")
    assert_error(
        client.get(f"{MEMBERS}/{created.json['id']}", headers=writer.headers), 403, "forbidden"
    )


def test_an_idempotency_key_does_not_bypass_authentication(client, tenant, unchanged):
    response = client.post(
        MEMBERS,
        json={"external_id": "u1"},
        headers={"Idempotency-Key": "k1", "Authorization": "Bearer jf_abcdefghijkm_nope"},
    )
    assert_error(response, 401, "invalid_api_key")


# --- malformed bodies ----------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b'{"external_id": "u1"',
        b"{'external_id': 'u1'}",
        b'{"external_id": "u1",}',
        b"\xff\xfe{}",
        b'{"external_id": "u1"} trailing',
        b'{"external_id": 1' + b"0" * 5000 + b"}",
    ],
)
def test_malformed_json_is_400(client, tenant, unchanged, raw):
    response = client.post(
        MEMBERS, data=raw, content_type="application/json", headers=tenant.headers
    )
    assert_error(response, 400, "malformed_json")


def test_an_empty_json_body_is_an_empty_object(client, tenant, unchanged):
    response = client.post(
        MEMBERS, data=b"", content_type="application/json", headers=tenant.headers
    )
    details = assert_error(response, 422, "validation_error")["details"]
    assert "external_id" in details


@pytest.mark.parametrize("idempotency_key", [None, "deep-1"])
def test_deeply_nested_json_is_400_not_a_crash(client, tenant, unchanged, idempotency_key):
    depth = 100_000
    raw = b'{"external_id": ' + b"[" * depth + b"]" * depth + b"}"
    headers = dict(tenant.headers)
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    response = client.post(MEMBERS, data=raw, content_type="application/json", headers=headers)
    assert_error(response, 400, "malformed_json")


@pytest.mark.parametrize("body", [[], [{"external_id": "u1"}], "u1", 42, True, None])
def test_a_body_that_is_not_an_object_is_422(client, tenant, unchanged, body):
    response = client.post(
        MEMBERS, data=json.dumps(body), content_type="application/json", headers=tenant.headers
    )
    assert_error(response, 422, "validation_error")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"external_id": 123}, "external_id"),
        ({"external_id": None}, "external_id"),
        ({"external_id": ["u1"]}, "external_id"),
        ({"external_id": "u1", "tags": "a"}, "tags"),
        ({"external_id": "u1", "tags": [1]}, "tags"),
        ({"external_id": "u1", "tags": [""]}, "tags"),
        ({"external_id": "u1", "tags": ["x" * 33]}, "tags"),
        ({"external_id": "u1", "tags": [f"t{i}" for i in range(21)]}, "tags"),
        ({"external_id": "u1", "birthday": "yesterday"}, "birthday"),
        ({"external_id": "u1", "birthday": "1990-02-30"}, "birthday"),
        ({"external_id": "u1", "birthday": 19900228}, "birthday"),
        ({"external_id": "u1", "name": 5}, "name"),
        ({"external_id": "u1", "name": "x" * 101}, "name"),
        ({"external_id": "u1", "phone": 13800138000}, "phone"),
        ({"external_id": "u1", "status": "frozen"}, "status"),
        ({"external_id": "u1", "id": SOME_ID}, "id"),
        ({"external_id": "u1", "created_at": "2020-01-01T00:00:00Z"}, "created_at"),
        ({"external_id": "u1", "nickname": "x"}, "nickname"),
        ({}, "external_id"),
        ({"external_id": ""}, "external_id"),
        ({"external_id": "   "}, "external_id"),
        ({"external_id": "x" * 129}, "external_id"),
    ],
)
def test_invalid_fields_are_422_and_named(client, tenant, unchanged, body, field):
    response = post_member(client, tenant, body)
    details = assert_error(response, 422, "validation_error")["details"]
    assert field in details, details


def test_an_external_id_of_exactly_128_characters_is_fine(client, tenant):
    response = post_member(client, tenant, {"external_id": "x" * 128})
    assert response.status_code == 201
    assert response.json["external_id"] == "x" * 128


@pytest.mark.parametrize("field", ["external_id", "name", "phone", "email"])
@pytest.mark.parametrize("bad", ["a\u0000b", "\u0000", "a\u0007b", "a\u001bb", "a\u007fb"])
def test_nul_and_control_characters_are_422(client, tenant, unchanged, field, bad):
    body = {"external_id": "u1", field: bad}
    details = assert_error(post_member(client, tenant, body), 422, "validation_error")["details"]
    assert field in details


@pytest.mark.parametrize(
    "raw",
    [
        b'{"external_id": "\\ud800"}',
        b'{"external_id": "a\\udfffb"}',
        b'{"external_id": "u1", "name": "\\udc00"}',
        b'{"external_id": "u1", "tags": ["\\ud83d"]}',
        b'{"external_id": "u1", "email": "a\\ud800@example.com"}',
        b'{"external_id": "u1", "\\ud800": 1}',
    ],
)
def test_lone_surrogates_are_422(client, tenant, unchanged, raw):
    response = client.post(
        MEMBERS, data=raw, content_type="application/json", headers=tenant.headers
    )
    assert_error(response, 422, "validation_error")


def test_a_paired_surrogate_escape_is_an_ordinary_character(client, tenant):
    raw = b'{"external_id": "u1", "name": "\\ud83d\\ude00 Li"}'
    response = client.post(
        MEMBERS, data=raw, content_type="application/json", headers=tenant.headers
    )
    assert response.status_code == 201, response.json
    assert response.json["name"] == "\U0001f600 Li"


@pytest.mark.parametrize("body", [{"external_id": "u1\t2"}, {"external_id": "u1", "name": "a\nb"}])
def test_tab_and_newline_are_allowed_inside_text(client, tenant, body):
    assert post_member(client, tenant, body).status_code == 201


def test_patch_rejects_the_same_bad_input(client, tenant, svc):
    member = post_member(client, tenant, {"external_id": "u1", "name": "Keep"}).json
    url = f"{MEMBERS}/{member['id']}"
    for body in (
        {"name": "a\u0000b"},
        {"external_id": None},
        {"external_id": ""},
        {"tags": None},
        {"status": "deleted"},
        {"birthday": "soon"},
        {"unknown": 1},
        {"phone": "not a phone"},
        {"email": "nobody"},
    ):
        response = client.patch(url, json=body, headers=tenant.headers)
        assert_error(response, 422, "validation_error")
    for raw in (b'{"name": "\\ud800"}', b"[]", b'{"name": '):
        response = client.patch(
            url, data=raw, content_type="application/json", headers=tenant.headers
        )
        assert response.status_code in (400, 422)
        assert response.json["code"] in ("malformed_json", "validation_error")
    assert client.get(url, headers=tenant.headers).json == member


# --- domain refusals -----------------------------------------------------------------


def test_a_duplicate_external_id_is_409(client, tenant, svc):
    first = post_member(client, tenant, {"external_id": "wx/abc", "phone": "13800138000"})
    assert first.status_code == 201
    for external_id in ("wx/abc", "  wx/abc  "):
        response = post_member(client, tenant, {"external_id": external_id, "name": "Twin"})
        body = assert_error(response, 409, "duplicate_external_id")
        assert body["details"] == {"external_id": "wx/abc"}
    assert count_members(svc, tenant.tenant_id) == 1


@pytest.mark.parametrize("phone", ["abc", "123", "+", "1" * 21, "138 0013 8000 ext 5", "++86138"])
def test_a_bad_phone_is_422(client, tenant, unchanged, phone):
    body = assert_error(
        post_member(client, tenant, {"external_id": "u1", "phone": phone}), 422, "validation_error"
    )
    assert "phone" in body["details"]


@pytest.mark.parametrize(
    "email", ["nobody", "@example.com", "a@", "a@b", "a b@example.com", "a@@example.com"]
)
def test_a_bad_email_is_422(client, tenant, unchanged, email):
    body = assert_error(
        post_member(client, tenant, {"external_id": "u1", "email": email}), 422, "validation_error"
    )
    assert "email" in body["details"]


def test_a_bad_phone_or_email_in_a_search_is_422(client, tenant):
    for query in ({"phone": "abc"}, {"email": "nobody"}):
        response = client.get(MEMBERS, query_string=query, headers=tenant.headers)
        assert_error(response, 422, "validation_error")


# --- query strings -------------------------------------------------------------------


@pytest.mark.parametrize(
    "limit", ["99.5", "abc", "0", "-1", "100000", "", "1e2", "true", "9" * 30, "0x10"]
)
def test_a_bad_limit_is_422(client, tenant, limit):
    response = client.get(MEMBERS, query_string={"limit": limit}, headers=tenant.headers)
    details = assert_error(response, 422, "validation_error")["details"]
    assert "limit" in json.dumps(details)


@pytest.mark.parametrize("limit", ["1", "200"])
def test_limits_at_the_edges_are_accepted(client, tenant, limit):
    response = client.get(MEMBERS, query_string={"limit": limit}, headers=tenant.headers)
    assert response.status_code == 200


@pytest.mark.parametrize(
    "cursor", ["nonsense", "!!!!", "AAAA", "a" * 64, "AQID", "=", "%%", "\u00e9\u00e9"]
)
def test_an_invalid_cursor_is_422(client, tenant, cursor):
    response = client.get(MEMBERS, query_string={"cursor": cursor}, headers=tenant.headers)
    assert_error(response, 422, "invalid_cursor")


def test_an_overlong_cursor_is_422(client, tenant):
    overlong = "A" * (MAX_CURSOR + 1)
    response = client.get(MEMBERS, query_string={"cursor": overlong}, headers=tenant.headers)
    assert_error(response, 422, "validation_error")


@pytest.mark.parametrize(
    "query",
    [
        {"external_id": "a\u0000b"},
        {"name": "\u0000"},
        {"tag": "\u0001"},
        {"status": "deleted"},
        {"external_id": "x" * 129},
        {"name": ""},
    ],
)
def test_bad_search_parameters_are_422(client, tenant, query):
    response = client.get(MEMBERS, query_string=query, headers=tenant.headers)
    assert_error(response, 422, "validation_error")


@pytest.mark.parametrize("path", [MEMBERS, "/api/v1/products", "/api/v1/orders"])
def test_a_query_parameter_the_route_does_not_take_is_422_naming_it(client, tenant, path):
    """A misspelt filter must not answer the unfiltered list as if it were filtered."""
    post_member(client, tenant, {"external_id": "u1", "name": "Li"})
    for query in ({"memberid": "u1"}, {"": "null"}):
        response = client.get(path, query_string=query, headers=tenant.headers)
        body = assert_error(response, 422, "validation_error")
        assert body["details"] == {"query": {next(iter(query)): ["Unknown field."]}}


def test_invalid_utf8_in_a_query_string_finds_nothing_rather_than_failing(client, tenant):
    post_member(client, tenant, {"external_id": "u1", "name": "Li"})
    for query in ("external_id=%ED%A0%80", "name=%ED%A0%80", "name=%FF%FE", "tag=%C0%AF"):
        response = client.get(f"{MEMBERS}?{query}", headers=tenant.headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.json == {"items": [], "next_cursor": None}


# --- routing, methods, media types, size ---------------------------------------------


@pytest.mark.parametrize(
    "path", [f"{MEMBERS}/not-a-uuid", f"{MEMBERS}/123", f"{MEMBERS}/{SOME_ID}x"]
)
def test_a_non_uuid_member_id_is_a_json_404(client, tenant, path):
    assert_error(client.get(path, headers=tenant.headers), 404, "not_found")
    assert_error(client.patch(path, json={}, headers=tenant.headers), 404, "not_found")


def test_an_unknown_api_path_is_a_json_404(client, tenant):
    assert_error(client.get("/api/v1/nothing-here", headers=tenant.headers), 404, "not_found")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", MEMBERS),
        ("PUT", MEMBERS),
        ("PATCH", MEMBERS),
        ("POST", f"{MEMBERS}/{SOME_ID}"),
        ("DELETE", f"{MEMBERS}/{SOME_ID}"),
        ("GET", f"{MEMBERS}/{SOME_ID}/erasure"),
    ],
)
def test_a_wrong_method_is_a_json_405(client, tenant, unchanged, method, path):
    response = client.open(path, method=method, json={}, headers=tenant.headers)
    assert_error(response, 405, "method_not_allowed")
    assert "Allow" in response.headers


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"],
)
def test_a_body_that_is_not_json_is_415(client, tenant, unchanged, content_type):
    response = client.post(
        MEMBERS,
        data='{"external_id": "u1"}',
        content_type=content_type,
        headers=tenant.headers,
    )
    assert_error(response, 415, "unsupported_media_type")


def test_a_json_body_without_a_content_type_is_415(client, tenant, unchanged):
    response = client.post(
        MEMBERS, data=b'{"external_id": "u1"}', headers={**tenant.headers, "Content-Type": ""}
    )
    assert_error(response, 415, "unsupported_media_type")


def test_json_with_a_charset_parameter_is_accepted(client, tenant):
    response = client.post(
        MEMBERS,
        data=json.dumps({"external_id": "u1", "name": "李"}).encode(),
        content_type="application/json; charset=utf-8",
        headers=tenant.headers,
    )
    assert response.status_code == 201


def test_a_body_over_one_mebibyte_is_413(client, tenant, unchanged):
    body = json.dumps({"external_id": "u1", "name": "x" * (1024 * 1024)})
    response = client.post(
        MEMBERS, data=body, content_type="application/json", headers=tenant.headers
    )
    assert_error(response, 413, "payload_too_large")


@sqlite_only
def test_every_operation_taking_a_body_documents_the_413(client):
    spec = client.get("/api/openapi.json").json
    response = spec["components"]["responses"]["PayloadTooLarge"]
    assert response["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }
    taking_a_body = [
        (path, method, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "requestBody" in operation
    ]
    assert len(taking_a_body) > 30
    undocumented = [
        f"{method.upper()} {path}"
        for path, method, operation in taking_a_body
        if operation["responses"].get("413") != {"$ref": "#/components/responses/PayloadTooLarge"}
    ]
    assert undocumented == []


def test_error_responses_never_leak_internals(client, tenant):
    response = client.post(
        MEMBERS,
        data=b'{"external_id": "\\ud800"}',
        content_type="application/json",
        headers=tenant.headers,
    )
    text_ = response.get_data(as_text=True)
    for leak in ("Traceback", "sqlalchemy", "psycopg", "SELECT", "INSERT"):
        assert leak not in text_


# --- anything at all -----------------------------------------------------------------

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**300), max_value=10**300)
    | st.floats()
    | st.text(st.characters(codec="utf-8"))
    | st.text(st.characters(max_codepoint=0x20))
    | st.text(st.characters(categories=["Cs"]), min_size=1, max_size=3)
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=10,
)
member_fields = st.sampled_from(
    ["external_id", "name", "phone", "email", "birthday", "tags", "status"]
)
any_text = st.text(st.characters(codec="utf-8"))
# Nearly valid members: right field names and types, odd text, so writes reach the database.
plausible_members = st.fixed_dictionaries(
    {"external_id": st.text(min_size=1, max_size=130)},
    optional={
        "name": st.none() | st.text(max_size=101),
        "phone": st.none() | st.from_regex(r"\+?[0-9 ()-]{3,24}", fullmatch=True) | any_text,
        "email": st.none() | st.emails() | any_text,
        "birthday": st.none() | st.dates().map(str) | any_text,
        "tags": st.lists(st.text(min_size=1, max_size=33), max_size=4),
    },
)
member_bodies = (
    json_values | st.dictionaries(member_fields, json_values, max_size=7) | plausible_members
)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=member_bodies)
def test_no_body_whatever_causes_a_server_error(client, tenant, body):
    raw = json.dumps(body)
    created = client.post(
        MEMBERS, data=raw, content_type="application/json", headers=tenant.headers
    )
    target = created.json["id"] if created.status_code == 201 else SOME_ID
    patched = client.patch(
        f"{MEMBERS}/{target}", data=raw, content_type="application/json", headers=tenant.headers
    )
    for response in (created, patched):
        assert response.status_code < 500, response.get_data(as_text=True)
        assert response.is_json
        if response.status_code >= 400:
            assert isinstance(response.json["code"], str)
            assert set(response.json) == {"code", "message", "details"}
    if created.status_code == 201:
        fetched = client.get(f"{MEMBERS}/{target}", headers=tenant.headers)
        assert fetched.status_code == 200
        assert fetched.json["external_id"] == body["external_id"].strip()


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    query=st.dictionaries(
        st.sampled_from(
            ["external_id", "phone", "email", "tag", "name", "status", "cursor", "limit"]
        ),
        st.text(st.characters(codec="utf-8"), max_size=40),
        max_size=4,
    )
)
def test_no_search_whatever_causes_a_server_error(client, tenant, query):
    response = client.get(MEMBERS, query_string=query, headers=tenant.headers)
    assert response.status_code in (200, 422), response.get_data(as_text=True)
    if response.status_code == 422:
        assert isinstance(response.json["code"], str)

"""Values JSON can carry but no database can keep are refused at the door, on every route.

An instant that leaves the years 1 to 9999 once converted to UTC, and text holding NUL
or another control character, are each a 422 on the field that holds them, and write
nothing: before, they reached the database and failed there (a 500).
"""

from __future__ import annotations

import json

import pytest
from test_bad_input import assert_error

BEYOND_9999 = "9999-12-31T23:59:59-14:00"
BEFORE_1 = "0001-01-01T00:00:00+14:00"


@pytest.fixture
def ids(client, tenant):
    """A member with points, a product and a rule, for the routes that change them."""

    def post(path, body):
        response = client.post(f"/api/v1{path}", json=body, headers=tenant.headers)
        assert response.status_code == 201, response.json
        return response.json

    member = post("/members", {"external_id": "u1"})["id"]
    post("/points/earn", {"member_id": member, "amount": 100})
    product = post("/products", {"kind": "physical", "name": "Mug", "points_price": 10})["id"]
    rule = post("/rules", {"name": "Spend", "type": "spend", "params": {}})["id"]
    return {"member": member, "product": product, "rule": rule}


def earn(ids):
    return {"member_id": ids["member"], "amount": 5}


def event(ids, **fields):
    return {"id": "e1", "kind": "purchase", "member_id": ids["member"]} | fields


PURCHASE = {"amount": 100, "currency": "CNY"}

# (method, path, body or query, the field refused); {member} and the like are filled in.
INSTANT_FIELDS = [
    ("POST", "/points/earn", lambda ids, t: earn(ids) | {"expires_at": t}, "expires_at"),
    ("POST", "/points/pending", lambda ids, t: earn(ids) | {"available_at": t}, "available_at"),
    ("POST", "/points/pending", lambda ids, t: earn(ids) | {"expires_at": t}, "expires_at"),
    (
        "POST",
        "/points/adjust",
        lambda ids, t: earn(ids) | {"reason": "fix", "expires_at": t},
        "expires_at",
    ),
    (
        "POST",
        "/points/extend",
        lambda ids, t: {"member_id": ids["member"], "until": t, "reason": "goodwill"},
        "until",
    ),
    ("GET", "/members/{member}/points/history", lambda ids, t: {"since": t}, "since"),
    ("GET", "/members/{member}/points/history", lambda ids, t: {"until": t}, "until"),
    (
        "POST",
        "/products",
        lambda ids, t: {"kind": "physical", "name": "Cap", "points_price": 1, "listed_from": t},
        "listed_from",
    ),
    ("PATCH", "/products/{product}", lambda ids, t: {"listed_until": t}, "listed_until"),
    (
        "POST",
        "/products/{product}/flash-sales",
        lambda ids, t: {"starts_at": t, "ends_at": t, "points_price": 1, "stock": 1},
        "starts_at",
    ),
    ("POST", "/events", lambda ids, t: event(ids, occurred_at=t, data=PURCHASE), "occurred_at"),
    ("POST", "/events", lambda ids, t: event(ids, data=PURCHASE | {"paid_at": t}), "paid_at"),
    (
        "POST",
        "/rules",
        lambda ids, t: {"name": "Later", "type": "spend", "starts_at": t},
        "starts_at",
    ),
    ("PATCH", "/rules/{rule}", lambda ids, t: {"ends_at": t}, "ends_at"),
    (
        "POST",
        "/rules:backtest",
        lambda ids, t: {"start": t, "end": t, "rules": [{"name": "S", "type": "spend"}]},
        "start",
    ),
]


@pytest.mark.parametrize("instant", [BEYOND_9999, BEFORE_1])
@pytest.mark.parametrize(("method", "path", "body", "field"), INSTANT_FIELDS)
def test_an_instant_outside_the_years_1_to_9999_in_utc_is_422_on_its_field(
    client, tenant, ids, instant, method, path, body, field
):
    history = f"/api/v1/members/{ids['member']}/points/history"
    before = client.get(history, headers=tenant.headers).json
    url = "/api/v1" + path.format(**ids)
    payload = body(ids, instant)
    if method == "GET":
        response = client.get(url, query_string=payload, headers=tenant.headers)
    else:
        response = client.open(url, method=method, json=payload, headers=tenant.headers)

    details = assert_error(response, 422, "validation_error")["details"]
    assert field in json.dumps(details)
    assert client.get(history, headers=tenant.headers).json == before


def test_an_instant_at_the_edge_of_the_years_in_utc_is_accepted(client, tenant, ids):
    for instant in ("9999-12-31T23:59:59Z", "9999-12-31T23:59:59+14:00"):
        body = earn(ids) | {"expires_at": instant}
        response = client.post("/api/v1/points/earn", json=body, headers=tenant.headers)
        assert response.status_code == 201, response.json


@pytest.mark.parametrize("char", ["\u0000", "\u0001", "\u001b", "\u007f", "\ud800"])
@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", "/events", lambda ids, c: event(ids, data=PURCHASE | {"store": c}), "data"),
        ("POST", "/events", lambda ids, c: event(ids, data=PURCHASE | {c: 1}), "data"),
        (
            "POST",
            "/events",
            lambda ids, c: event(ids, data=PURCHASE | {"lines": [{"sku": f"a{c}"}]}),
            "data",
        ),
        (
            "POST",
            "/events:batch",
            lambda ids, c: {"events": [event(ids, data=PURCHASE | {"store": c})]},
            "data",
        ),
        (
            "POST",
            "/rules",
            lambda ids, c: {"name": "S", "type": "spend", "params": {"note": c}},
            "params",
        ),
        ("PATCH", "/rules/{rule}", lambda ids, c: {"params": {"note": c}}, "params"),
        ("PATCH", "/products/{product}", lambda ids, c: {"mode_params": {c: c}}, "mode_params"),
        ("POST", "/points/earn", lambda ids, c: earn(ids) | {"memo": f"a{c}b"}, "memo"),
    ],
)
def test_text_holding_a_control_character_is_422_on_its_field(
    client, tenant, ids, char, method, path, body, field
):
    history = f"/api/v1/members/{ids['member']}/points/history"
    before = client.get(history, headers=tenant.headers).json
    url = "/api/v1" + path.format(**ids)
    response = client.open(url, method=method, json=body(ids, char), headers=tenant.headers)

    if path == "/events:batch":  # each item is answered on its own
        assert response.status_code == 200, response.json
        assert response.json["items"][0]["error"]["code"] == "validation_error"
        assert field in json.dumps(response.json["items"][0]["error"]["details"])
    else:
        details = assert_error(response, 422, "validation_error")["details"]
        assert field in json.dumps(details)
    assert client.get(history, headers=tenant.headers).json == before


def test_tabs_and_line_breaks_in_an_events_data_are_kept(client, tenant, ids):
    kind = {"kind": "visit", "title": "Store visit"}
    assert client.post("/api/v1/event-kinds", json=kind, headers=tenant.headers).status_code == 201
    body = event(ids, kind="visit", data={"note": "a\tb\r\nc"})
    response = client.post("/api/v1/events", json=body, headers=tenant.headers)
    assert response.status_code == 201, response.json

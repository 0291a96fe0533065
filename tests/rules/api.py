"""Small factories for the earn engine's API tests."""

from __future__ import annotations

import itertools
from typing import Any

_ids = itertools.count(1)


def call(client, tenant, method: str, path: str, body: Any = None, status: int | None = None):
    response = client.open(f"/api/v1{path}", method=method, json=body, headers=tenant.headers)
    if status is not None:
        assert response.status_code == status, response.json
    return response


def member(client, tenant, external_id: str, **fields: Any) -> str:
    body = {"external_id": external_id, **fields}
    return call(client, tenant, "POST", "/members", body, 201).json["id"]


def rule(client, tenant, type_: str, params: dict | None = None, **fields: Any) -> dict:
    body = {"name": fields.pop("name", type_), "type": type_, "params": params or {}}
    body |= {"status": "active", **fields}
    return call(client, tenant, "POST", "/rules", body, 201).json


def event(client, tenant, kind: str, member_id: str, data: dict | None = None, **fields: Any):
    body = {"id": fields.pop("id", f"e{next(_ids)}"), "kind": kind, "member_id": member_id}
    body |= {"data": data or {}, **fields}
    return call(client, tenant, "POST", "/events", body)


def purchase(client, tenant, member_id: str, amount: int, **fields: Any) -> dict:
    data = {"amount": amount, "currency": "CNY", **fields.pop("data", {})}
    response = event(client, tenant, "purchase", member_id, data, **fields)
    assert response.status_code == 201, response.json
    return response.json


def balance(client, tenant, member_id: str) -> int:
    return call(client, tenant, "GET", f"/members/{member_id}/points", None, 200).json["balance"]

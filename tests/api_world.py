"""One of each thing the API names by id, built through the API, and a valid request
for every operation that writes: the ground the generated probes stand on
(test_not_found: another tenant's ids; test_generated_bad_input: one bad value at a time).

`EXAMPLES` is keyed by the OpenAPI document's operations, so a new write operation
without an example fails the probes by name rather than going unprobed.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from mall.shop import ADDRESS, a_phone, help_asked, member, placed, product, reviewed, shipped
from rules.api import call

from jifen.db import Base, cross_tenant
from jifen.members import code_for

Ids = dict[str, str]
Example = Callable[[Ids], dict[str, Any] | None]

# The name of each path parameter, as the resource the id belongs to.
RESOURCES = {
    "address_id": "address",
    "after_sales_id": "after_sales",
    "authorization_id": "authorization",
    "category_id": "category",
    "code": "coupon",
    "entry_id": "entry",
    "event_id": "event",
    "hold_id": "hold",
    "invite_code": "invite_code",
    "key_id": "sign_in_key",
    "name": "template",
    "member_id": "member",
    "order_id": "order",
    "partner_id": "partner",
    "payment_id": "payment",
    "product_id": "product",
    "review_id": "review",
    "rule_id": "rule",
}


def api_path(rule: str) -> str:
    """The OpenAPI document's spelling of a URL map rule, under /api/v1:
    `/api/v1/members/<uuid:member_id>` is `/members/{member_id}`."""
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule).removeprefix("/api/v1")


def names_in(path: str) -> set[str]:
    """The parameters of an OpenAPI path."""
    return set(re.findall(r"\{(\w+)\}", path))


def filled(path: str, ids: Ids) -> str:
    """An OpenAPI path with the ids of `ids` in its parameters."""
    return path.format(**{name: ids[resource] for name, resource in RESOURCES.items()})


def shown(failures: dict[str, str]) -> str:
    """A probe's failures, one a line."""
    return "\n".join(f"{probe}: {wrong}" for probe, wrong in failures.items())


def build(client, tenant) -> Ids:
    """One of each resource in `tenant`, and a second member (for transfers)."""
    # What a merchant must switch on for every operation to reach its ids.
    call(client, tenant, "PATCH", "/points/policy", {"transfers_enabled": True}, 200)
    call(client, tenant, "PATCH", "/mall/settings", {"topup_enabled": True}, 200)
    buyer = member(client, tenant, 10_000)
    entry = call(client, tenant, "POST", "/points/redeem", {"member_id": buyer, "amount": 1}, 201)
    hold = {"member_id": buyer, "kind": "reserve", "amount": 1}
    item = product(client, tenant)
    terms = {"type": "amount_off", "amount_off": 100, "threshold": 0, "valid_days": 30}
    voucher = product(client, tenant, kind="coupon", points_price=1, coupon=terms)
    delivered = placed(client, tenant, buyer, voucher["id"])
    (code,) = delivered["delivery"]["coupons"]
    partner = {"name": "Tea Co", "currency": "CNY", "budget": 1_000}
    event = {
        "id": "e1",
        "kind": "purchase",
        "member_id": buyer,
        "data": {"amount": 100, "currency": "CNY"},
    }
    authorization = {
        "member_id": buyer,
        "points": 100,
        "order_ref": "till-1",
        "order_amount": 10_000,
    }
    unpaid = call(client, tenant, "POST", "/orders", _order(buyer, a_phone(client, tenant)["id"]))
    assert unpaid.status_code == 202, unpaid.json
    saved = {"address": ADDRESS, "label": "Home"}
    return {
        "member": buyer,
        "address": call(client, tenant, "POST", f"/members/{buyer}/addresses", saved, 201).json[
            "id"
        ],
        "payee": member(client, tenant),
        "entry": entry.json["id"],
        "hold": call(client, tenant, "POST", "/holds", hold, 201).json["id"],
        "product": item["id"],
        "order": placed(client, tenant, buyer, item["id"], address=ADDRESS)["id"],
        "coupon": code,
        "category": call(client, tenant, "POST", "/categories", {"name": "杯子"}, 201).json["id"],
        "partner": call(client, tenant, "POST", "/partners", partner, 201).json["id"],
        "rule": call(client, tenant, "POST", "/rules", {"name": "S", "type": "spend"}, 201).json[
            "id"
        ],
        "event": call(client, tenant, "POST", "/events", event, 201).json["id"],
        "payment": unpaid.json["details"]["payment_id"],
        "authorization": call(
            client, tenant, "POST", "/checkout/authorizations", authorization, 201
        ).json["id"],
        "sign_in_key": call(client, tenant, "POST", "/tenant/sign-in-keys", None, 201).json["id"],
        "invite_code": code_for(
            client.application.extensions["jifen.services"].keyring,
            tenant.tenant_id,
            uuid.UUID(buyer),
        ),
        "review": reviewed(client, tenant, delivered["id"], 4, "Good")["id"],
        "after_sales": help_asked(client, tenant, shipped(client, tenant, buyer, item["id"]))["id"],
        "template": "home.html",  # a name, not an id: the same for every tenant
    }


def fingerprint(svc) -> dict[str, list[Any]]:
    """Every row of every table, of every tenant, in the order the database keeps them,
    once the background work of earlier requests is done: equal before and after a
    request that must write nothing (not even an audit event, an outbox message or a
    stored answer). Plain SQL: it runs after each of thousands of requests."""
    assert svc.jobs.wait_idle()
    with svc.db.session() as session, cross_tenant(session, "test: fingerprint"):
        connection = session.connection()
        return {
            table.name: connection.exec_driver_sql(f"SELECT * FROM {table.name}").all()
            for table in Base.metadata.sorted_tables
        }


def _order(member_id: str, product_id: str) -> dict[str, Any]:
    return {"member_id": member_id, "product_id": product_id, "address": ADDRESS}


def _earn(ids: Ids) -> dict[str, Any]:
    return {"member_id": ids["member"], "amount": 5}


def _nothing(ids: Ids) -> None:
    return None


_WINDOW = {"starts_at": "2026-03-02T00:00:00Z", "ends_at": "2026-03-03T00:00:00Z"}
_PURCHASE = {"id": "e2", "kind": "purchase", "data": {"amount": 100, "currency": "CNY"}}
_GOLD = {"code": "gold", "name": "Gold", "rank": 1, "basis": "lifetime_points", "threshold": 100}

# A request each write operation accepts, given the ids of `build` (None: no body).
EXAMPLES: dict[tuple[str, str], Example] = {
    ("POST", "/members"): lambda ids: {"external_id": "new-1", "name": "Li", "tags": ["vip"]},
    ("PATCH", "/members/{member_id}"): lambda ids: {"name": "Wang", "birthday": "1990-02-28"},
    ("POST", "/members/{member_id}/erasure"): _nothing,
    ("POST", "/members/{member_id}:merge"): lambda ids: {"into_id": ids["payee"]},
    ("POST", "/members/{member_id}/addresses"): lambda ids: {"address": ADDRESS, "label": "Home"},
    ("DELETE", "/members/{member_id}/addresses/{address_id}"): _nothing,
    ("POST", "/points/earn"): lambda ids: _earn(ids) | {"expires_at": "2027-01-01T00:00:00Z"},
    ("POST", "/points/pending"): lambda ids: _earn(ids) | {"available_at": "2026-04-01T00:00:00Z"},
    ("POST", "/points/redeem"): lambda ids: _earn(ids) | {"reference": "r1", "memo": "m"},
    ("POST", "/points/adjust"): lambda ids: _earn(ids) | {"reason": "fix"},
    ("POST", "/points/transfer"): lambda ids: {
        "from_member_id": ids["member"],
        "to_member_id": ids["payee"],
        "amount": 5,
    },
    ("POST", "/points/extend"): lambda ids: {
        "member_id": ids["member"],
        "until": "2030-01-01T00:00:00Z",
        "reason": "goodwill",
    },
    ("PATCH", "/points/policy"): lambda ids: {"expiry": "none", "hold_minutes": 30},
    ("POST", "/holds"): lambda ids: _earn(ids) | {"kind": "reserve", "timeout_minutes": 10},
    ("POST", "/holds/{hold_id}/capture"): lambda ids: {"amount": 1, "memo": "m"},
    ("POST", "/holds/{hold_id}/release"): _nothing,
    ("POST", "/entries/{entry_id}/reversal"): lambda ids: {"amount": 1, "memo": "m"},
    ("POST", "/events"): lambda ids: _PURCHASE | {"member_id": ids["member"]},
    ("POST", "/events:batch"): lambda ids: {"events": [_PURCHASE | {"member_id": ids["member"]}]},
    ("POST", "/event-kinds"): lambda ids: {"kind": "visit", "title": "Store visit"},
    ("POST", "/rules"): lambda ids: {"name": "Spend", "type": "spend", "priority": 1} | _WINDOW,
    ("PATCH", "/rules/{rule_id}"): lambda ids: {"name": "Spend more", "priority": 2},
    ("POST", "/rules/{rule_id}:enable"): _nothing,
    ("POST", "/rules/{rule_id}:disable"): _nothing,
    ("POST", "/rules/{rule_id}:archive"): _nothing,
    ("POST", "/rules:simulate"): lambda ids: {"event": _PURCHASE | {"member_id": ids["member"]}},
    ("POST", "/rules:backtest"): lambda ids: {
        "start": _WINDOW["starts_at"],
        "end": _WINDOW["ends_at"],
        "rules": [{"name": "S", "type": "spend"}],
    },
    ("PUT", "/tiers"): lambda ids: {"tiers": [_GOLD]},
    ("POST", "/categories"): lambda ids: {"name": "Cups", "sort_order": 1},
    ("PATCH", "/categories/{category_id}"): lambda ids: {"name": "Mugs", "sort_order": 2},
    ("POST", "/products"): lambda ids: {
        "kind": "physical",
        "name": "Cap",
        "points_price": 10,
        "stock": 5,
        "category_id": ids["category"],
    },
    ("PATCH", "/products/{product_id}"): lambda ids: {"name": "Cup", "points_price": 20},
    ("POST", "/products/{product_id}/stock"): lambda ids: {"change": 1},
    ("POST", "/products/{product_id}/codes"): lambda ids: {"csv": "code\nABC-1\n"},
    ("POST", "/products/{product_id}/flash-sales"): lambda ids: (
        _WINDOW | {"points_price": 5, "stock": 1}
    ),
    ("POST", "/orders"): lambda ids: {
        "member_id": ids["member"],
        "product_id": ids["product"],
        "address_id": ids["address"],
        "quantity": 1,
    },
    ("POST", "/orders/{order_id}:address"): lambda ids: {"address": ADDRESS},
    ("POST", "/orders/{order_id}:ship"): lambda ids: {"carrier": "SF", "tracking_number": "SF1"},
    ("POST", "/orders/{order_id}:complete"): _nothing,
    ("POST", "/orders/{order_id}:cancel"): lambda ids: {"reason": "changed my mind"},
    ("POST", "/orders/{order_id}:refund"): lambda ids: {"reason": "broken"},
    ("POST", "/after-sales/{after_sales_id}:resolve"): lambda ids: {"reply": "Sent again."},
    ("POST", "/after-sales/{after_sales_id}:decline"): lambda ids: {"reply": "It arrived."},
    ("POST", "/coupons/{code}:redeem"): lambda ids: {"order_ref": "o-1", "order_amount": 1_000},
    ("POST", "/partners"): lambda ids: {"name": "Milk Co", "currency": "CNY", "budget": 10},
    ("POST", "/partners/{partner_id}/budget"): lambda ids: {"change": 10},
    ("PATCH", "/mall/settings"): lambda ids: {
        "payment_minutes": 30,
        "topup_enabled": True,
        "review_moderation": "after",
    },
    ("POST", "/reviews/{review_id}:publish"): _nothing,
    ("POST", "/reviews/{review_id}:reject"): lambda ids: {"reason": "Not about the item"},
    ("POST", "/payments/{payment_id}:confirm"): _nothing,
    ("POST", "/payments/{payment_id}:fail"): _nothing,
    ("POST", "/topups"): lambda ids: {"member_id": ids["member"], "points": 100},
    ("POST", "/checkout/quote"): lambda ids: {"member_id": ids["member"], "order_amount": 1_000},
    ("POST", "/checkout/authorizations"): lambda ids: {
        "member_id": ids["member"],
        "points": 100,
        "order_ref": "till-2",
        "order_amount": 10_000,
    },
    ("POST", "/checkout/authorizations/{authorization_id}:capture"): lambda ids: {"points": 100},
    ("POST", "/checkout/authorizations/{authorization_id}:void"): _nothing,
    ("POST", "/checkout/authorizations/{authorization_id}:refund"): lambda ids: {"points": 100},
    ("PATCH", "/tenant"): lambda ids: {"name": "Acme", "points_name": "积分"},
    ("POST", "/tenant/sign-in-keys"): _nothing,
    ("POST", "/tenant/sign-in-keys/{key_id}:revoke"): _nothing,
    ("POST", "/members/card-codes:redeem"): lambda ids: {"code": "123456789012345678"},
    ("PUT", "/tenant/templates/{name}"): lambda ids: {"source": "<p>{{ tenant.name }}</p>"},
    ("DELETE", "/tenant/templates/{name}"): _nothing,
}

# The query each read that requires one takes, given the ids of `build`.
QUERIES: dict[tuple[str, str], Callable[[Ids], dict[str, Any]]] = {
    ("GET", "/products/{product_id}/quote"): lambda ids: {
        "member_id": ids["member"],
        "quantity": 1,
    },
    ("GET", "/products/{product_id}/lottery/draws"): lambda ids: {"period": "2026-03-01"},
    ("GET", "/coupons"): lambda ids: {"member_id": ids["member"]},
}

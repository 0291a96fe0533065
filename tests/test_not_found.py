"""One scheme for ids that name nothing: 404 `not_found` with `details.resource` for an
id in the URL path, 422 `unknown_<resource>` for one in the body or query; another
tenant's id is answered exactly as a missing one."""

from __future__ import annotations

import uuid

import pytest
from mall.shop import ADDRESS, member, placed, product
from rules.api import call, rule

MISSING = "01890a5d-ac96-774b-bcce-b302099a8057"


@pytest.fixture
def theirs(client, make_tenant) -> dict[str, str]:
    """Ids of another tenant's things, one of each kind."""
    other = make_tenant("rival")
    buyer = member(client, other, 1_000)
    entry = call(client, other, "POST", "/points/redeem", {"member_id": buyer, "amount": 1}, 201)
    hold = call(
        client, other, "POST", "/holds", {"member_id": buyer, "kind": "reserve", "amount": 1}, 201
    )
    item = product(client, other)
    terms = {"type": "amount_off", "amount_off": 100, "threshold": 0, "valid_days": 30}
    voucher = product(client, other, kind="coupon", points_price=1, coupon=terms)
    (code,) = placed(client, other, buyer, voucher["id"])["delivery"]["coupons"]
    partner = {"name": "Tea Co", "currency": "CNY", "budget": 1_000}
    category = call(client, other, "POST", "/categories", {"name": "杯子"}, 201).json
    return {
        "member": buyer,
        "entry": entry.json["id"],
        "hold": hold.json["id"],
        "product": item["id"],
        "order": placed(client, other, buyer, item["id"], address=ADDRESS)["id"],
        "coupon": code,
        "partner": call(client, other, "POST", "/partners", partner, 201).json["id"],
        "rule": rule(client, other, "spend")["id"],
        "category": category["id"],
    }


PATHS = [
    ("GET", "/members/{}", "member"),
    ("PATCH", "/members/{}", "member"),
    ("GET", "/members/{}/points", "member"),
    ("GET", "/members/{}/points/history", "member"),
    ("GET", "/entries/{}", "entry"),
    ("POST", "/entries/{}/reversal", "entry"),
    ("GET", "/holds/{}", "hold"),
    ("POST", "/holds/{}/release", "hold"),
    ("GET", "/products/{}", "product"),
    ("GET", "/products/{}/flash-sales", "product"),
    ("GET", "/orders/{}", "order"),
    ("POST", "/orders/{}:complete", "order"),
    ("GET", "/coupons/{}", "coupon"),
    ("GET", "/partners/{}", "partner"),
    ("GET", "/rules/{}", "rule"),
    ("GET", "/rules/{}/versions", "rule"),
    ("PATCH", "/categories/{}", "category"),
]


@pytest.mark.parametrize(("method", "path", "resource"), PATHS)
def test_an_id_in_the_path_of_another_tenant_is_answered_as_a_missing_one(
    client, tenant, theirs, method, path, resource
):
    missing = MISSING if resource != "coupon" else "NOSUCHCODE"
    body = {} if method != "GET" else None
    mine = call(client, tenant, method, path.format(theirs[resource]), body)
    absent = call(client, tenant, method, path.format(missing), body)

    assert (mine.status_code, mine.json) == (absent.status_code, absent.json)
    assert mine.status_code == 404
    assert (mine.json["code"], mine.json["details"]) == ("not_found", {"resource": resource})


def _earn(ids: dict[str, str]) -> dict:
    return {"member_id": ids["member"], "amount": 5}


def _order(ids: dict[str, str]) -> dict:
    return {"member_id": ids["member"], "product_id": ids["product"], "address": ADDRESS}


def _product(ids: dict[str, str]) -> dict:
    return {"kind": "physical", "name": "Mug", "points_price": 1, "category_id": ids["category"]}


BODIES = [
    ("/points/earn", _earn, "member"),
    ("/orders", _order, "member"),
    ("/orders", _order, "product"),
    ("/products", _product, "category"),
]


@pytest.mark.parametrize(("path", "body", "resource"), BODIES)
def test_an_id_in_the_body_of_another_tenant_is_answered_as_a_missing_one(
    client, tenant, theirs, path, body, resource
):
    mine = {"member": member(client, tenant, 1_000), "product": product(client, tenant)["id"]}
    mine.setdefault("category", MISSING)

    refused = call(client, tenant, "POST", path, body(mine | {resource: theirs[resource]}))
    absent = call(client, tenant, "POST", path, body(mine | {resource: MISSING}))

    assert refused.status_code == absent.status_code == 422
    assert refused.json["code"] == absent.json["code"] == f"unknown_{resource}"
    assert refused.json["details"]["resource"] == resource
    # The same answer but for the id it echoes.
    echoed = str(refused.json).replace(theirs[resource], MISSING)
    assert echoed == str(absent.json)


def test_an_id_in_the_query_that_names_nothing_is_unknown(client, tenant, theirs):
    item = product(client, tenant)["id"]
    quote = f"/products/{item}/quote?member_id={theirs['member']}&quantity=1"
    refused = call(client, tenant, "GET", quote, None, 422).json
    assert (refused["code"], refused["details"]["resource"]) == ("unknown_member", "member")

    buyer = member(client, tenant, 1_000)
    missing_product = f"/products/{uuid.uuid4()}/quote?member_id={buyer}&quantity=1"
    refused = call(client, tenant, "GET", missing_product, None, 404).json
    assert (refused["code"], refused["details"]) == ("not_found", {"resource": "product"})


def test_a_refused_body_reference_writes_nothing(client, tenant, theirs):
    call(client, tenant, "POST", "/points/earn", {"member_id": theirs["member"], "amount": 5}, 422)
    listed = call(client, tenant, "GET", "/members", None, 200).json["items"]
    assert listed == []

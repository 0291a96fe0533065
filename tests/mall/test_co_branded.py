"""Co-branded items: the partner's share comes out of its budget on each redemption,
is recorded on the order, and goes back with a refund."""

from __future__ import annotations

from rules.api import call

from .shop import ADDRESS, balance, member, order, placed, product


def a_partner(client, tenant, budget: int) -> dict:
    body = {"name": "星巴克 Starbucks", "currency": "cny", "budget": budget}
    return call(client, tenant, "POST", "/partners", body, 201).json


def test_the_partner_funds_each_unit_until_its_budget_is_used(client, tenant):
    partner = a_partner(client, tenant, 5_000)
    buyer = member(client, tenant, 10_000)
    mug = product(
        client,
        tenant,
        mode="co_branded",
        mode_params={"partner_id": partner["id"], "cost_share": 2_000},
        points_price=800,
        stock=None,
    )

    first = placed(client, tenant, buyer, mug["id"], 2, address=ADDRESS)
    refused = order(client, tenant, buyer, mug["id"], address=ADDRESS)

    assert first["details"]["partner"] == {
        "id": partner["id"],
        "name": "星巴克 Starbucks",
        "funded": 4_000,
        "currency": "CNY",
    }
    assert refused.status_code == 409
    assert refused.json["code"] == "partner_budget_exhausted"
    assert refused.json["details"]["left"] == 1_000
    assert balance(client, tenant, buyer) == 10_000 - 1_600
    path = f"/partners/{partner['id']}"
    assert call(client, tenant, "GET", path, None, 200).json["used"] == 4_000

    call(client, tenant, "POST", f"/orders/{first['id']}:refund", {}, 200)
    assert call(client, tenant, "GET", path, None, 200).json["used"] == 0
    assert balance(client, tenant, buyer) == 10_000
    low = call(client, tenant, "POST", f"{path}/budget", {"change": -5_001}, 409).json
    assert low["code"] == "budget_below_used"
    assert (
        call(client, tenant, "POST", f"{path}/budget", {"change": 1_000}, 200).json["budget"]
        == 6_000
    )


def test_a_co_branded_item_names_a_real_partner(client, tenant):
    body = {"kind": "physical", "name": "Mug", "points_price": 1, "mode": "co_branded"}
    missing = call(client, tenant, "POST", "/products", {**body, "mode_params": {}}, 422).json
    assert missing["code"] == "mode_params_invalid"
    assert set(missing["details"]["mode_params"]) == {"partner_id", "cost_share"}
    params = {"partner_id": "00000000-0000-7000-8000-000000000000", "cost_share": 1}
    unknown = call(client, tenant, "POST", "/products", {**body, "mode_params": params}, 422)
    assert unknown.json["code"] == "unknown_partner"


def test_a_budget_raised_past_2_53_minus_1_is_refused_and_left_as_it_was(client, tenant):
    partner = a_partner(client, tenant, 2**53 - 10)
    path = f"/partners/{partner['id']}"

    refused = call(client, tenant, "POST", f"{path}/budget", {"change": 10}, 422).json

    assert refused["code"] == "total_too_large"
    assert call(client, tenant, "GET", path, None, 200).json["budget"] == 2**53 - 10
    call(client, tenant, "POST", f"{path}/budget", {"change": 9}, 200)

"""Whatever a client sends the mall, the answer is a JSON error with a stable code or a
success: never a server error."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_bad_input import json_values

from .shop import member, product

PRODUCT_FIELDS = [
    "kind",
    "mode",
    "mode_params",
    "name",
    "points_price",
    "cash_price",
    "currency",
    "stock",
    "listed_from",
    "listed_until",
    "limit_per_day",
    "min_tier",
    "tier_discounts",
    "coupon",
    "service",
    "category_id",
    "tags",
    "status",
]
plausible_products = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(["physical", "virtual", "coupon", "service", "x"]),
        "name": st.text(min_size=1, max_size=201),
        "points_price": st.integers(min_value=-1, max_value=2**63) | st.floats(),
    },
    optional={
        name: json_values
        for name in ("stock", "coupon", "service", "tier_discounts", "listed_from", "mode")
    },
)
product_bodies = (
    json_values
    | st.dictionaries(st.sampled_from(PRODUCT_FIELDS), json_values, max_size=6)
    | plausible_products
)
order_bodies = json_values | st.dictionaries(
    st.sampled_from(["member_id", "product_id", "quantity", "address"]), json_values, max_size=4
)


def assert_clean(response) -> None:
    assert response.status_code < 500, response.get_data(as_text=True)
    assert response.is_json
    if response.status_code >= 400:
        assert set(response.json) == {"code", "message", "details"}


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=product_bodies)
def test_no_product_whatever_causes_a_server_error(client, tenant, body):
    raw = json.dumps(body)
    created = client.post(
        "/api/v1/products", data=raw, content_type="application/json", headers=tenant.headers
    )
    assert_clean(created)
    if created.status_code == 201:
        patched = client.patch(
            f"/api/v1/products/{created.json['id']}",
            data=raw,
            content_type="application/json",
            headers=tenant.headers,
        )
        assert_clean(patched)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=order_bodies, known=st.booleans())
def test_no_order_whatever_causes_a_server_error(client, tenant, body, known):
    if known and isinstance(body, dict):
        body = {
            "member_id": member(client, tenant, 100),
            "product_id": product(client, tenant)["id"],
            **body,
        }
    response = client.post(
        "/api/v1/orders",
        data=json.dumps(body),
        content_type="application/json",
        headers=tenant.headers,
    )
    assert_clean(response)


ENDPOINTS = [
    "/api/v1/checkout/quote",
    "/api/v1/checkout/authorizations",
    "/api/v1/topups",
    "/api/v1/partners",
    "/api/v1/categories",
    "/api/v1/coupons/ABCDEFGHJKMN:redeem",
]


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(ENDPOINTS), body=json_values, known=st.booleans())
def test_no_body_to_the_checkout_or_the_mall_causes_a_server_error(
    client, tenant, path, body, known
):
    if known and isinstance(body, dict):
        body = {"member_id": member(client, tenant, 100), **body}
    response = client.post(
        path, data=json.dumps(body), content_type="application/json", headers=tenant.headers
    )
    assert_clean(response)

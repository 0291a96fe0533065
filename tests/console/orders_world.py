"""What the console's tests of orders, after-sales and reviews share: a merchant's
orders in each state, built through the API and the mall's own services."""

from __future__ import annotations

from mall.shop import ADDRESS, help_asked, member, placed, product, reviewed, shipped
from rules.api import call


def helped_order(client, tenant, **product_fields) -> dict[str, str]:
    """A member's physical order, shipped, asked help with (still open), delivered and
    reviewed (waiting to be published): the ids of each."""
    alice = member(client, tenant, 1_000)
    item = product(client, tenant, **product_fields)["id"]
    order = shipped(client, tenant, alice, item)
    asked = help_asked(client, tenant, order)
    call(client, tenant, "POST", f"/orders/{order['id']}:complete", None, 200)
    review = reviewed(client, tenant, order["id"], 4, "Nice tea.")
    return {
        "order_id": order["id"],
        "after_sales_id": asked["id"],
        "review_id": review["id"],
        "member_id": alice,
    }


def paid_order(client, tenant, member_id: str | None = None, **product_fields) -> dict:
    """A physical order paid and waiting to be shipped, as the API shows it."""
    buyer = member_id or member(client, tenant, 1_000)
    item = product(client, tenant, **product_fields)["id"]
    return placed(client, tenant, buyer, item, address=ADDRESS)

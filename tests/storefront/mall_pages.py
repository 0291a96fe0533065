"""What the storefront's tests share: a signed-in member with points, pages read as
text, and forms read off them."""

from __future__ import annotations

import re
from html import unescape

from mall.shop import give, product
from rules.api import call

from storefront.test_check_in import signed_in

CHINESE = {"Accept-Language": "zh-CN"}
ENGLISH = {"Accept-Language": "en"}


def shopper(client, tenant, points: int = 0, user_id: str = "wx-alice") -> str:
    """A member signed in to the tenant's mall in `client`, with `points`."""
    member_id = signed_in(client, tenant, user_id)
    if points:
        give(client, tenant, member_id, points)
    return member_id


def page(client, url: str, headers=ENGLISH, status: int = 200) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def text(html: str) -> str:
    """The page's words, without its tags, spaces run together."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def form_fields(html: str) -> dict[str, str]:
    """The hidden fields of the page's post form."""
    return {
        name: unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html)
    }


def gold_tier(client, tenant, discount: int) -> None:
    """The tenant's one tier, Gold, with `discount` percent off redemptions."""
    gold = {
        "code": "gold",
        "name": "Gold",
        "rank": 1,
        "basis": "lifetime_points",
        "threshold": 100_000,
        "redemption_discount_percent": discount,
    }
    call(client, tenant, "PUT", "/tiers", {"tiers": [gold]}, 200)


def coffee_card(client, tenant, points: int = 100, valid_days: int = 30) -> dict:
    """A coupon product: 5 yuan off at the merchant's checkout."""
    terms = {"type": "amount_off", "amount_off": 500, "valid_days": valid_days}
    return product(
        client, tenant, name="Coffee card", kind="coupon", points_price=points, coupon=terms
    )

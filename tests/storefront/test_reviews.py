"""A member reviews a delivered order from its page, in their language: stars and a few
words, which wait for the merchant (or show at once where the merchant allows it); the
member reads what became of each review under their account, and a product's page
shows its published reviews only, each reviewer half hidden, with the average, in one
statement. Bad ratings, long words, another member's or merchant's order, a form
without its token and a second review are refused; words are shown as text."""

from __future__ import annotations

import re

import pytest
from conftest import sqlite_only
from mall.shop import ADDRESS, member, placed, product, reviewed
from rules.api import call
from sqlalchemy import event

from storefront.mall_pages import CHINESE, ENGLISH, coffee_card, form_fields, page, shopper, text

pytestmark = sqlite_only


def order_page(client, tenant, order_id: str, headers=ENGLISH, status: int = 200) -> str:
    return page(client, f"/m/{tenant.slug}/orders/{order_id}", headers, status)


def send_review(client, tenant, order_id: str, headers=ENGLISH, form=None, **fields):
    form = form if form is not None else form_fields(order_page(client, tenant, order_id))
    url = f"/m/{tenant.slug}/orders/{order_id}/review"
    return client.post(url, data=form | fields, headers=headers)


def bought(client, tenant, member_id: str) -> dict:
    """A coffee card the member redeemed: delivered at once."""
    return placed(client, tenant, member_id, coffee_card(client, tenant)["id"])


def product_page(client, tenant, product_id: str, headers=ENGLISH) -> str:
    return text(page(client, f"/m/{tenant.slug}/shop/{product_id}", headers))


def reviews_of(client, tenant) -> list[dict]:
    return call(client, tenant, "GET", "/reviews", None, 200).json["items"]


@pytest.mark.parametrize(
    ("headers", "waiting", "shown"),
    [
        (
            ENGLISH,
            "Thank you! Your review is shown once Acme approves it.",
            ["Reviews (1)", "★★★★☆ 4 of 5 ★★★★☆ A** Mar 1, 2026 Smooth, and strong."],
        ),
        (
            CHINESE,
            "谢谢！Acme 审核通过后即会展示您的评价。",
            ["评价（1）", "★★★★☆ 4 / 5 ★★★★☆ A** 2026年3月1日 Smooth, and strong."],
        ),
    ],
)
def test_a_member_reviews_a_delivered_order_and_it_shows_once_published(
    client, tenant, headers, waiting, shown
):
    alice = shopper(client, tenant, points=1_000)
    order = bought(client, tenant, alice)
    form = order_page(client, tenant, order["id"], headers)
    assert 'name="rating" value="5"' in form and 'name="text"' in form

    done = send_review(
        client, tenant, order["id"], headers, rating="4", text="  Smooth,\r\nand strong.  "
    )

    assert done.status_code == 303 and done.headers["Location"].endswith(order["id"])
    after = text(page(client, done.headers["Location"], headers))
    assert waiting in after
    assert ("Waiting for Acme's approval" if headers is ENGLISH else "等待 Acme 审核") in after
    assert 'name="rating"' not in order_page(client, tenant, order["id"], headers)
    (review,) = reviews_of(client, tenant)
    assert (review["rating"], review["text"], review["status"]) == (
        4,
        "Smooth,\nand strong.",
        "pending",
    )
    nothing = "No reviews yet." if headers is ENGLISH else "暂无评价"
    assert nothing in product_page(client, tenant, order["product_id"], headers)

    call(client, tenant, "POST", f"/reviews/{review['id']}:publish", None, 200)

    html = page(client, f"/m/{tenant.slug}/shop/{order['product_id']}", headers)
    for words in shown:
        assert words in text(html)
    stars = "4 of 5 stars" if headers is ENGLISH else "4 星（共 5 星）"
    assert html.count(f'role="img" aria-label="{stars}"') == 2  # the average, the review
    assert "Alice" not in html
    mine = text(order_page(client, tenant, order["id"], headers))
    assert ("Published" if headers is ENGLISH else "已发布") in mine


def test_where_reviews_show_at_once_a_review_is_published_when_sent(client, tenant):
    call(client, tenant, "PATCH", "/mall/settings", {"review_moderation": "after"}, 200)
    alice = shopper(client, tenant, points=1_000)
    order = bought(client, tenant, alice)

    done = send_review(client, tenant, order["id"], rating="5")

    assert "Thank you! Your review is published." in text(page(client, done.headers["Location"]))
    assert "Reviews (1)" in product_page(client, tenant, order["product_id"])
    assert reviews_of(client, tenant)[0]["text"] is None


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"rating": "0"}, "Must be greater than or equal to 1 and less than or equal to 5."),
        ({"rating": "6"}, "Must be greater than or equal to 1 and less than or equal to 5."),
        ({"rating": "x"}, "Not a valid integer."),
        ({"rating": "4.5"}, "Not a valid integer."),
        ({}, "Missing data for required field."),
        ({"rating": "3", "text": "好" * 501}, "Longer than maximum length 500."),
        ({"rating": "3", "text": "bad\x00byte"}, ""),
    ],
)
def test_a_bad_rating_or_words_are_said_on_the_order_page_and_nothing_is_kept(
    client, tenant, fields, problem
):
    alice = shopper(client, tenant, points=1_000)
    order = bought(client, tenant, alice)

    refused = send_review(client, tenant, order["id"], **fields)

    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert problem in text(html) and 'class="field-problem"' in html
    assert 'name="rating"' in html  # the form again, to correct
    assert reviews_of(client, tenant) == []


def test_the_problem_reads_in_the_members_language(client, tenant):
    order = bought(client, tenant, shopper(client, tenant, points=1_000))
    form = form_fields(order_page(client, tenant, order["id"], CHINESE))

    refused = send_review(client, tenant, order["id"], CHINESE, form=form, rating="9")

    assert refused.status_code == 422
    assert "必须大于或等于 1 且小于或等于 5。" in text(refused.get_data(as_text=True))


def test_another_members_or_merchants_order_or_a_form_without_its_token_reviews_nothing(
    client, tenant, make_tenant
):
    bob = member(client, tenant, 1_000)
    bobs = bought(client, tenant, bob)
    rival = make_tenant("rival")
    theirs = bought(client, rival, member(client, rival, 1_000))
    alice = shopper(client, tenant, points=1_000)
    mine = bought(client, tenant, alice)
    form = form_fields(order_page(client, tenant, mine["id"]))

    assert send_review(client, tenant, bobs["id"], form=form, rating="1").status_code == 404
    assert send_review(client, tenant, theirs["id"], form=form, rating="1").status_code == 404
    assert send_review(client, tenant, mine["id"], form={}, rating="5").status_code == 400
    order_page(client, tenant, bobs["id"], status=404)
    assert reviews_of(client, tenant) == [] and reviews_of(client, rival) == []


def test_a_second_review_and_an_order_not_delivered_are_refused(client, tenant):
    alice = shopper(client, tenant, points=1_000)
    order = bought(client, tenant, alice)
    form = form_fields(order_page(client, tenant, order["id"]))
    assert send_review(client, tenant, order["id"], form=form, rating="5").status_code == 303

    again = send_review(client, tenant, order["id"], form=form, rating="1")

    assert again.status_code == 409
    assert "This order has been reviewed already." in text(again.get_data(as_text=True))
    mug = product(client, tenant, name="Travel mug", points_price=100)
    preparing = placed(client, tenant, alice, mug["id"], address=ADDRESS)
    assert 'name="rating"' not in order_page(client, tenant, preparing["id"])
    refused = send_review(client, tenant, preparing["id"], form=form, rating="5")
    assert refused.status_code == 409
    assert "Only an order that was delivered can be reviewed." in text(
        refused.get_data(as_text=True)
    )
    assert [r["rating"] for r in reviews_of(client, tenant)] == [5]


def test_a_reviews_words_are_shown_as_text_everywhere(client, tenant):
    call(client, tenant, "PATCH", "/mall/settings", {"review_moderation": "after"}, 200)
    alice = shopper(client, tenant, points=1_000)
    order = bought(client, tenant, alice)
    words = '<script>alert("x")</script><b>bold</b>'

    send_review(client, tenant, order["id"], rating="2", text=words)

    escaped = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;"
    for url in (
        f"/m/{tenant.slug}/orders/{order['id']}",
        f"/m/{tenant.slug}/shop/{order['product_id']}",
        f"/m/{tenant.slug}/shop/{order['product_id']}/reviews",
        f"/m/{tenant.slug}/account/reviews",
    ):
        html = page(client, url)
        assert escaped in html and "<script>alert" not in html and "<b>bold" not in html


@pytest.mark.parametrize(
    ("headers", "says"),
    [
        (ENGLISH, "Not published Reason: Not about the item"),
        (CHINESE, "未发布 原因：Not about the item"),
    ],
)
def test_a_rejected_review_tells_its_member_why_and_shows_to_no_one_else(
    client, tenant, headers, says
):
    alice = shopper(client, tenant, points=1_000)
    order = bought(client, tenant, alice)
    send_review(client, tenant, order["id"], rating="1", text="Off topic")
    (review,) = reviews_of(client, tenant)

    body = {"reason": "Not about the item"}
    call(client, tenant, "POST", f"/reviews/{review['id']}:reject", body, 200)

    assert says in text(order_page(client, tenant, order["id"], headers))
    assert says in text(page(client, f"/m/{tenant.slug}/account/reviews", headers))
    shown = product_page(client, tenant, order["product_id"], headers)
    assert "Off topic" not in shown


@pytest.mark.parametrize(
    ("headers", "says"),
    [
        (ENGLISH, ["My reviews", "Waiting for your review Coffee card", "Your reviews"]),
        (CHINESE, ["我的评价", "待评价 Coffee card", "我写的评价"]),
    ],
)
def test_the_members_reviews_and_orders_waiting_for_one_are_listed(client, tenant, headers, says):
    alice = shopper(client, tenant, points=1_000)
    reviewed_order, waiting = bought(client, tenant, alice), bought(client, tenant, alice)
    placed(client, tenant, alice, product(client, tenant)["id"], address=ADDRESS)  # not yet
    send_review(client, tenant, reviewed_order["id"], rating="3", text="Fine")
    assert "/account/reviews" in page(client, f"/m/{tenant.slug}/account", headers)

    html = page(client, f"/m/{tenant.slug}/account/reviews", headers)

    for words in says:
        assert words in text(html)
    assert html.count(f"/orders/{waiting['id']}#review-title") == 1
    assert f"/orders/{reviewed_order['id']}#review-title" not in html
    assert "Fine" in text(html)
    assert html.count('class="order-name"') == 2  # one waiting, one written


def test_a_products_reviews_are_paged_newest_first(client, tenant, clock):
    terms = {"type": "amount_off", "amount_off": 500, "valid_days": 30}
    card = product(client, tenant, kind="coupon", points_price=1, coupon=terms, stock=None)["id"]
    buyer = member(client, tenant, 1_000)
    for n in range(23):
        order = placed(client, tenant, buyer, card)
        review = reviewed(client, tenant, order["id"], 1 + n % 5, f"review {n}")
        call(client, tenant, "POST", f"/reviews/{review['id']}:publish", None, 200)
        clock.advance(minutes=1)

    shown = product_page(client, tenant, card)
    assert "Reviews (23)" in shown and "2.9 of 5" in shown  # (4 * 15 + 1 + 2 + 3) / 23
    assert re.findall(r"review \d+", shown) == ["review 22", "review 21", "review 20"]
    first = page(client, f"/m/{tenant.slug}/shop/{card}/reviews")
    more = re.search(r'href="([^"]+cursor=[^"]+)"', first)
    assert more is not None
    second = page(client, more[1].replace("&amp;", "&"))
    read = re.findall(r"review \d+", text(first)) + re.findall(r"review \d+", text(second))
    assert read == [f"review {n}" for n in range(22, -1, -1)]
    assert "cursor=" not in second
    refused = client.get(f"/m/{tenant.slug}/shop/{card}/reviews?cursor=forged")
    assert refused.status_code == 422


def test_a_products_page_reads_its_reviews_in_one_statement(client, tenant, svc):
    card = coffee_card(client, tenant)["id"]
    buyer = member(client, tenant, 1_000)
    statements: list[str] = []

    def seen(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    for count in (1, 6):
        while len(reviews_of(client, tenant)) < count:
            review = reviewed(client, tenant, placed(client, tenant, buyer, card)["id"])
            call(client, tenant, "POST", f"/reviews/{review['id']}:publish", None, 200)
        event.listen(svc.db.engine, "before_cursor_execute", seen)
        try:
            product_page(client, tenant, card)
        finally:
            event.remove(svc.db.engine, "before_cursor_execute", seen)
        assert len([s for s in statements if "FROM reviews" in s]) == 1
        statements.clear()


def test_a_product_of_another_merchant_has_no_reviews_page_here(client, tenant, make_tenant):
    rival = make_tenant("rival")
    theirs = coffee_card(client, rival)["id"]
    page(client, f"/m/{tenant.slug}/shop/{theirs}/reviews", status=404)

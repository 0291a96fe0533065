"""Members review what their orders brought, once an order is delivered, once per order;
the merchant publishes or rejects each review through the API (or lets the mall show
them at once and rejects later), and a `review` task rule pays for a published review
once, taking it back when the review is rejected."""

from __future__ import annotations

import uuid

import pytest
from conftest import sqlite_only
from rules.api import call, rule
from sqlalchemy import select
from storefront.mall_pages import coffee_card

from jifen.audit import Actor, AuditEvent
from jifen.errors import NotFound
from jifen.mall import reviews
from jifen.mall.errors import NotReviewable, ReviewExists
from mall.shop import ADDRESS, balance, member, placed, product, reviewed


def delivered(client, tenant, buyer: str | None = None) -> dict:
    """A coupon order (delivered, `completed`, the moment it is placed) of a member."""
    buyer = buyer or member(client, tenant, 1_000)
    return placed(client, tenant, buyer, coffee_card(client, tenant)["id"])


def publish(client, tenant, review_id: str, status: int = 200) -> dict:
    return call(client, tenant, "POST", f"/reviews/{review_id}:publish", None, status).json


def reject(client, tenant, review_id: str, reason: str | None = None, status: int = 200) -> dict:
    body = {"reason": reason} if reason else {}
    return call(client, tenant, "POST", f"/reviews/{review_id}:reject", body, status).json


def listed(client, tenant, query: str = "") -> list[dict]:
    return call(client, tenant, "GET", f"/reviews{query}", None, 200).json["items"]


def test_a_review_waits_for_the_merchant_and_shows_once_published(client, tenant, svc, clock):
    order = delivered(client, tenant)

    review = reviewed(client, tenant, order["id"], 4, "Good coffee.")

    assert (review["status"], review["rating"], review["text"]) == ("pending", 4, "Good coffee.")
    assert (review["order_id"], review["product_id"]) == (order["id"], order["product_id"])
    assert review["member_id"] == order["member_id"] and review["moderated_at"] is None
    assert [r["id"] for r in listed(client, tenant, "?status=pending")] == [review["id"]]
    assert listed(client, tenant, "?status=published") == []

    clock.advance(hours=2)
    published = publish(client, tenant, review["id"])

    assert published["status"] == "published"
    assert published["moderated_at"] == clock.now().isoformat()
    assert published["moderator_kind"] == "api_key" and published["moderator_id"]
    assert listed(client, tenant, "?status=pending") == []
    again = publish(client, tenant, review["id"], 409)
    assert again["code"] == "review_state_conflict"
    assert again["details"]["status"] == "published"
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.object_id == review["id"])
        ).all()
    assert sorted(actions) == ["review.publish", "review.submit"]


@sqlite_only
def test_where_the_mall_shows_reviews_at_once_the_merchant_still_rejects_them(client, tenant):
    changed = call(client, tenant, "PATCH", "/mall/settings", {"review_moderation": "after"}, 200)
    assert changed.json["review_moderation"] == "after"
    assert call(client, tenant, "GET", "/mall/settings", None, 200).json["review_moderation"] == (
        "after"
    )

    review = reviewed(client, tenant, delivered(client, tenant)["id"], 1, "Spam spam")
    assert review["status"] == "published"

    rejected = reject(client, tenant, review["id"], "Not about the item")
    assert (rejected["status"], rejected["rejection_reason"]) == ("rejected", "Not about the item")
    assert listed(client, tenant, "?status=published") == []
    assert reject(client, tenant, review["id"], status=409)["code"] == "review_state_conflict"
    assert publish(client, tenant, review["id"], 409)["code"] == "review_state_conflict"


@sqlite_only
@pytest.mark.parametrize("moderation", ["sometimes", "", None, 1])
def test_an_unknown_moderation_setting_is_refused(client, tenant, moderation):
    body = {"review_moderation": moderation}
    refused = call(client, tenant, "PATCH", "/mall/settings", body, 422).json
    assert (refused["code"], list(refused["details"])) == (
        "validation_error",
        ["review_moderation"],
    )
    assert call(client, tenant, "GET", "/mall/settings", None, 200).json["review_moderation"] == (
        "before"
    )


def submit(svc, tenant, order: dict, member_id: str | None = None) -> None:
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        reviews.submit(
            session,
            uuid.UUID(order["id"]),
            uuid.UUID(member_id or order["member_id"]),
            5,
            None,
            actor=Actor("member"),
            clock=svc.clock,
        )


def test_only_a_delivered_order_is_reviewed_by_its_member_and_once(client, tenant, svc):
    buyer = member(client, tenant, 5_000)
    mug = product(client, tenant, points_price=100)
    shipped = placed(client, tenant, buyer, mug["id"], address=ADDRESS)
    with pytest.raises(NotReviewable) as preparing:
        submit(svc, tenant, shipped)
    assert preparing.value.details == {"status": "paid"}
    body = {"carrier": "SF", "tracking_number": "SF1"}
    call(client, tenant, "POST", f"/orders/{shipped['id']}:ship", body, 200)
    with pytest.raises(NotFound):  # another member's order is no order of theirs
        submit(svc, tenant, shipped, member_id=member(client, tenant))

    with pytest.raises(NotReviewable) as on_the_way:  # shipped, not arrived yet
        submit(svc, tenant, shipped)
    assert on_the_way.value.details == {"status": "fulfilled"}
    call(client, tenant, "POST", f"/orders/{shipped['id']}:complete", None, 200)

    submit(svc, tenant, shipped)  # arrived goods are reviewed
    with pytest.raises(ReviewExists):
        submit(svc, tenant, shipped)

    for move in ("cancel", "refund"):
        undone = placed(client, tenant, buyer, mug["id"], address=ADDRESS)
        call(client, tenant, "POST", f"/orders/{undone['id']}:{move}", {}, 200)
        with pytest.raises(NotReviewable):
            submit(svc, tenant, undone)
    assert len(listed(client, tenant)) == 1


def test_a_review_task_pays_once_per_published_review_and_a_rejection_takes_it_back(client, tenant):
    rule(client, tenant, "task", {"event": "review", "points": 20, "limit": 10, "period": "day"})
    buyer = member(client, tenant, 1_000)
    first = reviewed(client, tenant, delivered(client, tenant, buyer)["id"], 5)
    second = reviewed(client, tenant, delivered(client, tenant, buyer)["id"], 3)
    assert balance(client, tenant, buyer) == 800  # two coffee cards; pending pays nothing

    publish(client, tenant, first["id"])
    publish(client, tenant, first["id"], 409)
    publish(client, tenant, second["id"])
    assert balance(client, tenant, buyer) == 840

    reject(client, tenant, second["id"], "Rude")
    assert balance(client, tenant, buyer) == 820
    history = call(client, tenant, "GET", f"/members/{buyer}/points/history", None, 200).json
    assert [line["amount"] for line in history["items"][:3]] == [-20, 20, 20]
    assert history["items"][0]["memo"] == "review taken down"  # said on the member's history


@sqlite_only
def test_reviews_are_found_by_status_and_product_a_page_at_a_time(client, tenant):
    buyer = member(client, tenant, 1_000)
    card = coffee_card(client, tenant)["id"]
    made = [reviewed(client, tenant, placed(client, tenant, buyer, card)["id"]) for _ in range(3)]
    other = reviewed(client, tenant, delivered(client, tenant, buyer)["id"])
    publish(client, tenant, made[0]["id"])

    newest_first = [r["id"] for r in reversed(made)]
    assert [r["id"] for r in listed(client, tenant, f"?product_id={card}")] == newest_first
    assert [r["id"] for r in listed(client, tenant, f"?product_id={card}&status=pending")] == (
        newest_first[:2]
    )
    paged, cursor = [], None
    while True:
        query = f"?limit=1&cursor={cursor}" if cursor else "?limit=1"
        page = call(client, tenant, "GET", f"/reviews{query}", None, 200).json
        paged += [r["id"] for r in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert paged == [other["id"], *newest_first]
    refused = call(client, tenant, "GET", "/reviews?status=hidden", None, 422).json
    assert "status" in refused["details"]["query"], refused


def test_another_merchants_review_is_answered_as_a_missing_one(client, tenant, make_tenant):
    rival = make_tenant("rival")
    theirs = reviewed(client, rival, delivered(client, rival)["id"])
    missing = str(uuid.uuid4())

    for review_id in (theirs["id"], missing):
        assert call(client, tenant, "GET", f"/reviews/{review_id}", None, 404).json["details"] == {
            "resource": "review"
        }
        assert publish(client, tenant, review_id, 404)["code"] == "not_found"
        assert reject(client, tenant, review_id, status=404)["code"] == "not_found"
    assert listed(client, tenant) == []
    assert call(client, rival, "GET", f"/reviews/{theirs['id']}", None, 200).json["status"] == (
        "pending"
    )


def test_a_product_sums_up_its_published_reviews_only(client, tenant, svc, clock):
    buyer = call(client, tenant, "POST", "/members", {"external_id": "w", "name": "王小明"}, 201)
    call(
        client, tenant, "POST", "/points/earn", {"member_id": buyer.json["id"], "amount": 900}, 201
    )
    card = coffee_card(client, tenant)["id"]
    made = []
    for rating in (5, 4, 4, 1):
        order = placed(client, tenant, buyer.json["id"], card)
        made.append(reviewed(client, tenant, order["id"], rating, f"{rating} stars"))
        clock.advance(minutes=1)
    for review in made[:3]:
        publish(client, tenant, review["id"])

    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        summary = reviews.summary(session, uuid.UUID(card), 2)
        page, cursor = reviews.published_page(session, uuid.UUID(card), cursor=None, limit=5)
        nothing = reviews.summary(session, uuid.uuid4(), 2)

    assert (summary.count, str(summary.average)) == (3, "4.3")
    assert [(r.rating, r.text, r.reviewer) for r in summary.latest] == [
        (4, "4 stars", "王小明"),
        (4, "4 stars", "王小明"),
    ]
    assert [r.id for r in page] == [uuid.UUID(r["id"]) for r in reversed(made[:3])]
    assert cursor is None
    assert (nothing.count, nothing.average, nothing.latest) == (0, None, [])

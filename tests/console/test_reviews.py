"""Reviews in the console: the moderation queue, published and rejected reviews, newest
first; staff who handle orders publish a waiting review or reject one (taking a
published one down) with a reason its member reads; refused forms keep nothing."""

from __future__ import annotations

import pytest
from conftest import sqlite_only
from rules.api import call

from console.console_pages import CHINESE, ENGLISH, page, signed_in_as, text
from console.orders_world import helped_order
from console.test_orders import send

pytestmark = sqlite_only


def review_of(client, tenant, review_id: str) -> dict:
    return call(client, tenant, "GET", f"/reviews/{review_id}", None, 200).json


@pytest.mark.parametrize(("headers", "published"), [(ENGLISH, "Published"), (CHINESE, "已发布")])
def test_the_queue_shows_waiting_reviews_and_the_tabs_the_others(
    client, svc, tenant, headers, published
):
    waiting = helped_order(client, tenant, name="Jasmine tea")
    shown = helped_order(client, tenant, name="Travel mug")
    call(client, tenant, "POST", f"/reviews/{shown['review_id']}:publish", None, 200)
    signed_in_as(client, svc, tenant, "viewer", headers)

    queue = page(client, "/console/reviews", headers)
    done = page(client, "/console/reviews?status=published", headers)

    assert "Jasmine tea" in queue and "Travel mug" not in queue
    assert "Travel mug" in done and "Jasmine tea" not in done and published in text(done)
    assert "Nice tea." in queue and f"/console/orders/{waiting['order_id']}" in queue
    assert "/publish" not in queue  # a viewer reads, and moderates nothing
    assert client.get("/console/reviews?status=lost").status_code == 404


def test_staff_publish_a_waiting_review(client, svc, tenant):
    ids = helped_order(client, tenant)
    signed_in_as(client, svc, tenant, "operator")

    answer = send(client, f"/console/reviews/{ids['review_id']}/publish", {"tab": "pending"})

    assert answer.status_code == 303
    assert answer.headers["Location"].endswith("/console/reviews?status=pending")
    assert review_of(client, tenant, ids["review_id"])["status"] == "published"
    assert "The review is published." in text(page(client, answer.headers["Location"]))


@pytest.mark.parametrize("headers", [ENGLISH, CHINESE])
def test_staff_take_a_published_review_down_with_a_reason(client, svc, tenant, headers):
    ids = helped_order(client, tenant)
    call(client, tenant, "POST", f"/reviews/{ids['review_id']}:publish", None, 200)
    signed_in_as(client, svc, tenant, "operator", headers)

    answer = send(
        client,
        f"/console/reviews/{ids['review_id']}/reject",
        {"reason": "It names <b>a person</b>.", "tab": "published"},
        headers,
    )

    assert answer.status_code == 303
    review = review_of(client, tenant, ids["review_id"])
    assert (review["status"], review["rejection_reason"]) == (
        "rejected",
        "It names <b>a person</b>.",
    )
    rejected = page(client, "/console/reviews?status=rejected", headers)
    assert "It names &lt;b&gt;a person&lt;/b&gt;." in rejected and "<b>a person" not in rejected


def test_a_reason_too_long_is_refused_beside_its_review(client, svc, tenant):
    ids = helped_order(client, tenant)
    signed_in_as(client, svc, tenant, "operator")

    answer = send(client, f"/console/reviews/{ids['review_id']}/reject", {"reason": "x" * 201})

    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert f'id="reason-{ids["review_id"]}-problem"' in html
    assert review_of(client, tenant, ids["review_id"])["status"] == "pending"


def test_a_review_moderated_meanwhile_says_so(client, svc, tenant):
    ids = helped_order(client, tenant)
    signed_in_as(client, svc, tenant, "operator")
    call(client, tenant, "POST", f"/reviews/{ids['review_id']}:reject", {"reason": "Spam."}, 200)

    again = send(client, f"/console/reviews/{ids['review_id']}/publish", {"tab": "<script>"})

    assert again.status_code == 409
    assert "cannot do that in its current state" in text(again.get_data(as_text=True))
    assert review_of(client, tenant, ids["review_id"])["status"] == "rejected"


def test_a_viewer_moderates_nothing_and_another_merchants_review_is_not_there(
    client, svc, tenant, make_tenant
):
    ids = helped_order(client, tenant)
    other = make_tenant("elsewhere")
    theirs = helped_order(client, other)
    signed_in_as(client, svc, tenant, "viewer")

    assert send(client, f"/console/reviews/{ids['review_id']}/publish", {}).status_code == 403
    assert send(client, f"/console/reviews/{ids['review_id']}/reject", {}).status_code == 403
    signed_in_as(client, svc, tenant, "owner")
    assert send(client, f"/console/reviews/{theirs['review_id']}/publish", {}).status_code == 404
    assert send(client, f"/console/reviews/{theirs['review_id']}/reject", {}).status_code == 404
    assert review_of(client, other, theirs["review_id"])["status"] == "pending"
    assert review_of(client, tenant, ids["review_id"])["status"] == "pending"

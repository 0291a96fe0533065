"""After-sales in the console: the members' requests for help, the open ones first, and
the answer given on the order's page (resolved or declined, with a reply the member
reads); a blank reply, a request answered meanwhile, a viewer and another merchant's
request are refused, and nothing of a refused answer is kept."""

from __future__ import annotations

import pytest
from conftest import sqlite_only
from mall.shop import help_asked, member, shipped
from rules.api import call

from console.console_pages import CHINESE, ENGLISH, page, signed_in_as, text
from console.orders_world import helped_order
from console.test_orders import send

pytestmark = sqlite_only


def request_of(client, tenant, after_sales_id: str) -> dict:
    return call(client, tenant, "GET", f"/after-sales/{after_sales_id}", None, 200).json


@pytest.mark.parametrize(
    ("headers", "waiting"), [(ENGLISH, "Help requested"), (CHINESE, "售后处理中")]
)
def test_the_open_requests_come_first_each_leading_to_its_order(
    client, svc, tenant, headers, waiting
):
    ids = helped_order(client, tenant, name="Travel mug")
    order = shipped(client, tenant, member(client, tenant, 1_000))
    answered = help_asked(client, tenant, order, "other", "<b>Where</b> is it?")
    call(client, tenant, "POST", f"/after-sales/{answered['id']}:decline", {"reply": "On its way."})
    signed_in_as(client, svc, tenant, "viewer", headers)

    listed = page(client, "/console/after-sales", headers)
    every = page(client, "/console/after-sales?status=all", headers)

    assert f"/console/orders/{ids['order_id']}#after-sales" in listed
    assert f"/console/orders/{order['id']}" not in listed
    assert "Travel mug" in listed and waiting in text(page(client, "/console/orders", headers))
    assert f"/console/orders/{order['id']}" in every
    assert "&lt;b&gt;Where&lt;/b&gt; is it?" in every and "<b>Where</b>" not in every
    assert client.get("/console/after-sales?status=lost").status_code == 404


def test_staff_resolve_a_request_with_a_reply_the_member_reads(client, svc, tenant):
    ids = helped_order(client, tenant)
    signed_in_as(client, svc, tenant, "operator")
    url = f"/console/after-sales/{ids['after_sales_id']}/answer"

    answer = send(client, url, {"reply": "A new mug left today: SF2.", "answer": "resolve"})

    assert answer.status_code == 303
    assert answer.headers["Location"].endswith(f"/console/orders/{ids['order_id']}")
    asked = request_of(client, tenant, ids["after_sales_id"])
    assert (asked["status"], asked["reply"]) == ("resolved", "A new mug left today: SF2.")
    assert asked["closed_by_kind"] == "user"
    shown = text(page(client, answer.headers["Location"]))
    assert "The request is resolved" in shown and "Answered by Operator" in shown


@pytest.mark.parametrize("headers", [ENGLISH, CHINESE])
def test_staff_decline_a_request_saying_why(client, svc, tenant, headers):
    ids = helped_order(client, tenant)
    signed_in_as(client, svc, tenant, "owner", headers)
    url = f"/console/after-sales/{ids['after_sales_id']}/answer"

    answer = send(
        client, url, {"reply": "It was <em>delivered</em>.", "answer": "decline"}, headers
    )

    assert answer.status_code == 303
    asked = request_of(client, tenant, ids["after_sales_id"])
    assert (asked["status"], asked["reply"]) == ("declined", "It was <em>delivered</em>.")
    html = page(client, answer.headers["Location"], headers)
    assert "It was &lt;em&gt;delivered&lt;/em&gt;." in html and "已拒绝" in text(
        page(client, answer.headers["Location"], CHINESE)
    )


@pytest.mark.parametrize("headers", [ENGLISH, CHINESE])
def test_a_blank_reply_or_no_answer_is_refused_beside_the_reply(client, svc, tenant, headers):
    ids = helped_order(client, tenant)
    signed_in_as(client, svc, tenant, "operator", headers)
    url = f"/console/after-sales/{ids['after_sales_id']}/answer"

    for data in (
        {"reply": "   ", "answer": "resolve"},
        {"reply": "Sorry.", "answer": "refund"},
        {"reply": "x" * 1001, "answer": "decline"},
    ):
        answer = send(client, url, data, headers)
        html = answer.get_data(as_text=True)
        assert answer.status_code == 422, data
        assert 'id="reply-problem"' in html and 'aria-invalid="true"' in html
    assert request_of(client, tenant, ids["after_sales_id"])["status"] == "open"


def test_a_request_answered_meanwhile_is_not_answered_again(client, svc, tenant):
    ids = helped_order(client, tenant)
    signed_in_as(client, svc, tenant, "operator")
    url = f"/console/after-sales/{ids['after_sales_id']}/answer"
    assert send(client, url, {"reply": "Done.", "answer": "resolve"}).status_code == 303

    again = send(client, url, {"reply": "No.", "answer": "decline"})

    assert again.status_code == 409
    assert "cannot be answered again" in text(again.get_data(as_text=True))
    assert request_of(client, tenant, ids["after_sales_id"])["reply"] == "Done."


def test_a_viewer_cannot_answer_and_another_merchants_request_is_not_there(
    client, svc, tenant, make_tenant
):
    ids = helped_order(client, tenant)
    other = make_tenant("elsewhere")
    theirs = helped_order(client, other)
    signed_in_as(client, svc, tenant, "viewer")
    data = {"reply": "Sure.", "answer": "resolve"}

    refused = send(client, f"/console/after-sales/{ids['after_sales_id']}/answer", data)

    assert refused.status_code == 403
    assert request_of(client, tenant, ids["after_sales_id"])["status"] == "open"
    signed_in_as(client, svc, tenant, "owner")
    missing = send(client, f"/console/after-sales/{theirs['after_sales_id']}/answer", data)
    assert missing.status_code == 404
    assert request_of(client, other, theirs["after_sales_id"])["status"] == "open"

"""A member asks for help with an order whose goods have shipped, from its page in the
mall, in their language: what went wrong and, in their words, more; the page then shows
the request and, once the merchant answers through the API, the reply, all as text.
An order not shipped yet, another member's or another mall's order, a form without its
CSRF token, a second request while one waits, or a form with something wrong: nothing
is sent, and the member is told why."""

from __future__ import annotations

import json
import re

import pytest
from conftest import sqlite_only
from mall.shop import ADDRESS, member, placed, product, shipped
from rules.api import call

from storefront.mall_pages import CHINESE, ENGLISH, form_fields, page, shopper, text

pytestmark = sqlite_only

WORDS = {
    "en": {
        "ask": "Need help with this order?",
        "sent": "Your request is sent. Acme answers it here.",
        "waiting": "Waiting for an answer It arrived damaged",
        "marked": "Help requested",
        "replied": "Resolved It arrived damaged",
        "reply_from": "Acme replied on",
    },
    "zh": {
        "ask": "订单有问题？申请售后",
        "sent": "售后申请已提交，Acme 会在这里答复您。",
        "waiting": "等待处理 商品到货时已损坏",
        "marked": "售后处理中",
        "replied": "已解决 商品到货时已损坏",
        "reply_from": "Acme 于",
    },
}
LANGUAGES = [(ENGLISH, WORDS["en"]), (CHINESE, WORDS["zh"])]
CRACKED = "The <b>lid</b> is cracked.\r\nPlease help."


def order_url(tenant, order: dict) -> str:
    return f"/m/{tenant.slug}/orders/{order['id']}"


def help_form(html: str) -> tuple[str, dict[str, str]] | None:
    """The order page's form asking for help: its address and hidden fields."""
    found = re.search(r'<form method="post" action="([^"]+/help)"', html)
    return (found[1], form_fields(html)) if found else None


def requests_of(client, tenant) -> list[dict]:
    return call(client, tenant, "GET", "/after-sales", None, 200).json["items"]


@pytest.mark.parametrize(("headers", "says"), LANGUAGES)
def test_a_member_asks_for_help_and_reads_the_merchants_reply(client, tenant, headers, says):
    alice = shopper(client, tenant, points=1_000)
    order = shipped(client, tenant, alice, product(client, tenant, name="Travel mug")["id"])
    html = page(client, order_url(tenant, order), headers)
    assert says["ask"] in text(html)
    action, form = help_form(html)

    sent = form | {"kind": "damaged", "description": CRACKED}
    done = client.post(action, data=sent, headers=headers)

    assert done.status_code == 303 and done.headers["Location"] == order_url(tenant, order)
    html = page(client, order_url(tenant, order), headers)
    assert says["sent"] in text(html) and says["waiting"] in text(html)
    assert "The &lt;b&gt;lid&lt;/b&gt; is cracked.\nPlease help." in html  # as text, one LF
    assert help_form(html) is None  # one request at a time
    assert says["marked"] in text(page(client, f"/m/{tenant.slug}/account/orders", headers))
    (asked,) = requests_of(client, tenant)
    assert (asked["member_id"], asked["kind"], asked["status"]) == (alice, "damaged", "open")
    assert asked["description"] == "The <b>lid</b> is cracked.\nPlease help."

    reply = {"reply": "A new <i>mug</i> is on its way."}
    call(client, tenant, "POST", f"/after-sales/{asked['id']}:resolve", reply, 200)

    html = page(client, order_url(tenant, order), headers)
    assert says["replied"] in text(html) and says["reply_from"] in text(html)
    assert "A new &lt;i&gt;mug&lt;/i&gt; is on its way." in html
    assert help_form(html) is not None  # answered: the member may ask again
    assert says["marked"] not in text(page(client, f"/m/{tenant.slug}/account/orders", headers))


@pytest.mark.parametrize(
    ("headers", "says"),
    [
        (ENGLISH, "Help with an order can be asked for once its goods have shipped."),
        (CHINESE, "订单商品发货后才能申请售后。"),
    ],
)
def test_an_order_not_shipped_yet_has_no_form_and_is_refused(client, tenant, headers, says):
    alice = shopper(client, tenant, points=1_000)
    arrived = shipped(client, tenant, alice)
    action, form = help_form(page(client, order_url(tenant, arrived)))
    preparing = placed(client, tenant, alice, product(client, tenant)["id"], address=ADDRESS)
    assert help_form(page(client, order_url(tenant, preparing))) is None

    refused = client.post(
        action.replace(arrived["id"], preparing["id"]),
        data=form | {"kind": "not_received"},
        headers=headers,
    )

    assert refused.status_code == 409 and says in text(refused.get_data(as_text=True))
    assert requests_of(client, tenant) == []


def test_another_members_or_another_malls_order_is_not_found(client, tenant, make_tenant):
    rival = make_tenant("rival")
    theirs = shipped(client, rival, member(client, rival, 1_000))
    bobs = shipped(client, tenant, member(client, tenant, 1_000))
    alice = shopper(client, tenant, points=1_000)
    action, form = help_form(page(client, order_url(tenant, shipped(client, tenant, alice))))

    for other in (bobs, theirs):
        page(client, order_url(tenant, other), status=404)
        elsewhere = action.rsplit("/orders/", 1)[0] + f"/orders/{other['id']}/help"
        assert client.post(elsewhere, data=form | {"kind": "damaged"}).status_code == 404
    assert requests_of(client, tenant) == requests_of(client, rival) == []


def test_a_form_without_its_token_sends_nothing(client, tenant):
    alice = shopper(client, tenant, points=1_000)
    action, _ = help_form(page(client, order_url(tenant, shipped(client, tenant, alice))))

    assert client.post(action, data={"kind": "damaged"}).status_code == 400
    assert requests_of(client, tenant) == []


@pytest.mark.parametrize(
    ("headers", "says"),
    [
        (ENGLISH, "This order already has a request for help waiting for an answer."),
        (CHINESE, "该订单已有一个待处理的售后申请。"),
    ],
)
def test_a_second_request_while_one_waits_is_refused(client, tenant, headers, says):
    alice = shopper(client, tenant, points=1_000)
    order = shipped(client, tenant, alice)
    action, form = help_form(page(client, order_url(tenant, order)))  # open in two tabs
    assert client.post(action, data=form | {"kind": "wrong_item"}).status_code == 303

    again = client.post(
        action, data=form | {"kind": "other", "description": "Hello?"}, headers=headers
    )

    assert again.status_code == 409 and says in text(again.get_data(as_text=True))
    assert [asked["kind"] for asked in requests_of(client, tenant)] == ["wrong_item"]


@pytest.mark.parametrize(
    ("headers", "sent", "says"),
    [
        (ENGLISH, {}, "Choose what went wrong."),
        (CHINESE, {}, "请选择遇到的问题。"),
        (ENGLISH, {"kind": "broken"}, "Choose what went wrong."),
        (ENGLISH, {"kind": "other", "description": "   "}, "Tell us what went wrong."),
        (CHINESE, {"kind": "other"}, "请描述您遇到的问题。"),
        (ENGLISH, {"kind": "damaged", "description": "x" * 501}, "Longer than maximum length 500."),
    ],
)
def test_a_form_with_something_wrong_comes_back_saying_what(client, tenant, headers, sent, says):
    alice = shopper(client, tenant, points=1_000)
    order = shipped(client, tenant, alice)
    action, form = help_form(page(client, order_url(tenant, order)))

    back = client.post(action, data=form | sent, headers=headers)

    assert back.status_code == 422
    html = back.get_data(as_text=True)
    assert says in text(html) and '<details class="ask-for-help" open>' in html
    if "description" in sent:
        assert sent["description"] in html  # kept for the member to mend
    assert requests_of(client, tenant) == []


def test_the_members_data_download_holds_their_requests_and_the_replies(client, tenant):
    alice = shopper(client, tenant, points=1_000)
    order = shipped(client, tenant, alice)
    action, form = help_form(page(client, order_url(tenant, order)))
    client.post(action, data=form | {"kind": "not_received", "description": "Nothing yet."})
    (asked,) = requests_of(client, tenant)
    reply = {"reply": "It was delivered to your neighbour."}
    call(client, tenant, "POST", f"/after-sales/{asked['id']}:decline", reply, 200)

    data = json.loads(client.get(f"/m/{tenant.slug}/account/data").get_data(as_text=True))

    (mine,) = data["after_sales"]
    assert (mine["order"], mine["kind"], mine["description"]) == (
        order["id"],
        "not_received",
        "Nothing yet.",
    )
    assert (mine["status"], mine["reply"]) == ("declined", "It was delivered to your neighbour.")
    assert "closed_by_id" not in mine and "member_id" not in mine

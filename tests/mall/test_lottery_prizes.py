"""A lottery gives its product only as a prize: a physical wheel asks for an address only
when the product is won (the order then waits `awaiting_address`), and a wheel is drawn
whatever its stock, which counts what it has left to give (a virtual one's codes)."""

from __future__ import annotations

from rules.api import call

from .shop import ADDRESS, balance, get_product, member, order, placed, product

# Weights of 0 make the draw certain: the first table never gives the product, the
# second always does.
POINTS_ONLY = [
    {"code": "scarf", "name": "真丝围巾", "weight": 0, "goods": True},
    {"code": "thanks", "name": "谢谢参与 +5", "weight": 1, "points": 5},
]
GOODS_ALWAYS = [
    {"code": "scarf", "name": "真丝围巾", "weight": 1, "goods": True},
    {"code": "thanks", "name": "谢谢参与 +5", "weight": 0, "points": 5},
]


def wheel(client, tenant, prizes, **fields) -> dict:
    params = {"prizes": prizes, "consolation": "thanks"}
    return product(client, tenant, mode="lottery", mode_params=params, points_price=100, **fields)


def move(client, tenant, order_id: str, name: str, body: dict, status: int) -> dict:
    return call(client, tenant, "POST", f"/orders/{order_id}:{name}", body, status).json


# --- a physical wheel ------------------------------------------------------------------


def test_a_physical_wheel_needs_no_address_when_its_product_is_not_won(client, tenant):
    prizes_only = wheel(client, tenant, POINTS_ONLY, stock=3)
    player = member(client, tenant, 1_000)

    drawn = placed(client, tenant, player, prizes_only["id"])

    assert (drawn["status"], drawn["details"]["prize"]["code"]) == ("completed", "thanks")
    assert drawn["address"] is None
    assert balance(client, tenant, player) == 1_000 - 100 + 5
    assert get_product(client, tenant, prizes_only["id"])["stock"] == 3


def test_a_physical_prize_won_without_an_address_waits_for_one(client, tenant):
    scarves = wheel(client, tenant, GOODS_ALWAYS, stock=3)
    player = member(client, tenant, 1_000)

    won = placed(client, tenant, player, scarves["id"])

    assert (won["status"], won["details"]["prize"]["code"]) == ("awaiting_address", "scarf")
    assert [step["status"] for step in won["history"]] == ["created", "awaiting_address"]
    assert get_product(client, tenant, scarves["id"])["stock"] == 2
    shipment = {"carrier": "SF", "tracking_number": "SF100"}
    early = move(client, tenant, won["id"], "ship", shipment, 409)
    assert early["code"] == "order_state_conflict"

    addressed = move(client, tenant, won["id"], "address", {"address": ADDRESS}, 200)

    assert (addressed["status"], addressed["address"]) == ("paid", ADDRESS | {"postal_code": None})
    assert move(client, tenant, won["id"], "address", {"address": ADDRESS}, 409)["code"] == (
        "order_state_conflict"
    )
    assert move(client, tenant, won["id"], "ship", shipment, 200)["status"] == "fulfilled"
    assert balance(client, tenant, player) == 900


def test_an_address_is_given_only_to_an_order_that_waits_for_one(client, tenant):
    mug = product(client, tenant)
    player = member(client, tenant, 1_000)
    shipped = placed(client, tenant, player, mug["id"], address=ADDRESS)

    refused = move(client, tenant, shipped["id"], "address", {"address": {"name": "x"}}, 422)
    assert refused["code"] == "validation_error"
    conflict = move(client, tenant, shipped["id"], "address", {"address": ADDRESS}, 409)
    assert conflict["code"] == "order_state_conflict"


def test_an_order_waiting_for_its_address_can_be_cancelled(client, tenant):
    scarves = wheel(client, tenant, GOODS_ALWAYS, stock=1)
    player = member(client, tenant, 1_000)
    won = placed(client, tenant, player, scarves["id"])

    cancelled = move(client, tenant, won["id"], "cancel", {"reason": "no address"}, 200)

    assert cancelled["status"] == "cancelled"
    assert balance(client, tenant, player) == 1_000
    assert get_product(client, tenant, scarves["id"])["stock"] == 1
    odds = call(client, tenant, "GET", f"/products/{scarves['id']}/lottery", None, 200).json
    assert {p["code"]: p["won"] for p in odds["prizes"]} == {"scarf": 0, "thanks": 0}


def test_a_physical_exchange_still_needs_its_address_up_front(client, tenant):
    mug = product(client, tenant)
    player = member(client, tenant, 1_000)

    refused = order(client, tenant, player, mug["id"])

    assert (refused.status_code, refused.json["code"]) == (422, "address_required")
    assert balance(client, tenant, player) == 1_000


def test_a_wheel_whose_product_ran_out_gives_the_consolation_prize(client, tenant):
    scarves = wheel(client, tenant, GOODS_ALWAYS, stock=1)
    first, second = member(client, tenant, 1_000), member(client, tenant, 1_000)
    assert placed(client, tenant, first, scarves["id"], address=ADDRESS)["status"] == "paid"

    consoled = placed(client, tenant, second, scarves["id"])

    assert consoled["details"]["draw"]["drawn"] == "scarf"
    assert (consoled["status"], consoled["details"]["prize"]["code"]) == ("completed", "thanks")
    assert balance(client, tenant, second) == 1_000 - 100 + 5


# --- a virtual wheel -------------------------------------------------------------------


def virtual_wheel(client, tenant, prizes) -> dict:
    return wheel(client, tenant, prizes, kind="virtual", stock=None)


def test_a_virtual_wheel_is_on_sale_and_drawn_before_any_code_is_uploaded(client, tenant):
    cards = virtual_wheel(client, tenant, POINTS_ONLY)
    player = member(client, tenant, 1_000)

    listed = call(client, tenant, "GET", "/products?on_sale=true", None, 200).json["items"]
    drawn = placed(client, tenant, player, cards["id"])

    assert cards["id"] in [item["id"] for item in listed]
    assert (drawn["status"], drawn["details"]["prize"]["code"]) == ("completed", "thanks")
    assert balance(client, tenant, player) == 1_000 - 100 + 5


def test_a_virtual_wheel_counts_its_codes_and_spends_one_only_on_its_prize(client, tenant):
    cards = virtual_wheel(client, tenant, GOODS_ALWAYS)
    path = f"/products/{cards['id']}/codes"
    assert (
        call(client, tenant, "POST", path, {"csv": "GAME-0001\nGAME-0002\n"}, 200).json["stock"]
        == 2
    )
    player = member(client, tenant, 1_000)

    won = placed(client, tenant, player, cards["id"])

    assert (won["status"], won["delivery"]["codes"]) == ("completed", ["GAME-0001"])
    assert get_product(client, tenant, cards["id"])["stock"] == 1


def test_draws_that_do_not_give_the_product_leave_its_codes(client, tenant):
    cards = virtual_wheel(client, tenant, POINTS_ONLY)
    path = f"/products/{cards['id']}/codes"
    call(client, tenant, "POST", path, {"csv": "GAME-0001\n"}, 200)
    player = member(client, tenant, 1_000)

    for _ in range(3):
        assert placed(client, tenant, player, cards["id"])["details"]["prize"]["code"] == ("thanks")

    assert get_product(client, tenant, cards["id"])["stock"] == 1

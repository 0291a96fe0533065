"""Lotteries: draws anyone can recompute from the revealed seed, prize stock that never
runs over, the published odds, and a pure draw function whose frequencies match the
weights."""

from __future__ import annotations

import hashlib
import math
from collections import Counter

import pytest
from rules.api import call

from jifen.mall.lottery import draw

from .shop import ADDRESS, balance, member, order, placed, product

PRIZES = [
    {"code": "gold", "name": "500 积分", "weight": 1, "stock": 1, "points": 500},
    {"code": "scarf", "name": "真丝围巾", "weight": 2, "stock": 2, "goods": True},
    {"code": "thanks", "name": "谢谢参与 +5", "weight": 7, "points": 5},
]


def test_draw_frequencies_match_the_weights():
    weights = [1, 2, 3, 94]
    seed = bytes(range(32))
    counts = Counter(draw(seed, "2026-03-01", n, weights) for n in range(1, 100_001))
    total = sum(weights)
    # Chi-square with 3 degrees of freedom: 16.27 is the 0.1% critical value.
    chi2 = sum(
        (counts[i] - 100_000 * w / total) ** 2 / (100_000 * w / total)
        for i, w in enumerate(weights)
    )
    assert chi2 < 16.27, (chi2, counts)
    for index, weight in enumerate(weights):
        expected = 100_000 * weight / total
        assert abs(counts[index] - expected) < 5 * math.sqrt(expected)


def test_a_draw_is_the_published_function_of_seed_period_and_number():
    seed = hashlib.sha256(b"published example").digest()
    # Worked by hand from the definition: the first 8-byte word of
    # HMAC-SHA256(seed, "2026-03-01|1"), big-endian, modulo 10, against the cumulative
    # weights 1, 3, 10.
    import hmac

    word = int.from_bytes(hmac.new(seed, b"2026-03-01|1", hashlib.sha256).digest()[:8], "big")
    value = word % 10
    expected = 0 if value < 1 else 1 if value < 3 else 2
    assert draw(seed, "2026-03-01", 1, [1, 2, 7]) == expected
    assert [draw(seed, "2026-03-01", n, [1, 2, 7]) for n in range(1, 50)] == [
        draw(seed, "2026-03-01", n, [1, 2, 7]) for n in range(1, 50)
    ]
    with pytest.raises(ValueError):
        draw(seed, "2026-03-01", 1, [0, 0])


def a_lottery(client, tenant, **fields) -> dict:
    params = {"prizes": PRIZES, "consolation": "thanks"}
    return product(
        client,
        tenant,
        mode="lottery",
        mode_params=params,
        points_price=100,
        stock=None,
        **fields,
    )


def test_recorded_draws_recompute_from_the_revealed_seed(client, tenant, clock):
    wheel = a_lottery(client, tenant)
    path = f"/products/{wheel['id']}/lottery"
    published = call(client, tenant, "GET", path, None, 200).json
    today, tomorrow = published["periods"][1], published["periods"][0]
    assert (today["key"], tomorrow["key"]) == ("2026-03-01", "2026-03-02")
    assert today["seed"] is None and len(today["seed_hash"]) == 64
    assert [p["chance"] for p in published["prizes"]] == ["0.100000", "0.200000", "0.700000"]

    players = [member(client, tenant, 1_000) for _ in range(6)]
    results = [
        placed(client, tenant, players[n % 6], wheel["id"], address=ADDRESS) for n in range(30)
    ]

    given = Counter(r["details"]["prize"]["code"] for r in results)
    assert given["gold"] <= 1 and given["scarf"] <= 2
    for r in results:
        shipped = r["details"]["prize"]["goods"]
        assert r["status"] == ("paid" if shipped else "completed")
        assert r["details"]["draw"]["seed_hash"] == today["seed_hash"]
    for player in players:
        mine = [r for r in results if r["member_id"] == player]
        won = sum(r["details"]["prize"]["points"] for r in mine)
        assert balance(client, tenant, player) == 1_000 - 100 * len(mine) + won

    clock.advance(days=1)
    revealed = call(client, tenant, "GET", path, None, 200).json
    ended = next(p for p in revealed["periods"] if p["key"] == "2026-03-01")
    seed = bytes.fromhex(ended["seed"])
    assert hashlib.sha256(seed).hexdigest() == ended["seed_hash"] == today["seed_hash"]
    draws = call(client, tenant, "GET", f"{path}/draws?period=2026-03-01", None, 200).json["items"]
    assert [d["n"] for d in draws] == list(range(1, 31))
    codes, weights = [p["code"] for p in PRIZES], [p["weight"] for p in PRIZES]
    left = {"gold": 1, "scarf": 2}
    for d in draws:
        assert d["drawn"] == codes[draw(seed, "2026-03-01", d["n"], weights)]
        if d["drawn"] in left and left[d["drawn"]] == 0:
            assert d["prize"] == "thanks"
        else:
            assert d["prize"] == d["drawn"]
            left[d["drawn"]] = left.get(d["drawn"], 0) - 1


def test_a_refunded_prize_goes_back_and_its_points_too(client, tenant):
    only_points = [
        {"code": "jackpot", "name": "1000 积分", "weight": 1, "stock": 1, "points": 1_000},
        {"code": "thanks", "name": "谢谢参与", "weight": 0},
    ]
    wheel = product(
        client,
        tenant,
        mode="lottery",
        mode_params={"prizes": only_points, "consolation": "thanks"},
        kind="service",
        service={"booking_url": "https://x.example.com", "valid_days": 1},
        points_price=100,
        stock=None,
    )
    player = member(client, tenant, 500)
    won = placed(client, tenant, player, wheel["id"])
    assert won["details"]["prize"]["code"] == "jackpot"
    assert won["status"] == "completed"
    assert balance(client, tenant, player) == 1_400
    second = placed(client, tenant, player, wheel["id"])
    assert second["details"]["draw"] == second["details"]["draw"] | {
        "drawn": "jackpot",
        "prize": "thanks",
    }

    call(client, tenant, "POST", f"/orders/{won['id']}:refund", {}, 200)

    assert balance(client, tenant, player) == 1_300 + 100 - 1_000
    odds = call(client, tenant, "GET", f"/products/{wheel['id']}/lottery", None, 200).json
    assert {p["code"]: p["won"] for p in odds["prizes"]} == {"jackpot": 0, "thanks": 1}
    assert placed(client, tenant, player, wheel["id"])["details"]["prize"]["code"] == "jackpot"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"prizes": PRIZES, "consolation": "gold"}, "consolation"),
        ({"prizes": PRIZES, "consolation": "nope"}, "consolation"),
        ({"prizes": PRIZES[:1], "consolation": "gold"}, "prizes"),
        ({"prizes": [PRIZES[0], PRIZES[0]], "consolation": "gold"}, "prizes"),
    ],
)
def test_a_prize_table_that_cannot_be_drawn_is_refused(client, tenant, params, field):
    body = {"kind": "physical", "name": "Wheel", "points_price": 1, "mode": "lottery"}
    refused = call(client, tenant, "POST", "/products", {**body, "mode_params": params}, 422).json
    assert refused["code"] == "mode_params_invalid"
    assert field in refused["details"]["mode_params"]


def test_one_draw_per_order(client, tenant):
    wheel = a_lottery(client, tenant)
    player = member(client, tenant, 1_000)
    refused = order(client, tenant, player, wheel["id"], 2, address=ADDRESS)
    assert refused.status_code == 422
    assert "quantity" in refused.json["details"]
    assert balance(client, tenant, player) == 1_000

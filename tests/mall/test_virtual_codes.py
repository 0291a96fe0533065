"""Virtual products: a pool of codes uploaded as CSV, encrypted at rest, issued one a
unit and shown only with their order; the pool is the stock."""

from __future__ import annotations

import uuid

from rules.api import call
from sqlalchemy import select

from jifen.audit import SYSTEM
from jifen.mall import codes
from jifen.mall.models import ProductCode

from .shop import balance, get_product, member, order, placed, product

CSV = "code\nGAME-0001\nGAME-0002\n\nGAME-0003\nGAME-0002\n" + "X" * 201 + "\n"


def a_game_card(client, tenant) -> dict:
    return product(
        client, tenant, kind="virtual", name="游戏点卡 Game card", points_price=300, stock=None
    )


def test_codes_are_uploaded_issued_once_and_shown_with_their_order(client, tenant, svc):
    card = a_game_card(client, tenant)
    assert card["stock"] == 0
    path = f"/products/{card['id']}/codes"

    report = call(client, tenant, "POST", path, {"csv": CSV}, 200).json
    again = call(client, tenant, "POST", path, {"csv": "GAME-0003\nGAME-0004\n"}, 200).json

    assert report == {
        "added": 3,
        "duplicates": 1,
        "rejected": [{"line": 7, "reason": "Longer than maximum length 200."}],
        "stock": 3,
    }
    assert (again["added"], again["duplicates"], again["stock"]) == (1, 1, 4)
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        stored = session.scalars(select(ProductCode.code)).all()
    assert len(stored) == 4 and not any("GAME" in code for code in stored)

    first, second = member(client, tenant, 1_000), member(client, tenant, 1_000)
    mine = placed(client, tenant, first, card["id"], 3)
    theirs = placed(client, tenant, second, card["id"])

    assert mine["status"] == "completed"
    issued = mine["delivery"]["codes"] + theirs["delivery"]["codes"]
    assert sorted(issued) == ["GAME-0001", "GAME-0002", "GAME-0003", "GAME-0004"]
    sold_out = order(client, tenant, second, card["id"])
    assert sold_out.json["code"] == "out_of_stock"
    assert (
        call(client, tenant, "GET", f"/orders/{theirs['id']}", None, 200).json["delivery"]["codes"]
        == theirs["delivery"]["codes"]
    )

    call(client, tenant, "POST", f"/orders/{theirs['id']}:refund", {}, 200)
    assert balance(client, tenant, second) == 1_000
    assert get_product(client, tenant, card["id"])["stock"] == 0  # a shown code is spent


def test_the_pool_belongs_to_virtual_products_only(client, tenant):
    card = a_game_card(client, tenant)
    mug = product(client, tenant)
    refused = call(client, tenant, "POST", f"/products/{mug['id']}/codes", {"csv": "A"}, 422)
    assert refused.json["code"] == "not_virtual"
    restock = call(client, tenant, "POST", f"/products/{card['id']}/stock", {"change": 5}, 422)
    assert "stock" in restock.json["details"]
    kind = call(client, tenant, "PATCH", f"/products/{card['id']}", {"kind": "physical"}, 422)
    assert "kind" in kind.json["details"]
    stocked = call(
        client,
        tenant,
        "POST",
        "/products",
        {"kind": "virtual", "name": "Card", "points_price": 1, "stock": 5},
        422,
    )
    assert "stock" in stocked.json["details"]


def test_every_unusable_line_is_reported_by_the_line_it_starts_on(client, tenant, svc):
    card = a_game_card(client, tenant)
    text = 'code\nOK-1\n"TWO\nLINES"\nBAD\x07BELL\n' + "Y" * 200_000 + "\nOK-2\n"

    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        report = codes.upload(
            session, uuid.UUID(card["id"]), text, keyring=svc.keyring, actor=SYSTEM, clock=svc.clock
        )

    assert report["rejected"] == [
        {"line": 3, "reason": "Contains a character that is not allowed."},
        {"line": 5, "reason": "Contains a character that is not allowed."},
        {"line": 6, "reason": "Not a line of CSV."},
    ]
    assert (report["added"], report["stock"]) == (2, 2)
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        counts = codes.pool_counts(session, uuid.UUID(card["id"]))
    assert (counts.left, counts.issued) == (2, 0)

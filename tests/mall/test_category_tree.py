"""The category tree as the console shows it: top-level categories a page at a time,
each with everything under it, and siblings moved up and down the shelf."""

from __future__ import annotations

import uuid

from rules.api import call

from jifen.audit import SYSTEM
from jifen.mall import catalog
from jifen.mall.models import Category


def category(client, tenant, name: str, parent: dict | None = None, order: int = 0) -> dict:
    body = {"name": name, "sort_order": order} | ({"parent_id": parent["id"]} if parent else {})
    return call(client, tenant, "POST", "/categories", body, 201).json


def shape(nodes) -> list:
    return [(node.category.name, shape(node.children)) for node in nodes]


def test_the_tree_pages_top_categories_each_with_all_below_it(client, tenant, svc):
    home = category(client, tenant, "Home", order=1)
    kitchen = category(client, tenant, "Kitchen", home)
    category(client, tenant, "Cups", kitchen)
    category(client, tenant, "Garden", home)
    category(client, tenant, "Books", order=0)
    category(client, tenant, "Toys", order=2)
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        first, cursor = catalog.category_tree(session, limit=2)
        rest, end = catalog.category_tree(session, limit=2, cursor=cursor)
        flat = [(c.name, depth) for c, depth in catalog.flatten(first)]
    assert shape(first) == [
        ("Books", []),
        ("Home", [("Garden", []), ("Kitchen", [("Cups", [])])]),
    ]
    assert shape(rest) == [("Toys", [])] and end is None
    assert flat == [("Books", 0), ("Home", 0), ("Garden", 1), ("Kitchen", 1), ("Cups", 2)]


def test_moving_a_category_reorders_only_its_siblings(client, tenant, svc):
    home = category(client, tenant, "Home")
    a, _, c = (
        category(client, tenant, name, home, order)
        for name, order in [("A", 5), ("B", 5), ("C", 9)]
    )
    other = category(client, tenant, "Other", order=3)
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        catalog.move_category(session, uuid.UUID(c["id"]), -1, actor=SYSTEM, clock=svc.clock)
        catalog.move_category(
            session, uuid.UUID(a["id"]), -5, actor=SYSTEM, clock=svc.clock
        )  # stays first
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        tree, _ = catalog.category_tree(session, limit=10)
        kept = session.get(Category, (tenant.tenant_id, uuid.UUID(other["id"])))
        assert kept.sort_order == 3
    assert shape(tree) == [("Home", [("A", []), ("C", []), ("B", [])]), ("Other", [])]

"""The catalog's categories: the tree (top-level categories a page at a time, each with
everything under it), a category made, renamed or moved under another, and moved up or
down among its siblings."""

from __future__ import annotations

import uuid
from typing import Any
from zoneinfo import ZoneInfo

from flask import flash, redirect, request, url_for
from marshmallow import Schema, ValidationError
from werkzeug import Response

from jifen.console.access import current, staff_page
from jifen.console.catalog_inputs import Reader, problems_in, refusal_problems
from jifen.console.pages import bp, render
from jifen.errors import JifenError, NotFound, ValidationFailed
from jifen.field_messages import one_of
from jifen.i18n import N_, translate
from jifen.mall import catalog, schemas
from jifen.mall.models import Category
from jifen.tenants import roles
from jifen.web import db_session, request_actor, services

# Top-level categories a page shows, and categories a parent's select offers.
PAGE = 50
CHOICES = 200


def _actor() -> Any:
    return request_actor("user", str(current().user.id))


def _reader() -> Reader:
    tenant = current().tenant
    assert tenant is not None
    return Reader(request.form, zone=ZoneInfo(tenant.timezone), currency=tenant.currency)


@bp.route("/catalog/categories")
@staff_page(roles.VIEW)
def catalog_categories() -> str:
    """The category tree, in shelf order."""
    cursor = request.args.get("cursor", "")[:512] or None
    tree, next_cursor = catalog.category_tree(db_session(), limit=PAGE, cursor=cursor)
    return render(
        "console/catalog_categories.html",
        tree=tree,
        next_cursor=next_cursor,
        can_configure=current().can(roles.CONFIGURE),
    )


@bp.route("/catalog/categories/new", methods=["GET", "POST"])
@staff_page(roles.CONFIGURE)
def catalog_new_category() -> tuple[str, int] | Response:
    """A new category, at the top or under another."""
    values = {"name": "", "parent_id": request.args.get("parent", "")[:64], "sort_order": "0"}
    problems: dict[str, str] = {}
    if request.method == "POST":
        data, values, problems = _read(schemas.CategoryIn())
        if data is not None:
            tenant = current().tenant
            assert tenant is not None
            try:
                made = catalog.create_category(
                    db_session(), tenant.id, data, actor=_actor(), clock=services().clock
                )
            except JifenError as refused:
                problems = _refused(refused)
            else:
                flash(translate(N_("The category %(name)s is added."), {"name": made.name}))
                return redirect(url_for("console.catalog_categories"), 303)
    return _page(None, values, problems)


@bp.route("/catalog/categories/<uuid:category_id>", methods=["GET", "POST"])
@staff_page(roles.CONFIGURE)
def catalog_category(category_id: uuid.UUID) -> tuple[str, int] | Response:
    """Rename a category, move it under another, or change its place."""
    category = catalog.get_category(db_session(), category_id)
    values = {
        "name": category.name,
        "parent_id": str(category.parent_id) if category.parent_id else "",
        "sort_order": str(category.sort_order),
    }
    problems: dict[str, str] = {}
    if request.method == "POST":
        data, values, problems = _read(schemas.CategoryChange())
        if data is not None:
            try:
                catalog.update_category(
                    db_session(), category.id, data, actor=_actor(), clock=services().clock
                )
            except JifenError as refused:
                problems = _refused(refused)
            else:
                flash(translate(N_("The category %(name)s is saved."), {"name": category.name}))
                return redirect(url_for("console.catalog_categories"), 303)
    return _page(category, values, problems)


@bp.route("/catalog/categories/<uuid:category_id>/move", methods=["POST"])
@staff_page(roles.CONFIGURE)
def catalog_category_move(category_id: uuid.UUID) -> Response:
    """Move a category one place up or down among its siblings."""
    category = catalog.get_category(db_session(), category_id)
    offset = {"up": -1, "down": 1}.get(request.form.get("direction", ""))
    if offset is None:
        raise ValidationFailed(details={"direction": [one_of(("up", "down"))]})
    catalog.move_category(db_session(), category.id, offset, actor=_actor(), clock=services().clock)
    return redirect(url_for("console.catalog_categories") + f"#category-{category_id}", 303)


def _read(schema: Schema) -> tuple[dict[str, Any] | None, dict[str, str], dict[str, str]]:
    """The posted category as the API's schema loads it; what was typed; problems."""
    reader = _reader()
    name = reader.text("name")
    parent = reader.text("parent_id").strip()
    sort_order = reader.whole("sort_order")
    raw: dict[str, Any] = {"parent_id": parent or None}
    raw |= {"name": name} if name.strip() else {}
    raw |= {"sort_order": sort_order if sort_order is not None else 0}
    problems: dict[str, str] = {}
    loaded = None
    try:
        loaded = schema.load(raw)
    except ValidationError as refused:
        problems = problems_in(refused.messages)
    problems |= reader.problems
    values = {key: str(value) for key, value in reader.values.items()}
    if not name.strip():
        problems.setdefault("name", translate(N_("Missing data for required field.")))
    return (None if problems else loaded), values, problems


def _refused(refused: JifenError) -> dict[str, str]:
    if isinstance(refused, NotFound):
        return {"parent_id": refused.translated()}
    return refusal_problems(refused, default_field="parent_id")


def _page(
    category: Category | None, values: dict[str, str], problems: dict[str, str]
) -> tuple[str, int]:
    tree, _ = catalog.category_tree(db_session(), limit=CHOICES)
    excluded = _subtree(tree, category.id) if category is not None else set()
    parents = [(c, depth) for c, depth in catalog.flatten(tree) if c.id not in excluded]
    return render(
        "console/catalog_category.html",
        category=category,
        values=values,
        problems=problems,
        parents=parents,
    ), (422 if problems else 200)


def _subtree(nodes: list[catalog.CategoryNode], category_id: uuid.UUID) -> set[uuid.UUID]:
    """The category and those under it: no place to move it to."""
    for node in nodes:
        if node.category.id == category_id:
            return {c.id for c, _ in catalog.flatten([node])}
        found = _subtree(node.children, category_id)
        if found:
            return found
    return set()

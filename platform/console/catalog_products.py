"""The catalog's products: the list (found by words, category and status), a product's
form for every kind and redemption mode with its images, its stock moved up or down,
and putting it on sale or taking it off.

Images are uploaded with the form (jifen.uploads.store_image: only PNG, JPEG, GIF and
WebP, at most 2 MB each); they are kept only when the product is saved, so a refused
form leaves no file behind.
"""

from __future__ import annotations

import uuid
from typing import Any
from zoneinfo import ZoneInfo

from flask import flash, redirect, request, url_for
from werkzeug import Response
from werkzeug.datastructures import FileStorage

from jifen.console.access import current, staff_page
from jifen.console.catalog_inputs import Reader, refusal_problems
from jifen.console.catalog_prizes import MAX_PRIZES, PERIODS
from jifen.console.catalog_product_form import (
    COUPON_TYPES,
    KINDS,
    STATUSES,
    Choices,
    ModeSection,
    Posted,
    ProductForm,
    mode_label,
    settings_prefix,
    settings_problems,
)
from jifen.console.pages import bp, make_room, page_language, render
from jifen.errors import JifenError, NotFound, ValidationFailed
from jifen.field_messages import one_of
from jifen.i18n import N_, Message, format_money, translate
from jifen.mall import catalog, partners
from jifen.mall.models import Product
from jifen.mall.schemas import MAX_IMAGES
from jifen.members import tiers
from jifen.tenants import roles
from jifen.tenants.models import Tenant
from jifen.uploads import MAX_IMAGE_BYTES, PREFIX, store_image
from jifen.web import db_session, request_actor, services

PAGE = 25
# At most this many new images in one post of the form: with the rest of the form, the
# body a post of it may have (the app's limit is for JSON and small forms).
NEW_IMAGES = 3
UPLOAD_LIMIT = NEW_IMAGES * (MAX_IMAGE_BYTES + 4096) + 1024 * 1024
# The categories and partners a product's selects offer (a page of each).
CATEGORY_CHOICES = 200
PARTNER_CHOICES = 200
# The inputs a refusal can name that the form shows a problem beside.
_BESIDE = {"images", "tier_discounts", "category_id"}
# A missing thing a field named, and that field.
_NAMED_BY = {"category": "category_id", "partner": settings_prefix("co_branded") + "-partner_id"}


def actor() -> Any:
    return request_actor("user", str(current().user.id))


def tenant() -> Tenant:
    found = current().tenant
    assert found is not None
    return found


make_room(
    ("console.catalog_new_product", "console.catalog_product"),
    UPLOAD_LIMIT,
    N_("What was sent is too large: an image may be at most 2 MB."),
)


# -- the list ---------------------------------------------------------------------------


@bp.route("/catalog/products")
@staff_page(roles.VIEW)
def catalog_products() -> str:
    """The products, a page at a time: by words of their name, category and status."""
    session, svc = db_session(), services()
    q = request.args.get("q", "").strip()[:100]
    status = request.args.get("status", "")
    category = _uuid(request.args.get("category", ""))
    cursor = request.args.get("cursor") or None
    rows, next_cursor = catalog.search_products(
        session,
        now=svc.clock.now(),
        q=q or None,
        category_id=category,
        status=status if status in STATUSES else None,
        cursor=cursor[:512] if cursor else None,
        limit=PAGE,
    )
    tree, _ = catalog.category_tree(session, limit=CATEGORY_CHOICES)
    categories = catalog.flatten(tree)
    names = {c.id: c.name for c, _ in categories}
    return render(
        "console/catalog_products.html",
        products=[_row(p, names) for p in rows],
        next_cursor=next_cursor,
        filters={"q": q, "status": status, "category": str(category) if category else ""},
        categories=categories,
        statuses=STATUSES,
        can_configure=current().can(roles.CONFIGURE),
    )


def _row(product: Product, categories: dict[uuid.UUID, str]) -> dict[str, Any]:
    modes = services().redeem_modes
    return {
        "id": product.id,
        "name": product.name,
        "image": product.images[0] if product.images else None,
        "kind": translate(KINDS[product.kind]) if product.kind in KINDS else product.kind,
        "mode": mode_label(modes, product.mode),
        "price": _price(product),
        "stock": product.stock,
        "sold": product.sold,
        "status": product.status,
        "category": categories.get(product.category_id) if product.category_id else None,
    }


def _price(product: Product) -> str:
    points = translate(N_("%(points)s points"), {"points": f"{product.points_price:,}"})
    if product.cash_price is None or product.currency is None:
        return points
    cash = format_money(product.cash_price, product.currency, page_language())
    return f"{points} + {cash}"


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text[:64]) if text else None
    except ValueError:
        return None


# -- a product's form ---------------------------------------------------------------------


def _form(product: Product | None = None) -> ProductForm:
    session, svc, mall = db_session(), services(), tenant()
    tree, _ = catalog.category_tree(session, limit=CATEGORY_CHOICES)
    found, _ = partners.list_partners(session, limit=PARTNER_CHOICES)
    choices = Choices(catalog.flatten(tree), tiers.tiers_of(session, mall.id), found)
    return ProductForm(
        currency=mall.currency,
        zone=_zone(),
        modes=svc.redeem_modes,
        choices=choices,
        product=product,
    )


def _zone() -> ZoneInfo:
    return ZoneInfo(tenant().timezone)


@bp.route("/catalog/products/new", methods=["GET", "POST"])
@staff_page(roles.CONFIGURE)
def catalog_new_product() -> tuple[str, int] | Response:
    """A new product of any kind and mode, with its images."""
    form = _form()
    if request.method == "GET":
        return _form_page(form, form.values(), {}), 200
    posted = form.read(request.form, [])
    if posted.data is not None:
        saved = _save(form, posted)
        if isinstance(saved, Product):
            flash(translate(N_("The product is saved.")))
            return redirect(url_for("console.catalog_product", product_id=saved.id), 303)
        posted.problems = saved
    return _form_page(form, posted.values, posted.problems), 422 if posted.problems else 200


@bp.route("/catalog/products/<uuid:product_id>", methods=["GET", "POST"])
@staff_page(roles.CONFIGURE)
def catalog_product(product_id: uuid.UUID) -> tuple[str, int] | Response:
    """A product's form, its stock and its status."""
    product = catalog.get_product(db_session(), product_id)
    form = _form(product)
    if request.method == "GET":
        return _form_page(form, form.values(), {}), 200
    removed = [path for path in request.form.getlist("remove_image") if isinstance(path, str)]
    posted = form.read(request.form, removed)
    if posted.data is not None:
        saved = _save(form, posted)
        if isinstance(saved, Product):
            flash(translate(N_("The product is saved.")))
            return redirect(url_for("console.catalog_product", product_id=product.id), 303)
        posted.problems = saved
    return _form_page(form, posted.values, posted.problems), 422 if posted.problems else 200


def _save(form: ProductForm, posted: Posted) -> Product | dict[str, str]:
    """Store the new images and save the product; what was refused, by input, if it
    could not be (nothing kept then, files neither)."""
    assert posted.data is not None
    svc, session = services(), db_session()
    uploads = [
        f for f in request.files.getlist("images") if isinstance(f, FileStorage) and f.filename
    ]
    kept = posted.data["images"]
    if len(uploads) > NEW_IMAGES or len(kept) + len(uploads) > MAX_IMAGES:
        most = min(NEW_IMAGES, MAX_IMAGES - len(kept))
        message = N_("Add at most %(count)s images at a time, and %(most)s in all.")
        return {"images": translate(message, {"count": max(most, 0), "most": MAX_IMAGES})}
    stored: list[str] = []
    try:
        for upload in uploads:
            data = upload.read(MAX_IMAGE_BYTES + 1)
            stored.append(store_image(svc.storage, tenant().id, data, field="images"))
        fields = posted.data | {"images": [*kept, *stored]}
        args: dict[str, Any] = {
            "modes": svc.redeem_modes,
            "tiers": tiers.tiers_of(session, tenant().id),
            "actor": actor(),
            "clock": svc.clock,
        }
        if form.product is None:
            return catalog.create_product(session, tenant().id, fields, **args)
        return catalog.update_product(session, form.product.id, fields, **args)
    except NotFound as missing:
        _forget(stored)
        return {_NAMED_BY.get(missing.resource, "form"): missing.translated()}
    except JifenError as refused:
        _forget(stored)
        return _refusal(refused, posted.data.get("mode"))


def _refusal(refused: JifenError, mode: str | None) -> dict[str, str]:
    details = refused.details if isinstance(refused.details, dict) else {}
    if mode is not None and "mode_params" in details:
        return settings_problems(refused, mode)
    found = refusal_problems(refused, default_field="form")
    return {_input_of(name): text for name, text in found.items()}


def _input_of(name: str) -> str:
    """The input a problem about field `name` (a path) is shown beside."""
    if name.startswith("tier_discounts-"):
        return "discount-" + name.split("-")[1]
    return name.split("-")[0] if name.startswith(("tags-", "images-")) else name


def _forget(stored: list[str]) -> None:
    """Delete images stored for a save that was refused."""
    storage = services().storage
    for path in stored:
        storage.delete(path.removeprefix(PREFIX))


def _form_page(
    form: ProductForm,
    values: dict[str, Any],
    problems: dict[str, str],
    *,
    stock: Reader | None = None,
) -> str:
    """The product's form showing `values` and `problems`; `stock`, a refused change of
    its stock."""
    problems = {_input_of(name): text for name, text in problems.items()}
    sections = form.sections(values, problems)
    shown = {"form", *form.values(), *(n for n in problems if n.startswith("mode-"))} | _BESIDE
    return render(
        "console/catalog_product.html",
        product=form.product,
        values=values,
        problems=problems,
        others=[text for name, text in problems.items() if name not in shown],
        sections=sections,
        options=_options(form, sections),
        more_open=any(name in _MORE or name.startswith("discount-") for name in problems),
        choices=form.choices,
        statuses=STATUSES,
        periods=_translated(PERIODS),
        max_prizes=MAX_PRIZES,
        new_images=NEW_IMAGES,
        currency=tenant().currency,
        stock_problem=stock.problems.get("change") if stock else None,
        stock_change=stock.values.get("change", "") if stock else "",
    )


# The inputs folded under "When, how many and for whom": opened when one has a problem.
_MORE = {
    "listed_from",
    "listed_until",
    "limit_per_day",
    "limit_per_week",
    "limit_ever",
    "min_tier",
    "tier_discounts",
    "sort_order",
}


def _options(form: ProductForm, sections: list[ModeSection]) -> dict[str, list[tuple[str, str]]]:
    """Each select's options, (value, label) in the reader's language."""
    choices = form.choices
    return {
        "kinds": _translated(KINDS),
        "statuses": _translated({k: v for k, v in STATUSES.items() if k != "archived"}),
        "coupon_types": _translated(COUPON_TYPES),
        "modes": [(section.name, section.label) for section in sections],
        "categories": [("", translate(N_("No category")))]
        + [(str(c.id), "— " * depth + c.name) for c, depth in choices.categories],
        "partners": [("", translate(N_("Choose a partner")))]
        + [(str(p.id), f"{p.name} ({p.currency})") for p in choices.partners],
        "tiers": [("", translate(N_("Every member")))] + [(t.code, t.name) for t in choices.tiers],
    }


def _translated(labels: dict[str, str]) -> list[tuple[str, str]]:
    return [(value, translate(label)) for value, label in labels.items()]


# -- stock and status ---------------------------------------------------------------------


@bp.route("/catalog/products/<uuid:product_id>/stock", methods=["POST"])
@staff_page(roles.CONFIGURE)
def catalog_product_stock(product_id: uuid.UUID) -> tuple[str, int] | Response:
    """Add units to a product's stock, or take them away (audited)."""
    session, svc = db_session(), services()
    product = catalog.get_product(session, product_id)
    reader = Reader(request.form, zone=_zone(), currency=tenant().currency)
    change = reader.whole("change")
    if change is None and "change" not in reader.problems:
        reader.refuse("change", Message(N_("Missing data for required field.")))
    if change is not None:
        try:
            catalog.change_stock(session, product.id, change, actor=actor(), clock=svc.clock)
        except JifenError as refused:
            reader.refuse("change", Message(refused.message_id, refused.params))
    if reader.problems:
        form = _form(product)
        return _form_page(form, form.values(), {}, stock=reader), 422
    flash(translate(N_("The stock is now %(stock)s."), {"stock": f"{product.stock:,}"}))
    return redirect(url_for("console.catalog_product", product_id=product.id), 303)


@bp.route("/catalog/products/<uuid:product_id>/status", methods=["POST"])
@staff_page(roles.CONFIGURE)
def catalog_product_status(product_id: uuid.UUID) -> Response:
    """Put a product on sale, take it off (a draft again), or archive it."""
    session, svc = db_session(), services()
    product = catalog.get_product(session, product_id)  # another tenant's: not found, first
    status = request.form.get("status", "")
    if status not in STATUSES:
        raise ValidationFailed(details={"status": [one_of(STATUSES)]})
    catalog.update_product(
        session,
        product.id,
        {"status": status},
        modes=svc.redeem_modes,
        tiers=tiers.tiers_of(session, tenant().id),
        actor=actor(),
        clock=svc.clock,
    )
    notices = {
        "active": N_("%(name)s is on sale."),
        "draft": N_("%(name)s is off sale."),
        "archived": N_("%(name)s is archived."),
    }
    flash(translate(notices[status], {"name": product.name}))
    if request.form.get("back") == "list":
        return redirect(url_for("console.catalog_products"), 303)
    return redirect(url_for("console.catalog_product", product_id=product.id), 303)

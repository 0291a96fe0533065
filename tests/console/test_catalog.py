"""The console's catalog: a merchant's staff find, make and change products of every
kind and redemption mode with their images, stock and status; arrange categories; fill a
virtual product's pool of codes; read coupons' terms; edit a lottery's prizes against
the odds they imply; schedule and end flash sales; and fund co-branded items through
partners' budgets. In English and in Chinese, refusing bad input beside its field."""

from __future__ import annotations

import io
import re
import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from conftest import sqlite_only
from mall.shop import product
from mall.test_custom_mode import StampCard
from rules.api import call
from sqlalchemy import select
from storefront.mall_pages import gold_tier
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from console.console_pages import CHINESE, ENGLISH, form_fields, page, post, signed_in_as, text
from jifen.audit import AuditEvent
from jifen.hookimpl import hookimpl
from jifen.i18n import translate_in
from jifen.mall.models import Category, FlashSale, Partner, Product
from jifen.uploads import MAX_IMAGE_BYTES

pytestmark = sqlite_only
LANGUAGES = pytest.mark.parametrize("headers", [ENGLISH, CHINESE], ids=["en", "zh"])
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PRODUCTS = "/console/catalog/products"


def said(headers: dict[str, str], message_id: str, **params: object) -> str:
    """A message as the page's reader reads it (in the catalogs' words once they have
    it, else as written)."""
    locale = "zh_CN" if headers is CHINESE else "en"
    return translate_in(locale, message_id, params)


def post_files(client, url: str, data: dict, headers=ENGLISH, files: dict | None = None):
    """Post a page's form with files, as a browser does (multipart, with its CSRF token).
    The body is built in memory: the test client would spool a large one to a file it
    never closes."""
    if not files:
        return post(client, url, data, headers)
    fields = form_fields(page(client, url, headers)) | data
    parts = fields | {
        name: FileStorage(stream, filename=filename) for name, (stream, filename) in files.items()
    }
    boundary, body = encode_multipart(parts)
    return client.post(
        url, data=body, content_type=f"multipart/form-data; boundary={boundary}", headers=headers
    )


def new_product(client, data: dict, headers=ENGLISH, files: dict | None = None):
    """Post the new product form; its defaults are those of a physical exchange item."""
    form = {
        "name": "Jasmine tea",
        "kind": "physical",
        "points_price": "300",
        "stock": "20",
        "status": "draft",
        "mode": "exchange",
        "sort_order": "0",
    } | data
    return post_files(client, f"{PRODUCTS}/new", form, headers, files)


def stored(svc, tenant, **where) -> list[Product]:
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        return list(session.scalars(select(Product).filter_by(**where)))


def problems(response) -> dict[str, str]:
    """The problems shown beside inputs: their ids and texts."""
    html = response.get_data(as_text=True)
    return {name: text(said) for name, said in re.findall(r'id="([^"]+)-problem">([^<]*)<', html)}


# -- the list ------------------------------------------------------------------------------


@LANGUAGES
def test_products_are_found_by_words_category_and_status(client, svc, tenant, headers):
    drinks = call(client, tenant, "POST", "/categories", {"name": "Drinks"}, 201).json
    tea = call(
        client, tenant, "POST", "/categories", {"name": "Tea", "parent_id": drinks["id"]}, 201
    )
    product(client, tenant, name="Jasmine tea", category_id=tea.json["id"])
    product(client, tenant, name="Oolong tea", status="draft")
    product(client, tenant, name="Travel mug")
    signed_in_as(client, svc, tenant, "viewer", headers)

    everything = text(page(client, PRODUCTS, headers))
    by_words = text(page(client, f"{PRODUCTS}?q=tea", headers))
    in_drinks = text(page(client, f"{PRODUCTS}?category={drinks['id']}", headers))
    drafts = text(page(client, f"{PRODUCTS}?status=draft", headers))

    assert all(name in everything for name in ("Jasmine tea", "Oolong tea", "Travel mug"))
    assert "Travel mug" not in by_words and "Oolong tea" in by_words
    assert "Jasmine tea" in in_drinks and "Oolong tea" not in in_drinks
    assert "Oolong tea" in drafts and "Jasmine tea" not in drafts
    assert said(headers, "Products") in everything
    assert said(headers, "Add a product") not in everything  # a viewer adds nothing


def test_the_list_pages_on_with_its_filters(client, svc, tenant):
    for number in range(27):
        product(client, tenant, name=f"Tea {number:02}", sort_order=number)
    signed_in_as(client, svc, tenant, "admin")

    first = page(client, f"{PRODUCTS}?q=Tea")
    following = re.search(r'href="([^"]*cursor=[^"]*)"', first)[1].replace("&amp;", "&")
    rest = text(page(client, following))

    assert "Tea 24" in text(first) and "Tea 25" not in text(first)
    assert "Tea 25" in rest and "Tea 26" in rest and "Tea 00" not in rest


# -- making and changing products ------------------------------------------------------------


@LANGUAGES
def test_a_product_is_made_with_an_image_and_put_on_sale(client, svc, tenant, headers):
    signed_in_as(client, svc, tenant, "admin", headers)

    made = new_product(
        client,
        {"description": "Fragrant\r\ngreen tea", "tags": "tea， green"},
        headers,
        files={"images": (io.BytesIO(PNG), "tea.png")},
    )

    assert made.status_code == 303, made.get_data(as_text=True)[:3000]
    [tea] = stored(svc, tenant)
    assert (tea.name, tea.status, tea.stock, tea.points_price) == ("Jasmine tea", "draft", 20, 300)
    assert tea.description == "Fragrant\ngreen tea" and tea.tags == ["tea", "green"]
    [image] = tea.images
    assert client.get(image).data == PNG  # served from the tenant's files
    put = client.post(
        f"{PRODUCTS}/{tea.id}/status",
        data={"csrf_token": _token(client, f"{PRODUCTS}/{tea.id}"), "status": "active"},
        headers=headers,
    )
    assert put.status_code == 303
    assert stored(svc, tenant)[0].status == "active"
    shown = text(page(client, put.headers["Location"], headers))
    assert said(headers, "%(name)s is on sale.", name="Jasmine tea") in shown


def _token(client, url: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page(client, url))[1]


@pytest.mark.parametrize(
    ("kind", "fields", "expected"),
    [
        (
            "coupon",
            {
                "coupon-type": "amount_off",
                "coupon-amount_off": "5.50",
                "coupon-threshold": "30",
                "coupon-valid_days": "30",
            },
            {
                "coupon": {
                    "type": "amount_off",
                    "amount_off": 550,
                    "threshold": 3000,
                    "valid_days": 30,
                }
            },
        ),
        (
            "coupon",
            {"coupon-type": "percent_off", "coupon-percent_off": "15", "coupon-valid_days": "7"},
            {"coupon": {"type": "percent_off", "percent_off": 15, "threshold": 0, "valid_days": 7}},
        ),
        (
            "service",
            {"service-booking_url": "https://book.example/spa", "service-valid_days": "90"},
            {"service": {"booking_url": "https://book.example/spa", "valid_days": 90}},
        ),
        ("virtual", {"stock": "50"}, {}),
    ],
)
def test_each_kind_is_made_with_its_terms(client, svc, tenant, kind, fields, expected):
    signed_in_as(client, svc, tenant, "admin")

    made = new_product(client, {"kind": kind} | fields)

    assert made.status_code == 303, problems(made)
    [item] = stored(svc, tenant)
    assert item.kind == kind and item.fulfilment == expected
    if kind == "virtual":
        assert item.stock == 0  # its stock is its codes, whatever was typed


def a_partner(client, svc, tenant, name: str = "Tea Co", currency: str = "CNY") -> Partner:
    body = {"name": name, "currency": currency, "budget": 100_000}
    made = call(client, tenant, "POST", "/partners", body, 201).json
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        return session.get(Partner, (tenant.tenant_id, uuid.UUID(made["id"])))


LOTTERY_TABLE = {
    "mode-lottery-prizes-0-code": "A",
    "mode-lottery-prizes-0-name": "Big prize",
    "mode-lottery-prizes-0-weight": "1",
    "mode-lottery-prizes-0-points": "1000",
    "mode-lottery-prizes-0-stock": "2",
    "mode-lottery-prizes-1-code": "B",
    "mode-lottery-prizes-1-name": "Thanks",
    "mode-lottery-prizes-1-weight": "3",
    "mode-lottery-consolation": "B",
    "mode-lottery-period": "week",
}


def test_each_mode_is_made_with_its_settings(client, svc, tenant):
    partner = a_partner(client, svc, tenant, currency="USD")
    signed_in_as(client, svc, tenant, "admin")

    cash = new_product(client, {"name": "Kettle", "mode": "points_cash", "cash_price": "30.50"})
    funded = new_product(
        client,
        {
            "name": "Partner mug",
            "mode": "co_branded",
            "mode-co_branded-partner_id": str(partner.id),
            "mode-co_branded-cost_share": "1.25",
        },
    )
    wheel = new_product(client, {"name": "Wheel", "mode": "lottery"} | LOTTERY_TABLE)

    assert [r.status_code for r in (cash, funded, wheel)] == [303, 303, 303], problems(wheel)
    items = {p.name: p for p in stored(svc, tenant)}
    assert (items["Kettle"].cash_price, items["Kettle"].currency) == (3050, "CNY")
    assert items["Partner mug"].mode_params == {"partner_id": str(partner.id), "cost_share": 125}
    prizes = items["Wheel"].mode_params["prizes"]
    assert [(p["code"], p["weight"], p["points"], p["stock"]) for p in prizes] == [
        ("A", 1, 1000, 2),
        ("B", 3, 0, None),
    ]
    assert items["Wheel"].mode_params["period"] == "week"


def test_a_mode_that_takes_cash_needs_its_cash_price(client, svc, tenant):
    signed_in_as(client, svc, tenant, "admin")

    refused = new_product(client, {"mode": "points_cash", "cash_price": ""})

    assert refused.status_code == 422
    assert problems(refused)["cash_price"] == "Required for the points_cash mode."


class OutsidePlugin:
    """A redeem mode from outside the platform, with settings of its own."""

    @hookimpl
    def register_redeem_modes(self) -> list:
        return [StampCard()]


def test_a_plugins_own_mode_gets_a_form_for_its_settings(client, svc, tenant):
    svc.plugins.register(OutsidePlugin(), name="test_console_outside_mode")
    svc.__dict__.pop("redeem_modes", None)  # built on first use: again, with the new mode
    signed_in_as(client, svc, tenant, "admin")

    form = page(client, f"{PRODUCTS}/new")
    refused = new_product(client, {"mode": "stamp_card", "mode-stamp_card-stamps": "1"})
    made = new_product(
        client, {"mode": "stamp_card", "mode-stamp_card-stamps": "3", "mode-stamp_card-bonus": "50"}
    )

    assert 'name="mode-stamp_card-stamps"' in form and "Stamp card" in form
    assert refused.status_code == 422
    assert made.status_code == 303
    assert stored(svc, tenant)[0].mode_params == {"stamps": 3, "bonus": 50}


def test_a_product_is_kept_for_a_tier_with_its_own_discounts(client, svc, tenant):
    gold_tier(client, tenant, discount=5)
    signed_in_as(client, svc, tenant, "admin")

    made = new_product(client, {"min_tier": "gold", "discount-gold": "20"})
    refused = new_product(client, {"discount-gold": "120"})

    assert made.status_code == 303
    [item] = stored(svc, tenant)
    assert (item.min_tier, item.tier_discounts) == ("gold", {"gold": 20})
    assert refused.status_code == 422 and "discount-gold" in problems(refused)


def test_rows_of_prizes_are_added_and_removed_without_saving(client, svc, tenant):
    signed_in_as(client, svc, tenant, "admin")

    added = new_product(client, {"mode": "lottery", "_add": "mode-lottery-prizes"} | LOTTERY_TABLE)
    removed = new_product(
        client, {"mode": "lottery", "_remove": "mode-lottery-prizes-0"} | LOTTERY_TABLE
    )

    assert added.status_code == 200 and removed.status_code == 200
    assert 'name="mode-lottery-prizes-2-code"' in added.get_data(as_text=True)
    kept = removed.get_data(as_text=True)
    assert 'name="mode-lottery-prizes-1-code"' not in kept and 'value="Thanks"' in kept
    assert stored(svc, tenant) == []


def test_a_change_keeps_what_the_form_does_not_show_and_removes_an_image(client, svc, tenant):
    one = product(client, tenant, name="Cup", kind="physical", stock=5)
    two = product(client, tenant, name="Saucer", kind="physical", stock=5)
    bundle = [{"product_id": one["id"], "quantity": 1}, {"product_id": two["id"], "quantity": 1}]
    item = product(
        client, tenant, name="Set", bundle=bundle, images=["/files/a.png", "/files/b.png"]
    )
    signed_in_as(client, svc, tenant, "admin")
    url = f"{PRODUCTS}/{item['id']}"
    form = re.findall(
        r'<input id="([^"]+)" name="\1" type="text" value="([^"]*)"', page(client, url)
    )

    changed = post(
        client,
        url,
        dict(form)
        | {
            "kind": "physical",
            "mode": "exchange",
            "name": "Tea set",
            "remove_image": "/files/a.png",
        },
    )

    assert changed.status_code == 303, problems(changed)
    [kept] = stored(svc, tenant, name="Tea set")
    assert kept.images == ["/files/b.png"] and len(kept.bundle) == 2 and kept.stock == 10


# -- refusals -------------------------------------------------------------------------------


@LANGUAGES
def test_a_refused_form_is_shown_again_with_each_problem_beside_its_field(
    client, svc, tenant, headers
):
    signed_in_as(client, svc, tenant, "admin", headers)

    refused = new_product(
        client,
        {
            "name": "",
            "points_price": "12.5",
            "limit_per_day": "many",
            "kind": "coupon",
            "coupon-type": "percent_off",
            "coupon-percent_off": "150",
            "coupon-threshold": "1.005",
            "listed_from": "yesterday",
            "description": "Kept as typed",
        },
        headers,
    )

    assert refused.status_code == 422
    found = problems(refused)
    assert found["name"] == said(headers, "Missing data for required field.")
    assert found["points_price"] == said(headers, "Not a valid integer.")
    assert found["limit_per_day"] == said(headers, "Not a valid integer.")
    assert found["coupon-percent_off"] == said(
        headers,
        "Must be greater than or equal to %(min)s and less than or equal to %(max)s.",
        min=1,
        max=100,
    )
    assert "coupon-threshold" in found and "listed_from" in found
    assert "Kept as typed" in refused.get_data(as_text=True)
    assert stored(svc, tenant) == []


def test_a_lottery_table_the_mode_refuses_is_shown_beside_its_prizes(client, svc, tenant):
    signed_in_as(client, svc, tenant, "admin")

    table = {"mode": "lottery"} | LOTTERY_TABLE
    no_such = new_product(client, table | {"mode-lottery-consolation": "Z"})
    no_number = new_product(client, table | {"mode-lottery-prizes-1-weight": "x"})
    too_heavy = new_product(client, table | {"mode-lottery-prizes-0-weight": "9" * 12})

    assert [r.status_code for r in (no_such, no_number, too_heavy)] == [422, 422, 422]
    assert problems(no_such)["mode-lottery-consolation"] == "Must be the code of one of the prizes."
    assert problems(no_number)["mode-lottery-prizes-1-weight"] == "Not a valid integer."
    assert problems(too_heavy)["mode-lottery-prizes-0-weight"] == (
        "Must be greater than or equal to 0 and less than or equal to 1000000000."
    )


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (b"just text, no picture", "This is not a PNG, JPEG, GIF or WebP image."),
        (PNG + b"\x00" * MAX_IMAGE_BYTES, "An image may be at most 2 MB."),
        (b"", "The file is empty."),
    ],
)
def test_an_upload_that_is_no_image_or_too_large_is_refused_beside_its_field(
    client, svc, tenant, upload, message
):
    signed_in_as(client, svc, tenant, "admin")

    refused = new_product(client, {}, files={"images": (io.BytesIO(upload), "tea.png")})

    assert refused.status_code == 422
    assert problems(refused)["images"] == message
    assert stored(svc, tenant) == []
    assert not list((svc.settings.instance_path).rglob("*.png"))


def test_a_body_past_the_forms_limit_is_refused_on_the_consoles_page(client, svc, tenant):
    signed_in_as(client, svc, tenant, "admin")
    huge = [(io.BytesIO(PNG + b"\x00" * MAX_IMAGE_BYTES), f"{n}.png") for n in range(4)]
    fields = form_fields(page(client, f"{PRODUCTS}/new")) | {"name": "Tea"}
    boundary, body = encode_multipart(
        fields | {f"images{n}": FileStorage(s, filename=f) for n, (s, f) in enumerate(huge)}
    )

    refused = client.post(
        f"{PRODUCTS}/new", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )

    assert refused.status_code == 413
    assert "an image may be at most 2 MB" in text(refused.get_data(as_text=True))
    assert stored(svc, tenant) == []


def test_a_refused_save_keeps_no_image(client, svc, tenant):
    signed_in_as(client, svc, tenant, "admin")
    missing = str(uuid.uuid4())

    refused = new_product(
        client, {"category_id": missing}, files={"images": (io.BytesIO(PNG), "tea.png")}
    )

    assert refused.status_code == 422 and "category_id" in problems(refused)
    assert stored(svc, tenant) == []
    assert not list((svc.settings.instance_path).rglob("*.png"))


@LANGUAGES
def test_html_typed_into_any_field_is_shown_as_text(client, svc, tenant, headers):
    signed_in_as(client, svc, tenant, "admin", headers)
    script = "<script>alert(1)</script>"

    made = new_product(client, {"name": script, "description": script, "tags": script}, headers)
    refused = new_product(client, {"name": script, "points_price": script}, headers)

    assert made.status_code == 303 and refused.status_code == 422
    for html in (page(client, PRODUCTS, headers), page(client, made.headers["Location"], headers)):
        assert script not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert script not in refused.get_data(as_text=True)


# -- stock and status ------------------------------------------------------------------------


def test_stock_moves_up_and_down_audited_and_never_below_zero(client, svc, tenant):
    item = product(client, tenant, stock=10)
    signed_in_as(client, svc, tenant, "admin")
    url = f"{PRODUCTS}/{item['id']}"

    added = _stock(client, url, "5")
    below = _stock(client, url, "-100")
    nonsense = _stock(client, url, "lots")

    assert added.status_code == 303
    assert (
        below.status_code == 422 and problems(below)["change"] == "The stock cannot go below zero."
    )
    assert nonsense.status_code == 422 and problems(nonsense)["change"] == "Not a valid integer."
    assert stored(svc, tenant)[0].stock == 15
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        audited = session.scalars(select(AuditEvent).filter_by(action="product.stock")).all()
    assert [event.after for event in audited] == [{"change": 5, "stock": 15}]


def _stock(client, url: str, change: str):
    return client.post(f"{url}/stock", data={"csrf_token": _token(client, url), "change": change})


def test_a_product_is_taken_off_sale_from_the_list(client, svc, tenant):
    item = product(client, tenant, name="Mug", status="active")
    signed_in_as(client, svc, tenant, "admin")

    off = client.post(
        f"{PRODUCTS}/{item['id']}/status",
        data={"csrf_token": _token(client, PRODUCTS), "status": "draft", "back": "list"},
    )
    wrong = client.post(
        f"{PRODUCTS}/{item['id']}/status",
        data={"csrf_token": _token(client, PRODUCTS), "status": "sold"},
    )

    assert off.status_code == 303 and off.headers["Location"].endswith(PRODUCTS)
    assert wrong.status_code == 422
    assert stored(svc, tenant)[0].status == "draft"


# -- categories -----------------------------------------------------------------------------


@LANGUAGES
def test_categories_are_added_nested_moved_and_never_under_themselves(client, svc, tenant, headers):
    signed_in_as(client, svc, tenant, "admin", headers)
    new = "/console/catalog/categories/new"

    for name in ("Drinks", "Snacks"):
        assert post(client, new, {"name": name, "sort_order": "0"}, headers).status_code == 303
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        ids = {c.name: c.id for c in session.scalars(select(Category))}
    under = post(client, new, {"name": "Tea", "parent_id": str(ids["Drinks"])}, headers)
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        ids = {c.name: c.id for c in session.scalars(select(Category))}
    loop = post(
        client,
        f"/console/catalog/categories/{ids['Drinks']}",
        {"name": "Drinks", "parent_id": str(ids["Tea"]), "sort_order": "0"},
        headers,
    )
    tree = "/console/catalog/categories"
    moved = client.post(
        f"{tree}/{ids['Snacks']}/move",
        data={"csrf_token": _token(client, tree), "direction": "up"},
        headers=headers,
    )

    assert under.status_code == 303
    assert loop.status_code == 422 and "parent_id" in problems(loop)
    assert moved.status_code == 303
    shown = text(page(client, tree, headers).partition('id="main"')[2])
    assert shown.index("Snacks") < shown.index("Drinks") < shown.index("Tea ")
    blank = post(client, new, {"name": " ", "sort_order": "x"}, headers)
    assert blank.status_code == 422 and {"name", "sort_order"} <= set(problems(blank))


# -- codes ----------------------------------------------------------------------------------


def test_codes_are_uploaded_with_bad_lines_reported_by_number(client, svc, tenant):
    card = product(client, tenant, kind="virtual", name="Game card", stock=None)
    signed_in_as(client, svc, tenant, "admin")
    url = f"{PRODUCTS}/{card['id']}/codes"
    csv = "code\nGAME-1\n" + "X" * 201 + "\nGAME-2\nGAME-1\n"

    report = post_files(client, url, {}, files={"file": (io.BytesIO(csv.encode()), "codes.csv")})
    pasted = post(client, url, {"codes": "GAME-3\r\nGAME-2\r\n"})

    shown = text(report.get_data(as_text=True))
    assert report.status_code == 200
    assert "2 codes added; 1 already in the pool or twice in the file." in shown
    assert "3 Longer than maximum length 200." in shown  # its line and why
    assert "1 codes added" in text(pasted.get_data(as_text=True))
    assert stored(svc, tenant)[0].stock == 3
    assert re.search(r"3 codes left to issue", text(page(client, url)))


@pytest.mark.parametrize(
    ("data", "files", "field"),
    [
        ({}, {"file": (io.BytesIO("code\nCAFÉ".encode("utf-16")), "codes.csv")}, "file"),
        ({"codes": "   "}, None, "file"),
    ],
)
def test_codes_that_cannot_be_read_are_refused_beside_the_file(
    client, svc, tenant, data, files, field
):
    card = product(client, tenant, kind="virtual", stock=None)
    signed_in_as(client, svc, tenant, "admin")

    refused = post_files(client, f"{PRODUCTS}/{card['id']}/codes", data, files=files)

    assert refused.status_code == 422 and field in problems(refused)


def test_only_virtual_products_have_codes(client, svc, tenant):
    mug = product(client, tenant)
    signed_in_as(client, svc, tenant, "admin")
    assert client.get(f"{PRODUCTS}/{mug['id']}/codes").status_code == 404


# -- coupons --------------------------------------------------------------------------------


@LANGUAGES
def test_coupons_show_their_terms_in_words(client, svc, tenant, headers):
    terms = {"type": "amount_off", "amount_off": 500, "threshold": 3000, "valid_days": 30}
    product(client, tenant, kind="coupon", name="Coffee card", coupon=terms)
    product(
        client,
        tenant,
        kind="coupon",
        name="Tea card",
        coupon={"type": "percent_off", "percent_off": 10, "valid_days": 7},
    )
    product(client, tenant, name="Mug")
    signed_in_as(client, svc, tenant, "viewer", headers)

    shown = text(page(client, "/console/catalog/coupons", headers))

    assert "Coffee card" in shown and "Tea card" in shown and "Mug" not in shown
    assert "¥5.00" in shown and "¥30.00" in shown
    assert said(headers, "%(percent)s%% off", percent=10) in shown


# -- lotteries ------------------------------------------------------------------------------


def a_wheel(client, tenant, **fields) -> dict:
    params = {
        "prizes": [
            {"code": "A", "name": "Big prize", "weight": 1, "points": 1000, "stock": 2},
            {"code": "B", "name": "Mug", "weight": 1, "goods": True},
            {"code": "C", "name": "Thanks", "weight": 2},
        ],
        "consolation": "C",
    }
    return product(
        client, tenant, name="Wheel", mode="lottery", mode_params=params, points_price=100, **fields
    )


DRAW = (
    "A draw costs %(price)s points and gives back %(back)s points on average;"
    " it gives the product itself %(goods)s of the time."
)


@LANGUAGES
def test_a_lottery_shows_the_odds_its_prizes_imply_as_a_table_and_a_chart(
    client, svc, tenant, headers
):
    wheel = a_wheel(client, tenant)
    signed_in_as(client, svc, tenant, "admin", headers)

    html = page(client, f"/console/catalog/products/{wheel['id']}/lottery", headers)
    listed = text(page(client, "/console/catalog/lotteries", headers))

    shown = text(html)
    assert "Big prize 25.00% 1000" in shown and "Thanks 50.00% 0" in shown
    # A draw costs 100 points and gives back 1000 x 1/4 on average, the mug 1 in 4.
    assert said(headers, DRAW, price="100", back="250.00", goods="25.00%") in shown
    option = re.search(
        r'<script type="application/json" id="odds-chart-option">(.*?)</script>', html, re.S
    )
    assert '"value": 2' in option[1] or '"value":2' in option[1]
    assert "Wheel" in listed and "250.00" in listed
    assert re.search(r"\b[0-9a-f]{64}\b", shown)  # the seed hash of the period to come


def test_an_edited_table_shows_its_odds_unsaved_then_is_saved(client, svc, tenant):
    wheel = a_wheel(client, tenant)
    signed_in_as(client, svc, tenant, "admin")
    url = f"/console/catalog/products/{wheel['id']}/lottery"
    table = {
        "mode-lottery-prizes-0-code": "A",
        "mode-lottery-prizes-0-name": "Big prize",
        "mode-lottery-prizes-0-weight": "1",
        "mode-lottery-prizes-0-points": "500",
        "mode-lottery-prizes-1-code": "C",
        "mode-lottery-prizes-1-name": "Thanks",
        "mode-lottery-prizes-1-weight": "9",
        "mode-lottery-consolation": "C",
        "mode-lottery-period": "day",
    }

    preview = post(client, url, table | {"then": "preview"})
    assert preview.status_code == 200 and "Big prize 10.00% 500" in text(
        preview.get_data(as_text=True)
    )
    assert len(stored(svc, tenant)[0].mode_params["prizes"]) == 3  # not saved yet
    saved = post(client, url, table | {"then": "save"})
    refused = post(
        client, url, table | {"mode-lottery-prizes-0-goods": "y", "mode-lottery-consolation": "A"}
    )

    assert saved.status_code == 303
    assert [p["code"] for p in stored(svc, tenant)[0].mode_params["prizes"]] == ["A", "C"]
    assert refused.status_code == 422
    assert problems(refused)["mode-lottery-consolation"] == (
        "The consolation prize can never run out: no stock, no goods."
    )


def test_only_a_lottery_has_a_prize_table(client, svc, tenant):
    mug = product(client, tenant)
    signed_in_as(client, svc, tenant, "admin")
    assert client.get(f"/console/catalog/products/{mug['id']}/lottery").status_code == 404


# -- flash sales ----------------------------------------------------------------------------


@LANGUAGES
def test_flash_sales_are_scheduled_listed_and_ended(client, svc, tenant, clock, headers):
    item = product(client, tenant, name="Mug", points_price=500)
    signed_in_as(client, svc, tenant, "admin", headers)
    new = f"/console/catalog/flash-sales/new?product={item['id']}"
    local = clock.now().astimezone(ZoneInfo("Asia/Shanghai"))
    window = {
        "starts_at": local.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (local + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "points_price": "99",
        "stock": "10",
        "limit_per_member": "1",
    }

    made = post(client, new, window, headers)
    overlap = post(client, new, window, headers)
    backwards = post(client, new, window | {"ends_at": window["starts_at"]}, headers)

    assert made.status_code == 303
    assert overlap.status_code == 422 and "starts_at" in problems(overlap)
    assert backwards.status_code == 422 and "ends_at" in problems(backwards)
    [sale] = _sales(svc, tenant)
    assert (sale.points_price, sale.stock, sale.limit_per_member) == (99, 10, 1)
    assert sale.starts_at == local.replace(second=0, microsecond=0)
    clock.advance(minutes=5)
    listing = "/console/catalog/flash-sales"
    running = text(page(client, f"{listing}?state=running", headers))
    assert "Mug" in running
    ended = client.post(
        f"{listing}/{sale.id}/end", data={"csrf_token": _token(client, listing)}, headers=headers
    )
    assert ended.status_code == 303
    assert "Mug" not in text(page(client, f"{listing}?state=running", headers))
    assert "Mug" in text(page(client, f"{listing}?state=ended", headers))
    again = client.post(
        f"{listing}/{sale.id}/end", data={"csrf_token": _token(client, listing)}, headers=headers
    )
    assert again.status_code == 409


def _sales(svc, tenant) -> list[FlashSale]:
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        return list(session.scalars(select(FlashSale)))


def test_a_flash_sale_finds_its_product_by_words_first(client, svc, tenant):
    product(client, tenant, name="Jasmine tea")
    signed_in_as(client, svc, tenant, "admin")
    found = text(page(client, "/console/catalog/flash-sales/new?q=jasmine"))
    assert "Jasmine tea" in found


# -- partners -------------------------------------------------------------------------------


@LANGUAGES
def test_partners_are_added_and_their_budgets_changed_never_below_what_is_used(
    client, svc, tenant, headers
):
    signed_in_as(client, svc, tenant, "admin", headers)

    made = post(
        client,
        "/console/catalog/partners/new",
        {"name": "Tea Co", "currency": "USD", "budget": "250.50"},
        headers,
    )
    wrong = post(
        client,
        "/console/catalog/partners/new",
        {"name": "", "currency": "XXX", "budget": "1.234"},
        headers,
    )

    assert made.status_code == 303
    assert wrong.status_code == 422 and {"name", "currency"} <= set(problems(wrong))
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        [partner] = session.scalars(select(Partner)).all()
    assert (partner.currency, partner.budget) == ("USD", 25050)
    url = f"/console/catalog/partners/{partner.id}"
    assert post(client, url, {"change": "-50.50"}, headers).status_code == 303
    below = post(client, url, {"change": "-500"}, headers)
    assert below.status_code == 422 and "change" in problems(below)
    assert "$200.00" in text(page(client, "/console/catalog/partners", headers))


# -- who may do what ------------------------------------------------------------------------


def test_another_tenants_things_answer_as_missing(client, svc, tenant, make_tenant):
    other = make_tenant("other")
    item = product(client, other, kind="virtual", stock=None)
    wheel = a_wheel(client, other)
    category = call(client, other, "POST", "/categories", {"name": "Theirs"}, 201).json
    partner = call(
        client, other, "POST", "/partners", {"name": "P", "currency": "CNY", "budget": 1}, 201
    ).json
    sale = call(
        client,
        other,
        "POST",
        f"/products/{item['id']}/flash-sales",
        {
            "starts_at": "2100-01-01T00:00:00Z",
            "ends_at": "2100-01-02T00:00:00Z",
            "points_price": 1,
            "stock": 1,
        },
        201,
    ).json
    signed_in_as(client, svc, tenant, "owner")
    token = _token(client, PRODUCTS)

    for url in [
        f"{PRODUCTS}/{item['id']}",
        f"{PRODUCTS}/{item['id']}/codes",
        f"{PRODUCTS}/{wheel['id']}/lottery",
        f"/console/catalog/categories/{category['id']}",
        f"/console/catalog/partners/{partner['id']}",
        f"/console/catalog/flash-sales/new?product={item['id']}",
    ]:
        assert client.get(url).status_code == 404, url
    for url in [
        f"{PRODUCTS}/{item['id']}/status",
        f"{PRODUCTS}/{item['id']}/stock",
        f"/console/catalog/categories/{category['id']}/move",
        f"/console/catalog/flash-sales/{sale['id']}/end",
    ]:
        assert (
            client.post(
                url, data={"csrf_token": token, "status": "active", "direction": "up"}
            ).status_code
            == 404
        ), url
    assert stored(svc, other, id=uuid.UUID(item["id"]))[0].status == "active"


def test_a_viewer_reads_the_catalog_and_changes_nothing(client, svc, tenant):
    item = product(client, tenant, name="Mug", status="draft")
    signed_in_as(client, svc, tenant, "viewer")
    token = _token(client, PRODUCTS)

    assert client.get(f"{PRODUCTS}/new").status_code == 403
    refused = client.post(
        f"{PRODUCTS}/{item['id']}/status", data={"csrf_token": token, "status": "active"}
    )
    assert refused.status_code == 403
    assert (
        client.post(f"{PRODUCTS}/new", data={"csrf_token": token, "name": "X"}).status_code == 403
    )
    assert stored(svc, tenant)[0].status == "draft" and len(stored(svc, tenant)) == 1
    for url in (
        "/console/catalog/categories",
        "/console/catalog/coupons",
        "/console/catalog/lotteries",
        "/console/catalog/flash-sales",
        "/console/catalog/partners",
    ):
        assert client.get(url).status_code == 200


GARBAGE = ["", " ", "-1", "9" * 40, "1e9", "0x10", "١٢", "<b>", "\x00", "null", "{}", "😀" * 3000]


def test_nothing_a_client_posts_makes_a_server_error(client, svc, tenant):
    wheel = a_wheel(client, tenant)
    card = product(client, tenant, kind="virtual", stock=None)
    partner = a_partner(client, svc, tenant)
    category = call(client, tenant, "POST", "/categories", {"name": "C"}, 201).json
    signed_in_as(client, svc, tenant, "admin")
    forms = {
        f"{PRODUCTS}/new": [
            *LOTTERY_TABLE,
            "name",
            "kind",
            "mode",
            "points_price",
            "stock",
            "cash_price",
            "coupon-type",
            "coupon-amount_off",
            "listed_from",
            "category_id",
            "mode-co_branded-partner_id",
            "mode-co_branded-cost_share",
            "status",
            "tags",
            "_remove",
            "_add",
            "mode-lottery-prizes-99-code",
        ],
        f"{PRODUCTS}/{wheel['id']}": [
            "name",
            "kind",
            "mode",
            "points_price",
            "remove_image",
            "min_tier",
            "discount-gold",
        ],
        f"{PRODUCTS}/{wheel['id']}/lottery": [*LOTTERY_TABLE, "then", "_add", "_remove"],
        f"{PRODUCTS}/{wheel['id']}/stock": ["change"],
        f"{PRODUCTS}/{card['id']}/codes": ["codes"],
        "/console/catalog/categories/new": ["name", "parent_id", "sort_order"],
        f"/console/catalog/categories/{category['id']}/move": ["direction"],
        "/console/catalog/partners/new": ["name", "currency", "budget"],
        f"/console/catalog/partners/{partner.id}": ["change"],
        f"/console/catalog/flash-sales/new?product={wheel['id']}": [
            "starts_at",
            "ends_at",
            "points_price",
            "stock",
        ],
    }
    token = _token(client, PRODUCTS)
    # A product's form reads other inputs for each kind and mode: garbage in each.
    choices = [{"kind": "physical", "mode": "lottery"}, {"kind": "coupon", "mode": "co_branded"}]
    for url, names in forms.items():
        for value in GARBAGE:
            for chosen in choices if "kind" in names else [{}]:
                data = {name: value for name in names} | chosen | {"csrf_token": token}
                answer = client.post(url, data=data)
                assert answer.status_code < 500, (url, value, answer.get_data(as_text=True)[-2000:])
    for url in (
        f"{PRODUCTS}?cursor=nonsense",
        f"{PRODUCTS}?category=x&status=y&q=" + "z" * 500,
        "/console/catalog/flash-sales?cursor=%00",
        "/console/catalog/categories?cursor=AAAA",
    ):
        assert client.get(url).status_code < 500, url

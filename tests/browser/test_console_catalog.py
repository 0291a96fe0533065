"""A merchant's admin, in the console on a laptop and on a phone, in Chinese and in
English: makes a product with a picture and puts it on sale, then looks through every
page of the catalog, each checked by axe-core and, on the phone, for fitting its width."""

from __future__ import annotations

import struct
import zlib
from datetime import timedelta
from pathlib import Path

from conftest import create_tenant_with_key, sqlite_only
from console.console_pages import PASSWORD, staff_member
from mall.shop import product
from playwright.sync_api import Page, expect
from rules.api import call

from browser.conftest import LANGUAGES
from jifen.testing.browser import accessibility_violations, overflow

pytestmark = sqlite_only
LOCALES = {"zh-CN": "zh_CN", "en-US": "en"}


def a_png(tmp_path: Path) -> Path:
    """A real picture (a 120 x 120 teal square), so that the page shows it."""
    width = height = 120
    rows = b"".join(b"\x00" + bytes((32, 160, 150)) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
    path = tmp_path / "tea.png"
    path.write_bytes(png + chunk(b"IEND", b""))
    return path


def signed_in(page: Page, live_server: str, email: str) -> None:
    """The console signed in through its own page."""
    page.goto(f"{live_server}/console/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.locator("form.card button[type=submit]").click()
    page.wait_for_load_state()


def looks_right(page: Page, *, phone: bool = False) -> None:
    assert accessibility_violations(page) == []
    if phone:
        assert overflow(page) == 0


def test_a_product_is_made_with_a_picture_and_put_on_sale(
    svc, client, live_server, desk, language, screenshot, tmp_path
):
    shop = create_tenant_with_key(svc, f"tea-{LANGUAGES[language]}", locale=LOCALES[language])
    call(client, shop, "POST", "/categories", {"name": "Tea"}, 201)
    admin = staff_member(svc, shop, "admin")
    signed_in(desk, live_server, admin.email)

    desk.locator(".menu a[href$='/console/catalog/products']").click()
    desk.locator("a[href$='/console/catalog/products/new']").first.click()
    desk.fill("#name", "Jasmine tea")
    desk.select_option("#category_id", label="Tea")
    desk.fill("#description", "Spring-picked green tea with jasmine.")
    desk.fill("#points_price", "300")
    desk.fill("#stock", "40")
    desk.set_input_files("#images", str(a_png(tmp_path)))
    expect(desk.locator("#coupon-type")).to_be_hidden()  # only the chosen kind's terms show
    screenshot(desk, "console-catalog-new-product")
    looks_right(desk)
    desk.locator("form.product-form .actions button[type=submit]").click()

    expect(desk.locator(".flash")).to_be_visible()
    expect(desk.locator(".images img")).to_have_count(1)
    desk.locator(".product-status form:has(input[value=active]) button").click()
    expect(desk.locator(".product-status .status-active")).to_be_visible()
    screenshot(desk, "console-catalog-product")
    looks_right(desk)

    desk.locator(".tabs a[href$='/console/catalog/products']").click()
    row = desk.locator("table.products tbody tr").first
    expect(row).to_contain_text("Jasmine tea")
    expect(row.locator(".status-active")).to_be_visible()
    expect(row.locator("img.thumb")).to_be_visible()
    screenshot(desk, "console-catalog-products")
    looks_right(desk)
    mall = desk.goto(f"{live_server}/m/{shop.slug}/")
    assert mall is not None and mall.status == 200
    expect(desk.get_by_text("Jasmine tea").first).to_be_visible()


def a_catalog(client, svc, shop) -> dict[str, str]:
    """A catalog with one of everything the console's catalog pages show."""
    drinks = call(client, shop, "POST", "/categories", {"name": "Drinks"}, 201).json
    call(client, shop, "POST", "/categories", {"name": "Green tea", "parent_id": drinks["id"]}, 201)
    call(client, shop, "POST", "/categories", {"name": "Cups and mugs"}, 201)
    mug = product(client, shop, name="Travel mug", points_price=1_200, stock=15)
    card = product(client, shop, name="Game card", kind="virtual", stock=None)
    terms = {"type": "amount_off", "amount_off": 500, "threshold": 3_000, "valid_days": 30}
    product(client, shop, name="Coffee coupon", kind="coupon", points_price=100, coupon=terms)
    prizes = [
        {"code": "A", "name": "1,000 points", "weight": 1, "points": 1_000, "stock": 5},
        {"code": "B", "name": "Travel mug", "weight": 2, "goods": True},
        {"code": "C", "name": "Thanks for playing", "weight": 7},
    ]
    wheel = product(
        client,
        shop,
        name="Lucky wheel",
        mode="lottery",
        points_price=100,
        mode_params={"prizes": prizes, "consolation": "C"},
    )
    start = svc.clock.now() + timedelta(days=1)
    call(
        client,
        shop,
        "POST",
        f"/products/{mug['id']}/flash-sales",
        {
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=2)).isoformat(),
            "points_price": 600,
            "stock": 20,
            "limit_per_member": 1,
        },
        201,
    )
    call(
        client,
        shop,
        "POST",
        "/partners",
        {"name": "Tea Co", "currency": "CNY", "budget": 500_000},
        201,
    )
    return {"mug": mug["id"], "card": card["id"], "wheel": wheel["id"]}


def test_every_catalog_page_reads_well_on_a_laptop_and_a_phone(
    svc, client, live_server, desk, phone, language, screenshot
):
    shop = create_tenant_with_key(svc, f"cat-{LANGUAGES[language]}", locale=LOCALES[language])
    ids = a_catalog(client, svc, shop)
    admin = staff_member(svc, shop, "admin")
    pages = {
        "products": "/console/catalog/products",
        "product": f"/console/catalog/products/{ids['mug']}",
        "new-product": "/console/catalog/products/new",
        "codes": f"/console/catalog/products/{ids['card']}/codes",
        "categories": "/console/catalog/categories",
        "coupons": "/console/catalog/coupons",
        "lotteries": "/console/catalog/lotteries",
        "lottery": f"/console/catalog/products/{ids['wheel']}/lottery",
        "flash-sales": "/console/catalog/flash-sales",
        "partners": "/console/catalog/partners",
    }
    for device, page in (("desk", desk), ("phone", phone)):
        signed_in(page, live_server, admin.email)
        for name, path in pages.items():
            answer = page.goto(live_server + path)
            assert answer is not None and answer.status == 200, path
            if name == "lottery":
                expect(page.locator(".chart-area svg")).to_be_visible()
            screenshot(page, f"console-catalog-{name}-{device}")
            looks_right(page, phone=device == "phone")

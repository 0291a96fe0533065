"""The console's settings, as a merchant's staff use them: every page in Chinese and in
English, each form saved, each refusal shown beside its field with nothing saved, the
sign-in secret rotated, the mall at the merchant's own domain once proved, and every
page refused to roles that may not change settings."""

from __future__ import annotations

import io
import re
import uuid

import pytest
from conftest import sqlite_only
from fake_network import FakeNetwork, installed
from rules.api import call, member
from sqlalchemy import update

from console.console_pages import CHINESE, ENGLISH, page, post, signed_in_as, text
from jifen.audit import SYSTEM
from jifen.ledger import policy
from jifen.mall import settings as mall_settings
from jifen.members import tiers
from jifen.members.models import Member, SignInKey
from jifen.tenants import domains
from jifen.tenants.models import Tenant, TenantDomain

pytestmark = sqlite_only

PAGES = (
    "/console/settings",
    "/console/settings/look",
    "/console/settings/banners",
    "/console/settings/tiers",
    "/console/settings/points",
    "/console/settings/checkout",
    "/console/settings/members",
    "/console/settings/sign-in-keys",
    "/console/settings/domains",
)
KEYS = "/console/settings/sign-in-keys"
DOMAINS = "/console/settings/domains"
# A one-pixel PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360f8cfc0f01f0005000201a5f7a4c60000000049454e44ae426082"
)


@pytest.fixture
def owner(client, svc, tenant):
    """`client` signed in as the owner of `tenant` (Acme)."""
    signed_in_as(client, svc, tenant, "owner")
    return tenant


@pytest.fixture
def network(svc) -> FakeNetwork:
    return installed(svc)


def saved_tenant(svc, tenant) -> Tenant:
    with svc.db.session() as session:
        return session.get(Tenant, tenant.tenant_id)


def ladder(svc, tenant) -> list[tiers.TierView]:
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        return tiers.tiers_of(session, tenant.tenant_id)


def post_from(client, url: str, action: str, data: dict, headers=ENGLISH):
    """Post to `action` with the CSRF token of the page at `url` (a button's form)."""
    token = re.search(r'name="csrf_token" value="([^"]+)"', page(client, url, headers))[1]
    return client.post(action, data={"csrf_token": token} | data, headers=headers)


def problem(html: str, name: str) -> str:
    """The problem shown beside the input `name`."""
    found = re.search(rf'id="{re.escape(name)}-problem"[^>]*>([^<]*)<', html)
    assert found, f"no problem beside {name}"
    return found[1]


# -- the pages, in both languages --------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "words"),
    [
        (
            ENGLISH,
            ["Settings", "Name and look", "Tiers", "Expiry and transfers", "Your own domain"],
        ),
        (CHINESE, ["名称与外观", "会员等级", "过期与转赠", "自有域名"]),
    ],
)
def test_every_settings_page_opens_in_each_language(client, owner, headers, words):
    overview = text(page(client, "/console/settings", headers))
    assert all(word in overview for word in words), overview
    for url in PAGES:
        shown = page(client, url, headers)
        assert 'aria-current="page"' in shown, url
    menu = page(client, "/console/", headers)
    assert "/console/settings" in menu


# -- tiers ---------------------------------------------------------------------------------


def tier_row(index: int, **fields: str) -> dict[str, str]:
    defaults = {"code": "", "name": "", "basis": "lifetime_points", "threshold": ""}
    defaults |= {"window_days": "", "grace_days": "", "earn_multiplier": "1"}
    defaults |= {"redemption_discount_percent": ""}
    return {f"tiers-{index}-{name}": value for name, value in (defaults | fields).items()}


def test_a_merchant_sets_up_a_ladder_of_tiers(client, svc, owner):
    form = (
        tier_row(0, name="Silver", threshold="1,000")
        | tier_row(
            1,
            name="Gold",
            code="gold",
            basis="spend_in_window",
            threshold="500.50",
            window_days="365",
            grace_days="30",
            earn_multiplier="1.5",
            redemption_discount_percent="5",
        )
        | tier_row(2)  # left blank: dropped
    )
    saved = post(client, "/console/settings/tiers", form | {"action": "save"})
    assert saved.status_code == 303
    found = ladder(svc, owner)
    assert [(t.code, t.name, t.rank, t.basis, t.threshold) for t in found] == [
        ("tier-1", "Silver", 0, "lifetime_points", 1000),
        ("gold", "Gold", 1, "spend_in_window", 50050),
    ]
    gold = found[1]
    assert (gold.window_days, gold.grace_days, str(gold.earn_multiplier)) == (365, 30, "1.5")
    assert gold.redemption_discount_percent == 5
    shown = page(client, "/console/settings/tiers")
    assert "The tiers are saved." in shown and 'value="500.50"' in shown


def test_adding_and_removing_rows_changes_only_the_form(client, svc, owner):
    form = tier_row(0, name="Silver", threshold="100") | tier_row(1, name="Gold", threshold="900")
    added = post(client, "/console/settings/tiers", form | {"action": "add"})
    assert added.status_code == 200
    assert 'name="tiers-2-name"' in added.get_data(as_text=True)
    removed = post(client, "/console/settings/tiers", form | {"remove": "0"})
    shown = removed.get_data(as_text=True)
    assert 'value="Gold"' in shown and 'value="Silver"' not in shown
    assert ladder(svc, owner) == []


def test_a_ladder_with_mistakes_is_shown_again_with_each_beside_its_input(client, svc, owner):
    form = (
        tier_row(0, name="Silver", threshold="lots")
        | tier_row(1, name="Gold", threshold="10", basis="points_in_window")
        | tier_row(2, name="Platinum", threshold="20", earn_multiplier="0.5")
        | tier_row(3, name="<b>Diamond</b>", threshold="30", grace_days="-3")
    )
    refused = post(client, "/console/settings/tiers", form | {"action": "save"})
    assert refused.status_code == 422
    shown = refused.get_data(as_text=True)
    assert problem(shown, "tiers-0-threshold") == "A whole number of points."
    assert problem(shown, "tiers-1-window_days") == "Give the number of last days counted."
    assert problem(shown, "tiers-2-earn_multiplier") == (
        "Must be greater than or equal to 1 and less than or equal to 100."
    )
    assert problem(shown, "tiers-3-grace_days") == "A whole number from 0 to 3650."
    assert "&lt;b&gt;Diamond&lt;/b&gt;" in shown and "<b>Diamond" not in shown
    assert ladder(svc, owner) == []
    chinese = post(client, "/console/settings/tiers", form | {"action": "save"}, CHINESE)
    assert problem(chinese.get_data(as_text=True), "tiers-0-threshold") == "请填写整数积分。"


def test_a_tier_members_hold_cannot_be_removed(client, svc, owner):
    gold = {"code": "gold", "name": "Gold", "rank": 1, "basis": "lifetime_points", "threshold": 0}
    call(client, owner, "PUT", "/tiers", {"tiers": [gold]}, 200)
    held = member(client, owner, "u1")
    with svc.db.transaction(tenant_id=owner.tenant_id) as session:
        session.execute(update(Member).where(Member.id == uuid.UUID(held)).values(tier="gold"))
    form = tier_row(0, name="Silver", threshold="100", code="silver")
    refused = post(client, "/console/settings/tiers", form | {"action": "save"})
    assert refused.status_code == 422
    assert "Members hold this tier" in problem(refused.get_data(as_text=True), "tiers")
    assert [t.code for t in ladder(svc, owner)] == ["gold"]


def test_more_rows_than_a_ladder_may_have_are_refused(client, svc, owner):
    form = {}
    for index in range(tiers.MAX_TIERS + 1):
        form |= tier_row(index, name=f"T{index}", threshold=str(index))
    refused = post(client, "/console/settings/tiers", form | {"action": "save"})
    assert refused.status_code == 422
    assert problem(refused.get_data(as_text=True), "tiers") == "At most 20 tiers."
    assert ladder(svc, owner) == []


# -- expiry, reminders and transfers -----------------------------------------------------


def saved_policy(svc, tenant) -> policy.Policy:
    with svc.db.session() as session:
        return policy.policy_of(session, tenant.tenant_id)


def test_expiry_reminders_and_transfers_are_saved(client, svc, owner):
    form = {
        "expiry": "rolling",
        "rolling_months": "12",
        "notice_days": "7，30、 3",
        "transfers_enabled": "on",
        "transfer_max": "5,000",
        "transfer_daily_max": "",
    }
    assert post(client, "/console/settings/points", form).status_code == 303
    saved = saved_policy(svc, owner)
    assert (saved.expiry, saved.rolling_months, saved.notice_days) == ("rolling", 12, (30, 7, 3))
    assert (saved.transfers_enabled, saved.transfer_max, saved.transfer_daily_max) == (
        True,
        5000,
        None,
    )
    # 1 March 2026 plus 12 months, in Shanghai.
    assert "last until the end of March 1, 2027" in text(page(client, "/console/settings/points"))
    calendar = form | {"expiry": "calendar", "clear_month": "12", "clear_day": "31"}
    calendar |= {"clear_years": "2", "transfers_enabled": ""}
    assert post(client, "/console/settings/points", calendar).status_code == 303
    saved = saved_policy(svc, owner)
    assert (saved.clear_month, saved.clear_day, saved.clear_years) == (12, 31, 2)
    assert not saved.transfers_enabled
    assert "2027年12月31日" in text(page(client, "/console/settings/points", CHINESE))


def test_a_policy_with_mistakes_is_refused_beside_each_input(client, svc, owner):
    form = {
        "expiry": "calendar",
        "clear_month": "2",
        "clear_day": "30",
        "clear_years": "1",
        "notice_days": "1 2 3 4 5 6",
        "transfer_max": "lots",
    }
    refused = post(client, "/console/settings/points", form)
    assert refused.status_code == 422
    shown = refused.get_data(as_text=True)
    assert problem(shown, "notice_days") == "Up to 5 whole numbers of days, from 1 to 365."
    assert problem(shown, "transfer_max").startswith("A whole number of points")
    # The policy's own check, once the form's numbers read.
    day = post(client, "/console/settings/points", form | {"notice_days": "", "transfer_max": ""})
    assert problem(day.get_data(as_text=True), "clear_day") == "No such day in that month."
    assert saved_policy(svc, owner).expiry == "none"


# -- points at the checkout --------------------------------------------------------------


def test_points_at_the_checkout_are_saved_and_explained(client, svc, owner):
    form = {"checkout_rate": "200", "checkout_step": "50", "checkout_cap_percent": "30"}
    assert post(client, "/console/settings/checkout", form).status_code == 303
    with svc.db.session(tenant_id=owner.tenant_id) as session:
        saved = mall_settings.settings_of(session, owner.tenant_id)
        assert (saved.checkout_rate, saved.checkout_step, saved.checkout_cap_percent) == (
            200,
            50,
            30,
        )
    shown = text(page(client, "/console/settings/checkout"))
    assert "on an order of CN¥100.00, at most CN¥30.00 comes off (6,000 积分)" in shown
    refused = post(client, "/console/settings/checkout", form | {"checkout_cap_percent": "150"})
    assert refused.status_code == 422
    assert problem(refused.get_data(as_text=True), "checkout_cap_percent") == (
        "A whole number from 1 to 100."
    )


# -- name, look and banners --------------------------------------------------------------


def test_the_name_and_look_are_saved_with_a_logo(client, svc, owner):
    shown = page(client, "/console/settings/look")
    assert "/m/acme/?preview=" in shown and "hx-get" in shown
    form = {"name": "Acme <Points>", "points_name": "stars", "theme": "night"}
    form |= {"brand_color": "#336699"}
    files = {"logo": (io.BytesIO(PNG), "logo.png")}
    assert post(client, "/console/settings/look", form, files=files).status_code == 303
    saved = saved_tenant(svc, owner)
    assert (saved.name, saved.points_name, saved.theme, saved.brand_color) == (
        "Acme <Points>",
        "stars",
        "night",
        "#336699",
    )
    assert saved.logo_url.endswith(".png")
    shown = page(client, "/console/settings/look")
    assert "Acme &lt;Points&gt;" in shown and "Acme <Points>" not in shown
    back = form | {"theme_colour": "on", "remove_logo": "on"}
    assert post(client, "/console/settings/look", back).status_code == 303
    saved = saved_tenant(svc, owner)
    assert (saved.brand_color, saved.logo_url) == (None, None)


def test_a_look_with_mistakes_saves_nothing(client, svc, owner):
    form = {"name": "", "points_name": "x" * 17, "theme": "nope", "brand_color": "#336699"}
    refused = post(client, "/console/settings/look", form)
    assert refused.status_code == 422
    shown = refused.get_data(as_text=True)
    assert problem(shown, "theme") == "No installed theme has this name."
    assert problem(shown, "name") == "Length must be between 1 and 100."
    assert problem(shown, "points_name") == "Longer than maximum length 16."
    not_an_image = {"logo": (io.BytesIO(b"GIF? no"), "logo.gif")}
    fine = {"name": "Acme", "points_name": "积分", "theme": "base", "brand_color": "#336699"}
    refused = post(client, "/console/settings/look", fine, files=not_an_image)
    assert (
        problem(refused.get_data(as_text=True), "logo")
        == "This is not a PNG, JPEG, GIF or WebP image."
    )
    assert saved_tenant(svc, owner).brand_color is None


def test_the_live_preview_follows_the_look_chosen(client, owner):
    frame = page(client, "/console/setup/look/preview?theme=fresh&brand_color=%23112233")
    chosen = re.search(r'src="([^"]+)"', frame)[1].replace("&amp;", "&")
    mall = page(client, chosen)
    assert "theme-fresh" in mall and "#112233" in mall
    # The theme's own colour, when asked for instead of the one picked.
    own = "/console/setup/look/preview?theme=fresh&brand_color=%23112233&theme_colour=on"
    chosen = re.search(r'src="([^"]+)"', page(client, own))[1].replace("&amp;", "&")
    mall = page(client, chosen)
    assert "theme-fresh" in mall and "#112233" not in mall


def test_banners_are_saved_in_order_from_addresses_and_files(client, svc, owner):
    form = {
        "banners-0-image_url": "https://cdn.example.com/spring.jpg",
        "banners-0-alt": "Spring sale",
        "banners-0-link": "/m/acme/shop",
        "banners-1-image_url": "",
        "banners-1-alt": "<script>alert(1)</script>",
        "banners-1-link": "",
        "banners-2-image_url": "",
        "banners-2-alt": "",
        "banners-2-link": "",
        "action": "save",
    }
    files = {"banners-1-image": (io.BytesIO(PNG), "b.png")}
    assert post(client, "/console/settings/banners", form, files=files).status_code == 303
    banners = saved_tenant(svc, owner).banners
    assert [b["alt"] for b in banners] == ["Spring sale", "<script>alert(1)</script>"]
    assert banners[1]["image_url"].endswith(".png") and banners[1]["link"] is None
    shown = page(client, "/console/settings/banners")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown and "<script>alert" not in shown
    moved = post(client, "/console/settings/banners", form | {"up": "1", "action": ""})
    order = re.findall(
        r'name="banners-\d-alt" type="text" value="([^"]*)"', moved.get_data(as_text=True)
    )
    assert order == ["&lt;script&gt;alert(1)&lt;/script&gt;", "Spring sale", ""]


def test_a_banner_with_mistakes_saves_nothing(client, svc, owner):
    form = {
        "banners-0-image_url": "javascript:alert(1)",
        "banners-0-alt": "",
        "banners-0-link": "//evil.example.com",
        "action": "save",
    }
    refused = post(client, "/console/settings/banners", form)
    assert refused.status_code == 422
    shown = refused.get_data(as_text=True)
    assert problem(shown, "banners-0-image_url") == "Not a valid URL."
    assert problem(shown, "banners-0-alt") == "Length must be between 1 and 120."
    assert "path on this site" in problem(shown, "banners-0-link")
    assert saved_tenant(svc, owner).banners == []
    # A file comes with a row refused: it is not kept.
    files = {"banners-0-image": (io.BytesIO(PNG), "b.png")}
    refused = post(client, "/console/settings/banners", form | {"banners-0-alt": "x"}, files=files)
    assert refused.status_code == 422
    assert not list(svc.storage.root.rglob("*.png"))


# -- language and sign-in ----------------------------------------------------------------


def test_the_members_language_and_sign_in_are_saved(client, svc, owner):
    form = {
        "locale": "en",
        "sign_in_methods": ["code"],
        "code_sign_in_creates_members": "on",
    }
    assert post(client, "/console/settings/members", form).status_code == 303
    saved = saved_tenant(svc, owner)
    assert (saved.locale, saved.sign_in_methods) == ("en", ["code"])
    assert saved.code_sign_in_creates_members and not saved.auto_create_members
    # The mall speaks English now to a phone that asks for no language.
    mall = client.get("/m/acme/", headers={"Accept-Language": ""}).get_data(as_text=True)
    assert '<html lang="en">' in mall
    refused = post(client, "/console/settings/members", {"locale": "fr", "sign_in_methods": []})
    assert refused.status_code == 422
    shown = refused.get_data(as_text=True)
    assert problem(shown, "locale") == "Choose one."
    assert problem(shown, "sign_in_methods") == "Choose one way at least."


# -- the sign-in secret --------------------------------------------------------------------


def test_the_sign_in_secret_is_rotated_without_a_gap(client, svc, owner):
    first = post(client, "/console/settings/sign-in-keys", {})
    assert first.status_code == 200
    shown = first.get_data(as_text=True)
    old_id = re.search(r'data-testid="new-key-id">([^<]+)<', shown)[1]
    secret = re.search(r'data-testid="new-key-secret"[^>]*>([^<]+)<', shown)[1]
    # Shown once: not on the page again.
    assert secret not in page(client, "/console/settings/sign-in-keys")
    second = post(client, "/console/settings/sign-in-keys", {}).get_data(as_text=True)
    new_id = re.search(r'data-testid="new-key-id">([^<]+)<', second)[1]
    assert "Make a new secret" not in second  # two live: the most
    third = post(client, "/console/settings/sign-in-keys", {})
    assert third.status_code == 409 and "Revoke a sign-in key" in third.get_data(as_text=True)
    revoked = post_from(client, KEYS, f"{KEYS}/{old_id}/revoke", {})
    assert revoked.status_code == 303
    with svc.db.session(tenant_id=owner.tenant_id) as session:
        keys = {k.id: k.revoked_at is not None for k in session.query(SignInKey)}
    assert keys == {old_id: True, new_id: False}
    chinese = page(client, "/console/settings/sign-in-keys", CHINESE)
    assert "已吊销" in chinese and "生成新密钥" in chinese


def test_only_owners_rotate_the_secret_and_only_their_own_keys(client, svc, owner, make_tenant):
    other = make_tenant("rival")
    made = call(client, other, "POST", "/tenant/sign-in-keys", None, 201).json["id"]
    assert post_from(client, KEYS, f"{KEYS}/{made}/revoke", {}).status_code == 404
    with svc.db.session(tenant_id=other.tenant_id) as session:
        assert session.get(SignInKey, (other.tenant_id, made)).revoked_at is None
    admin = client.application.test_client()
    signed_in_as(admin, svc, owner, "admin")
    assert admin.get("/console/settings/sign-in-keys").status_code == 403
    assert "/console/settings/sign-in-keys" not in page(admin, "/console/settings")


# -- the mall at the merchant's own domain -------------------------------------------------


def test_a_domain_is_named_proved_and_then_opens_the_mall(client, svc, owner, network):
    named = post(client, "/console/settings/domains", {"host": "Points.Acme-Shop.com"})
    assert named.status_code == 303
    shown = page(client, "/console/settings/domains")
    token = re.search(r'data-testid="domain-token">([^<]+)<', shown)[1]
    words = text(shown)
    assert "_jifen-verify.points.acme-shop.com" in words
    assert "http://points.acme-shop.com/.well-known/jifen-verify.txt" in words
    assert "Waiting for proof" in words
    assert "等待验证" in text(page(client, "/console/settings/domains", CHINESE))

    checked = post_from(client, DOMAINS, f"{DOMAINS}/points.acme-shop.com/check", {})
    assert checked.status_code == 303
    assert svc.jobs.wait_idle()
    words = text(page(client, "/console/settings/domains"))
    assert "Not proved" in words and "DNS record: found, but without the token." in words
    assert client.get("/", headers={"Host": "points.acme-shop.com"}).status_code == 302

    network.records["_jifen-verify.points.acme-shop.com"] = [token]
    post_from(client, DOMAINS, f"{DOMAINS}/points.acme-shop.com/check", {})
    assert svc.jobs.wait_idle()
    assert "Verified" in text(page(client, "/console/settings/domains"))
    assert "已验证" in text(page(client, "/console/settings/domains", CHINESE))
    assert client.get("/", headers={"Host": "points.acme-shop.com"}).status_code == 200

    removed = post_from(client, DOMAINS, f"{DOMAINS}/points.acme-shop.com/remove", {})
    assert removed.status_code == 303
    with svc.db.session() as session:
        assert session.get(TenantDomain, "points.acme-shop.com") is None


def test_a_domain_that_is_no_public_name_or_another_malls_is_refused(
    client, svc, owner, make_tenant, network
):
    for host, message in (
        ("localhost", "Give a domain name such as points.example.com."),
        ("<b>shop</b>.com", "Give a domain name such as points.example.com."),
    ):
        refused = post(client, "/console/settings/domains", {"host": host})
        assert refused.status_code == 422
        assert problem(refused.get_data(as_text=True), "host") == message
    assert "&lt;b&gt;shop&lt;/b&gt;.com" in refused.get_data(as_text=True)
    other = make_tenant("rival")
    with svc.db.transaction(tenant_id=other.tenant_id) as session:
        session.add(TenantDomain(domain="rival.com", tenant_id=other.tenant_id))
    taken = post(client, "/console/settings/domains", {"host": "rival.com"})
    assert problem(taken.get_data(as_text=True), "host") == "Another mall uses this domain."
    # Another mall's claim is nothing here.
    with svc.db.transaction(tenant_id=other.tenant_id) as session:
        domains.claim(session, other.tenant_id, "shop.rival.com", actor=SYSTEM, clock=svc.clock)
    for action in ("check", "remove"):
        answer = post_from(client, DOMAINS, f"{DOMAINS}/shop.rival.com/{action}", {})
        assert answer.status_code == 404


# -- who may change settings -------------------------------------------------------------


@pytest.mark.parametrize("role", ["viewer", "operator"])
def test_staff_who_may_not_configure_are_refused_every_settings_page(client, svc, tenant, role):
    signed_in_as(client, svc, tenant, role)
    for url in PAGES:
        assert client.get(url).status_code == 403, url
    token = re.search(r'name="csrf_token" value="([^"]+)"', page(client, "/console/"))[1]
    refused = client.post(
        "/console/settings/look",
        data={"csrf_token": token, "name": "Taken over", "theme": "night", "points_name": "x"},
    )
    assert refused.status_code == 403
    assert saved_tenant(svc, tenant).name == "Acme"
    assert "/console/settings" not in page(client, "/console/")


# -- nothing a client posts breaks a page --------------------------------------------------

ODD = [
    "",
    " ",
    "0",
    "-1",
    "1e9",
    "9" * 40,
    "\uff11\uff12",
    "NaN",
    "<i>x</i>",
    "\x00",
    "a" * 5000,
    "[]",
]


@pytest.mark.parametrize("url", [u for u in PAGES if u != "/console/settings"])
def test_no_post_to_a_settings_form_gives_a_server_error(client, owner, url, network):
    names = set(re.findall(r'name="([^"]+)"', page(client, url))) - {"csrf_token"}
    names |= {"tiers-99-name", "banners-9-alt", "remove", "up", "action"}
    for odd in ODD:
        answer = post(client, url, dict.fromkeys(names, odd))
        assert answer.status_code < 500, (url, odd, answer.status_code)

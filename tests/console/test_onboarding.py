"""A new merchant goes from nothing to a working branded mall: an account whose email a
code proves, a mall, its look, how points are earned and expire with its first
products, and the keys its systems use, shown once."""

from __future__ import annotations

from conftest import sqlite_only

from console.console_pages import (
    CHINESE,
    ENGLISH,
    emailed_code,
    open_mall,
    page,
    post,
    sign_up,
    text,
)
from jifen.ledger import policy
from jifen.mall.models import Product
from jifen.rules.models import EarnRule
from jifen.tenants.models import ApiKey, StaffMembership, Tenant, User

pytestmark = sqlite_only


def test_a_merchant_signs_up_proves_their_email_and_opens_a_mall(client, svc):
    assert client.get("/console/").status_code == 302
    answer = post(
        client,
        "/console/signup",
        {"email": "Owner@Shop.example", "password": "correct horse battery"},
    )
    assert answer.headers["Location"].endswith("/console/verify")
    # Until the email is proved, the console sends the user back to prove it.
    assert client.get("/console/malls/new").headers["Location"].endswith("/console/verify")
    wrong = post(client, "/console/verify", {"code": "000000"})
    assert wrong.status_code == 422 and "not right" in text(wrong.get_data(as_text=True))
    code = emailed_code(svc, "owner@shop.example")
    assert post(client, "/console/verify", {"code": code}).status_code == 303
    # A user with no mall is asked to open one.
    assert client.get("/console/").headers["Location"].endswith("/console/malls/new")
    made = open_mall(client)
    assert made.status_code == 303 and made.headers["Location"].endswith("/console/setup/look")
    with svc.db.session() as session:
        tenant = session.query(Tenant).filter_by(slug="teahouse").one()
        user = session.query(User).filter_by(email="owner@shop.example").one()
        role = session.get(StaffMembership, (tenant.id, user.id)).role
    assert (tenant.name, tenant.setup_step, role) == ("Tea House", "look", "owner")


def test_the_set_up_walks_through_look_points_and_keys(client, svc):
    sign_up(client, svc)
    open_mall(client)
    look = post(client, "/console/setup/look", {"theme": "fresh", "brand_color": "#336699"})
    assert look.status_code == 303 and look.headers["Location"].endswith("/console/setup/points")
    points = post(
        client,
        "/console/setup/points",
        {"rate": "2", "expiry": "rolling", "rolling_months": "12", "products": "starter"},
    )
    assert points.status_code == 303 and points.headers["Location"].endswith("/console/setup/keys")
    keys = post(client, "/console/setup/keys", {})
    assert keys.status_code == 200
    shown = keys.get_data(as_text=True)
    assert "jf_" in shown and "sk_" in shown
    with svc.db.session() as session:
        tenant = session.query(Tenant).filter_by(slug="teahouse").one()
        assert (tenant.theme, tenant.brand_color, tenant.setup_step) == ("fresh", "#336699", "done")
        assert policy.load(session.connection(), tenant.id).rolling_months == 12
    with svc.db.session(tenant_id=tenant.id) as session:
        rule = session.query(EarnRule).one()
        assert (rule.type, rule.params["rate"], rule.status) == ("spend", "2", "active")
        products = session.query(Product).all()
        assert len(products) == 3 and all(p.status == "active" for p in products)
        assert session.query(ApiKey).filter_by(tenant_id=tenant.id).count() == 1
    mall = page(client, "/m/teahouse/", CHINESE)
    assert "品牌帆布袋" in mall


def test_a_slug_taken_is_told_while_typed_and_refused_beside_its_field(client, svc, tenant):
    sign_up(client, svc)
    taken = client.get(f"/console/malls/address-check?slug={tenant.slug}", headers=ENGLISH)
    assert "taken" in text(taken.get_data(as_text=True))
    free = client.get("/console/malls/address-check?slug=free-one", headers=ENGLISH)
    assert "/m/free-one/" in free.get_data(as_text=True)
    refused = open_mall(client, slug=tenant.slug, name="<b>Bold</b>")
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'id="slug-problem"' in html and "&lt;b&gt;Bold&lt;/b&gt;" in html

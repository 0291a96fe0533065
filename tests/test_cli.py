"""The administration commands a merchant's operator uses from a terminal."""

import re

from sqlalchemy import select

from jifen.audit import AuditEvent
from jifen.db import cross_tenant
from jifen.members.models import Member
from jifen.tenants.models import ApiKey

VERIFIED = ["demo:", "ok", "nightowl:", "ok", "teahouse:", "ok"]


def run(app, *args):
    result = app.test_cli_runner().invoke(args=["jifen", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_demo_seeds_once_and_prints_a_working_key(app, client, svc):
    first = run(app, "demo")
    token = re.search(r"API key: (jf_\S+)", first)[1]
    assert "demo tenant (积分示范店 Demo Mall, theme classic): 6 members" in first
    assert re.search(r"console: owner@demo\.jifen\.test / \S+", first)
    page = client.get("/api/v1/members", headers={"Authorization": f"Bearer {token}"})
    assert len(page.json["items"]) == 6

    second = run(app, "demo")
    new_token = re.search(r"API key: (jf_\S+)", second)[1]
    assert "demo tenant (积分示范店 Demo Mall, theme classic): 6 members" in second  # once
    # Only the newest demo key works.
    old = client.get("/api/v1/members", headers={"Authorization": f"Bearer {token}"})
    assert old.status_code == 401
    new = client.get("/api/v1/members", headers={"Authorization": f"Bearer {new_token}"})
    assert new.status_code == 200
    with svc.db.session() as session, cross_tenant(session, "test"):
        assert session.query(Member).count() == 6 + 3 + 3  # demo, teahouse, nightowl
        assert session.query(ApiKey).filter(ApiKey.revoked_at.is_(None)).count() == 3


def test_a_second_demo_revokes_the_old_key_through_the_service_with_an_audit_record(app, svc):
    run(app, "demo")
    with svc.db.session() as session, cross_tenant(session, "test"):
        first_keys = set(session.scalars(select(ApiKey.id).where(ApiKey.name == "demo")))
    run(app, "demo")
    with svc.db.session() as session, cross_tenant(session, "test"):
        keys = {k.id: k for k in session.scalars(select(ApiKey).where(ApiKey.name == "demo"))}
        revocations = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "api_key.revoke")
        ).all()
    assert len(first_keys) == 3  # one for each demo mall
    assert all(keys[key].revoked_at is not None for key in first_keys)
    assert sum(key.revoked_at is None for key in keys.values()) == 3
    assert {(e.object_id, e.actor_kind, e.actor_id) for e in revocations} == {
        (str(key), "system", "cli") for key in first_keys
    }


def test_the_demos_points_verify_and_show_through_the_api(app, client):
    token = re.search(r"API key: (jf_\S+)", run(app, "demo"))[1]
    headers = {"Authorization": f"Bearer {token}"}

    assert run(app, "ledger", "verify", "--all").split() == VERIFIED
    first = client.get("/api/v1/members", headers=headers).json["items"][-1]
    points = client.get(f"/api/v1/members/{first['id']}/points", headers=headers).json
    # A welcome gift of 50; earned 500, spent 300 with 100 refunded, gave 50 away; then
    # 258 for the tea (the gift card and shipping earn nothing) and 5 for a check-in;
    # then 500 for a coupon in the mall.
    assert points["balance"] == 50 + 500 - 300 + 100 - 50 + 258 + 5 - 500
    history = client.get(f"/api/v1/members/{first['id']}/points/history", headers=headers)
    assert [line["kind"] for line in history.json["items"]] == [
        "redeem",
        "earn",
        "earn",
        "transfer",
        "refund",
        "redeem",
        "earn",
        "earn",
    ]


def test_create_tenant_user_and_keys(app, client):
    run(
        app,
        "create-user",
        "--email",
        "ops@shop.test",
        "--name",
        "Ops",
        "--password",
        "long enough pw",
    )
    assert "tenant shop" in run(
        app,
        "tenants",
        "create",
        "--slug",
        "shop",
        "--name",
        "Shop",
        "--owner-email",
        "ops@shop.test",
    )
    token = run(app, "apikeys", "create", "--tenant", "shop", "--name", "pos").strip()
    assert (
        client.get("/api/v1/members", headers={"Authorization": f"Bearer {token}"}).status_code
        == 200
    )
    prefix = token.split("_")[1]
    assert f"revoked {prefix}" in run(app, "apikeys", "revoke", prefix)
    assert (
        client.get("/api/v1/members", headers={"Authorization": f"Bearer {token}"}).status_code
        == 401
    )


def test_a_taken_slug_is_a_clear_cli_error(app):
    run(app, "tenants", "create", "--slug", "shop", "--name", "Shop")
    result = app.test_cli_runner().invoke(
        args=["jifen", "tenants", "create", "--slug", "shop", "--name", "Again"]
    )
    assert result.exit_code != 0
    assert "This slug is taken." in result.output


def test_tick_runs_every_periodic_job(app):
    assert "purge-idempotency-keys: ok (0)" in run(app, "tick")


def test_the_demo_mall_has_every_kind_and_mode_on_sale_and_its_first_orders(app, client):
    token = re.search(r"API key: (jf_\S+)", run(app, "demo"))[1]
    headers = {"Authorization": f"Bearer {token}"}

    shelf = client.get("/api/v1/products?on_sale=true", headers=headers).json["items"]
    assert {item["kind"] for item in shelf} == {"physical", "virtual", "coupon", "service"}
    assert {item["mode"] for item in shelf} == {
        "exchange",
        "lottery",
        "points_cash",
        "co_branded",
    }
    assert any(item["min_tier"] == "gold" for item in shelf)
    categories = client.get("/api/v1/categories", headers=headers).json["items"]
    assert any(c["parent_id"] for c in categories)
    placed = client.get("/api/v1/orders", headers=headers).json["items"]
    by_product = {o["product_name"]: o for o in placed}
    shipped = by_product["保温杯 Vacuum flask"]
    assert shipped["status"] == "completed"  # its owner said it arrived, and reviewed it
    assert shipped["delivery"]["tracking_number"] == "SF1000000001"
    assert shipped["address"]["name"] == "Alice Wong"
    reviews = client.get("/api/v1/reviews?status=published", headers=headers).json["items"]
    assert [(r["order_id"], r["rating"]) for r in reviews] == [(shipped["id"], 5)]
    assert by_product["游戏点卡 Game card"]["delivery"]["codes"][0].startswith("DEMO-GAME-")
    speaker = by_product["智能音箱 Smart speaker (积分+现金)"]
    assert speaker["status"] == "paid"
    # Paid as a member pays: the relay asked the test gateway, then its page notified.
    payment_path = f"/api/v1/payments/{speaker['details']['payment_id']}"
    payment = client.get(payment_path, headers=headers).json
    assert (payment["status"], payment["reference"]) == (
        "succeeded",
        f"offline-test-{payment['id']}",
    )
    assert by_product["幸运大转盘 Lucky wheel"]["details"]["draw"]["n"] == 1
    assert run(app, "ledger", "verify", "--all").split() == VERIFIED


def test_the_demo_opens_three_malls_in_three_themes_each_by_its_printed_link(app, client):
    printed = run(app, "demo")

    malls = re.findall(r"^(\w+) tenant \(([^)]+), theme (\w+)\): (\d+) members", printed, re.M)
    assert [(slug, theme) for slug, _, theme, _ in malls] == [
        ("demo", "classic"),
        ("teahouse", "fresh"),
        ("nightowl", "night"),
    ]
    greetings = {"demo": "张伟，您好", "teahouse": "陈静，您好", "nightowl": "Hello, Alice Wong"}
    for slug, _, theme, _ in malls:
        (link,) = re.findall(rf"http://127\.0\.0\.1:5000(/m/{slug}/sign-in\?\S+)", printed)
        signed_in = client.get(link)
        assert signed_in.status_code == 303
        language = "en" if slug == "nightowl" else "zh-CN"
        home = client.get(signed_in.headers["Location"], headers={"Accept-Language": language})
        home = home.get_data(as_text=True)
        assert f'<body class="theme-{theme}">' in home
        assert greetings[slug] in home
        assert '<ul class="cards">' in home  # its catalog, on the home page
    # The demo member of the demo mall has tasks to do and a saved address to ship to.
    tasks = client.get("/m/demo/account/tasks", headers={"Accept-Language": "zh-CN"})
    assert "写评价 · write a review" in tasks.get_data(as_text=True)
    book = client.get("/m/demo/account/addresses").get_data(as_text=True)
    assert "家 Home" in book and "张伟" in book and "世纪大道" in book

"""GET/PATCH /api/v1/tenant: a merchant reads and changes its own settings; what would
reinterpret recorded amounts or days is refused, and every change is audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from jifen.audit import AuditEvent

TENANT = "/api/v1/tenant"


def settings(client, tenant) -> dict:
    response = client.get(TENANT, headers=tenant.headers)
    assert response.status_code == 200, response.json
    return response.json


def patch(client, tenant, body):
    return client.patch(TENANT, json=body, headers=tenant.headers)


def audited(svc, tenant) -> list[tuple[dict, dict]]:
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        rows = session.scalars(select(AuditEvent).where(AuditEvent.action == "tenant.update")).all()
        return [(row.before, row.after) for row in rows]


def test_a_merchant_reads_its_settings(client, tenant):
    read = settings(client, tenant)

    assert read["id"] == str(tenant.tenant_id)
    assert read["slug"] == tenant.slug
    assert (read["locale"], read["timezone"], read["currency"], read["points_name"]) == (
        "zh_CN",
        "Asia/Shanghai",
        "CNY",
        "积分",
    )


def test_a_change_is_kept_and_audited_with_what_it_replaced(client, svc, tenant):
    changed = patch(
        client, tenant, {"locale": "en", "timezone": "Asia/Hong_Kong", "points_name": "Stars"}
    )

    assert changed.status_code == 200, changed.json
    assert settings(client, tenant) == changed.json
    assert (changed.json["locale"], changed.json["timezone"]) == ("en", "Asia/Hong_Kong")
    assert audited(svc, tenant) == [
        (
            {"locale": "zh_CN", "timezone": "Asia/Shanghai", "points_name": "积分"},
            {"locale": "en", "timezone": "Asia/Hong_Kong", "points_name": "Stars"},
        )
    ]


@pytest.mark.parametrize(
    "body", [{}, {"locale": "zh_CN", "currency": "CNY"}], ids=["empty", "same"]
)
def test_a_patch_of_nothing_new_changes_and_audits_nothing(client, svc, tenant, body):
    before = settings(client, tenant)

    response = patch(client, tenant, body)

    assert response.status_code == 200, response.json
    assert response.json == before
    assert audited(svc, tenant) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"locale": "xx"}, "locale"),
        ({"locale": "zh_cn"}, "locale"),
        ({"locale": "zh-CN"}, "locale"),
        ({"locale": "zh_Hans_CN"}, "locale"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": "asia/shanghai"}, "timezone"),
        ({"currency": "XYZ"}, "currency"),
        ({"currency": 156}, "currency"),
        ({"points_name": ""}, "points_name"),
        ({"points_name": "a" * 17}, "points_name"),
        ({"slug": "other"}, "slug"),
    ],
)
def test_a_setting_that_cannot_be_is_refused_and_changes_nothing(client, svc, tenant, body, field):
    before = settings(client, tenant)

    response = patch(
        client, tenant, {**body, "points_name": "Stars"} if field != "points_name" else body
    )

    assert response.status_code == 422, response.json
    assert response.json["code"] == "validation_error"
    assert field in str(response.json["details"])
    assert settings(client, tenant) == before
    assert audited(svc, tenant) == []


def earn(client, tenant, amount=10):
    member = client.post("/api/v1/members", json={"external_id": "u-1"}, headers=tenant.headers)
    earned = client.post(
        "/api/v1/points/earn",
        json={"member_id": member.json["id"], "amount": amount},
        headers=tenant.headers,
    )
    assert earned.status_code == 201, earned.json


def test_the_currency_changes_until_points_have_moved(client, tenant):
    assert patch(client, tenant, {"currency": "HKD"}).status_code == 200
    earn(client, tenant)

    refused = patch(client, tenant, {"currency": "USD", "points_name": "Stars"})

    assert refused.status_code == 409, refused.json
    assert refused.json["code"] == "currency_locked"
    assert refused.json["details"] == {"currency": "HKD"}
    assert (settings(client, tenant)["currency"], settings(client, tenant)["points_name"]) == (
        "HKD",
        "积分",
    )


def test_the_time_zone_is_fixed_once_members_days_are_counted(client, tenant):
    rule = {"name": "spend", "type": "spend", "params": {"rate": "1"}, "status": "active"}
    assert client.post("/api/v1/rules", json=rule, headers=tenant.headers).status_code == 201
    member = client.post("/api/v1/members", json={"external_id": "u-1"}, headers=tenant.headers)
    purchase = {
        "id": "order-1",
        "kind": "purchase",
        "member_id": member.json["id"],
        "data": {"amount": 10_000, "currency": "CNY"},
    }
    assert client.post("/api/v1/events", json=purchase, headers=tenant.headers).status_code == 201

    refused = patch(client, tenant, {"timezone": "Europe/London"})

    assert refused.status_code == 409, refused.json
    assert refused.json["code"] == "timezone_locked"
    assert settings(client, tenant)["timezone"] == "Asia/Shanghai"
    assert patch(client, tenant, {"locale": "en"}).status_code == 200


def test_changing_settings_needs_the_tenant_write_scope(client, make_tenant):
    reader = make_tenant("reader", scopes=("tenant:read",))

    refused = patch(client, reader, {"locale": "en"})

    assert refused.status_code == 403
    assert refused.json["details"] == {"scope": "tenant:write"}
    assert settings(client, reader)["locale"] == "zh_CN"


def test_each_merchant_changes_only_its_own_settings(client, make_tenant):
    alpha, beta = make_tenant("alpha"), make_tenant("beta")

    assert patch(client, alpha, {"points_name": "Alpha pts"}).status_code == 200

    assert settings(client, alpha)["points_name"] == "Alpha pts"
    assert settings(client, beta)["points_name"] == "积分"

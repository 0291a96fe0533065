"""The console's audit log: every change, newest first, a page at a time, narrowed by
who, which action, which object and which days (the tenant's days)."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from conftest import sqlite_only
from rules import api

from console.console_pages import CHINESE, ENGLISH, page, signed_in_as, staff_member, text
from jifen.audit import SYSTEM, Actor, record
from jifen.tenants.models import ApiKey

pytestmark = sqlite_only


def rows(html: str) -> list[str]:
    """The words of each row of the log's table."""
    return [text(row) for row in re.findall(r'<tr data-testid="audit-row">(.*?)</tr>', html, re.S)]


def log(svc, tenant, action: str, actor: Actor = SYSTEM, **fields) -> None:
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        record(
            session,
            tenant_id=tenant.tenant_id,
            actor=actor,
            action=action,
            object_type=fields.pop("object_type", "thing"),
            now=svc.clock.now(),
            **fields,
        )


def test_the_log_shows_who_did_what_to_which_object_in_both_languages(client, svc, tenant):
    signed_in_as(client, svc, tenant, "owner")
    member = api.call(client, tenant, "POST", "/members", {"external_id": "u1"}, 201).json
    [made] = [r for r in rows(page(client, "/console/audit", ENGLISH)) if "member.create" in r]
    assert member["id"][-12:] in made and "API key: test" in made
    with svc.db.session() as session:
        key = session.query(ApiKey).filter_by(tenant_id=tenant.tenant_id).one()
    by_key = rows(page(client, f"/console/audit?actor=api_key:{key.id}"))
    assert [("member.create" in r) for r in by_key] == [True]
    chinese = page(client, "/console/audit", CHINESE)
    assert 'lang="zh-CN"' in chinese and "member.create" in chinese


def test_the_log_is_narrowed_by_actor_action_object_and_days(client, svc, clock, tenant):
    boss = Actor(kind="user", id="01234567-89ab-7def-8123-456789abcdef", ip="203.0.113.9")
    log(svc, tenant, "order.ship", boss, object_type="order", object_id="o-1", after={"s": 1})
    clock.advance(days=2)
    log(svc, tenant, "order.cancel", object_type="order", object_id="o-2")
    log(svc, tenant, "product.update", object_type="product", object_id="p-1")
    signed_in_as(client, svc, tenant, "admin")
    by_actor = rows(page(client, f"/console/audit?actor=user:{boss.id}"))
    assert len(by_actor) == 1 and "order.ship" in by_actor[0] and "203.0.113.9" in by_actor[0]
    by_action = rows(page(client, "/console/audit?action=order."))
    assert [("order.cancel" in r, "order.ship" in r) for r in by_action] == [
        (True, False),
        (False, True),
    ]
    by_object = rows(page(client, "/console/audit?object_type=order&object_id=o-2"))
    assert len(by_object) == 1 and "order.cancel" in by_object[0]
    first_day = clock.now() - timedelta(days=2)
    day = first_day.astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat()
    only_then = rows(page(client, f"/console/audit?from={day}&to={day}&action=order"))
    assert len(only_then) == 1 and "order.ship" in only_then[0]
    # A literal "%" or "_" in the action matches only itself.
    assert rows(page(client, "/console/audit?action=order_")) == []
    assert "Nothing matches." in text(page(client, "/console/audit?action=%25"))


def test_the_log_is_paged_newest_first_and_keeps_its_filter(client, svc, tenant):
    signed_in_as(client, svc, tenant, "owner")
    for n in range(55):
        log(svc, tenant, f"test.step{n:02d}")
    first = page(client, "/console/audit?action=test.")
    assert len(rows(first)) == 50 and "test.step54" in rows(first)[0]
    older = re.search(r'href="([^"]+)" data-testid="next-page"', first)[1].replace("&amp;", "&")
    assert "action=test." in older
    rest = rows(page(client, older))
    assert len(rest) == 5 and "test.step04" in rest[0] and "test.step00" in rest[-1]
    assert 'data-testid="next-page"' not in page(client, older)


def test_bad_filters_are_shown_beside_their_fields_and_escaped(client, svc, tenant):
    signed_in_as(client, svc, tenant, "admin")
    bad = client.get("/console/audit?from=2026-02-30&to=yesterday&actor=king:1")
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert 'id="from-problem"' in html and 'id="to-problem"' in html
    assert 'id="actor-problem"' in html
    backwards = client.get("/console/audit?from=2026-03-05&to=2026-03-01")
    assert backwards.status_code == 422 and 'id="to-problem"' in backwards.get_data(as_text=True)
    escaped = client.get("/console/audit?action=%3Cscript%3Ex%3C/script%3E").get_data(as_text=True)
    assert "&lt;script&gt;x&lt;/script&gt;" in escaped and "<script>x" not in escaped


def test_operators_and_viewers_may_not_read_the_log(client, svc, tenant):
    signed_in_as(client, svc, tenant, "operator")
    assert client.get("/console/audit").status_code == 403
    assert "/console/audit" not in page(client, "/console/team")


def test_another_tenants_events_are_not_shown(client, svc, tenant, make_tenant):
    other = make_tenant("other")
    log(svc, other, "secret.thing", object_id="theirs")
    staff_member(svc, other, "owner")
    signed_in_as(client, svc, tenant, "owner")
    assert "secret.thing" not in page(client, "/console/audit")
    assert rows(page(client, "/console/audit?object_id=theirs")) == []


def test_no_query_makes_a_500(client, svc, tenant):
    signed_in_as(client, svc, tenant, "owner")
    for query in (
        "after=garbage",
        "after=%00",
        "actor=user:%00",
        "action=%00",
        "object_id=" + "x" * 5000,
        "from=9999-12-31&to=9999-12-31",
        "from=0001-01-01",
        "actor=user",
    ):
        assert client.get(f"/console/audit?{query}").status_code in (200, 422), query

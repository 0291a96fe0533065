"""A member chooses the notices they get: each kind on its page, on until they say
otherwise, in their language; a change is kept with when and where it was made, and
audited; a member who turned expiry reminders off gets none (the receipt says why)."""

from __future__ import annotations

import pytest
from conftest import sqlite_only
from notify.test_member_notices import member_with_expiring_points, receipts, reminder_ids
from sqlalchemy import select

from jifen.audit import SYSTEM, AuditEvent
from jifen.ledger import expiry
from jifen.members.models import NoticeChoice
from jifen.members.notices import EXPIRY_REMINDERS, choose
from storefront.mall_pages import CHINESE, ENGLISH, form_fields, page, shopper, text

pytestmark = sqlite_only


def notices_page(client, tenant, headers=ENGLISH) -> str:
    return page(client, f"/m/{tenant.slug}/account/notices", headers)


def turn_off_reminders(client, tenant) -> None:
    form = form_fields(notices_page(client, tenant))  # the CSRF token; no box ticked
    done = client.post(f"/m/{tenant.slug}/account/notices", data=form)
    assert done.status_code == 303


@pytest.mark.parametrize(
    ("headers", "says"),
    [
        (ENGLISH, "What Acme may send me Reminders before my points expire"),
        (CHINESE, "Acme 可以发给我的通知 积分过期前提醒我"),
    ],
)
def test_expiry_reminders_are_on_until_the_member_turns_them_off(
    client, tenant, svc, clock, headers, says
):
    alice = shopper(client, tenant)
    html = notices_page(client, tenant, headers)
    assert says in text(html) and 'name="points_expiring" checked' in html

    turn_off_reminders(client, tenant)

    after = notices_page(client, tenant, headers)
    assert 'name="points_expiring" checked' not in after
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        choice = session.scalars(select(NoticeChoice)).one()
        audited = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "member.notices")
        ).one()
    assert (str(choice.member_id), choice.topic, choice.wanted) == (alice, "points_expiring", False)
    assert (choice.chosen_at, choice.chosen_in) == (clock.now(), "mall")
    assert audited.after == {"points_expiring": False, "in": "mall"}


def test_a_member_who_turned_reminders_off_gets_none(tenant, svc):
    member_with_expiring_points(svc, tenant.tenant_id)  # keeps the reminders on
    declines = member_with_expiring_points(svc, tenant.tenant_id, phone="13900001111")
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        choose(
            session,
            declines,
            {EXPIRY_REMINDERS: False},
            chosen_in="api",
            actor=SYSTEM,
            clock=svc.clock,
        )

    assert expiry.remind(svc) == 2
    assert svc.jobs.wait_idle()

    outcomes = sorted(receipts(svc)[event_id]["status"] for event_id in reminder_ids(svc))
    assert outcomes == ["declined", "sent"]

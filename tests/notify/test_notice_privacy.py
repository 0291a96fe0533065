"""A notifier that fails may name the member's address in its error (a gateway's "unknown
number 139..."): the relay's log and the parked event's error show it masked."""

from __future__ import annotations

from datetime import timedelta

from conftest import sqlite_only
from sqlalchemy import select

from jifen import ledger, members
from jifen.audit import SYSTEM
from jifen.hookimpl import hookimpl
from jifen.ledger import expiry
from jifen.outbox.models import RelayParked

PHONE = "13912345678"


class RefusingSms:
    """A fake SMS gateway (the external boundary) that refuses the number, naming it."""

    name = "refusing_sms"
    channels = ("sms",)
    stand_in = False

    def send(self, message):
        raise ConnectionError(f"gateway refused {message.to}: number not reachable")

    @hookimpl
    def register_notifiers(self, settings):
        return [self]


@sqlite_only
def test_a_failed_notice_is_logged_and_parked_with_the_address_masked(svc, tenant, caplog):
    svc.plugins.register(RefusingSms(), name="refusing-sms")
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        member = members.create_member(
            session,
            tenant.tenant_id,
            {"external_id": "m-1", "phone": PHONE},
            actor=SYSTEM,
            clock=svc.clock,
            keyring=svc.keyring,
        )
        soon = svc.clock.now() + timedelta(days=10)
        ledger.earn(session, member.id, 100, actor=SYSTEM, clock=svc.clock, expires_at=soon)
    caplog.set_level("INFO")

    assert expiry.remind(svc) == 1
    svc.jobs.wait_idle()

    with svc.relay.reading() as connection:
        (error,) = connection.execute(select(RelayParked.last_error)).scalars()
    assert "refusing-sms" in error and PHONE not in error
    assert "gateway refused 139****5678: number not reachable" in caplog.text
    assert PHONE not in caplog.text

"""A notifier that fails may name the member's address in its error (a gateway's "unknown
number 139..."): the relay's log and the parked event's error show it masked."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from conftest import sqlite_only
from sqlalchemy import select

from jifen import ledger, members
from jifen.audit import SYSTEM
from jifen.hookimpl import hookimpl
from jifen.ledger import expiry
from jifen.outbox.models import RelayParked

PHONE = "13912345678"


class RefusingSms:
    """A fake SMS gateway (the external boundary) that refuses the number, naming it as
    `spelled` writes it."""

    name = "refusing_sms"
    channels = ("sms",)
    stand_in = False

    def __init__(self, spelled=lambda to: to) -> None:
        self.spelled = spelled

    def send(self, message):
        raise ConnectionError(f"gateway refused {self.spelled(message.to)}: number not reachable")

    @hookimpl
    def register_notifiers(self, settings):
        return [self]


def the_number_is_refused(svc, tenant, gateway) -> str:
    """A member's reminder refused by `gateway`: the parked event's error."""
    svc.plugins.register(gateway, name="refusing-sms")
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
    assert expiry.remind(svc) == 1
    svc.jobs.wait_idle()
    with svc.relay.reading() as connection:
        (error,) = connection.execute(select(RelayParked.last_error)).scalars()
    return str(error)


@sqlite_only
def test_a_failed_notice_is_logged_and_parked_with_the_address_masked(svc, tenant, caplog):
    caplog.set_level("INFO")

    error = the_number_is_refused(svc, tenant, RefusingSms())

    assert "refusing-sms" in error and PHONE not in error
    assert "gateway refused 139****5678: number not reachable" in caplog.text
    assert PHONE not in caplog.text


# The subscriber's digits (the number without its first four), however they are spaced.
SUBSCRIBER = re.compile(r"2\D?3\D?4\D?5\D?6\D?7\D?8")


@sqlite_only
@pytest.mark.parametrize(
    "spelled",
    [
        lambda to: f"+86{to}",
        lambda to: f"86{to}",
        lambda to: f"+86 {to[:3]} {to[3:7]} {to[7:]}",
        lambda to: f"{to[:3]}-{to[3:7]}-{to[7:]}",
    ],
    ids=["+86", "86", "spaced", "dashed"],
)
def test_a_gateway_that_writes_the_number_its_own_way_is_masked_too(svc, tenant, caplog, spelled):
    caplog.set_level("INFO")

    error = the_number_is_refused(svc, tenant, RefusingSms(spelled))

    assert "refusing-sms" in error and SUBSCRIBER.search(error) is None
    assert "gateway refused 139****5678: number not reachable" in caplog.text
    assert SUBSCRIBER.search(caplog.text) is None

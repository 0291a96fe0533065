"""How the log's rows commit: on PostgreSQL a transaction's events travel with its COMMIT
(one round trip, `outbox.sql.append_and_commit`); whatever the database refuses there
fails the commit as a plain commit would, and leaves neither the change nor its events."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import DataError, IntegrityError

from jifen.audit import SYSTEM
from jifen.ledger import service as ledger
from jifen.ledger.models import Entry, Posting
from jifen.ledger.sql import system_account_id
from jifen.outbox.events import DomainEvent, emit
from jifen.outbox.models import OutboxEvent
from jifen.types import new_id

from .events import Counted
from .test_relay import balance, events_logged, new_member

postgresql_only = pytest.mark.parametrize("database", ["postgresql"], indirect=True)


@dataclass(frozen=True)
class Noted(DomainEvent):
    type = "test.noted"
    aggregate = "member"
    aggregate_field = "member_id"

    member_id: uuid.UUID
    note: str


def test_events_and_the_change_commit_together(svc, tenant):
    alice = new_member(svc, tenant.tenant_id)
    before = events_logged(svc)
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        ledger.earn(session, alice, 30, actor=SYSTEM, clock=svc.clock)
        emit(session, Counted(alice, 1), now=svc.clock.now())
        emit(session, Counted(alice, 2), now=svc.clock.now())

    assert balance(svc, tenant.tenant_id, alice) == 30
    assert events_logged(svc) == before + 3  # the earn's EntriesPosted and our two

    # The connection goes back to the pool between transactions, and the next one on it
    # begins afresh: the commit that followed ours sent nothing it should not have.
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        ledger.earn(session, alice, 5, actor=SYSTEM, clock=svc.clock)
    assert balance(svc, tenant.tenant_id, alice) == 35


@postgresql_only
def test_a_commit_the_database_refuses_is_an_integrity_error_and_keeps_nothing(svc, tenant):
    alice = new_member(svc, tenant.tenant_id)
    before = events_logged(svc)
    t = tenant.tenant_id
    with (
        pytest.raises(IntegrityError, match="balance"),
        svc.db.transaction(tenant_id=t) as session,
    ):
        ledger.earn(session, alice, 30, actor=SYSTEM, clock=svc.clock)
        emit(session, Counted(alice, 1), now=svc.clock.now())
        # An entry that does not balance: the deferred check refuses it at COMMIT.
        entry, now = new_id(), svc.clock.now()
        session.execute(
            insert(Entry.__table__),
            {"tenant_id": t, "id": entry, "kind": "adjust", "actor_kind": "job"}
            | {"actor_id": "test", "created_at": now},
        )
        session.execute(
            insert(Posting.__table__),
            {"tenant_id": t, "id": new_id(), "entry_id": entry, "amount": 1}
            | {"account_id": system_account_id(t, "redeemed"), "created_at": now},
        )

    assert balance(svc, tenant.tenant_id, alice) is None  # not even the wallet it opened
    assert events_logged(svc) == before


@postgresql_only
def test_an_event_row_the_database_refuses_fails_the_commit_and_keeps_nothing(svc, tenant):
    alice = new_member(svc, tenant.tenant_id)
    before = events_logged(svc)
    with pytest.raises(DataError), svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        ledger.earn(session, alice, 30, actor=SYSTEM, clock=svc.clock)
        # jsonb holds no NUL character: the event's INSERT fails, so COMMIT never runs.
        emit(session, Noted(alice, "a\x00b"), now=svc.clock.now())

    assert balance(svc, tenant.tenant_id, alice) is None  # not even the wallet it opened
    assert events_logged(svc) == before


def test_text_that_needs_quoting_comes_back_from_the_log_as_written(svc, tenant):
    alice = new_member(svc, tenant.tenant_id)
    note = "it's 积分 \\ 'quoted' \\' E'\\n' $$ ; COMMIT; -- \u2028 end"
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        event_id = emit(session, Noted(alice, note), now=svc.clock.now())

    with svc.relay.reading() as connection:
        payload = connection.execute(
            select(OutboxEvent.payload).where(OutboxEvent.id == event_id)
        ).scalar_one()
    assert Noted.from_payload(payload) == Noted(alice, note)

"""How the log's rows commit: on PostgreSQL a transaction's events travel with its COMMIT
(one round trip, `outbox.sql.append_and_commit`), after everything else the transaction
writes; whatever the database refuses there fails the commit as a plain commit would,
and leaves neither the change nor its events."""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy import event, insert, select
from sqlalchemy.exc import DataError, IntegrityError, InvalidRequestError
from sqlalchemy.orm import Session

from jifen.audit import SYSTEM
from jifen.ledger import service as ledger
from jifen.ledger.models import Entry, Posting
from jifen.ledger.sql import system_account_id
from jifen.members.models import MemberTag
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


def tags(svc, tenant_id, member_id) -> list[str]:
    with svc.db.session(tenant_id=tenant_id) as session:
        return list(session.scalars(select(MemberTag.tag).where(MemberTag.member_id == member_id)))


def unbalanced_entry(session, tenant_id, now) -> None:
    """An entry that does not balance: PostgreSQL's deferred check refuses it at COMMIT."""
    entry = new_id()
    session.execute(
        insert(Entry.__table__),
        {"tenant_id": tenant_id, "id": entry, "kind": "adjust", "actor_kind": "job"}
        | {"actor_id": "test", "created_at": now},
    )
    session.execute(
        insert(Posting.__table__),
        {"tenant_id": tenant_id, "id": new_id(), "entry_id": entry, "amount": 1}
        | {"account_id": system_account_id(tenant_id, "redeemed"), "created_at": now},
    )


@contextlib.contextmanager
def before_commit(listener):
    """A before_commit listener of the test's, registered after the outbox's own."""
    event.listen(Session, "before_commit", listener)
    try:
        yield
    finally:
        event.remove(Session, "before_commit", listener)


def test_events_and_the_change_commit_together(svc, tenant):
    alice = new_member(svc, tenant.tenant_id)
    before = events_logged(svc)
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        ledger.earn(session, alice, 30, actor=SYSTEM, clock=svc.clock)
        emit(session, Counted(alice, 1), now=svc.clock.now())
        emit(session, Counted(alice, 2), now=svc.clock.now())
        # Still pending when the commit begins: the session's last flush writes it.
        session.add(MemberTag(tenant_id=tenant.tenant_id, member_id=alice, tag="vip"))

    assert balance(svc, tenant.tenant_id, alice) == 30
    assert tags(svc, tenant.tenant_id, alice) == ["vip"]
    assert events_logged(svc) == before + 3  # the earn's EntriesPosted and our two

    # The connection goes back to the pool between transactions, and the next one on it
    # begins afresh: the commit that followed ours sent nothing it should not have.
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        ledger.earn(session, alice, 5, actor=SYSTEM, clock=svc.clock)
    assert balance(svc, tenant.tenant_id, alice) == 35


def test_a_later_before_commit_listener_still_writes_in_the_transaction(svc, tenant):
    alice = new_member(svc, tenant.tenant_id)
    before = events_logged(svc)

    def tag_on_commit(session):
        if session.info.get("tenant_id") == tenant.tenant_id:
            session.add(MemberTag(tenant_id=tenant.tenant_id, member_id=alice, tag="late"))
            emit(session, Counted(alice, 9), now=svc.clock.now())

    with before_commit(tag_on_commit), svc.db.transaction(tenant_id=tenant.tenant_id) as s:
        emit(s, Counted(alice, 1), now=svc.clock.now())

    assert tags(svc, tenant.tenant_id, alice) == ["late"]
    assert events_logged(svc) == before + 2  # the listener's event went with the commit


@postgresql_only
def test_a_commit_the_database_refuses_is_an_integrity_error_and_keeps_nothing(svc, tenant):
    alice = new_member(svc, tenant.tenant_id)
    before = events_logged(svc)
    t = tenant.tenant_id

    def tag_on_commit(session):
        if session.info.get("tenant_id") == t:
            session.add(MemberTag(tenant_id=t, member_id=alice, tag="late"))

    with (
        before_commit(tag_on_commit),
        pytest.raises(IntegrityError, match="balance"),
        svc.db.transaction(tenant_id=t) as session,
    ):
        ledger.earn(session, alice, 30, actor=SYSTEM, clock=svc.clock)
        emit(session, Counted(alice, 1), now=svc.clock.now())
        unbalanced_entry(session, t, svc.clock.now())

    assert balance(svc, t, alice) is None  # not even the wallet the earn opened
    assert tags(svc, t, alice) == []  # the later listener wrote inside the transaction
    assert events_logged(svc) == before


@postgresql_only
def test_after_a_refused_commit_the_session_sends_nothing_until_it_rolls_back(svc, tenant):
    alice = new_member(svc, tenant.tenant_id)
    session = svc.db.session(tenant_id=tenant.tenant_id, write=True)
    try:
        session.begin()
        ledger.earn(session, alice, 30, actor=SYSTEM, clock=svc.clock)
        emit(session, Counted(alice, 1), now=svc.clock.now())
        unbalanced_entry(session, tenant.tenant_id, svc.clock.now())
        with pytest.raises(IntegrityError):
            session.commit()
        # Not a statement of its own outside the failed transaction: refused.
        with pytest.raises(InvalidRequestError):
            ledger.earn(session, alice, 30, actor=SYSTEM, clock=svc.clock)
        session.rollback()
        ledger.earn(session, alice, 30, actor=SYSTEM, clock=svc.clock)
        session.commit()
    finally:
        session.close()
    assert balance(svc, tenant.tenant_id, alice) == 30


@postgresql_only
def test_an_event_row_the_database_refuses_fails_the_commit_and_keeps_nothing(svc, tenant):
    alice = new_member(svc, tenant.tenant_id)
    before = events_logged(svc)
    with pytest.raises(DataError), svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        ledger.earn(session, alice, 30, actor=SYSTEM, clock=svc.clock)
        # jsonb holds no NUL character: the event's INSERT fails, so COMMIT never runs.
        emit(session, Noted(alice, "a\x00b"), now=svc.clock.now())

    assert balance(svc, tenant.tenant_id, alice) is None
    assert events_logged(svc) == before


def test_text_that_needs_quoting_comes_back_from_the_log_as_written(svc, tenant):
    alice = new_member(svc, tenant.tenant_id)
    note = "it's 积分 \\ 'quoted' \\' E'\\n' $$ ; COMMIT; -- \u2028 end"
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        event_id = emit(session, Noted(alice, note), now=svc.clock.now())
        emit(session, Noted(alice, "keyed"), now=svc.clock.now(), key="once")
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        emit(session, Noted(alice, "keyed"), now=svc.clock.now(), key="once")

    with svc.relay.reading() as connection:
        payload = connection.execute(
            select(OutboxEvent.payload).where(OutboxEvent.id == event_id)
        ).scalar_one()
        notes = [
            row["note"]
            for row in connection.execute(
                select(OutboxEvent.payload).where(
                    OutboxEvent.type == Noted.type, OutboxEvent.aggregate_id == alice
                )
            ).scalars()
        ]
    assert sorted(notes) == sorted([note, "keyed"])  # the keyed one once
    assert Noted.from_payload(payload) == Noted(alice, note)

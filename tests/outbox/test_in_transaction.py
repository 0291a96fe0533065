"""In-transaction subscribers: run by `emit` inside the emitting transaction, they commit
and roll back with it, and one that raises fails it (unlike the relay's after-commit
subscribers, they are not isolated)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from jifen.audit import SYSTEM
from jifen.ledger import service as ledger
from jifen.ledger.models import Account
from jifen.outbox.events import InTransaction, emit, reactions

from .events import Counted, Unwanted
from .test_relay import balance, events_logged, new_member


class Refused(Exception):
    pass


def credit(services, session, event, *, now, actor):
    """Credit the member `n` points, on the emitter's behalf."""
    ledger.earn(session, event.member_id, event.n, actor=actor or SYSTEM, clock=services.clock)


def refuse(services, session, event, *, now, actor):
    raise Refused(event.n)


@pytest.fixture
def subscribed(svc):
    """Install in-transaction subscribers on the app's sessions, for one test."""
    before = svc.db.reactions

    def install(*subscribers: InTransaction) -> None:
        svc.db.reactions = reactions(subscribers, svc)

    yield install
    svc.db.reactions = before


def test_a_subscriber_writes_in_the_emitting_transaction(svc, tenant, subscribed):
    subscribed(InTransaction(Counted, credit))
    alice = new_member(svc, tenant.tenant_id)

    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        emit(session, Counted(alice, 5), now=svc.clock.now())
        assert balance_in(session, alice) == 5  # already there, before the commit

    assert balance(svc, tenant.tenant_id, alice) == 5


def test_a_subscribers_effect_rolls_back_with_the_transaction(svc, tenant, subscribed):
    subscribed(InTransaction(Counted, credit))
    alice = new_member(svc, tenant.tenant_id)
    logged = events_logged(svc)

    with pytest.raises(RuntimeError), svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        emit(session, Counted(alice, 5), now=svc.clock.now())
        raise RuntimeError("the change fails after the event")

    assert balance(svc, tenant.tenant_id, alice) in (None, 0)
    assert events_logged(svc) == logged


def test_a_failing_subscriber_fails_the_transaction(svc, tenant, subscribed):
    subscribed(InTransaction(Counted, credit), InTransaction(Counted, refuse))
    alice = new_member(svc, tenant.tenant_id)
    logged = events_logged(svc)

    with pytest.raises(Refused), svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        emit(session, Counted(alice, 5), now=svc.clock.now())

    # Neither the event, nor the first subscriber's credit, nor anything else committed.
    assert balance(svc, tenant.tenant_id, alice) in (None, 0)
    assert events_logged(svc) == logged


def test_only_the_subscribed_event_class_is_dispatched(svc, tenant, subscribed):
    subscribed(InTransaction(Counted, refuse))
    alice = new_member(svc, tenant.tenant_id)

    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        emit(session, Unwanted(alice), now=svc.clock.now())

    assert events_logged(svc) >= 1


def balance_in(session, member_id) -> int:
    return session.scalar(select(Account.balance).where(Account.member_id == member_id))


def test_a_session_opened_without_the_database_cannot_emit(svc):
    with pytest.raises(RuntimeError, match="open it through Database"):
        emit(Session(), Counted(uuid.uuid4(), 1), now=svc.clock.now(), platform=True)

"""Transactions: both drivers run in autocommit mode and our BEGIN opens each transaction,
so these check that what a transaction writes is still all-or-nothing, and that on
PostgreSQL a scoped session's BEGIN carries its tenant for row-level security."""

import pytest
from sqlalchemy import func, insert, select, text

from jifen.audit import SYSTEM
from jifen.db import cross_tenant
from jifen.members import service as members
from jifen.members.models import Member
from jifen.types import new_id


def member_count(svc) -> int:
    with svc.db.session() as session, cross_tenant(session, "test inspection"):
        return session.scalar(select(func.count()).select_from(Member))


def register(session, tenant_id, external_id, svc):
    return members.create_member(
        session,
        tenant_id,
        {"external_id": external_id},
        actor=SYSTEM,
        clock=svc.clock,
        keyring=svc.keyring,
    )


def test_a_rolled_back_session_leaves_nothing(svc, tenant):
    with svc.db.session(tenant_id=tenant.tenant_id, write=True) as session:
        register(session, tenant.tenant_id, "first", svc)
        register(session, tenant.tenant_id, "second", svc)
        session.rollback()
    assert member_count(svc) == 0


def test_a_failing_transaction_block_leaves_nothing(svc, tenant):
    with pytest.raises(RuntimeError), svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        register(session, tenant.tenant_id, "first", svc)
        raise RuntimeError("the caller gives up")
    assert member_count(svc) == 0


def test_a_rolled_back_core_transaction_leaves_nothing(svc, tenant, clock, database):
    # Plain engine connections, outside any session, begin a transaction too: on
    # PostgreSQL the transaction-local tenant setting must still hold for the INSERT.
    with svc.db.engine.connect() as connection:
        if database.engine == "postgresql":
            connection.execute(
                text("SELECT set_config('jifen.tenant_id', :t, true)"),
                {"t": str(tenant.tenant_id)},
            )
        connection.execute(
            insert(Member),
            {
                "tenant_id": tenant.tenant_id,
                "id": new_id(),
                "external_id": "core",
                "status": "active",
                "created_at": clock.now(),
                "updated_at": clock.now(),
            },
        )
        connection.rollback()
    assert member_count(svc) == 0


def test_a_savepoint_rolls_back_alone(svc, tenant):
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        register(session, tenant.tenant_id, "kept", svc)
        savepoint = session.begin_nested()
        register(session, tenant.tenant_id, "dropped", svc)
        savepoint.rollback()
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        assert list(session.scalars(select(Member.external_id))) == ["kept"]


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_postgres_transactions_carry_the_sessions_tenant(svc, tenant):
    settings = text(
        "SELECT current_setting('jifen.tenant_id', true), "
        "current_setting('jifen.cross_tenant', true)"
    )
    with svc.db.session(tenant_id=tenant.tenant_id, write=True) as session:
        # A scope opened before the first read makes the session the operator's, whose
        # transactions may open one again after they have read (the app role's may not).
        with cross_tenant(session, "test: run as the operator"):
            pass
        assert tuple(session.execute(settings).one()) == (str(tenant.tenant_id), "")
        session.begin_nested()
        assert tuple(session.execute(settings).one()) == (str(tenant.tenant_id), "")
        with cross_tenant(session, "test"):
            assert tuple(session.execute(settings).one()) == (str(tenant.tenant_id), "on")
        assert tuple(session.execute(settings).one()) == (str(tenant.tenant_id), "")
        session.rollback()
    with svc.db.session() as session:
        # Transaction-local: a later transaction on the pooled connection starts empty.
        assert tuple(session.execute(settings).one()) in {("", ""), (None, None)}

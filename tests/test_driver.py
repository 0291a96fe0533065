"""Writes sent through the driver (`jifen.driver`) store what SQLAlchemy would have
stored, count every row they write, and fail as SQLAlchemy's errors, on both engines."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import START
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from jifen.audit import AuditEvent
from jifen.db import writing_for
from jifen.driver import DriverStatement, batch
from jifen.types import new_id

_AUDIT = AuditEvent.__table__
_INSERT = DriverStatement(insert(_AUDIT))
# A literal the statement binds itself ("member.create") beside the rows' parameters.
_RENAME = DriverStatement(
    update(_AUDIT)
    .where(
        _AUDIT.c.tenant_id == bindparam("t"),
        _AUDIT.c.id == bindparam("event_id"),
        _AUDIT.c.action == "member.create",
    )
    .values(action=bindparam("new_action"))
)


def row(tenant_id, **fields) -> dict:
    return {
        "tenant_id": tenant_id,
        "id": new_id(),
        "actor_kind": "job",
        "actor_id": "test",
        "action": "member.create",
        "object_type": "member",
        "object_id": None,
        "before": None,
        "after": {"name": "王小明", "tags": ["vip"], "points": 2**53 - 1},
        "request_id": None,
        "ip": None,
        "created_at": START,
    } | fields


def audit_rows(svc, tenant_id) -> dict:
    with svc.db.session(tenant_id=tenant_id) as session:
        query = select(_AUDIT).where(_AUDIT.c.tenant_id == tenant_id, _AUDIT.c.actor_id == "test")
        return {r.id: r for r in session.execute(query)}


def test_rows_written_through_the_driver_read_back_as_written(svc, tenant):
    rows = [row(tenant.tenant_id), row(tenant.tenant_id, created_at=START + timedelta(days=1))]
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        assert _INSERT.execute(writing_for(session, tenant.tenant_id), rows) == 2
        assert _INSERT.execute(writing_for(session, tenant.tenant_id), [row(tenant.tenant_id)]) == 1

    stored = audit_rows(svc, tenant.tenant_id)
    assert len(stored) == 3
    for written in rows:
        read = stored[written["id"]]
        assert (read.tenant_id, read.after, read.created_at) == (
            tenant.tenant_id,
            written["after"],
            written["created_at"],
        )


def test_an_update_through_the_driver_counts_the_rows_it_changed(svc, tenant):
    rows = [row(tenant.tenant_id) for _ in range(3)]
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        connection = writing_for(session, tenant.tenant_id)
        _INSERT.execute(connection, rows)
        changes = [
            {"t": tenant.tenant_id, "event_id": r["id"], "new_action": "renamed"} for r in rows
        ]
        missing = {"t": tenant.tenant_id, "event_id": new_id(), "new_action": "renamed"}
        assert _RENAME.execute(connection, [*changes, missing]) == 3
        # The literal of the statement holds: they are no longer "member.create".
        assert _RENAME.execute(connection, changes[:1]) == 0

    assert {r.action for r in audit_rows(svc, tenant.tenant_id).values()} == {"renamed"}


def test_a_refused_write_is_sqlalchemys_error_and_leaves_nothing(svc, tenant):
    first = row(tenant.tenant_id)
    with (
        pytest.raises(IntegrityError),
        svc.db.transaction(tenant_id=tenant.tenant_id) as session,
    ):
        _INSERT.execute(writing_for(session, tenant.tenant_id), [first, dict(first)])
    assert audit_rows(svc, tenant.tenant_id) == {}


def test_a_statement_needing_what_the_rows_do_not_give_is_refused(svc, tenant):
    """The id's Python-side default would have to run for each row: the driver cannot."""
    without_id = {k: v for k, v in row(tenant.tenant_id).items() if k != "id"}
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        connection = writing_for(session, tenant.tenant_id)
        with pytest.raises(TypeError, match="every value from its rows"):
            _INSERT.execute(connection, [without_id])
        with pytest.raises(TypeError, match="returns none"):
            DriverStatement(insert(_AUDIT).returning(_AUDIT.c.id)).execute(
                connection, [row(tenant.tenant_id)]
            )


def test_a_statement_with_returning_gives_back_its_row(svc, tenant):
    inserted = row(tenant.tenant_id)
    values = {f"v_{k}": v for k, v in inserted.items()}
    statement = insert(_AUDIT).values(
        {k: bindparam(f"v_{k}", type_=_AUDIT.c[k].type) for k in inserted}
    )
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        connection = writing_for(session, tenant.tenant_id)
        returned = DriverStatement(
            statement.returning(_AUDIT.c.action, _AUDIT.c.actor_id), returns=True
        ).returned(connection, values)
        # An id (bytes on SQLite) would come back unconverted: refused, not returned raw.
        with pytest.raises(TypeError, match="cannot return"):
            DriverStatement(statement.returning(_AUDIT.c.id), returns=True).returned(
                connection, values | {"v_id": new_id()}
            )
    assert returned == ("member.create", "test")
    stored = audit_rows(svc, tenant.tenant_id)
    assert list(stored) == [inserted["id"]]
    assert stored[inserted["id"]].action == "member.create"


class Lost(Exception):
    pass


def test_writes_in_a_batch_run_in_order_and_their_counts_are_checked(svc, tenant):
    rows = [row(tenant.tenant_id) for _ in range(2)]
    renames = [{"t": tenant.tenant_id, "event_id": r["id"], "new_action": "renamed"} for r in rows]
    with (
        svc.db.transaction(tenant_id=tenant.tenant_id) as session,
        batch(writing_for(session, tenant.tenant_id), Lost) as writes,
    ):
        writes.write(_INSERT, rows)
        writes.write(_RENAME, renames, expect_all="every event renamed")
    assert {r.action for r in audit_rows(svc, tenant.tenant_id).values()} == {"renamed"}


def test_a_batch_whose_write_changed_fewer_rows_raises_and_leaves_nothing(svc, tenant):
    rows = [row(tenant.tenant_id)]
    renames = [{"t": tenant.tenant_id, "event_id": new_id(), "new_action": "renamed"}]
    with (
        pytest.raises(Lost, match="every event renamed"),
        svc.db.transaction(tenant_id=tenant.tenant_id) as session,
        batch(writing_for(session, tenant.tenant_id), Lost) as writes,
    ):
        writes.write(_INSERT, rows)
        writes.write(_RENAME, renames, expect_all="every event renamed")
    assert audit_rows(svc, tenant.tenant_id) == {}


def test_a_refused_write_in_a_batch_is_sqlalchemys_error_and_leaves_nothing(svc, tenant):
    first = row(tenant.tenant_id)
    with (
        pytest.raises(IntegrityError),
        svc.db.transaction(tenant_id=tenant.tenant_id) as session,
        batch(writing_for(session, tenant.tenant_id), Lost) as writes,
    ):
        writes.write(_INSERT, [first])
        writes.write(_INSERT, [dict(first)])
    assert audit_rows(svc, tenant.tenant_id) == {}

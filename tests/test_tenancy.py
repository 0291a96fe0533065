"""Tenant isolation: the schema's shape, the API, the ORM guard and PostgreSQL's RLS.

One tenant must never read, change or even detect another tenant's rows. The walls are
checked one at a time: the API answers another tenant's resource like a missing one (on
every route: test_not_found) and its lookups never find them; the ORM guard filters and
checks every ORM statement and flush on its own (SQLite has nothing else); and on
PostgreSQL row-level security holds on its own, for SQL that bypasses the ORM altogether.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg
import pytest
from conftest import START, raw_connect
from sqlalchemy import String, delete, insert, select, text, update
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    joinedload,
    mapped_column,
    relationship,
    selectinload,
)

from jifen import models
from jifen.audit import SYSTEM
from jifen.db import Base, CrossTenantWrite, TenantScoped, cross_tenant, set_tenant
from jifen.ledger.domain_events import PointsExpiring
from jifen.members import service as members
from jifen.members.models import Member, MemberTag
from jifen.outbox.events import emit
from jifen.tenants import apikeys, users
from jifen.tenants import service as tenants
from jifen.tenants.models import GLOBAL_TABLES, TENANT_LOOKUP_TABLES, Tenant, TenantDomain
from jifen.types import ID, new_id

MEMBERS = "/api/v1/members"
NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


# --- the schema ----------------------------------------------------------------------


def all_tables() -> dict:
    models.load_all()
    return dict(Base.metadata.tables)


def tenant_owned_tables() -> set[str]:
    models.load_all()
    return {
        mapper.local_table.name
        for mapper in Base.registry.mappers
        if issubclass(mapper.class_, TenantScoped)
    }


def test_every_table_is_either_tenant_owned_or_named_global():
    tables = set(all_tables())
    owned = tenant_owned_tables()

    assert tables >= GLOBAL_TABLES, "GLOBAL_TABLES names a table that does not exist"
    assert not owned & GLOBAL_TABLES
    assert owned | GLOBAL_TABLES == tables


# Tables that hold one row per tenant (its settings): tenant_id alone is their key.
ONE_ROW_PER_TENANT = {"points_policies", "mall_settings", "point_values", "roll_ups"}


def test_tenant_owned_tables_have_tenant_id_first_in_their_primary_key():
    tables = all_tables()
    for name in tenant_owned_tables():
        key = [column.name for column in tables[name].primary_key.columns]
        assert key[0] == "tenant_id", f"{name}: primary key {key}"
        if name in ONE_ROW_PER_TENANT:
            assert key == ["tenant_id"], f"{name}: primary key {key}"
        else:
            assert len(key) > 1, f"{name}: tenant_id alone cannot identify a row"


def test_only_global_tables_lack_a_tenant_id_first_primary_key():
    # staff_memberships is keyed (tenant_id, user_id) yet global: it is read before a
    # tenant is chosen. So this holds one way only.
    unkeyed = {
        name
        for name, table in all_tables().items()
        if next(iter(table.primary_key.columns)).name != "tenant_id"
    }
    assert unkeyed <= GLOBAL_TABLES


def test_foreign_keys_between_tenant_owned_tables_include_tenant_id_on_both_sides():
    tables = all_tables()
    owned = tenant_owned_tables()
    checked = 0
    for name in sorted(owned):
        for fk in tables[name].foreign_key_constraints:
            if fk.referred_table.name not in owned:
                continue
            pairs = {e.parent.name: e.column.name for e in fk.elements}
            assert pairs.get("tenant_id") == "tenant_id", (
                f"{name} -> {fk.referred_table.name}: {pairs}"
            )
            checked += 1
    assert checked, "no foreign key between tenant-owned tables was found to check"


# --- through the API -----------------------------------------------------------------


@pytest.fixture
def alpha(make_tenant):
    return make_tenant("alpha")


@pytest.fixture
def beta(make_tenant):
    return make_tenant("beta")


@pytest.fixture
def betas_member(client, beta) -> dict:
    created = client.post(
        MEMBERS,
        json={
            "external_id": "wx/beta-openid",
            "name": "Bei Ta",
            "phone": "+8613800138000",
            "email": "bei@example.com",
            "tags": ["vip"],
        },
        headers=beta.headers,
    )
    assert created.status_code == 201, created.json
    return created.json


LOOKUPS = [
    ("external_id", "wx/beta-openid", "wx/nobody"),
    ("phone", "+8613800138000", "+8613900139000"),
    ("email", "bei@example.com", "nobody@example.com"),
    ("tag", "vip", "gold"),
    ("name", "Bei", "Zzz"),
]


@pytest.mark.parametrize(("field", "theirs", "nobodys"), LOOKUPS, ids=[f[0] for f in LOOKUPS])
def test_lookups_never_find_another_tenants_member(
    client, alpha, betas_member, field, theirs, nobodys
):
    found = client.get(MEMBERS, query_string={field: theirs}, headers=alpha.headers)
    not_found = client.get(MEMBERS, query_string={field: nobodys}, headers=alpha.headers)

    assert found.status_code == 200
    assert found.json == {"items": [], "next_cursor": None}
    assert found.data == not_found.data


def test_the_member_list_holds_only_the_callers_own_members(client, alpha, betas_member):
    own = client.post(MEMBERS, json={"external_id": "alpha-1"}, headers=alpha.headers).json

    listed = client.get(MEMBERS, headers=alpha.headers)

    assert [m["id"] for m in listed.json["items"]] == [own["id"]]


def test_a_tenant_may_reuse_another_tenants_external_id(client, alpha, beta, betas_member):
    # A global uniqueness rule would answer 409 here and reveal that the id is taken.
    created = client.post(MEMBERS, json={"external_id": "wx/beta-openid"}, headers=alpha.headers)

    assert created.status_code == 201
    assert created.json["id"] != betas_member["id"]
    still_theirs = client.get(f"{MEMBERS}/{betas_member['id']}", headers=beta.headers)
    assert still_theirs.json == betas_member


# --- the ORM guard -------------------------------------------------------------------


@dataclass(frozen=True)
class TwoTenants:
    a: uuid.UUID
    b: uuid.UUID
    a_member: uuid.UUID
    b_members: tuple[uuid.UUID, ...]


def add_member(svc, tenant_id: uuid.UUID, external_id: str, **data) -> uuid.UUID:
    with svc.db.transaction(tenant_id=tenant_id) as session:
        member = members.create_member(
            session,
            tenant_id,
            {"external_id": external_id, **data},
            actor=SYSTEM,
            clock=svc.clock,
            keyring=svc.keyring,
        )
        return member.id


@pytest.fixture
def two(svc, alpha, beta) -> TwoTenants:
    return TwoTenants(
        a=alpha.tenant_id,
        b=beta.tenant_id,
        a_member=add_member(svc, alpha.tenant_id, "a-1", tags=["a-tag"]),
        b_members=(
            add_member(svc, beta.tenant_id, "b-1", tags=["b-tag"]),
            add_member(svc, beta.tenant_id, "b-2"),
        ),
    )


def everyones_members(svc) -> set[tuple[uuid.UUID, str, str | None]]:
    """(tenant, external_id, name) of every member, read past the guard."""
    with svc.db.session() as session, cross_tenant(session, "test inspection"):
        rows = session.scalars(select(Member))
        return {(m.tenant_id, m.external_id, m.name) for m in rows}


def member_row(tenant_id: uuid.UUID, external_id: str) -> dict:
    return {
        "tenant_id": tenant_id,
        "id": new_id(),
        "external_id": external_id,
        "status": "active",
        "created_at": NOW,
        "updated_at": NOW,
    }


def test_a_tenant_session_selects_only_its_own_rows(svc, two):
    with svc.db.session(tenant_id=two.a) as session:
        assert list(session.scalars(select(Member.id))) == [two.a_member]
        assert list(session.scalars(select(MemberTag.tag))) == ["a-tag"]
        by_id = select(Member).where(Member.id.in_(two.b_members))
        assert session.scalars(by_id).all() == []


def test_a_tenant_session_cannot_get_another_tenants_row_by_primary_key(svc, two):
    with svc.db.session(tenant_id=two.a) as session:
        assert session.get(Member, (two.b, two.b_members[0])) is None
        assert session.get(Member, (two.a, two.a_member)) is not None


# A mapping of the members tables whose relationship forgets tenant_id in its join, as
# a careless model could. Our own models join on tenant_id, so only a relationship like
# this one shows whether the guard itself keeps another tenant's rows out.
class _Careless(DeclarativeBase):
    pass


class _CarelessMember(TenantScoped, _Careless):
    __tablename__ = "members"

    id: Mapped[uuid.UUID] = mapped_column(ID, primary_key=True)
    tags: Mapped[list[_CarelessTag]] = relationship(
        primaryjoin="_CarelessMember.id == foreign(_CarelessTag.member_id)", viewonly=True
    )


class _CarelessTag(TenantScoped, _Careless):
    __tablename__ = "member_tags"

    member_id: Mapped[uuid.UUID] = mapped_column(ID, primary_key=True)
    tag: Mapped[str] = mapped_column(String(32), primary_key=True)


LOADERS = {"selectin": selectinload, "joined": joinedload}


@pytest.mark.parametrize("loading", ["lazy", "selectin", "joined"])
def test_relationship_loads_see_only_the_sessions_tenant(svc, alpha, beta, loading):
    # The same member id in both tenants: a join on the id alone matches both.
    shared_id = new_id()
    for key, tag in ((alpha, "alpha-only"), (beta, "beta-only")):
        with svc.db.transaction(tenant_id=key.tenant_id) as session:
            session.add(
                Member(**member_row(key.tenant_id, "same") | {"id": shared_id}, tag_rows=[])
            )
            session.flush()
            session.add(MemberTag(tenant_id=key.tenant_id, member_id=shared_id, tag=tag))

    def tags_seen(session: Session) -> list[str]:
        query = select(_CarelessMember).execution_options(populate_existing=True)
        if loading in LOADERS:
            query = query.options(LOADERS[loading](_CarelessMember.tags))
        loaded = session.scalars(query).unique().all()
        return sorted(tag.tag for member in loaded for tag in member.tags)

    with svc.db.session(tenant_id=alpha.tenant_id) as session:
        assert tags_seen(session) == ["alpha-only"]
    with svc.db.session() as session, cross_tenant(session, "test: the join really leaks"):
        assert tags_seen(session) == ["alpha-only", "alpha-only", "beta-only", "beta-only"]


@pytest.mark.parametrize("form", ["executemany", "values", "multi-values"])
def test_bulk_insert_naming_another_tenant_is_refused_and_writes_nothing(svc, two, form):
    rows = [member_row(two.a, "a-new"), member_row(two.b, "b-new")]
    statements = {
        "executemany": lambda: (insert(Member), rows),
        "values": lambda: (insert(Member).values(**rows[1]), None),
        "multi-values": lambda: (insert(Member).values(rows), None),
    }
    before = everyones_members(svc)

    with svc.db.session(tenant_id=two.a, write=True) as session:
        statement, params = statements[form]()
        with pytest.raises(CrossTenantWrite):
            session.execute(statement, params)
        session.commit()

    assert everyones_members(svc) == before


def test_bulk_insert_of_the_sessions_own_rows_works(svc, two):
    with svc.db.transaction(tenant_id=two.a) as session:
        session.execute(insert(Member), [member_row(two.a, "a-2"), member_row(two.a, "a-3")])

    assert {m for m in everyones_members(svc) if m[0] == two.a} == {
        (two.a, "a-1", None),
        (two.a, "a-2", None),
        (two.a, "a-3", None),
    }


def test_bulk_update_changes_only_the_sessions_own_rows(svc, two):
    with svc.db.transaction(tenant_id=two.a) as session:
        everyone = session.execute(update(Member).values(name="Renamed"))
        theirs = session.execute(
            update(Member).where(Member.id.in_(two.b_members)).values(name="Hijacked")
        )
        assert (everyone.rowcount, theirs.rowcount) == (1, 0)

    assert everyones_members(svc) == {
        (two.a, "a-1", "Renamed"),
        (two.b, "b-1", None),
        (two.b, "b-2", None),
    }


def test_bulk_update_by_primary_key_of_another_tenants_row_is_refused(svc, two):
    before = everyones_members(svc)

    with svc.db.session(tenant_id=two.a, write=True) as session:
        with pytest.raises(CrossTenantWrite):
            session.execute(
                update(Member),
                [
                    {"tenant_id": two.a, "id": two.a_member, "name": "Mine"},
                    {"tenant_id": two.b, "id": two.b_members[0], "name": "Hijacked"},
                ],
            )
        session.commit()

    assert everyones_members(svc) == before


def test_bulk_update_by_primary_key_of_own_rows_works(svc, two):
    with svc.db.transaction(tenant_id=two.a) as session:
        session.execute(update(Member), [{"tenant_id": two.a, "id": two.a_member, "name": "Mine"}])

    assert (two.a, "a-1", "Mine") in everyones_members(svc)


def test_bulk_delete_leaves_other_tenants_rows_alone(svc, two):
    with svc.db.transaction(tenant_id=two.a) as session:
        session.execute(delete(MemberTag))
        gone = session.execute(delete(Member).where(Member.id.in_(two.b_members)))
        assert gone.rowcount == 0

    assert {m[1] for m in everyones_members(svc)} == {"a-1", "b-1", "b-2"}
    with svc.db.session(tenant_id=two.b) as session:
        assert list(session.scalars(select(MemberTag.tag))) == ["b-tag"]


def test_rows_cannot_be_moved_to_another_tenant(svc, two):
    before = everyones_members(svc)

    with svc.db.session(tenant_id=two.a, write=True) as session:
        with pytest.raises(CrossTenantWrite):
            session.execute(update(Member).values(tenant_id=two.b))
        session.rollback()
        member = session.get(Member, (two.a, two.a_member))
        member.tenant_id = two.b
        with pytest.raises(CrossTenantWrite):
            session.flush()
        session.rollback()

    assert everyones_members(svc) == before


def test_adding_an_object_of_another_tenant_fails_at_flush(svc, two):
    before = everyones_members(svc)

    with svc.db.session(tenant_id=two.a, write=True) as session:
        session.add(Member(**member_row(two.b, "b-planted")))
        with pytest.raises(CrossTenantWrite):
            session.flush()
        session.rollback()

    assert everyones_members(svc) == before


def test_a_new_object_without_tenant_id_takes_the_sessions_tenant(svc, two):
    row = member_row(two.a, "a-implicit")
    del row["tenant_id"]
    with svc.db.transaction(tenant_id=two.a) as session:
        session.add(Member(**row))

    assert (two.a, "a-implicit", None) in everyones_members(svc)


def test_a_session_without_tenant_sees_no_tenant_owned_rows(svc, two):
    with svc.db.session() as session:
        assert session.scalars(select(Member)).all() == []
        assert session.scalars(select(MemberTag)).all() == []
        assert session.get(Member, (two.b, two.b_members[0])) is None
        # Global tables stay readable: tenants are resolved before one is known.
        assert {two.a, two.b} <= set(session.scalars(select(Tenant.id)))


def test_a_session_without_tenant_cannot_write_tenant_owned_rows(svc, two):
    before = everyones_members(svc)

    with svc.db.session(write=True) as session:
        with pytest.raises(CrossTenantWrite):
            session.execute(insert(Member), [member_row(two.a, "a-orphan")])
        session.add(Member(**member_row(two.a, "a-orphan")))
        with pytest.raises(CrossTenantWrite):
            session.flush()
        session.rollback()

    assert everyones_members(svc) == before


def test_cross_tenant_scope_sees_every_tenant_and_then_closes(svc, two):
    with svc.db.session(tenant_id=two.a) as session:
        with cross_tenant(session, "test: operator view"):
            inside = set(session.scalars(select(Member.id)))
        after = set(session.scalars(select(Member.id)))

    assert inside == {two.a_member, *two.b_members}
    assert after == {two.a_member}


def test_set_tenant_rescopes_an_open_transaction(svc, two):
    with svc.db.session(tenant_id=two.a) as session:
        first = set(session.scalars(select(Member.id)))
        set_tenant(session, two.b)
        then = set(session.scalars(select(Member.id)))

    assert first == {two.a_member}
    assert then == set(two.b_members)


# --- PostgreSQL row-level security, without the ORM ----------------------------------

postgresql_only = pytest.mark.parametrize("database", ["postgresql"], indirect=True)


@pytest.fixture
def as_app(database) -> Iterator[psycopg.Connection]:
    """A plain connection as the application's role: no ORM, so no guard."""
    with raw_connect(database.app) as conn:
        yield conn


def scope(conn: psycopg.Connection, tenant_id: uuid.UUID | str) -> None:
    conn.execute("SELECT set_config('jifen.tenant_id', %s, true)", (str(tenant_id),))


def rows_per_tenant(conn: psycopg.Connection, table: str) -> dict[uuid.UUID, int]:
    query = f"SELECT tenant_id, count(*) FROM {table} GROUP BY tenant_id"
    return dict(conn.execute(query).fetchall())


@postgresql_only
def test_rls_shows_a_transaction_only_its_tenants_rows(database, as_app, two):
    with raw_connect(database.owner) as owner:  # owners are not bound by RLS
        everything = {t: rows_per_tenant(owner, t) for t in tenant_owned_tables()}
    assert everything["members"] == {two.a: 1, two.b: 2}

    for table, per_tenant in everything.items():
        scope(as_app, two.a)
        seen = rows_per_tenant(as_app, table)
        as_app.rollback()
        assert seen == {t: n for t, n in per_tenant.items() if t == two.a}, table

    scope(as_app, two.a)
    ids = [row[0] for row in as_app.execute("SELECT id FROM members")]
    assert ids == [two.a_member]


@postgresql_only
def test_rls_shows_nothing_without_a_tenant(as_app, two):
    for table in sorted(tenant_owned_tables()):
        assert as_app.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,), table
        scope(as_app, "")
        assert as_app.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,), table
        as_app.rollback()


@postgresql_only
def test_rls_scope_ends_with_the_transaction(as_app, two):
    scope(as_app, two.a)
    as_app.commit()

    assert as_app.execute("SELECT count(*) FROM members").fetchone() == (0,)


@postgresql_only
def test_rls_refuses_to_insert_a_row_for_another_tenant(as_app, svc, two):
    before = everyones_members(svc)
    row = member_row(two.b, "b-planted")
    scope(as_app, two.a)

    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        as_app.execute(
            "INSERT INTO members (tenant_id, id, external_id, status, created_at, updated_at)"
            " VALUES (%(tenant_id)s, %(id)s, %(external_id)s, %(status)s,"
            " %(created_at)s, %(updated_at)s)",
            row,
        )
    as_app.rollback()

    assert everyones_members(svc) == before


@postgresql_only
def test_rls_hides_other_tenants_rows_from_update_and_delete(as_app, svc, two):
    before = everyones_members(svc)
    scope(as_app, two.a)

    updated = as_app.execute("UPDATE members SET name = 'Hijacked' WHERE tenant_id = %s", (two.b,))
    deleted_tags = as_app.execute("DELETE FROM member_tags WHERE tenant_id = %s", (two.b,))
    deleted = as_app.execute("DELETE FROM members WHERE id = ANY(%s)", (list(two.b_members),))
    as_app.commit()

    assert (updated.rowcount, deleted_tags.rowcount, deleted.rowcount) == (0, 0, 0)
    assert everyones_members(svc) == before


@postgresql_only
def test_rls_refuses_to_move_a_row_to_another_tenant(as_app, svc, two):
    moved = add_member(svc, two.a, "a-untagged")
    before = everyones_members(svc)
    scope(as_app, two.a)

    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        as_app.execute("UPDATE members SET tenant_id = %s WHERE id = %s", (two.b, moved))
    as_app.rollback()

    assert everyones_members(svc) == before


@postgresql_only
def test_the_app_role_is_bound_by_rls(as_app):
    role = as_app.execute(
        "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
    ).fetchone()
    assert role == (False, False)
    owners = as_app.execute(
        "SELECT tablename, tableowner, pg_has_role(current_user, tableowner, 'USAGE')"
        " FROM pg_tables WHERE schemaname = 'public'"
    ).fetchall()
    user = as_app.execute("SELECT current_user").fetchone()[0]
    for table, owner, acts_as_owner in owners:
        assert owner != user, table
        assert not acts_as_owner, f"{user} inherits the rights of {table}'s owner"


@postgresql_only
def test_rls_is_enabled_on_the_tenant_owned_tables_and_the_event_log(as_app):
    protected = {
        row[0]
        for row in as_app.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relrowsecurity"
        )
    }
    # The event log is global (it holds the platform's events too), yet a tenant's
    # session reads only its own events; so are the tables that find a tenant, read
    # before it is known through functions of their own (jifen.tenants.lookups).
    assert protected == tenant_owned_tables() | {"outbox_events", *TENANT_LOOKUP_TABLES}


@postgresql_only
def test_a_tenants_session_reads_only_its_own_events_from_the_log(svc, alpha, beta, as_app):
    for tenant in (alpha, beta):
        with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
            emit(session, PointsExpiring(uuid.uuid4(), 1, START, START.date(), 7), now=START)
    with svc.db.transaction() as session:
        emit(
            session,
            PointsExpiring(uuid.uuid4(), 1, START, START.date(), 7),
            now=START,
            platform=True,
        )

    scope(as_app, alpha.tenant_id)
    assert rows_per_tenant(as_app, "outbox_events") == {alpha.tenant_id: 1}
    as_app.rollback()
    assert rows_per_tenant(as_app, "outbox_events") == {None: 1}


def test_core_writes_in_sql_modules_are_held_to_the_sessions_tenant(svc, alpha, beta):
    # Hot paths write with Core statements (members/sql.py, the audit log), which the ORM
    # guard cannot see; they must still refuse another tenant's rows.
    with svc.db.session(tenant_id=alpha.tenant_id, write=True) as session:
        session.begin()
        with pytest.raises(CrossTenantWrite):
            members.create_member(
                session,
                beta.tenant_id,
                {"external_id": "sneaky"},
                actor=SYSTEM,
                clock=svc.clock,
                keyring=svc.keyring,
            )
        session.rollback()
    with svc.db.session() as session, cross_tenant(session, "test"):
        assert session.scalar(select(Member).where(Member.external_id == "sneaky")) is None


# --- who may lift row-level security -------------------------------------------------

TENANT_ROWS = tuple(sorted(TENANT_LOOKUP_TABLES))


@pytest.fixture
def as_operator(database) -> Iterator[psycopg.Connection]:
    """A plain connection as the role of cross-tenant work."""
    with raw_connect(database.operator) as conn:
        yield conn


def open_cross_tenant_scope(conn: psycopg.Connection) -> None:
    conn.execute("SELECT set_config('jifen.cross_tenant', 'on', true)")


@pytest.fixture
def staffed(svc, two) -> uuid.UUID:
    """A console user who is staff of both tenants, each of which has a storefront host."""
    with svc.db.transaction() as session:
        user = users.create_user(
            session, email="both@example.test", name="Both", password="p" * 12, clock=svc.clock
        )
    for tenant_id, host in ((two.a, "a.shop.test"), (two.b, "b.shop.test")):
        with svc.db.transaction(tenant_id=tenant_id) as session:
            users.add_staff(
                session,
                tenant_id=tenant_id,
                user_id=user.id,
                role="admin",
                actor=SYSTEM,
                clock=svc.clock,
            )
            session.add(TenantDomain(domain=host, tenant_id=tenant_id))
    return user.id


@postgresql_only
def test_the_app_role_setting_the_cross_tenant_scope_still_sees_no_tenants_rows(
    as_app, two, staffed
):
    for table in sorted(tenant_owned_tables() | TENANT_LOOKUP_TABLES):
        open_cross_tenant_scope(as_app)
        assert as_app.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,), table
        as_app.rollback()


@postgresql_only
def test_the_app_role_setting_the_cross_tenant_scope_still_sees_only_its_tenant(
    database, as_app, two, staffed
):
    with raw_connect(database.owner) as owner:
        everything = {
            t: rows_per_tenant(owner, t) for t in tenant_owned_tables() | TENANT_LOOKUP_TABLES
        }
    assert everything["members"] == {two.a: 1, two.b: 2}
    assert everything["staff_memberships"] == {two.a: 1, two.b: 1}

    for table, per_tenant in everything.items():
        scope(as_app, two.a)
        open_cross_tenant_scope(as_app)
        seen = rows_per_tenant(as_app, table)
        as_app.rollback()
        assert seen == {t: n for t, n in per_tenant.items() if t == two.a}, table


@postgresql_only
def test_the_app_role_cannot_read_another_tenants_keys_hosts_or_staff(as_app, two, staffed):
    for table in TENANT_ROWS:
        scope(as_app, two.a)
        tenants_seen = {row[0] for row in as_app.execute(f"SELECT tenant_id FROM {table}")}
        as_app.rollback()
        assert tenants_seen == {two.a}, table


@postgresql_only
def test_the_app_role_cannot_plant_a_key_host_or_staff_row_in_another_tenant(as_app, two, staffed):
    scope(as_app, two.a)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        as_app.execute(
            "INSERT INTO staff_memberships (tenant_id, user_id, role, created_at)"
            " VALUES (%s, %s, 'owner', now())",
            (two.b, staffed),
        )
    as_app.rollback()


@postgresql_only
def test_the_operator_role_reads_every_tenant_only_inside_a_cross_tenant_scope(
    as_operator, two, staffed
):
    assert as_operator.execute("SELECT count(*) FROM members").fetchone() == (0,)
    as_operator.rollback()

    open_cross_tenant_scope(as_operator)
    members_seen = rows_per_tenant(as_operator, "members")
    staff_seen = rows_per_tenant(as_operator, "staff_memberships")

    assert members_seen == {two.a: 1, two.b: 2}
    assert staff_seen == {two.a: 1, two.b: 1}


@postgresql_only
def test_the_operator_role_is_bound_by_rls_like_the_app(as_operator):
    role = as_operator.execute(
        "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
    ).fetchone()
    assert role == (False, False)
    assert as_operator.execute("SELECT current_user").fetchone() == ("jifen_ops",)


@postgresql_only
def test_the_app_role_finds_a_key_only_with_its_secret(svc, as_app, alpha):
    prefix, secret = alpha.token.split("_", 2)[1:]
    lookup = "SELECT tenant_id FROM jifen_api_key(%s, %s)"

    found = as_app.execute(lookup, (prefix, svc.keyring.api_key_digest(secret))).fetchall()
    guessed = as_app.execute(lookup, (prefix, svc.keyring.api_key_digest("guess"))).fetchall()

    assert found == [(alpha.tenant_id,)]
    assert guessed == []


def test_events_emitted_in_a_cross_tenant_scope_reach_the_log(svc, database):
    with svc.db.transaction() as session, cross_tenant(session, "test: a platform event"):
        emit(
            session,
            PointsExpiring(uuid.uuid4(), 1, START, START.date(), 7),
            now=START,
            platform=True,
        )

    with svc.db.session() as session:
        logged = session.execute(text("SELECT count(*) FROM outbox_events")).scalar()
    assert logged == 1


@postgresql_only
def test_the_app_role_cannot_read_its_own_tenants_key_digests(as_app, alpha):
    scope(as_app, alpha.tenant_id)
    names = as_app.execute("SELECT name FROM api_keys").fetchall()
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        as_app.execute("SELECT digest FROM api_keys")

    assert names == [("test",)]


@postgresql_only
def test_the_app_role_resolves_a_host_and_a_users_tenants(as_app, two, staffed):
    host = as_app.execute("SELECT jifen_host_tenant('b.shop.test')").fetchone()
    unknown = as_app.execute("SELECT jifen_host_tenant('nowhere.test')").fetchone()
    roles = set(as_app.execute("SELECT * FROM jifen_staff_roles(%s)", (staffed,)).fetchall())

    assert host == (two.b,)
    assert unknown == (None,)
    assert roles == {(two.a, "admin"), (two.b, "admin")}


def test_a_users_tenants_and_a_hosts_tenant_resolve_through_the_lookups(svc, two, staffed):
    with svc.db.session() as session:
        mine = {(tenant.id, role) for tenant, role in users.tenants_of(session, staffed)}
        by_host = tenants.by_host(session, "A.Shop.Test:443")

    assert mine == {(two.a, "admin"), (two.b, "admin")}
    assert by_host is not None and by_host.id == two.a


def test_a_revoked_or_wrong_key_is_refused_with_its_code(client, svc, alpha):
    prefix = alpha.token.split("_", 2)[1]
    wrong = client.get(MEMBERS, headers={"Authorization": f"Bearer jf_{prefix}_guess"})
    with svc.db.transaction(tenant_id=alpha.tenant_id) as session:
        apikeys.revoke_api_keys_named(
            session, alpha.tenant_id, "test", actor=SYSTEM, clock=svc.clock
        )
    revoked = client.get(MEMBERS, headers=alpha.headers)

    assert (wrong.status_code, wrong.json["code"]) == (401, "invalid_api_key")
    assert (revoked.status_code, revoked.json["code"]) == (401, "invalid_api_key")


@postgresql_only
def test_a_cross_tenant_scope_cannot_open_once_the_app_roles_transaction_has_read(svc, two):
    with svc.db.session(tenant_id=two.a) as session:
        session.scalars(select(Member.id)).all()
        with pytest.raises(RuntimeError), cross_tenant(session, "test: too late"):
            pass


@postgresql_only
def test_cross_tenant_work_runs_as_the_operator_role_and_requests_as_the_app(svc, two):
    whoami = text("SELECT current_user")
    with svc.db.session() as session, cross_tenant(session, "test: whoami"):
        operator = session.scalar(whoami)
        every_member = set(session.scalars(select(Member.id)))
    with svc.db.session(tenant_id=two.a) as session:
        app = session.scalar(whoami)

    assert (operator, app) == ("jifen_ops", "jifen_app")
    assert every_member == {two.a_member, *two.b_members}

"""Engine, sessions, the declarative Base, tenant scoping and write transactions.

The current tenant lives in `session.info["tenant_id"]`. Every query of a TenantScoped
model is filtered to it, ORM insert and update statements (bulk ones too) are checked
against it, and a flush refuses objects of another tenant. A session with no tenant sees
no tenant-owned rows at all. Code that is cross-tenant by design opens `cross_tenant()`,
which is logged and runs the session as the operator role. On PostgreSQL row-level
security is a second wall: each transaction carries the tenant in `jifen.tenant_id`,
and only the operator role's cross-tenant scope lifts it.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any, ClassVar, TypeVar, cast

from sqlalchemy import (
    CursorResult,
    Engine,
    ForeignKey,
    Result,
    Table,
    create_engine,
    delete,
    event,
    false,
    make_url,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    ORMExecuteState,
    Session,
    mapped_column,
    sessionmaker,
    with_loader_criteria,
)

from jifen.errors import JifenError, NotFound
from jifen.i18n import N_
from jifen.sqlite_queue import begin_write, connection_factory
from jifen.types import ID

log = logging.getLogger(__name__)

_Model = TypeVar("_Model")

# Rows of tenant-owned tables carry this; it never matches a real tenant.
_NO_TENANT = uuid.UUID(int=0)


class Base(DeclarativeBase):
    # Every model is declared with columns, so its table is a Table (Core's insert,
    # update and delete take it), not the FromClause DeclarativeBase promises.
    __table__: ClassVar[Table]


class TenantScoped:
    """Mixin for tenant-owned tables: `tenant_id` first in the primary key."""

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ID, ForeignKey("tenants.id"), primary_key=True, sort_order=-100
    )


class CrossTenantWrite(JifenError):
    code = "cross_tenant_write"
    status = 500
    message = N_("A write touched another tenant's rows.")


class Database:
    """The engine and the session factories of one app.

    `session()` reads (a deferred transaction); `session(write=True)` opens a write
    transaction, which on SQLite starts with BEGIN IMMEDIATE so that a transaction that
    reads and then writes never fails with "database is locked".
    """

    def __init__(self, url: str, *, operator_url: str | None = None, echo: bool = False) -> None:
        self.url = url
        self.jobs: Any = None  # the JobRunner sessions hand committed jobs to
        self.reactions: Any = None  # the in-transaction subscribers `outbox.events.emit` runs
        self.engine = _make_engine(url, echo=echo)
        # Cross-tenant work connects as the operator role (docs/security.md); with one URL
        # for both, as the app's own.
        self.operator_engine = (
            _make_engine(operator_url, echo=echo)
            if operator_url and operator_url != url
            else self.engine
        )
        # Single-statement reads beside a session's transaction (the API key lookup) need
        # no transaction of their own: autocommit spares them BEGIN and ROLLBACK.
        self.autocommit_engine = _make_engine(url, echo=echo, autocommit=True)
        read, write = _session_binds(self.engine)
        operator_read, operator_write = (
            (read, write)
            if self.operator_engine is self.engine
            else _session_binds(self.operator_engine)
        )
        info = {"autocommit_engine": self.autocommit_engine}
        self._read = sessionmaker(
            read,
            class_=_Session,
            expire_on_commit=False,
            info={**info, "operator_bind": operator_read},
        )
        self._write = sessionmaker(
            write,
            class_=_Session,
            expire_on_commit=False,
            info={**info, "operator_bind": operator_write},
        )
        # A forked rq job must not share its parent's connections.
        os.register_at_fork(after_in_child=lambda: self.dispose(close=False))

    @property
    def session_engines(self) -> tuple[Engine, ...]:
        """The engines sessions run on: the app's, and the operator's if it is another."""
        if self.operator_engine is self.engine:
            return (self.engine,)
        return (self.engine, self.operator_engine)

    def session(self, *, tenant_id: uuid.UUID | None = None, write: bool = False) -> Session:
        session = (self._write if write else self._read)()
        if self.jobs is not None:
            session.info["jobs"] = self.jobs
        if self.reactions is not None:
            session.info["reactions"] = self.reactions
        if tenant_id is not None:
            session.info["tenant_id"] = tenant_id
        return session

    @contextmanager
    def transaction(
        self, *, tenant_id: uuid.UUID | None = None, write: bool = True
    ) -> Iterator[Session]:
        """A session that commits when the block ends and rolls back when it raises."""
        with self.session(tenant_id=tenant_id, write=write) as session, session.begin():
            yield session

    def refresh_statistics(self) -> str:
        """Give SQLite's planner statistics (`ANALYZE`, sampling at most a few hundred
        rows per index). Without them it may walk a tenant's members by primary key to
        honour an ORDER BY rather than use the index that finds the one it wants. Pooled
        connections see them once recycled. PostgreSQL's autovacuum does this itself."""
        if self.engine.dialect.name != "sqlite":
            return "autovacuum"
        with self.engine.connect().execution_options(jifen_write=True) as connection:
            connection.exec_driver_sql("PRAGMA analysis_limit=400")
            connection.exec_driver_sql("ANALYZE")
            connection.commit()
        return "analyzed"

    def dispose(self, *, close: bool = True) -> None:
        self.engine.dispose(close=close)
        self.operator_engine.dispose(close=close)
        self.autocommit_engine.dispose(close=close)


def _session_binds(engine: Engine) -> tuple[Engine, Engine]:
    """What read and write sessions bind to: the engine, telling our "begin" events that
    a session's transaction is beginning (and a write one)."""
    read = engine.execution_options(jifen_session=True)
    return read, read.execution_options(jifen_write=True)


def _make_engine(url: str, *, echo: bool, autocommit: bool = False) -> Engine:
    """An engine whose transactions begin with our own BEGIN (autocommit: none at all).

    Both drivers run in autocommit mode and SQLAlchemy's "begin" event sends BEGIN: on
    SQLite to choose IMMEDIATE for writes, on PostgreSQL so that a session's tenant
    settings travel in the same round trip (`_after_begin`).
    """
    if url.startswith("sqlite"):
        # Pooled connections keep their pragmas and page cache (opening, and closing the
        # last handle, which checkpoints the WAL, cost milliseconds); WAL plus a busy
        # timeout lets readers and the one writer coexist.
        factory = None if autocommit else connection_factory(make_url(url).database or "")
        # Recycled every half hour: a connection reads the planner's statistics (see
        # refresh_statistics) only when it opens.
        engine = create_engine(
            url,
            echo=echo,
            pool_size=8,
            max_overflow=8,
            pool_recycle=1800,
            connect_args={"factory": factory} if factory else {},
        )
        event.listen(engine, "connect", _sqlite_connect)
        if not autocommit:
            event.listen(engine, "begin", _sqlite_begin)
        return engine
    # No pre-ping (a round trip per checkout): a connection found dead invalidates the
    # pool, the request in flight fails as 503, and the next ones reconnect.
    engine = create_engine(
        url,
        echo=echo,
        pool_size=5,
        max_overflow=10,
        pool_recycle=1800,
        isolation_level="AUTOCOMMIT",
    )
    if not autocommit:
        event.listen(engine, "begin", _postgres_begin)
    return engine


# Every SQLite connection's settings (the benchmarks' references use the same ones).
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA busy_timeout=30000",
    "PRAGMA foreign_keys=ON",
)


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Autocommit in the driver: our "begin" event sends BEGIN (pysqlite's is deferred).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    if conn.get_execution_options().get("jifen_write", False):
        begin_write(conn.connection.dbapi_connection)
    else:
        conn.exec_driver_sql("BEGIN")


def _postgres_begin(conn: Any) -> None:
    # A session's connection begins in `_after_begin`, where its tenant is known.
    if not conn.get_execution_options().get("jifen_session", False):
        conn.exec_driver_sql("BEGIN")


# --- tenant scope --------------------------------------------------------------------


def set_tenant(session: Session, tenant_id: uuid.UUID) -> None:
    """Scope the session to a tenant (also inside an open transaction)."""
    if session.info.get("tenant_id") == tenant_id:
        return  # scoped already: a transaction open since has its settings
    session.info["tenant_id"] = tenant_id
    if session.in_transaction():
        _apply_rls(session, session.connection())


def tenant_of(session: Session) -> uuid.UUID:
    """The tenant the session is scoped to; a session without one is a programming error."""
    tenant_id: uuid.UUID | None = session.info.get("tenant_id")
    if tenant_id is None:
        raise RuntimeError("this operation needs a session scoped to a tenant")
    return tenant_id


_ASIDE = "aside_connection"


class _Session(Session):
    """Our sessions: one closes, with itself, the connection its reads aside used."""

    def close(self) -> None:
        aside = self.info.pop(_ASIDE, None)
        if aside is not None:
            aside.close()
        super().close()


@contextmanager
def reading_aside(session: Session) -> Iterator[Any]:
    """An autocommit connection of its own, for single reads outside the session's
    transaction.

    Not the session's connection: on SQLite a write session begins IMMEDIATE, which would
    take the database's write lock for a read. Each statement is its own transaction, so
    use it for single statements only. The session's first read aside takes the
    connection from the pool, its later ones reuse it, and it goes back when the session
    closes: a request reading its API key and then the product it orders checks out one.
    """
    connection = session.info.get(_ASIDE)
    if connection is None:
        connection = session.info[_ASIDE] = session.info["autocommit_engine"].connect()
    yield connection


def delete_expired(session: Session, expires_at: Any, now: datetime, what: str) -> int:
    """Delete the rows whose `expires_at` column (a model's attribute) is past `now`,
    for every tenant; how many. For the short-lived secrets kept until they expire
    (sign-in nonces, codes): `what` names them in the cross-tenant log line."""
    with cross_tenant(session, f"{what} purge"):
        done = session.execute(
            delete(expires_at.class_)
            .where(expires_at <= now)
            .execution_options(synchronize_session=False)
        )
    return rowcount(done)


def reassign(session: Session, column: Any, old: Any, new: Any) -> int:
    """Make the session tenant's rows whose `column` (a model's attribute) holds `old`
    hold `new` (the rows of a member merged into another); how many."""
    done = session.execute(
        update(column.class_)
        .where(column == old)
        .values({column: new})
        .execution_options(synchronize_session=False)
    )
    return rowcount(done)


def rowcount(result: Result[Any]) -> int:
    """The rows an UPDATE or DELETE run through `Session.execute` matched: that is typed
    to return any Result, and for such a statement it is a CursorResult, which counts."""
    return cast(CursorResult[Any], result).rowcount


def upsert(connection: Any, table: Any) -> Any:
    """An INSERT into `table` that can say what to do ON CONFLICT (both engines speak it,
    each through its own dialect's construct)."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def insert_ignoring_duplicates(connection: Any, table: Any, rows: Any) -> None:
    """INSERT rows (a dict or a list of them), skipping those whose key already exists
    (ON CONFLICT DO NOTHING)."""
    connection.execute(upsert(connection, table).on_conflict_do_nothing(), rows)


@contextmanager
def reading_before_writing(session: Session) -> Iterator[Any]:
    """A connection for a tenant's read that need not take a write lock (a check that may
    refuse the request at once).

    On SQLite a write session's first statement takes the database's write lock, so
    while the session has not begun, the read runs on an autocommit connection of its
    own (the caller names the tenant in every statement, as `sql.py` modules do). Once
    it has begun, it holds the lock already and only its own connection sees what it
    wrote. On PostgreSQL reads take no lock, and row security needs the session's
    tenant: always the session's own connection.
    """
    if session.get_bind().dialect.name == "sqlite" and not session.in_transaction():
        with reading_aside(session) as connection:
            yield connection
    else:
        yield session.connection()


def writing_for(session: Session, tenant_id: uuid.UUID) -> Any:
    """The session's connection, for a Core write of `tenant_id`'s rows (a module's sql.py).

    Core statements bypass the ORM guard, so this applies its rule: the session must be
    scoped to that tenant (or be in a cross-tenant scope).
    """
    if not session.info.get("cross_tenant") and session.info.get("tenant_id") != tenant_id:
        raise CrossTenantWrite(details={"reason": "core write for another tenant"})
    return session.connection()


def get_owned(session: Session, model: type[_Model], object_id: uuid.UUID, resource: str) -> _Model:
    """The row of `model` with this id in the session's tenant, or NotFound for the
    `resource` it is (as for another tenant's row: no existence oracle)."""
    found = session.get(model, (session.info.get("tenant_id"), object_id))
    if found is None:
        raise NotFound(resource, object_id)
    return found


@contextmanager
def cross_tenant(session: Session, reason: str, *, level: int = logging.INFO) -> Iterator[Session]:
    """Lift the tenant filter for code that is cross-tenant by design. Logged (the
    relay, which is cross-tenant in every round, logs at DEBUG).

    The session runs as the operator role from here on: on PostgreSQL row security lets
    only that role's transactions lift the filter, so SQL run as the app role cannot.
    The scope must therefore open before the session's transaction has read anything
    (a request's session looks up across tenants in a short session of its own).
    """
    log.log(level, "cross-tenant scope opened: %s", reason)
    _run_as_operator(session)
    previous = session.info.get("cross_tenant", False)
    session.info["cross_tenant"] = True
    if session.in_transaction():
        _apply_rls(session, session.connection())
    try:
        yield session
    except BaseException:
        # The transaction is failing (on PostgreSQL, aborted: no statement would run);
        # its settings end with it.
        session.info["cross_tenant"] = previous
        raise
    session.info["cross_tenant"] = previous
    if session.in_transaction():
        _apply_rls(session, session.connection())


def _run_as_operator(session: Session) -> None:
    # The session stays the operator's after the scope: outside it, that role is bound
    # to the session's tenant like the app's.
    operator = session.info.get("operator_bind")
    if operator is None or session.bind is operator:
        return
    if session.info.get("connected"):
        raise RuntimeError("a cross-tenant scope opened after its session's transaction began")
    session.bind = operator


def _apply_rls(session: Session, connection: Any) -> None:
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(_rls_settings(session))


def _rls_settings(session: Session) -> str:
    # Literals, not parameters: BEGIN and this share one simple-protocol round trip. Both
    # values are ours (a UUID's text form, "on" or ""), never a client's.
    tenant = session.info.get("tenant_id")
    cross = "on" if session.info.get("cross_tenant") else ""
    return (
        f"SELECT set_config('jifen.tenant_id', '{uuid.UUID(str(tenant)) if tenant else ''}',"
        f" true), set_config('jifen.cross_tenant', '{cross}', true)"
    )


@event.listens_for(Session, "after_begin")
def _after_begin(session: Session, transaction: Any, connection: Any) -> None:
    if transaction.nested:
        return
    session.info["connected"] = True  # its role is chosen (see cross_tenant)
    if connection.dialect.name != "postgresql":
        return
    # A transaction starts with both settings empty (they are transaction-local), which
    # RLS reads as "no tenant": only a scoped session needs them set.
    if session.info.get("tenant_id") or session.info.get("cross_tenant"):
        connection.exec_driver_sql(f"BEGIN; {_rls_settings(session)}")
    else:
        connection.exec_driver_sql("BEGIN")


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop("connected", None)


@event.listens_for(Session, "do_orm_execute")
def _scope_statement(state: ORMExecuteState) -> None:
    session = state.session
    if session.info.get("cross_tenant"):
        return
    tenant = session.info.get("tenant_id") or _NO_TENANT
    if state.is_insert:
        _check_insert(state, tenant)
    if state.is_update:
        _check_update_values(state, tenant)
    if state.is_select or state.is_update or state.is_delete:
        state.statement = state.statement.options(
            with_loader_criteria(
                TenantScoped,
                lambda cls: cls.tenant_id == tenant,
                include_aliases=True,
            )
            if tenant != _NO_TENANT
            else with_loader_criteria(TenantScoped, lambda cls: false(), include_aliases=True)
        )


def _is_tenant_scoped(state: ORMExecuteState) -> bool:
    mapper = state.bind_mapper
    return mapper is not None and issubclass(mapper.class_, TenantScoped)


def _check_insert(state: ORMExecuteState, tenant: uuid.UUID) -> None:
    if not _is_tenant_scoped(state):
        return
    rows: list[Mapping[str, Any]] = []
    params = state.parameters
    if isinstance(params, Mapping):
        rows.append(params)
    elif params:
        rows.extend(params)
    # The values of insert().values(...), which the ORM keeps on the statement.
    multi_values = getattr(state.statement, "_multi_values", None)
    values = getattr(state.statement, "_values", None)
    if multi_values:
        rows.extend(_values_row(row) for rows_ in multi_values for row in rows_)
    elif values:
        rows.append(_values_row(values))
    if not rows:
        raise CrossTenantWrite(details={"reason": "insert without rows to check"})
    for row in rows:
        if row.get("tenant_id") != tenant:
            raise CrossTenantWrite(details={"reason": "insert into another tenant"})


def _check_update_values(state: ORMExecuteState, tenant: uuid.UUID) -> None:
    if not _is_tenant_scoped(state):
        return
    values = _values_row(getattr(state.statement, "_values", None) or {})
    params = state.parameters or {}
    if isinstance(params, Mapping):
        row = {**values, **params}
        if "tenant_id" in row and row["tenant_id"] != tenant:
            raise CrossTenantWrite(details={"reason": "update moves rows to another tenant"})
        return
    # A list of rows is an ORM bulk UPDATE by primary key: each row names the row it
    # updates, tenant_id included, and no loader criteria narrow that WHERE clause.
    for bulk_row in params:
        if {**values, **bulk_row}.get("tenant_id", tenant) != tenant:
            raise CrossTenantWrite(details={"reason": "update of another tenant's rows"})


def _values_row(values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for key, value in dict(values).items():
        # A key is a column name or a Column; a value may be a bound parameter.
        row[key if isinstance(key, str) else key.key] = getattr(value, "value", value)
    return row


@event.listens_for(Session, "before_flush")
def _check_flush(session: Session, _context: Any, _instances: Any) -> None:
    if session.info.get("cross_tenant"):
        return
    tenant = session.info.get("tenant_id")
    for obj in (*session.new, *session.dirty, *session.deleted):
        if not isinstance(obj, TenantScoped):
            continue
        if obj in session.new and obj.tenant_id is None and tenant is not None:
            obj.tenant_id = tenant
        if tenant is None or obj.tenant_id != tenant:
            raise CrossTenantWrite(details={"object": type(obj).__name__})

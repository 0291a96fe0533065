"""Reference WSGI apps the HTTP benchmarks measure ours against.

- `bare_app`: parses the JSON body and answers 201 with a small JSON body (to a GET, a
  small page); no database. The floor of Flask plus gunicorn (`vs_bare=`).
- `write_app`: parses the JSON body, does one raw INSERT of one row into `bench_members`
  (keyed by the body's `external_id`, or its `id`) and COMMIT, through SQLAlchemy Core
  with the driver ours uses (sqlite3 with the same pragmas, or psycopg 3), and answers
  201. The minimal transactional write.

Both answer POST on any path, so one load script drives ours and both references. The
write app reads its URL from `JIFEN_DATABASE_URL`; the runner creates the table first
(`create_table`). The row has the shape of a member row: tenant id and id (UUIDv7, native
`uuid` on PostgreSQL, 16 bytes on SQLite) as the primary key, a unique external id per
tenant, two more text columns and the creation instant.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from flask import Flask, abort, jsonify, request
from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    LargeBinary,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    create_engine,
    event,
    text,
)
from sqlalchemy.dialects import postgresql

from jifen.db import SQLITE_PRAGMAS
from jifen.types import new_id

TABLE = "bench_members"


def database_url(url: str) -> str:
    """The URL with psycopg 3 named as the PostgreSQL driver (SQLAlchemy's default is 2)."""
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain) :]
    return url


def make_engine(url: str) -> Engine:
    url = database_url(url)
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The durability settings ours uses: WAL, synchronous=NORMAL, busy timeout.
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def members_table(dialect: str) -> Table:
    id_type: Any = postgresql.UUID(as_uuid=True) if dialect == "postgresql" else LargeBinary(16)
    return Table(
        TABLE,
        MetaData(),
        Column("tenant_id", id_type, primary_key=True),
        Column("id", id_type, primary_key=True),
        Column("external_id", String(128), nullable=False),
        Column("name", String(100), nullable=False),
        Column("status", String(16), nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        UniqueConstraint("tenant_id", "external_id", name="uq_bench_members_external_id"),
    )


def create_table(owner_url: str, app_url: str | None = None) -> None:
    """(Re)create `bench_members` as the owner; on PostgreSQL let the app's role insert."""
    engine = make_engine(owner_url)
    try:
        table = members_table(engine.dialect.name)
        table.drop(engine, checkfirst=True)
        table.create(engine)
        if engine.dialect.name == "postgresql" and app_url:
            app_engine = make_engine(app_url)
            try:
                with app_engine.connect() as conn:
                    role = conn.scalar(text("SELECT current_user"))
            finally:
                app_engine.dispose()
            quoted = engine.dialect.identifier_preparer.quote(str(role))
            with engine.begin() as conn:
                conn.execute(text(f"GRANT SELECT, INSERT ON {TABLE} TO {quoted}"))
    finally:
        engine.dispose()


def drop_table(owner_url: str) -> None:
    engine = make_engine(owner_url)
    try:
        members_table(engine.dialect.name).drop(engine, checkfirst=True)
    finally:
        engine.dispose()


def _json_body() -> dict[str, Any]:
    """The body, with the unique text the row is keyed by: the body's `external_id` (a
    member's registration), else its `id` (an event's own id), else a new one (an order,
    which names no id of its own)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400)
    key = body.get("external_id", body.get("id", str(new_id())))
    if not isinstance(key, str):
        abort(400)
    return body | {"external_id": key}


bare_app = Flask("bench_bare")


@bare_app.post("/", defaults={"path": ""})
@bare_app.post("/<path:path>")
def bare(path: str) -> Any:
    body = _json_body()
    return jsonify(id=str(new_id()), external_id=body["external_id"]), 201


@bare_app.get("/", defaults={"path": ""})
@bare_app.get("/<path:path>")
def bare_page(path: str) -> str:
    """A GET benchmark's floor (the storefront's): a small page, nothing else."""
    return "<!doctype html><title>bare</title>"


write_app = Flask("bench_write")

# One tenant per worker process: enough to give the composite keys their real shape.
_TENANT_ID = new_id()
_state: dict[str, Any] = {}


def _writer() -> tuple[Engine, Table]:
    # Built on first use, in the worker: importing this module for `bare_app` needs no
    # database, and a forked worker must not share its parent's connections.
    if "engine" not in _state:
        engine = make_engine(os.environ["JIFEN_DATABASE_URL"])
        _state["engine"] = engine
        _state["table"] = members_table(engine.dialect.name)
    return _state["engine"], _state["table"]


@write_app.post("/", defaults={"path": ""})
@write_app.post("/<path:path>")
def write(path: str) -> Any:
    body = _json_body()
    engine, table = _writer()
    row_id = new_id()
    now = datetime.now(UTC)
    if engine.dialect.name == "sqlite":
        # Stored as ours stores it on SQLite: 16-byte ids, naive UTC text.
        values: dict[str, Any] = {
            "tenant_id": _TENANT_ID.bytes,
            "id": row_id.bytes,
            "created_at": now.replace(tzinfo=None),
        }
    else:
        values = {"tenant_id": _TENANT_ID, "id": row_id, "created_at": now}
    values.update(external_id=body["external_id"], name=str(body.get("name", "")), status="active")
    with engine.begin() as conn:
        conn.execute(table.insert(), values)
    return jsonify(id=str(row_id), external_id=body["external_id"]), 201

"""Core write statements sent straight through the database driver.

A hot path's INSERTs and UPDATEs cost SQLAlchemy several times the statement itself
(an execution context, events, a result object per execution). A `DriverStatement`
compiles its Core statement once per dialect (and, for an INSERT, per set of columns)
and then hands the driver the SQL and the rows' values, processed by the columns' own
types as SQLAlchemy would. It writes and counts rows, nothing more: reads, RETURNING
and anything needing a Python-side default stay with SQLAlchemy. The driver's errors
are raised as SQLAlchemy's error of their kind, so callers catch one family.

A `batch` sends several such writes together: on PostgreSQL in one pipeline (psycopg's
pipeline mode), so that they cost one round trip instead of one each, which matters
most while the writer holds row locks; the row counts its writes expect are checked
once the batch has been sent.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.dml import Insert, UpdateBase


@dataclasses.dataclass(frozen=True)
class Compiled:
    """A statement as one dialect's driver takes it."""

    sql: str
    keys: tuple[str, ...]  # the parameters' names, in the placeholders' order if positional
    positional: bool
    processors: tuple[tuple[str, Callable[[Any], Any]], ...]
    constants: dict[str, Any]  # the values of literals the statement binds itself

    @classmethod
    def of(
        cls,
        statement: UpdateBase,
        dialect: Dialect,
        columns: Sequence[str],
        *,
        returns: bool = False,
    ) -> Compiled:
        if isinstance(statement, Insert):
            # inline: no RETURNING of the generated key, which nobody reads here
            compiled = statement.inline().compile(dialect=dialect, column_keys=list(columns))
        else:
            compiled = statement.compile(dialect=dialect)
        if compiled.prefetch or bool(compiled.returning) != returns:
            raise TypeError(
                "a driver statement takes every value from its rows and returns none"
                " (unless made with returns=True, to run with `returned`)"
            )
        for column in compiled.returning or ():
            if column.type.dialect_impl(dialect).result_processor(dialect, None) is not None:
                raise TypeError(f"the driver cannot return {column}: its values need converting")
        processors = (
            (name, bind.type.dialect_impl(dialect).bind_processor(dialect))
            for name, bind in compiled.binds.items()
        )
        return cls(
            sql=compiled.string,
            keys=tuple(compiled.positiontup or ())
            if compiled.positional
            else tuple(compiled.binds),
            positional=compiled.positional,
            processors=tuple((name, p) for name, p in processors if p is not None),
            constants={n: b.value for n, b in compiled.binds.items() if not b.required},
        )

    def processed(self, row: dict[str, Any]) -> dict[str, Any]:
        """The row's values (by parameter name) as the driver takes them."""
        values = self.constants | row
        for name, process in self.processors:
            values[name] = process(values[name])
        return values

    def parameters(self, row: dict[str, Any]) -> Any:
        values = self.processed(row)
        return tuple(values[key] for key in self.keys) if self.positional else values


class DriverStatement:
    """A Core INSERT or UPDATE run through the driver (see the module's docstring)."""

    def __init__(self, statement: UpdateBase, *, returns: bool = False) -> None:
        self.statement = statement
        self.returns = returns  # it has a RETURNING clause: run it with `returned`
        self._compiled: dict[tuple[str, tuple[str, ...]], Compiled] = {}

    def compiled(self, dialect: Dialect, columns: Sequence[str] = ()) -> Compiled:
        key = (dialect.name, tuple(columns) if self.statement.is_insert else ())
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = Compiled.of(self.statement, dialect, key[1], returns=self.returns)
            self._compiled[key] = compiled
        return compiled

    def returned(self, connection: Connection, row: dict[str, Any]) -> tuple[Any, ...]:
        """Run a statement with RETURNING for one row of values (an INSERT of values the
        statement names itself); the row it returned, as the driver reads it: text and
        integers only, which need no converting."""
        compiled = self.compiled(connection.dialect)
        with _refused_as_sqlalchemy(connection):
            cursor = connection.connection.cursor()
            try:
                cursor.execute(compiled.sql, compiled.parameters(row))
                found = cursor.fetchone()
            finally:
                cursor.close()
        if found is None:
            raise RuntimeError("the statement returned no row")
        return tuple(found)

    def execute(
        self,
        connection: Connection,
        rows: list[dict[str, Any]],
        *,
        columns: Sequence[str] | None = None,
    ) -> int:
        """Run the statement once per row in the connection's transaction; how many rows
        it wrote. An INSERT writes `columns`, by default the first row's keys."""
        with _refused_as_sqlalchemy(connection):
            cursor = self.send(connection, rows, columns=columns)
            try:
                return int(cursor.rowcount)
            finally:
                cursor.close()

    def send(
        self,
        connection: Connection,
        rows: list[dict[str, Any]],
        *,
        columns: Sequence[str] | None = None,
    ) -> Any:
        """Send the statement for the rows; the driver's cursor, whose `rowcount` holds
        once the statement has run (in a pipeline: once the pipeline has been sent)."""
        compiled = self.compiled(connection.dialect, list(rows[0]) if columns is None else columns)
        cursor = connection.connection.cursor()
        if len(rows) == 1:
            cursor.execute(compiled.sql, compiled.parameters(rows[0]))
        else:
            cursor.executemany(compiled.sql, [compiled.parameters(row) for row in rows])
        return cursor


class Batch:
    """Writes sent together (see the module's docstring and `batch`)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._sent: list[tuple[Any, int | None, str]] = []

    def write(
        self, statement: DriverStatement, rows: list[dict[str, Any]], *, expect_all: str = ""
    ) -> None:
        """Send the statement for the rows (none: nothing). With `expect_all`, each row
        must change one row of the table, or the batch raises its error with this text."""
        if rows:
            cursor = statement.send(self.connection, rows)
            self._sent.append((cursor, len(rows) if expect_all else None, expect_all))

    def _check(self, error: Callable[[str], Exception]) -> None:
        for cursor, expected, message in self._sent:
            if expected is not None and cursor.rowcount != expected:
                raise error(message)

    def _close(self) -> None:
        for cursor, _, _ in self._sent:
            cursor.close()


@contextlib.contextmanager
def batch(connection: Connection, error: Callable[[str], Exception]) -> Iterator[Batch]:
    """Writes sent together in the connection's transaction: in one pipeline on
    PostgreSQL, one after the other elsewhere. A write whose row count falls short of
    what it expected raises `error` once all have been sent."""
    sent = Batch(connection)
    try:
        with _refused_as_sqlalchemy(connection):
            if connection.dialect.name == "postgresql":
                with connection.connection.dbapi_connection.pipeline():  # type: ignore[union-attr]
                    yield sent
            else:
                yield sent
        sent._check(error)
    finally:
        sent._close()


@contextlib.contextmanager
def _refused_as_sqlalchemy(connection: Connection) -> Iterator[None]:
    dbapi = connection.dialect.loaded_dbapi
    try:
        yield
    except dbapi.Error as exc:
        raise DBAPIError.instance("(a driver statement)", None, exc, dbapi.Error) from exc

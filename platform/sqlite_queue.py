"""SQLite writers queue on an operating-system lock before they take SQLite's own.

SQLite admits one writer at a time. A writer that finds the write lock taken waits in
SQLite's busy handler, which sleeps 1, 2, 5, 10, ... milliseconds between attempts: under
steady load (two gunicorn workers posting events) the lock sits idle while the waiter
sleeps, and an unlucky request waits for a second. So write transactions first queue on
an exclusive `flock` of a file beside the database (`<database>-writers`): the kernel
wakes the next writer the moment the lock is released. The queue is only a waiting
room: BEGIN IMMEDIATE and the busy timeout still guard the database, so a process that
does not queue (the sqlite3 shell) stays safe, only less fair.

A thread that already holds the queue (a write transaction opening another, which SQLite
refuses anyway) does not queue twice: it goes straight to SQLite and its busy timeout,
as before, instead of waiting for itself.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from typing import Any


def connection_factory(database: str) -> type[sqlite3.Connection] | None:
    """A `sqlite3.Connection` class whose write transactions queue for `database`, or
    None for an in-memory database (one connection, nothing to queue for)."""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    path = f"{database}-writers"
    holders = threading.local()

    class QueuedConnection(sqlite3.Connection):
        _queue_fd: int | None = None
        _queued_by: int | None = None  # the process holding the queue (not a forked child)

        def begin_write(self) -> None:
            """Queue for the database, then BEGIN IMMEDIATE."""
            self._enqueue()
            try:
                self.execute("BEGIN IMMEDIATE")
            except BaseException:
                self._dequeue()
                raise

        def commit(self) -> None:
            try:
                super().commit()
            finally:
                self._dequeue()

        def rollback(self) -> None:
            try:
                super().rollback()
            finally:
                self._dequeue()

        def close(self) -> None:
            try:
                self._dequeue()
                if self._queue_fd is not None:
                    os.close(self._queue_fd)
                    self._queue_fd = None
            finally:
                super().close()

        def _enqueue(self) -> None:
            if getattr(holders, "held", False):
                return
            if self._queue_fd is None:
                try:
                    self._queue_fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
                except OSError:
                    return  # a read-only folder: SQLite's busy handler alone, as before
            fcntl.flock(self._queue_fd, fcntl.LOCK_EX)
            self._queued_by = os.getpid()
            holders.held = True

        def _dequeue(self) -> None:
            if self._queued_by is None:
                return
            if self._queued_by == os.getpid() and self._queue_fd is not None:
                fcntl.flock(self._queue_fd, fcntl.LOCK_UN)
            holders.held = False
            self._queued_by = None

    return QueuedConnection


def begin_write(dbapi_connection: Any) -> None:
    """Begin a write transaction: queued when the connection can queue."""
    begin = getattr(dbapi_connection, "begin_write", None)
    if begin is not None:
        begin()
    else:
        dbapi_connection.execute("BEGIN IMMEDIATE")

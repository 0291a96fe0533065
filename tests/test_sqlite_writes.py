"""SQLite: write transactions take the write lock up front, queueing for it; reads never
take it."""

import fcntl
import os
import shutil
import sqlite3
import threading

from conftest import create_tenant_with_key
from sqlalchemy import select

from jifen import schedules
from jifen.app import create_app
from jifen.audit import SYSTEM
from jifen.config import Settings
from jifen.tenants import apikeys
from jifen.tenants import service as tenants
from jifen.tenants.models import Tenant


def test_key_lookup_of_a_write_request_does_not_wait_for_the_write_lock(sqlite_template, tmp_path):
    path = tmp_path / "jifen.db"
    shutil.copyfile(sqlite_template, path)
    app = create_app(
        Settings.from_env(
            {}, database_url=f"sqlite:///{path}", instance_path=tmp_path, secret_key="s" * 48
        )
    )
    svc = app.extensions["jifen.services"]
    token = create_tenant_with_key(svc, "a", ("members:write",)).token
    other_writer = sqlite3.connect(path, isolation_level=None)
    other_writer.execute("BEGIN IMMEDIATE")  # another process is writing
    outcome = []

    def authenticate():
        with svc.db.session(write=True) as session:
            caller = apikeys.authenticate(session, token, clock=svc.clock, keyring=svc.keyring)
            outcome.append(caller.tenant.slug)
            session.rollback()

    thread = threading.Thread(target=authenticate)
    thread.start()
    thread.join(timeout=3)
    finished_while_locked = not thread.is_alive()
    other_writer.execute("ROLLBACK")
    other_writer.close()
    thread.join()
    svc.close()
    assert finished_while_locked
    assert outcome == ["a"]


def _app_on_a_copy(sqlite_template, tmp_path):
    path = tmp_path / "jifen.db"
    shutil.copyfile(sqlite_template, path)
    return create_app(
        Settings.from_env(
            {}, database_url=f"sqlite:///{path}", instance_path=tmp_path, secret_key="s" * 48
        )
    )


def test_a_writer_queues_behind_another_and_goes_on_when_it_commits(sqlite_template, tmp_path):
    svc = _app_on_a_copy(sqlite_template, tmp_path).extensions["jifen.services"]
    first_in, second_done = threading.Event(), threading.Event()
    order = []

    def write(name, hold):
        with svc.db.transaction() as session:
            tenants.create_tenant(session, slug=name, name=name, actor=SYSTEM, clock=svc.clock)
            order.append(f"{name} writing")
            if hold:
                first_in.set()
                # The other writer waits in the queue meanwhile: it cannot finish.
                assert not second_done.wait(timeout=0.5)
        order.append(f"{name} committed")

    first = threading.Thread(target=write, args=("a", True))
    first.start()
    first_in.wait(timeout=5)
    second = threading.Thread(target=lambda: (write("b", False), second_done.set()))
    second.start()
    first.join(timeout=10)
    second.join(timeout=10)
    with svc.db.session() as session:
        slugs = set(session.scalars(select(Tenant.slug)))
    svc.close()
    assert order == ["a writing", "a committed", "b writing", "b committed"]
    assert {"a", "b"} <= slugs


def _queue_is_free(tmp_path) -> bool:
    """Whether another process could take the writers' queue now."""
    fd = os.open(tmp_path / "jifen.db-writers", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # closing releases the lock taken above
    return True


def test_the_queue_is_held_for_exactly_a_write_transaction(sqlite_template, tmp_path):
    svc = _app_on_a_copy(sqlite_template, tmp_path).extensions["jifen.services"]
    with svc.db.transaction() as session:
        tenants.create_tenant(session, slug="a", name="A", actor=SYSTEM, clock=svc.clock)
        assert not _queue_is_free(tmp_path)
    assert _queue_is_free(tmp_path)
    with svc.db.session() as session:  # reads never queue
        session.scalars(select(Tenant.slug)).all()
        assert _queue_is_free(tmp_path)
    svc.close()


def test_a_failed_write_leaves_the_queue_free(sqlite_template, tmp_path):
    svc = _app_on_a_copy(sqlite_template, tmp_path).extensions["jifen.services"]
    try:
        with svc.db.transaction() as session:
            session.connection()
            raise RuntimeError("the request failed")
    except RuntimeError:
        pass
    assert _queue_is_free(tmp_path)
    done = []
    thread = threading.Thread(target=lambda: done.append(create_tenant_with_key(svc, "b").slug))
    thread.start()
    thread.join(timeout=10)
    svc.close()
    assert done == ["b"]


def test_statistics_let_a_phone_lookup_use_its_index(sqlite_template, tmp_path):
    app = _app_on_a_copy(sqlite_template, tmp_path)
    svc = app.extensions["jifen.services"]
    tenant = create_tenant_with_key(svc, "a", ("members:write", "members:read"))
    client = app.test_client()
    for n in range(200):
        body = {"external_id": f"m{n}", "phone": f"1380013{n:04d}"}
        assert client.post("/api/v1/members", json=body, headers=tenant.headers).status_code == 201
    lookup = (
        "EXPLAIN QUERY PLAN SELECT id FROM members WHERE tenant_id = ? AND phone_lookup = ?"
        " ORDER BY id DESC LIMIT 51"
    )

    def plan() -> str:
        # A new connection, as the pool's are once recycled: SQLite reads statistics
        # when a connection loads the schema.
        plain = sqlite3.connect(tmp_path / "jifen.db")
        try:
            return " ".join(row[3] for row in plain.execute(lookup, (b"t" * 16, b"p" * 32)))
        finally:
            plain.close()

    before = plan()
    assert schedules.refresh_statistics(svc) == "analyzed"
    after = plan()
    assert "ix_members_phone" not in before  # the primary key, to honour ORDER BY
    assert "ix_members_phone" in after
    # The phone search through the API finds the member either way.
    found = client.get("/api/v1/members?phone=13800130007", headers=tenant.headers)
    assert [m["external_id"] for m in found.json["items"]] == ["m7"]
    svc.close()

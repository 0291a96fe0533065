"""SQLite: write transactions take the write lock up front; reads never take it."""

import shutil
import sqlite3
import threading

from conftest import create_tenant_with_key

from jifen.app import create_app
from jifen.config import Settings
from jifen.tenants import apikeys


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
    svc.db.dispose()
    assert finished_while_locked
    assert outcome == ["a"]

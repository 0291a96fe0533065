"""Console sign-in is throttled by account and by client address, with counts in the
database: guessing stops after a few tries, the right password included, until the
block is over."""

import pytest
from conftest import services, sqlite_only
from test_web import csrf_token

from jifen import schedules
from jifen.app import create_app
from jifen.tenants import throttle, users
from jifen.tenants.models import SignInThrottle

PASSWORD = "correct horse 1"


@pytest.fixture
def make_user(svc):
    def make(email: str) -> None:
        with svc.db.transaction() as session:
            users.create_user(
                session, email=email, name="Staff", password=PASSWORD, clock=svc.clock
            )

    return make


def attempt(client, email: str, password: str, address: str = "203.0.113.7"):
    environ = {"REMOTE_ADDR": address}
    login = client.get("/console/login", environ_base=environ)
    data = {"email": email, "password": password, "csrf_token": csrf_token(login)}
    return client.post("/console/login", data=data, environ_base=environ)


def test_wrong_passwords_block_the_account_then_the_block_passes(client, clock, make_user):
    make_user("boss@acme.test")
    for _ in range(throttle.ACCOUNT_FAILURES):
        assert attempt(client, "boss@acme.test", "wrong password").status_code == 401
    refused = attempt(client, "Boss@Acme.test", PASSWORD)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == str(int(throttle.BLOCK.total_seconds()))
    assert "Too many failed sign-ins. Try again in 15 minutes." in refused.get_data(as_text=True)
    assert "jifen_console" not in str(refused.headers.getlist("Set-Cookie"))
    clock.advance(minutes=14)
    later = attempt(client, "boss@acme.test", PASSWORD)
    assert later.status_code == 429 and later.headers["Retry-After"] == "60"
    clock.advance(minutes=1)
    assert attempt(client, "boss@acme.test", PASSWORD).status_code == 302


@sqlite_only
def test_failures_count_within_a_window_and_a_success_clears_them(client, clock, make_user):
    make_user("boss@acme.test")
    for _ in range(throttle.ACCOUNT_FAILURES - 1):
        attempt(client, "boss@acme.test", "wrong password")
    assert attempt(client, "boss@acme.test", PASSWORD).status_code == 302
    for _ in range(throttle.ACCOUNT_FAILURES - 1):
        attempt(client, "boss@acme.test", "wrong password")
    clock.advance(minutes=15)  # a new window: the old failures no longer count
    for _ in range(throttle.ACCOUNT_FAILURES - 1):
        attempt(client, "boss@acme.test", "wrong password")
    assert attempt(client, "boss@acme.test", PASSWORD).status_code == 302


@sqlite_only
def test_an_address_trying_many_accounts_is_blocked_for_all_of_them(client, make_user):
    make_user("boss@acme.test")
    for n in range(throttle.ADDRESS_FAILURES):
        assert attempt(client, f"guess{n}@acme.test", "wrong password").status_code == 401
    assert attempt(client, "boss@acme.test", PASSWORD).status_code == 429
    # The account itself is not blocked: from another address it signs in.
    assert attempt(client, "boss@acme.test", PASSWORD, address="198.51.100.2").status_code == 302


@sqlite_only
def test_an_unknown_email_is_throttled_like_a_known_one(client):
    for _ in range(throttle.ACCOUNT_FAILURES):
        assert attempt(client, "nobody@acme.test", "wrong password").status_code == 401
    assert attempt(client, "nobody@acme.test", "wrong password").status_code == 429


@sqlite_only
def test_the_counts_hold_across_processes(app, client, make_user, database, tmp_path, clock):
    """Another app on the same database (another worker) sees the same block."""
    make_user("boss@acme.test")
    for _ in range(throttle.ACCOUNT_FAILURES):
        attempt(client, "boss@acme.test", "wrong password")
    other = create_app(app.extensions["jifen.services"].settings)
    services(other).clock = clock
    try:
        assert attempt(other.test_client(), "boss@acme.test", PASSWORD).status_code == 429
    finally:
        services(other).close()


@sqlite_only
def test_finished_counts_are_purged(client, svc, clock, make_user):
    make_user("boss@acme.test")
    for _ in range(throttle.ACCOUNT_FAILURES):
        attempt(client, "boss@acme.test", "wrong password")
    assert schedules.purge_sign_ins(svc) == 0  # blocked: kept
    clock.advance(minutes=15)
    assert schedules.purge_sign_ins(svc) == 2  # the account's and the address's counts
    with svc.db.session() as session:
        assert session.query(SignInThrottle).count() == 0
    assert attempt(client, "boss@acme.test", PASSWORD).status_code == 302

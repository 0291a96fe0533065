"""Two-factor sign-in for console users (jifen.tenants.two_factor): an authenticator's
code confirms the enrolment and is good once; recovery codes are kept hashed and good
once; turning it off forgets both; each change is in the user's tenants' audit logs."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from conftest import sqlite_only
from sqlalchemy import select

from jifen.audit import SYSTEM, AuditEvent
from jifen.tenants import two_factor, users
from jifen.tenants.models import RecoveryCode, Tenant, User

PASSWORD = "correct horse battery"
STEP = timedelta(seconds=30)


@pytest.fixture
def user_id(svc, make_tenant):
    """A console user, staff of two tenants."""
    first, second = make_tenant("first"), make_tenant("second")
    with svc.db.transaction() as session:
        user = users.create_user(
            session, email="boss@acme.test", name="Boss", password=PASSWORD, clock=svc.clock
        )
    for tenant in (first, second):
        with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
            users.add_staff(
                session,
                tenant_id=tenant.tenant_id,
                user_id=user.id,
                role="owner",
                actor=SYSTEM,
                clock=svc.clock,
            )
    return user.id


def enrol(svc, user_id) -> tuple[str, list[str]]:
    """Enrol the user; their app's secret and their recovery codes."""
    with svc.db.transaction() as session:
        user = session.get_one(User, user_id)
        secret = two_factor.start(session, user, keyring=svc.keyring)
        code = pyotp.TOTP(secret).at(svc.clock.now())
        codes = two_factor.confirm(
            session, user, code, actor=SYSTEM, clock=svc.clock, keyring=svc.keyring
        )
    return secret, codes


def verify(svc, user_id, code: str) -> str:
    with svc.db.transaction() as session:
        user = session.get_one(User, user_id)
        return two_factor.verify(session, user, code, clock=svc.clock, keyring=svc.keyring)


@sqlite_only
def test_enrolling_needs_a_code_of_the_app_and_gives_recovery_codes_once(svc, user_id):
    with svc.db.transaction() as session:
        user = session.get_one(User, user_id)
        secret = two_factor.start(session, user, keyring=svc.keyring)
        assert user.totp_secret_encrypted and secret not in user.totp_secret_encrypted
        with pytest.raises(two_factor.WrongTwoFactorCode):
            two_factor.confirm(
                session, user, "000000", actor=SYSTEM, clock=svc.clock, keyring=svc.keyring
            )
        assert not two_factor.enrolled(user)
        uri = two_factor.provisioning_uri(user, secret)
        assert uri.startswith("otpauth://totp/Jifen:boss%40acme.test?secret=" + secret)
    secret, codes = enrol(svc, user_id)
    assert len(codes) == two_factor.RECOVERY_CODES == len(set(codes))
    with svc.db.session() as session:
        user = session.get_one(User, user_id)
        assert two_factor.enrolled(user)
        stored = session.scalars(select(RecoveryCode.digest)).all()
    assert len(stored) == two_factor.RECOVERY_CODES
    assert not any(code.replace("-", "").encode() in digest for code in codes for digest in stored)


@sqlite_only
def test_an_apps_code_is_good_once_and_within_a_step_of_the_clock(svc, clock, user_id):
    secret, _ = enrol(svc, user_id)
    app = pyotp.TOTP(secret)
    # The code that confirmed the enrolment does not sign in again.
    with pytest.raises(two_factor.WrongTwoFactorCode):
        verify(svc, user_id, app.at(clock.now()))
    clock.advance(seconds=30)
    assert verify(svc, user_id, app.at(clock.now())) == "totp"
    with pytest.raises(two_factor.WrongTwoFactorCode):
        verify(svc, user_id, app.at(clock.now()))
    # A phone running a step ahead is believed; two steps, not.
    clock.advance(seconds=60)
    assert verify(svc, user_id, app.at(clock.now() + STEP)) == "totp"
    clock.advance(seconds=120)
    with pytest.raises(two_factor.WrongTwoFactorCode):
        verify(svc, user_id, app.at(clock.now() + 2 * STEP))


@sqlite_only
def test_a_recovery_code_signs_in_once_however_it_is_typed(svc, user_id):
    _, codes = enrol(svc, user_id)
    assert verify(svc, user_id, f"  {codes[0].upper()} ") == "recovery"
    with pytest.raises(two_factor.WrongTwoFactorCode):
        verify(svc, user_id, codes[0])
    assert verify(svc, user_id, codes[1].replace("-", "")) == "recovery"
    with svc.db.session() as session:
        assert two_factor.recovery_codes_left(session, user_id) == two_factor.RECOVERY_CODES - 2


@sqlite_only
def test_new_recovery_codes_replace_the_old_ones(svc, user_id):
    _, old = enrol(svc, user_id)
    with svc.db.transaction() as session:
        user = session.get_one(User, user_id)
        new = two_factor.renew_recovery_codes(
            session, user, actor=SYSTEM, clock=svc.clock, keyring=svc.keyring
        )
    with pytest.raises(two_factor.WrongTwoFactorCode):
        verify(svc, user_id, old[0])
    assert verify(svc, user_id, new[0]) == "recovery"


@sqlite_only
def test_turning_it_off_forgets_the_secret_and_the_codes(svc, user_id):
    _, codes = enrol(svc, user_id)
    with svc.db.transaction() as session:
        user = session.get_one(User, user_id)
        two_factor.disable(session, user, actor=SYSTEM, clock=svc.clock)
    with svc.db.session() as session:
        user = session.get_one(User, user_id)
        assert not two_factor.enrolled(user) and user.totp_secret_encrypted is None
        assert session.scalars(select(RecoveryCode)).all() == []
    with pytest.raises(two_factor.WrongTwoFactorCode):
        verify(svc, user_id, codes[0])


def test_each_change_is_in_the_audit_log_of_each_of_the_users_tenants(svc, user_id):
    enrol(svc, user_id)
    with svc.db.transaction() as session:
        two_factor.disable(session, session.get_one(User, user_id), actor=SYSTEM, clock=svc.clock)
    with svc.db.session() as session:
        tenants = session.scalars(select(Tenant.id)).all()
    for tenant_id in tenants:
        with svc.db.session(tenant_id=tenant_id) as session:
            actions = session.scalars(
                select(AuditEvent.action).where(AuditEvent.object_id == str(user_id))
            ).all()
        assert [a for a in actions if a.startswith("user.")] == [
            "user.two_factor_on",
            "user.two_factor_off",
        ]


@sqlite_only
def test_only_an_enrolled_owner_may_require_it_of_the_staff(svc, user_id):
    with svc.db.session() as session:
        tenant_id = session.scalars(select(Tenant.id).where(Tenant.slug == "first")).one()
    with svc.db.transaction(tenant_id=tenant_id) as session:
        user = session.get_one(User, user_id)
        with pytest.raises(two_factor.EnrolFirst):
            two_factor.require(session, tenant_id, True, by=user, actor=SYSTEM, clock=svc.clock)
    enrol(svc, user_id)
    with svc.db.transaction(tenant_id=tenant_id) as session:
        user = session.get_one(User, user_id)
        two_factor.require(session, tenant_id, True, by=user, actor=SYSTEM, clock=svc.clock)
    with svc.db.session(tenant_id=tenant_id) as session:
        assert session.get_one(Tenant, tenant_id).two_factor_required
        change = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "tenant.two_factor_required")
        ).one()
    assert (change.before, change.after) == (
        {"two_factor_required": False},
        {"two_factor_required": True},
    )

"""A tenant's staff (jifen.tenants.invitations, jifen.tenants.staff): invitations emailed
after commit with a link that is good once, for a while, until withdrawn; roles changed
and staff removed, the last owner kept."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from conftest import sqlite_only
from sqlalchemy import select

from jifen.audit import SYSTEM, AuditEvent
from jifen.errors import Conflict, NotFound, ValidationFailed
from jifen.tenants import invitations, staff, users
from jifen.tenants.models import StaffMembership, User

PASSWORD = "correct horse battery"


def invite(svc, tenant, email: str, role: str = "operator", locale: str = "en"):
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        return invitations.invite(
            session,
            tenant.tenant_id,
            email=email,
            role=role,
            invited_by=None,
            console_url="https://console.example/",
            locale=locale,
            actor=SYSTEM,
            clock=svc.clock,
            keyring=svc.keyring,
        )


def sent_to(svc, email: str) -> list:
    """The messages sent to `email`, oldest first (the log notifier keeps them)."""
    svc.jobs.wait_idle()
    svc.relay.drain()
    return [m for m in reversed(svc.notifiers.registry.get("log").recent) if m.to == email]


def token_in(message) -> str:
    return re.search(r"/console/join/[a-z0-9-]+/([A-Za-z0-9_-]+)", message.body)[1]


def opened(svc, tenant, token: str):
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        return invitations.open_invitation(
            session, tenant.tenant_id, token, clock=svc.clock, keyring=svc.keyring
        )


def add(svc, tenant, email: str, role: str):
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        user = users.create_user(
            session, email=email, name=email.split("@")[0], password=PASSWORD, clock=svc.clock
        )
        users.add_staff(
            session,
            tenant_id=tenant.tenant_id,
            user_id=user.id,
            role=role,
            actor=SYSTEM,
            clock=svc.clock,
        )
        return user.id


@sqlite_only
def test_an_invitation_is_emailed_after_commit_with_a_link_in_its_language(svc, tenant):
    made = invite(svc, tenant, " New@Shop.example ", role="admin", locale="zh_CN")
    assert made.email == "new@shop.example"
    [message] = sent_to(svc, "new@shop.example")
    assert message.locale == "zh_CN"
    assert "https://console.example/console/join/acme/" in message.body
    assert opened(svc, tenant, token_in(message)).id == made.id
    # The token is not kept in the clear.
    assert token_in(message) not in made.token_encrypted


@sqlite_only
def test_a_link_opens_nothing_once_expired_replaced_or_withdrawn(svc, clock, tenant):
    invite(svc, tenant, "late@shop.example")
    late = token_in(sent_to(svc, "late@shop.example")[0])
    clock.advance(days=7)
    with pytest.raises(invitations.InvitationRefused):
        opened(svc, tenant, late)

    invite(svc, tenant, "twice@shop.example")
    old = token_in(sent_to(svc, "twice@shop.example")[0])
    invite(svc, tenant, "twice@shop.example", role="viewer")
    new = token_in(sent_to(svc, "twice@shop.example")[1])
    with pytest.raises(invitations.InvitationRefused):
        opened(svc, tenant, old)
    current = opened(svc, tenant, new)
    assert current.role == "viewer"
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        invitations.revoke(session, tenant.tenant_id, current.id, actor=SYSTEM, clock=svc.clock)
    with pytest.raises(invitations.InvitationRefused):
        opened(svc, tenant, new)
    with pytest.raises(invitations.InvitationRefused):
        opened(svc, tenant, "made-up")


@sqlite_only
def test_an_invitation_withdrawn_before_the_relay_sends_it_is_not_sent(svc, tenant):
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        made = invitations.invite(
            session,
            tenant.tenant_id,
            email="quick@shop.example",
            role="viewer",
            invited_by=None,
            console_url="https://console.example",
            locale="en",
            actor=SYSTEM,
            clock=svc.clock,
            keyring=svc.keyring,
        )
        invitations.revoke(session, tenant.tenant_id, made.id, actor=SYSTEM, clock=svc.clock)
    assert sent_to(svc, "quick@shop.example") == []
    invite(svc, tenant, "quick@shop.example")
    assert len(sent_to(svc, "quick@shop.example")) == 1


@sqlite_only
def test_accepting_makes_the_user_staff_with_the_role_and_verifies_their_email(svc, tenant):
    invite(svc, tenant, "new@shop.example", role="admin")
    token = token_in(sent_to(svc, "new@shop.example")[0])
    with svc.db.transaction() as session:
        user = users.create_user(
            session,
            email="new@shop.example",
            name="New",
            password=PASSWORD,
            clock=svc.clock,
            verified=False,
        )
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        invitation = invitations.open_invitation(
            session, tenant.tenant_id, token, clock=svc.clock, keyring=svc.keyring
        )
        someone = users.create_user(
            session, email="else@shop.example", name="E", password=PASSWORD, clock=svc.clock
        )
        with pytest.raises(invitations.InvitationForAnother):
            invitations.accept(session, invitation, someone, actor=SYSTEM, clock=svc.clock)
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        invitation = invitations.open_invitation(
            session, tenant.tenant_id, token, clock=svc.clock, keyring=svc.keyring
        )
        user = session.get_one(User, user.id)
        invitations.accept(session, invitation, user, actor=SYSTEM, clock=svc.clock)
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        assert session.get_one(StaffMembership, (tenant.tenant_id, user.id)).role == "admin"
        assert session.get_one(User, user.id).email_verified_at is not None
    with pytest.raises(invitations.InvitationRefused):
        opened(svc, tenant, token)


@sqlite_only
def test_staff_and_bad_input_are_not_invited(svc, tenant):
    add(svc, tenant, "here@shop.example", "viewer")
    with pytest.raises(Conflict):
        invite(svc, tenant, "HERE@shop.example")
    with pytest.raises(ValidationFailed) as bad_email:
        invite(svc, tenant, "not an email")
    assert "email" in bad_email.value.details
    with pytest.raises(ValidationFailed) as bad_role:
        invite(svc, tenant, "who@shop.example", role="boss")
    assert "role" in bad_role.value.details


def test_the_last_owner_is_neither_demoted_nor_removed(svc, tenant):
    first = add(svc, tenant, "first@shop.example", "owner")
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        with pytest.raises(staff.LastOwner):
            staff.change_role(
                session, tenant.tenant_id, first, "admin", actor=SYSTEM, clock=svc.clock
            )
        with pytest.raises(staff.LastOwner):
            staff.remove(session, tenant.tenant_id, first, actor=SYSTEM, clock=svc.clock)
    second = add(svc, tenant, "second@shop.example", "admin")
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        staff.change_role(session, tenant.tenant_id, second, "owner", actor=SYSTEM, clock=svc.clock)
        staff.change_role(session, tenant.tenant_id, first, "viewer", actor=SYSTEM, clock=svc.clock)
        staff.remove(session, tenant.tenant_id, first, actor=SYSTEM, clock=svc.clock)
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        members, _ = staff.team(session, tenant.tenant_id, limit=10, cursor=None)
        logged = session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.action.startswith("staff."))
            .order_by(AuditEvent.id)
        ).all()
    assert [(m.email, m.role) for m in members] == [("second@shop.example", "owner")]
    assert logged == ["staff.add", "staff.add", "staff.role", "staff.role", "staff.remove"]


def test_another_tenants_staff_and_invitations_are_not_found(svc, tenant, make_tenant):
    other = make_tenant("other")
    theirs = add(svc, other, "boss@other.example", "owner")
    invited = invite(svc, other, "new@other.example")
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        with pytest.raises(NotFound):
            staff.remove(session, tenant.tenant_id, theirs, actor=SYSTEM, clock=svc.clock)
        with pytest.raises(NotFound):
            invitations.revoke(session, tenant.tenant_id, invited.id, actor=SYSTEM, clock=svc.clock)


@sqlite_only
def test_the_team_is_paged_in_the_order_staff_joined(svc, clock, tenant):
    for n in range(3):
        add(svc, tenant, f"s{n}@shop.example", "viewer")
        clock.advance(minutes=1)
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        first, following = staff.team(session, tenant.tenant_id, limit=2, cursor=None)
        rest, last = staff.team(session, tenant.tenant_id, limit=2, cursor=following)
    assert [m.email for m in first + rest] == [f"s{n}@shop.example" for n in range(3)]
    assert last is None
    assert timedelta(0) < rest[0].since - first[0].since

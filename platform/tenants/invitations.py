"""Staff invitations: a tenant's owner invites an email to its staff with a role, and the
link emailed to it (sent after commit by the relay: jifen.notify.staff_invitations)
lets its holder join: a new console user signing up with that email, which the link
proves is theirs, or the user who has that email already, once signed in.

The link's token is random; the row keeps it encrypted for the sending and as its keyed
hash for finding it. An invitation lives `LIFE`, is good once, and may be revoked until
it is accepted; inviting an email again replaces its open invitation. An unknown token
and one expired, used or revoked are refused alike.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from jifen import audit
from jifen.audit import Actor
from jifen.clock import Clock
from jifen.errors import Conflict, Forbidden, JifenError, NotFound, ValidationFailed
from jifen.field_messages import one_of
from jifen.i18n import N_, Message
from jifen.keyring import Keyring
from jifen.outbox.events import DomainEvent, emit
from jifen.pagination import read_page
from jifen.tenants import users
from jifen.tenants.models import ROLES, StaffInvitation, StaffMembership, User
from jifen.types import new_id

LIFE = timedelta(days=7)
_TOKEN_BYTES = 24
MAX_TOKEN = 64


@dataclass(frozen=True)
class StaffInvited(DomainEvent):
    """An invitation is to be emailed: the invitation's id only."""

    type = "console.staff_invited"
    aggregate = "staff_invitation"
    aggregate_field = "invitation_id"

    invitation_id: uuid.UUID


class InvitationRefused(JifenError):
    code = "invitation_refused"
    status = 404
    message = N_(
        "This invitation cannot be used: it expired, was used or was withdrawn. Ask"
        " whoever invited you for a new one."
    )


class InvitationForAnother(Forbidden):
    code = "invitation_for_another"
    message = N_("This invitation is for %(email)s. Sign out, then open the link again.")


def join_path(slug: str, token: str) -> str:
    """The path of an invitation's link, at the console (its `join` page)."""
    return f"/console/join/{slug}/{token}"


def check_email(email: str) -> str:
    """The email as stored (lower-case), or ValidationFailed on `email`."""
    email = email.strip().lower()
    local, at, domain = email.partition("@")
    if not at or not local or not domain or "@" in domain or len(email) > 254:
        raise ValidationFailed(details={"email": [Message(N_("Not an email address."))]})
    if not email.isprintable() or any(ch.isspace() for ch in email):
        raise ValidationFailed(details={"email": [Message(N_("Not an email address."))]})
    return email


def invite(
    session: Session,
    tenant_id: uuid.UUID,
    *,
    email: str,
    role: str,
    invited_by: uuid.UUID | None,
    console_url: str,
    locale: str,
    actor: Actor,
    clock: Clock,
    keyring: Keyring,
) -> StaffInvitation:
    """Invite `email` to the tenant's staff as `role`, and have the link emailed after
    commit. ValidationFailed for an email or role that is none; Conflict when the
    email's user is on the staff already. `console_url` is the console's address
    (scheme and host) the link opens at."""
    email = check_email(email)
    if role not in ROLES:
        raise ValidationFailed(details={"role": [one_of(ROLES)]})
    existing = users.by_email(session, email)
    if existing is not None and _membership(session, tenant_id, existing.id) is not None:
        raise Conflict(details={"email": [Message(N_("Already on the team."))]})
    now = clock.now()
    session.execute(
        update(StaffInvitation)
        .where(
            StaffInvitation.tenant_id == tenant_id,
            StaffInvitation.email == email,
            StaffInvitation.accepted_at.is_(None),
            StaffInvitation.revoked_at.is_(None),
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    token = secrets.token_urlsafe(_TOKEN_BYTES)
    invitation = StaffInvitation(
        tenant_id=tenant_id,
        id=new_id(),
        email=email,
        role=role,
        token_digest=_digest(keyring, tenant_id, token),
        token_encrypted=keyring.encrypt(token),
        console_url=console_url.rstrip("/")[:300],
        locale=locale,
        invited_by=invited_by,
        created_at=now,
        expires_at=now + LIFE,
    )
    session.add(invitation)
    session.flush()
    emit(session, StaffInvited(invitation.id), now=now, tenant_id=tenant_id)
    audit.record(
        session,
        tenant_id=tenant_id,
        actor=actor,
        action="staff.invite",
        object_type="staff_invitation",
        object_id=invitation.id,
        after={"role": role},
        now=now,
    )
    return invitation


def _digest(keyring: Keyring, tenant_id: uuid.UUID, token: str) -> bytes:
    return keyring.lookup_hash(f"staff-invitation:{tenant_id}:{token}")


def _membership(
    session: Session, tenant_id: uuid.UUID, user_id: uuid.UUID
) -> StaffMembership | None:
    return session.get(StaffMembership, (tenant_id, user_id))


def open_invitation(
    session: Session, tenant_id: uuid.UUID, token: str, *, clock: Clock, keyring: Keyring
) -> StaffInvitation:
    """The tenant's invitation whose link carries `token`, while it may be accepted;
    InvitationRefused otherwise (unknown, expired, accepted or revoked alike)."""
    if not token or len(token) > MAX_TOKEN:
        raise InvitationRefused()
    invitation = session.scalar(
        select(StaffInvitation).where(
            StaffInvitation.tenant_id == tenant_id,
            StaffInvitation.token_digest == _digest(keyring, tenant_id, token),
        )
    )
    if (
        invitation is None
        or invitation.accepted_at is not None
        or invitation.revoked_at is not None
        or invitation.expires_at <= clock.now()
    ):
        raise InvitationRefused()
    return invitation


def accept(
    session: Session, invitation: StaffInvitation, user: User, *, actor: Actor, clock: Clock
) -> None:
    """`user` joins the staff as the invitation says; their email counts as verified (the
    link came to it). InvitationForAnother when the user's email is not the invited
    one. A user on the staff already keeps their role."""
    if user.email != invitation.email:
        raise InvitationForAnother(params={"email": invitation.email})
    now = clock.now()
    invitation.accepted_at = now
    invitation.accepted_by = user.id
    user.email_verified_at = user.email_verified_at or now
    if _membership(session, invitation.tenant_id, user.id) is None:
        users.add_staff(
            session,
            tenant_id=invitation.tenant_id,
            user_id=user.id,
            role=invitation.role,
            actor=actor,
            clock=clock,
        )
    session.flush()


def revoke(
    session: Session, tenant_id: uuid.UUID, invitation_id: uuid.UUID, *, actor: Actor, clock: Clock
) -> StaffInvitation:
    """Withdraw an invitation not yet accepted: its link opens nothing from now on.
    Revoking one revoked already changes nothing."""
    invitation = session.get(StaffInvitation, (tenant_id, invitation_id))
    if invitation is None:
        raise NotFound("staff_invitation", invitation_id, N_("No such invitation."))
    if invitation.accepted_at is not None:
        raise Conflict(N_("This invitation was accepted: the person is on the team."))
    if invitation.revoked_at is None:
        invitation.revoked_at = clock.now()
        audit.record(
            session,
            tenant_id=tenant_id,
            actor=actor,
            action="staff.invitation_revoke",
            object_type="staff_invitation",
            object_id=invitation.id,
            now=clock.now(),
        )
    return invitation


def open_invitations(
    session: Session, tenant_id: uuid.UUID, *, limit: int, cursor: str | None
) -> tuple[list[StaffInvitation], str | None]:
    """A page of the tenant's invitations neither accepted nor revoked (expired ones
    too), oldest first, and the next page's cursor."""
    query = select(StaffInvitation).where(
        StaffInvitation.tenant_id == tenant_id,
        StaffInvitation.accepted_at.is_(None),
        StaffInvitation.revoked_at.is_(None),
    )
    return read_page(session.scalars, query, [StaffInvitation.id], [uuid.UUID], limit, cursor)

"""A tenant's staff: who they are, their roles changed, and members of staff removed.

A tenant always keeps an owner: the last one can be neither demoted nor removed. The
owners' rows are locked while that is checked, so two owners demoting each other at
once cannot both succeed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from jifen import audit
from jifen.audit import Actor
from jifen.clock import Clock
from jifen.errors import Conflict, NotFound, ValidationFailed
from jifen.field_messages import one_of
from jifen.i18n import N_
from jifen.pagination import read_page
from jifen.tenants.models import ROLES, StaffMembership, User

OWNER = "owner"


class LastOwner(Conflict):
    code = "last_owner"
    message = N_("A merchant keeps at least one owner: make someone else owner first.")


@dataclass(frozen=True)
class StaffMember:
    """One of a tenant's staff, as the team page lists them."""

    user_id: uuid.UUID
    name: str
    email: str
    role: str
    since: datetime
    two_factor: bool


_LISTED: tuple[Any, ...] = (
    StaffMembership.created_at,
    StaffMembership.user_id,
    StaffMembership.role,
    User.name,
    User.email,
    User.two_factor_since,
)


def team(
    session: Session, tenant_id: uuid.UUID, *, limit: int, cursor: str | None
) -> tuple[list[StaffMember], str | None]:
    """A page of the tenant's staff in the order they joined, and the next page's cursor."""
    query = (
        select(*_LISTED)
        .join(User, User.id == StaffMembership.user_id)
        .where(StaffMembership.tenant_id == tenant_id)
    )
    rows, following = read_page(
        session.execute,
        query,
        [StaffMembership.created_at, StaffMembership.user_id],
        [datetime, uuid.UUID],
        limit,
        cursor,
    )
    return [
        StaffMember(
            user_id=row.user_id,
            name=row.name,
            email=row.email,
            role=row.role,
            since=row.created_at,
            two_factor=row.two_factor_since is not None,
        )
        for row in rows
    ], following


def change_role(
    session: Session,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
    role: str,
    *,
    actor: Actor,
    clock: Clock,
) -> StaffMembership:
    """Give a member of staff another role. `LastOwner` for the tenant's last owner
    made anything else; NotFound for someone not on its staff."""
    membership = _locked(session, tenant_id, user_id)
    if role not in ROLES:
        raise ValidationFailed(details={"role": [one_of(ROLES)]})
    if membership.role == role:
        return membership
    if membership.role == OWNER:
        _keep_an_owner(session, tenant_id)
    audit.record(
        session,
        tenant_id=tenant_id,
        actor=actor,
        action="staff.role",
        object_type="user",
        object_id=user_id,
        before={"role": membership.role},
        after={"role": role},
        now=clock.now(),
    )
    membership.role = role
    session.flush()
    return membership


def remove(
    session: Session, tenant_id: uuid.UUID, user_id: uuid.UUID, *, actor: Actor, clock: Clock
) -> None:
    """Take someone off the tenant's staff: their next request in its console is
    refused (roles are read on every request). `LastOwner` for the last owner."""
    membership = _locked(session, tenant_id, user_id)
    if membership.role == OWNER:
        _keep_an_owner(session, tenant_id)
    audit.record(
        session,
        tenant_id=tenant_id,
        actor=actor,
        action="staff.remove",
        object_type="user",
        object_id=user_id,
        before={"role": membership.role},
        now=clock.now(),
    )
    session.execute(
        delete(StaffMembership).where(
            StaffMembership.tenant_id == tenant_id, StaffMembership.user_id == user_id
        )
    )
    session.expunge(membership)


def _locked(session: Session, tenant_id: uuid.UUID, user_id: uuid.UUID) -> StaffMembership:
    membership = session.scalar(
        select(StaffMembership)
        .where(StaffMembership.tenant_id == tenant_id, StaffMembership.user_id == user_id)
        .with_for_update()
    )
    if membership is None:
        raise NotFound("staff", user_id, N_("No such member of staff."))
    return membership


def _keep_an_owner(session: Session, tenant_id: uuid.UUID) -> None:
    """Refuse (LastOwner) unless the tenant has another owner besides the one changing."""
    owners = session.scalars(
        select(StaffMembership.user_id)
        .where(StaffMembership.tenant_id == tenant_id, StaffMembership.role == OWNER)
        .with_for_update()
    ).all()
    if len(owners) < 2:
        raise LastOwner()

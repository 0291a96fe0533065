"""A tenant's own templates (jifen.storefront.overrides renders them): kept with a
version that grows with each change, and audited."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from jifen import audit
from jifen.audit import Actor
from jifen.clock import Clock
from jifen.errors import NotFound
from jifen.tenants.models import TemplateOverride
from jifen.tenants.revisions import bump


def overrides(session: Session) -> list[TemplateOverride]:
    return list(session.scalars(select(TemplateOverride).order_by(TemplateOverride.name)))


def put(
    session: Session, tenant_id: uuid.UUID, name: str, source: str, *, actor: Actor, clock: Clock
) -> TemplateOverride:
    """Set the tenant's version of template `name` (a new version each time)."""
    now = clock.now()
    row = session.get(TemplateOverride, (tenant_id, name), with_for_update=True)
    if row is None:
        row = TemplateOverride(tenant_id=tenant_id, name=name, version=0, source="")
        session.add(row)
    row.version += 1
    row.source, row.updated_at = source, now
    session.flush()
    bump(session, tenant_id)
    _audit(session, tenant_id, "template.put", name, row.version, actor, clock)
    return row


def remove(
    session: Session, tenant_id: uuid.UUID, name: str, *, actor: Actor, clock: Clock
) -> None:
    """Go back to the theme's template `name`."""
    row = session.get(TemplateOverride, (tenant_id, name))
    if row is None:
        raise NotFound("template", name)
    session.delete(row)
    session.flush()
    bump(session, tenant_id)
    _audit(session, tenant_id, "template.remove", name, row.version, actor, clock)


def _audit(
    session: Session,
    tenant_id: uuid.UUID,
    action: str,
    name: str,
    version: int,
    actor: Actor,
    clock: Clock,
) -> None:
    audit.record(
        session,
        tenant_id=tenant_id,
        actor=actor,
        action=action,
        object_type="template",
        object_id=name,
        after={"version": version},
        now=clock.now(),
    )

"""A tenant's mall settings: its payment provider and window, what points are worth at
its own checkout, whether members can buy points, and whether members' reviews wait
for the merchant before they are shown."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from jifen import audit
from jifen.audit import Actor
from jifen.clock import Clock
from jifen.mall.models import MallSettings
from jifen.mall.payments import PaymentProviders

DEFAULTS: dict[str, Any] = {
    "payment_provider": "manual",
    "payment_minutes": 30,
    "checkout_rate": 100,
    "checkout_step": 100,
    "checkout_cap_percent": 50,
    "topup_enabled": False,
    "topup_rate": 100,
    "review_moderation": "before",
}
FIELDS = tuple(DEFAULTS)


def settings_of(session: Session, tenant_id: uuid.UUID) -> MallSettings:
    """The tenant's settings; the defaults until it changes any."""
    found = session.get(MallSettings, tenant_id)
    if found is not None:
        return found
    return MallSettings(tenant_id=tenant_id, updated_at=None, **DEFAULTS)


def update_settings(
    session: Session,
    tenant_id: uuid.UUID,
    changes: dict[str, Any],
    *,
    providers: PaymentProviders,
    actor: Actor,
    clock: Clock,
) -> MallSettings:
    """Change some of the settings (the provider must be installed)."""
    if "payment_provider" in changes:
        providers.get(changes["payment_provider"])
    current = settings_of(session, tenant_id)
    before = {name: getattr(current, name) for name in FIELDS}
    if current not in session:
        session.add(current)
    for name, value in changes.items():
        setattr(current, name, value)
    current.updated_at = clock.now()
    session.flush()
    audit.record(
        session,
        tenant_id=tenant_id,
        actor=actor,
        action="mall.settings",
        object_type="mall_settings",
        before=before,
        after={name: getattr(current, name) for name in FIELDS},
        now=current.updated_at,
    )
    return current

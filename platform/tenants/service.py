"""Tenants: sign-up, settings and resolution by slug, host or id."""

from __future__ import annotations

import dataclasses
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar
from zoneinfo import ZoneInfo, available_timezones

from babel import Locale, UnknownLocaleError
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from jifen import audit
from jifen.audit import Actor
from jifen.clock import Clock
from jifen.db import set_tenant
from jifen.errors import Conflict, JifenError, NotFound, ValidationFailed
from jifen.tenants.models import Tenant, TenantDomain

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$")
# Words that name our own paths or would confuse members if they were a mall's address.
RESERVED_SLUGS = frozenset(
    {"api", "admin", "console", "operator", "static", "www", "m", "app", "help", "status"}
)
CURRENCIES = frozenset({"CNY", "HKD", "TWD", "USD", "EUR", "JPY", "SGD", "GBP", "AUD", "KRW"})


class TenantSuspended(JifenError):
    code = "tenant_suspended"
    status = 403
    message = "This merchant's account is suspended."


def check_slug(session: Session, slug: str) -> str:
    """A slug usable in URLs and not taken, or a clear error."""
    if not SLUG.match(slug):
        raise ValidationFailed(
            "A slug is 1-32 lower-case letters, digits and inner hyphens.",
            details={"slug": slug},
        )
    if slug in RESERVED_SLUGS:
        raise Conflict("This slug is reserved.", details={"slug": slug})
    if session.scalar(select(Tenant.id).where(Tenant.slug == slug)) is not None:
        raise Conflict("This slug is taken.", details={"slug": slug})
    return slug


def create_tenant(
    session: Session,
    *,
    slug: str,
    name: str,
    actor: Actor,
    clock: Clock,
    locale: str = "zh_CN",
    timezone: str = "Asia/Shanghai",
    currency: str = "CNY",
    points_name: str = "积分",
) -> Tenant:
    """Create a tenant and scope the session to it."""
    check_slug(session, slug)
    _check_settings(locale=locale, timezone=timezone, currency=currency)
    tenant = Tenant(
        slug=slug,
        name=name,
        status="active",
        locale=locale,
        timezone=timezone,
        currency=currency,
        points_name=points_name,
        created_at=clock.now(),
    )
    session.add(tenant)
    session.flush()
    set_tenant(session, tenant.id)
    audit.record(
        session,
        tenant_id=tenant.id,
        actor=actor,
        action="tenant.create",
        object_type="tenant",
        object_id=tenant.id,
        after={"slug": slug, "name": name, "locale": locale, "currency": currency},
        now=clock.now(),
    )
    return tenant


def _check_settings(*, locale: str, timezone: str, currency: str) -> None:
    errors: dict[str, str] = {}
    try:
        Locale.parse(locale)
    except (UnknownLocaleError, ValueError):
        errors["locale"] = "Unknown locale."
    if timezone not in available_timezones():
        errors["timezone"] = "Unknown time zone."
    if currency not in CURRENCIES:
        errors["currency"] = "Unsupported currency."
    if errors:
        raise ValidationFailed(details=errors)


@dataclass(frozen=True)
class TenantView:
    """A tenant's settings as one request reads them: a plain value, not a session's row."""

    id: uuid.UUID
    slug: str
    name: str
    status: str
    locale: str
    timezone: str
    currency: str
    points_name: str
    theme: str


TENANT_VIEW_FIELDS = tuple(field.name for field in dataclasses.fields(TenantView))
_AnyTenant = TypeVar("_AnyTenant", Tenant, TenantView)


def local_day(connection: Connection, tenant_id: uuid.UUID, instant: datetime) -> date:
    """The tenant's local day at `instant`, in its time zone: the day check-ins, caps and
    tier windows count in."""
    timezone = connection.execute(
        select(Tenant.timezone).where(Tenant.id == tenant_id)
    ).scalar_one()
    return instant.astimezone(ZoneInfo(timezone)).date()


def by_slug(session: Session, slug: str) -> Tenant:
    tenant = session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        raise NotFound("merchant", slug)
    return tenant


def by_host(session: Session, host: str) -> Tenant | None:
    """The tenant a storefront host name belongs to, if any."""
    host = host.split(":", 1)[0].lower()
    tenant_id = session.scalar(select(TenantDomain.tenant_id).where(TenantDomain.domain == host))
    return None if tenant_id is None else session.get(Tenant, tenant_id)


def require_active(tenant: _AnyTenant) -> _AnyTenant:
    if tenant.status != "active":
        raise TenantSuspended()
    return tenant

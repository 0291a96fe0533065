"""Tenants: sign-up, settings and resolution by slug, host or id."""

from __future__ import annotations

import dataclasses
import functools
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, available_timezones

from babel import Locale, UnknownLocaleError
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from jifen import audit
from jifen.audit import Actor
from jifen.clock import Clock
from jifen.db import set_tenant
from jifen.errors import Conflict, JifenError, NotFound, ValidationFailed
from jifen.i18n import N_
from jifen.tenants import lookups
from jifen.tenants.models import Tenant

# As stored and as Babel and Accept-Language matching read it: zh_CN, en, en_US.
LOCALE = re.compile(r"^[a-z]{2,3}(?:_[A-Z]{2})?$")
SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$")
# Words that name our own paths or would confuse members if they were a mall's address.
RESERVED_SLUGS = frozenset(
    {"api", "admin", "console", "operator", "static", "www", "m", "app", "help", "status"}
)
# An origin a mall may be framed by, as CSP's frame-ancestors writes it: a scheme and a
# host (its leftmost label may be `*`), perhaps a port; nothing that could end the
# directive or add another.
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
FRAMING_ORIGIN = re.compile(rf"https?://(?:\*\.)?{_LABEL}(?:\.{_LABEL})*(?::\d{{1,5}})?")
MAX_FRAMING_ORIGINS = 20
CURRENCIES = frozenset({"CNY", "HKD", "TWD", "USD", "EUR", "JPY", "SGD", "GBP", "AUD", "KRW"})


class CurrencyLocked(Conflict):
    code = "currency_locked"
    message = N_(
        "The currency cannot change once points or money have moved: amounts already"
        " recorded are in the current one."
    )


class TimezoneLocked(Conflict):
    code = "timezone_locked"
    message = N_(
        "The time zone cannot change once members' days have been counted: daily caps,"
        " check-ins and tiers count in the current one."
    )


class TenantSuspended(JifenError):
    code = "tenant_suspended"
    status = 403
    message = N_("This merchant's account is suspended.")


def check_slug(session: Session, slug: str) -> str:
    """A slug usable in URLs and not taken, or a clear error."""
    if not SLUG.match(slug):
        raise ValidationFailed(
            N_("A slug is 1-32 lower-case letters, digits and inner hyphens."),
            details={"slug": slug},
        )
    if slug in RESERVED_SLUGS:
        raise Conflict(N_("This slug is reserved."), details={"slug": slug})
    if session.scalar(select(Tenant.id).where(Tenant.slug == slug)) is not None:
        raise Conflict(N_("This slug is taken."), details={"slug": slug})
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
    check_settings(locale=locale, timezone=timezone, currency=currency)
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


def set_embedding(
    session: Session,
    tenant: Tenant,
    *,
    frame_ancestors: list[str],
    mall_embedded: bool,
    actor: Actor,
    clock: Clock,
) -> Tenant:
    """Which origins may frame the tenant's mall, and whether the mall lives inside a
    merchant's app (then its sign-in cookie is sent across sites: SameSite=None)."""
    origins = [origin.strip().lower().rstrip("/") for origin in frame_ancestors]
    refused = [origin for origin in origins if not FRAMING_ORIGIN.fullmatch(origin)]
    if refused or len(origins) > MAX_FRAMING_ORIGINS:
        raise ValidationFailed(
            N_("Up to %(maximum)s origins such as https://app.example.com."),
            details={"frame_ancestors": refused},
            params={"maximum": MAX_FRAMING_ORIGINS},
        )
    before = {"frame_ancestors": tenant.frame_ancestors, "mall_embedded": tenant.mall_embedded}
    tenant.frame_ancestors = sorted(set(origins))
    tenant.mall_embedded = mall_embedded
    audit.record(
        session,
        tenant_id=tenant.id,
        actor=actor,
        action="tenant.embedding",
        object_type="tenant",
        object_id=tenant.id,
        before=before,
        after={"frame_ancestors": tenant.frame_ancestors, "mall_embedded": mall_embedded},
        now=clock.now(),
    )
    return tenant


def update_settings(
    session: Session,
    tenant_id: uuid.UUID,
    changes: dict[str, Any],
    *,
    actor: Actor,
    clock: Clock,
    in_use: Callable[[str], bool],
) -> Tenant:
    """Change some of the tenant's `SETTINGS`. Values it already has are no change: a
    patch of nothing new writes nothing (no audit record). `in_use(setting)` says whether
    the tenant's records depend on a setting's value (the caller knows the domains that
    keep them): such a currency or time zone is refused rather than reinterpreting
    amounts or days already counted."""
    tenant = session.get_one(Tenant, tenant_id)
    changes = {field: value for field, value in changes.items() if getattr(tenant, field) != value}
    if not changes:
        return tenant
    check_settings(
        locale=changes.get("locale", tenant.locale),
        timezone=changes.get("timezone", tenant.timezone),
        currency=changes.get("currency", tenant.currency),
    )
    if "currency" in changes and in_use("currency"):
        raise CurrencyLocked(details={"currency": tenant.currency})
    if "timezone" in changes and in_use("timezone"):
        raise TimezoneLocked(details={"timezone": tenant.timezone})
    before = {field: getattr(tenant, field) for field in changes}
    for field, value in changes.items():
        setattr(tenant, field, value)
    session.flush()
    audit.record(
        session,
        tenant_id=tenant.id,
        actor=actor,
        action="tenant.update",
        object_type="tenant",
        object_id=tenant.id,
        before=before,
        after=changes,
        now=clock.now(),
    )
    return tenant


@functools.cache
def time_zones() -> frozenset[str]:
    """Every IANA time zone this machine knows (from tzdata), read once."""
    return frozenset(available_timezones())


def check_settings(*, locale: str, timezone: str, currency: str) -> None:
    """Refuse an unknown locale or time zone, or an unsupported currency: ValidationFailed
    with a message id for each field at fault."""
    errors: dict[str, str] = {}
    try:
        if not LOCALE.match(locale):
            raise ValueError(locale)
        Locale.parse(locale)
    except (UnknownLocaleError, ValueError):
        errors["locale"] = N_("Unknown locale: give language[_TERRITORY], such as zh_CN or en.")
    if timezone not in time_zones():
        errors["timezone"] = N_("Unknown time zone.")
    if currency not in CURRENCIES:
        errors["currency"] = N_("Unsupported currency.")
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
    return day_in(timezone, instant)


def day_in(timezone: str, instant: datetime) -> date:
    """The local day at `instant` in an IANA time zone (a tenant's, already read)."""
    return instant.astimezone(ZoneInfo(timezone)).date()


def by_slug(session: Session, slug: str) -> Tenant:
    tenant = session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        raise NotFound("merchant", slug)
    return tenant


# Each slug's tenant, as this process has found it: a slug never changes, so a request
# that names a known one scopes its session before the first statement (on PostgreSQL
# the scope then travels with BEGIN) and reads the tenant by its key.
_slugs: dict[str, uuid.UUID] = {}


def known_slug(slug: str) -> uuid.UUID | None:
    """The tenant this process has found for the slug before, if any."""
    return _slugs.get(slug)


def scoped_by_slug(session: Session, slug: str) -> Tenant:
    """The tenant whose slug this is, with `session` scoped to it (NotFound: none)."""
    known = _slugs.get(slug)
    if known is not None:
        set_tenant(session, known)
        tenant = session.get(Tenant, known)
        if tenant is not None and tenant.slug == slug:
            return tenant
    tenant = by_slug(session, slug)
    set_tenant(session, tenant.id)
    _slugs[slug] = tenant.id
    return tenant


def by_host(session: Session, host: str) -> Tenant | None:
    """The tenant a storefront host name belongs to, if any."""
    host = host.split(":", 1)[0].lower()
    dialect = session.get_bind().dialect.name
    tenant_id = session.scalar(lookups.host_tenant(dialect), {"host": host})
    return None if tenant_id is None else session.get(Tenant, tenant_id)


def require_active(tenant: _AnyTenant) -> _AnyTenant:
    if tenant.status != "active":
        raise TenantSuspended()
    return tenant

"""The reads that find a tenant before it is known: an API key by its prefix, a host's
tenant, a console user's tenants.

On PostgreSQL the app role cannot read api_keys, tenant_domains and staff_memberships
past row-level security; it calls `SECURITY DEFINER` functions (migration 0016) that
answer exactly these questions and nothing more: a key is found only with its secret's
digest, so no digest is ever read back. Elsewhere the same columns come from the tables.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, Select, String, bindparam, column, func, select
from sqlalchemy.sql import FromClause

from jifen.tenants.models import ApiKey, StaffMembership, TenantDomain
from jifen.types import ID, Json, UTCDateTime

_KEYS = ApiKey.__table__
_DOMAINS = TenantDomain.__table__
_STAFF = StaffMembership.__table__

_KEY_COLUMNS = (
    column("id", ID),
    column("tenant_id", ID),
    column("scopes", Json),
    column("last_used_at", UTCDateTime),
    column("rate_limit", Integer),
)
_LIVE_KEY: dict[str, FromClause] = {
    "postgresql": func.jifen_api_key(bindparam("prefix"), bindparam("digest"))
    .table_valued(*_KEY_COLUMNS)
    .alias("key"),
    "": select(*(_KEYS.c[c.name] for c in _KEY_COLUMNS))
    .where(
        _KEYS.c.prefix == bindparam("prefix"),
        _KEYS.c.digest == bindparam("digest"),
        _KEYS.c.revoked_at.is_(None),
    )
    .subquery("key"),
}
_HOST_TENANT: dict[str, Select[Any]] = {
    "postgresql": select(func.jifen_host_tenant(bindparam("host"), type_=ID)),
    "": select(_DOMAINS.c.tenant_id).where(_DOMAINS.c.domain == bindparam("host")),
}
_STAFF_ROLES: dict[str, FromClause] = {
    "postgresql": func.jifen_staff_roles(bindparam("user_id", type_=ID))
    .table_valued(column("tenant_id", ID), column("role", String))
    .alias("staff"),
    "": select(_STAFF.c.tenant_id, _STAFF.c.role)
    .where(_STAFF.c.user_id == bindparam("user_id"))
    .subquery("staff"),
}


def live_key(dialect: str) -> FromClause:
    """The unrevoked API key whose prefix is `:prefix` and whose secret's digest is
    `:digest` (no row otherwise): id, tenant_id, scopes, last_used_at, rate_limit."""
    return _LIVE_KEY.get(dialect, _LIVE_KEY[""])


def host_tenant(dialect: str) -> Select[Any]:
    """The id of the tenant whose storefront host is `:host` (none: no row, or NULL)."""
    return _HOST_TENANT.get(dialect, _HOST_TENANT[""])


def staff_roles(dialect: str) -> FromClause:
    """The tenants (tenant_id) the console user `:user_id` is staff of, with their role."""
    return _STAFF_ROLES.get(dialect, _STAFF_ROLES[""])

"""Tenants, console users, staff memberships, API keys and the global lookup indexes.

Global tables (read before a tenant is known, so not tenant-scoped): tenants, users,
staff_memberships, api_keys (the key index) and tenant_domains. `GLOBAL_TABLES` names them for the
test that checks every other table is keyed by tenant. Those that find a tenant
(`TENANT_LOOKUP_TABLES`) each belong to one tenant all the same: on PostgreSQL row-level
security keeps the app role to its tenant's rows, and the lookups run before the tenant is
known go through jifen.tenants.lookups.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from jifen.db import Base, TenantScoped
from jifen.types import ID, Json, UTCDateTime, new_id

GLOBAL_TABLES = frozenset(
    {
        "tenants",
        "users",
        "staff_memberships",
        "api_keys",
        "tenant_domains",
        # Signed-in browsers, read before their tenant is known (jifen.tenants.sessions).
        "web_sessions",
        "sign_in_throttles",
        # Codes that verify a console user's email or reset their password.
        "user_codes",
        # The keyed hashes of console users' two-factor recovery codes.
        "recovery_codes",
        # The event log and the relay's bookkeeping (jifen.outbox.models): one log for
        # every tenant and the platform, read by one relay.
        "outbox_events",
        "relay_lanes",
        "relay_cursors",
        "relay_receipts",
        "relay_dead_letters",
        "relay_parked",
    }
)

TENANT_LOOKUP_TABLES = frozenset({"staff_memberships", "api_keys", "tenant_domains"})

ROLES = ("owner", "admin", "operator", "viewer")


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[uuid.UUID] = mapped_column(ID, primary_key=True, default=new_id)
    slug: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | suspended
    locale: Mapped[str] = mapped_column(String(8), default="zh_CN")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    points_name: Mapped[str] = mapped_column(String(16), default="积分")
    theme: Mapped[str] = mapped_column(String(32), default="base")
    # The mall's branding over its theme's: "#rrggbb", and an image URL (None: the
    # theme's colour, the mall's name in text).
    brand_color: Mapped[str | None] = mapped_column(String(7))
    logo_url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Origins (besides our own) whose pages may frame the mall: a merchant's app or site.
    frame_ancestors: Mapped[list[str]] = mapped_column(Json, default=list)
    # The mall lives inside a merchant's app: its cookies must cross sites (SameSite=None).
    mall_embedded: Mapped[bool] = mapped_column(Boolean, default=False)
    # A sign-in link for a user id the merchant has not registered creates the member.
    auto_create_members: Mapped[bool] = mapped_column(Boolean, default=False)
    # How members may sign in to the mall: "link" (from the merchant's app) and "code"
    # (a one-time code by SMS or email, for direct visitors).
    sign_in_methods: Mapped[list[str]] = mapped_column(Json, default=lambda: ["link"])
    # A correct sign-in code for a phone or email that is no member's makes a member of
    # it (else the visitor is told the address is nobody's here).
    code_sign_in_creates_members: Mapped[bool] = mapped_column(Boolean, default=False)
    # The home page's banners, in order: {"image_url", "alt", "link" (or null)}.
    banners: Mapped[list[dict[str, str | None]]] = mapped_column(Json, default=list)
    # Raised by every change to what each page of the mall shows (jifen.tenants.revisions).
    revision: Mapped[int] = mapped_column(Integer, default=0)
    # How far the merchant's self-serve set-up has come (jifen.tenants.setup): the next
    # step of the console's onboarding, or "done".
    setup_step: Mapped[str] = mapped_column(String(16), default="done")
    # Every staff member must sign in with a second factor (jifen.tenants.two_factor).
    two_factor_required: Mapped[bool] = mapped_column(Boolean, default=False)


class User(Base):
    """A person who signs in to the console; may be staff of several tenants."""

    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(ID, primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-case
    name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # None until the user proves the address is theirs (a self-serve sign-up).
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The console's language the user chose (None: their browser's).
    locale: Mapped[str | None] = mapped_column(String(8))
    # Two-factor sign-in (jifen.tenants.two_factor): the authenticator's secret,
    # encrypted, kept from the start of enrolment; on once `two_factor_since` is set.
    totp_secret_encrypted: Mapped[str | None] = mapped_column(String(255))
    two_factor_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The time step of the last code accepted: a code is good once.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)


class UserCode(Base):
    """A one-time code emailed to a console user (jifen.tenants.user_codes): kept
    encrypted until it is sent and as its keyed hash to check it."""

    __tablename__ = "user_codes"

    id: Mapped[uuid.UUID] = mapped_column(ID, primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ID, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(16))  # verify_email | reset_password
    code_encrypted: Mapped[str] = mapped_column(String(255))
    code_digest: Mapped[bytes] = mapped_column(LargeBinary(32))
    locale: Mapped[str] = mapped_column(String(8))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RecoveryCode(Base):
    """One of a console user's two-factor recovery codes, as its keyed hash: good once."""

    __tablename__ = "recovery_codes"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ID, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    digest: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class StaffMembership(Base):
    __tablename__ = "staff_memberships"

    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ID, ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ID, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ApiKey(Base):
    """A tenant's API key. Only an HMAC digest of the secret is kept.

    Global, like `users`: a key is what resolves the tenant, so it is read before any
    tenant is known — one indexed read by its public prefix per request. Code that lists
    or changes a tenant's keys filters by tenant_id explicitly (jifen.tenants.apikeys).
    """

    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = mapped_column(ID, primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ID, ForeignKey("tenants.id"), index=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    # Never loaded: on PostgreSQL the app role may not read it (jifen.tenants.lookups).
    digest: Mapped[bytes] = mapped_column(LargeBinary(32), deferred=True)
    scopes: Mapped[list[str]] = mapped_column(Json)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str | None] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Requests a minute; None: the platform's default (JIFEN_API_RATE_LIMIT).
    rate_limit: Mapped[int | None] = mapped_column(Integer)


class TenantDomain(Base):
    """Global index from a storefront host name to its tenant."""

    __tablename__ = "tenant_domains"

    domain: Mapped[str] = mapped_column(String(253), primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ID, ForeignKey("tenants.id"), index=True)


class WebSession(Base):
    """A signed-in browser on one surface: the console (a staff user, `subject_id`; the
    tenant they chose) or one tenant's mall (a member). Only a digest of the token the
    browser holds is kept (see jifen.tenants.sessions)."""

    __tablename__ = "web_sessions"

    digest: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    surface: Mapped[str] = mapped_column(String(8))  # console | mall
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(
        ID, ForeignKey("tenants.id", ondelete="CASCADE")
    )
    subject_id: Mapped[uuid.UUID] = mapped_column(ID, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SignInThrottle(Base):
    """Failed console sign-ins counted for one account or one client address, in the
    database so that every worker process sees the same count (jifen.tenants.throttle)."""

    __tablename__ = "sign_in_throttles"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)  # account:… | address:…
    failures: Mapped[int] = mapped_column(Integer)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TemplateOverride(TenantScoped, Base):
    """A tenant's own version of one of its theme's templates (jifen.theming: rendered in
    Jinja's sandbox). `version` grows with each change: it is part of the name the
    compiled template is cached under."""

    __tablename__ = "template_overrides"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)  # "home.html"
    version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StaffInvitation(TenantScoped, Base):
    """An email invited to join a tenant's staff with a role (jifen.tenants.invitations):
    the link's token kept encrypted until it is sent and as its keyed hash to find it."""

    __tablename__ = "staff_invitations"
    __table_args__ = (
        Index("ix_staff_invitations_token", "tenant_id", "token_digest", unique=True),
        Index("ix_staff_invitations_email", "tenant_id", "email"),
    )

    id: Mapped[uuid.UUID] = mapped_column(ID, primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(254))  # stored lower-case
    role: Mapped[str] = mapped_column(String(16))
    token_digest: Mapped[bytes] = mapped_column(LargeBinary(32))
    token_encrypted: Mapped[str] = mapped_column(String(255))
    # The console's address the invitation was made at: the emailed link opens there.
    console_url: Mapped[str] = mapped_column(String(300))
    locale: Mapped[str] = mapped_column(String(8))
    invited_by: Mapped[uuid.UUID | None] = mapped_column(ID)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_by: Mapped[uuid.UUID | None] = mapped_column(ID)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DomainClaim(TenantScoped, Base):
    """A host a tenant named for its mall (jifen.tenants.domains). It is used (a row of
    `tenant_domains`) only once the tenant proves it owns it: a DNS TXT record or a file
    served at the host, holding `token`."""

    __tablename__ = "domain_claims"

    host: Mapped[str] = mapped_column(String(253), primary_key=True)
    token: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # pending | verified | failed
    # What the last check found each way (jifen.tenants.ownership: found, missing,
    # unreachable, refused) and, when another mall uses the host, `taken` on both.
    dns_finding: Mapped[str | None] = mapped_column(String(16))
    http_finding: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A check asked for and not yet made when later than `checked_at`.
    check_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

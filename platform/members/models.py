"""Members and their tags; tiers and the daily totals they are measured by, check-ins,
referrals and address books."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from jifen.db import Base, TenantScoped
from jifen.types import ID, Rate, UTCDateTime, new_id

STATUSES = ("active", "frozen", "erased", "merged")
# How a member came to be: registered by the merchant under its own user id (the API, a
# sign-in link, an event), or made by the mall for a visitor who signed in with a code
# (no user id of the merchant's until it gives one, or merges the member into its own).
ORIGINS = ("merchant", "code")


class Member(TenantScoped, Base):
    """A tenant's member. Phone and email are stored encrypted with a lookup hash."""

    __tablename__ = "members"
    __table_args__ = (
        UniqueConstraint("tenant_id", "external_id"),
        *(
            Index(
                f"ix_members_{field}",
                "tenant_id",
                f"{field}_lookup",
                postgresql_where=text(f"{field}_lookup IS NOT NULL"),
                sqlite_where=text(f"{field}_lookup IS NOT NULL"),
            )
            for field in ("phone", "email")
        ),
        ForeignKeyConstraint(
            ["tenant_id", "tier"], ["tiers.tenant_id", "tiers.code"], name="fk_members_tier"
        ),
        ForeignKeyConstraint(
            ["tenant_id", "merged_into"],
            ["members.tenant_id", "members.id"],
            name="fk_members_merged_into",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(ID, primary_key=True, default=new_id)
    # The merchant's user id; None only for a member the mall made (`origin` "code").
    external_id: Mapped[str | None] = mapped_column(String(128))
    origin: Mapped[str] = mapped_column(String(8), default="merchant")
    name: Mapped[str | None] = mapped_column(String(100))
    phone_encrypted: Mapped[str | None] = mapped_column(String(255))
    phone_lookup: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    email_encrypted: Mapped[str | None] = mapped_column(String(512))
    email_lookup: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    birthday: Mapped[date | None] = mapped_column(Date)
    # The language the member chose in the mall (None: their browser's, else the
    # tenant's): their pages and the notices sent to them speak it.
    locale: Mapped[str | None] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the member asked the merchant to erase them, from the mall (until it is done).
    erasure_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The member's tier (None: below every tier), since when, and the end of the grace
    # period a member who no longer qualifies keeps it for.
    tier: Mapped[str | None] = mapped_column(String(32))
    tier_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    tier_grace_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A member merged into another (status "merged"): that member, and when. Everything
    # it had moved there; its id keeps resolving, to say where.
    merged_into: Mapped[uuid.UUID | None] = mapped_column(ID)
    merged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    tag_rows: Mapped[list[MemberTag]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="MemberTag.tag"
    )

    @property
    def tags(self) -> list[str]:
        return [row.tag for row in self.tag_rows]


class MemberTag(TenantScoped, Base):
    __tablename__ = "member_tags"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "member_id"], ["members.tenant_id", "members.id"], ondelete="CASCADE"
        ),
        Index("ix_member_tags_tag", "tenant_id", "tag"),
    )

    member_id: Mapped[uuid.UUID] = mapped_column(ID, primary_key=True)
    tag: Mapped[str] = mapped_column(String(32), primary_key=True)


TIER_BASES = ("lifetime_points", "points_in_window", "spend_in_window")


class Tier(TenantScoped, Base):
    """A level members qualify for (普通, 银卡, 金卡, 钻石), ranked, with its benefits."""

    __tablename__ = "tiers"
    __table_args__ = (
        UniqueConstraint("tenant_id", "rank"),
        CheckConstraint("threshold >= 0 AND grace_days >= 0", name="tier_counts_not_negative"),
        CheckConstraint(
            "redemption_discount_percent BETWEEN 0 AND 100", name="tier_discount_is_percent"
        ),
    )

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    rank: Mapped[int] = mapped_column(Integer)
    basis: Mapped[str] = mapped_column(String(24))
    threshold: Mapped[int] = mapped_column(BigInteger)
    window_days: Mapped[int | None] = mapped_column(Integer)
    grace_days: Mapped[int] = mapped_column(Integer, default=0)
    earn_multiplier: Mapped[Decimal] = mapped_column(Rate)
    redemption_discount_percent: Mapped[int] = mapped_column(Integer, default=0)
    # Raised on every change of the ladder, so a cached ladder knows it is stale.
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Checkin(TenantScoped, Base):
    """A member's check-in on a local day; the streak it made."""

    __tablename__ = "checkins"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "member_id"], ["members.tenant_id", "members.id"], ondelete="CASCADE"
        ),
    )

    member_id: Mapped[uuid.UUID] = mapped_column(ID, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    streak: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MemberDay(TenantScoped, Base):
    """What a member earned and spent on one local day: the running totals tiers are
    measured by (lifetime points, points or spend within a window), so that qualifying
    reads a member's active days instead of every award they were ever given. Written
    with the events and awards it sums (refunds subtract)."""

    __tablename__ = "member_days"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "member_id"], ["members.tenant_id", "members.id"], ondelete="CASCADE"
        ),
    )

    member_id: Mapped[uuid.UUID] = mapped_column(ID, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    points: Mapped[int] = mapped_column(BigInteger)
    spend: Mapped[int] = mapped_column(BigInteger)


class Referral(TenantScoped, Base):
    """Who invited a member, and when each stage of the invitation was reached."""

    __tablename__ = "referrals"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "invitee_id"], ["members.tenant_id", "members.id"], ondelete="CASCADE"
        ),
        ForeignKeyConstraint(
            ["tenant_id", "inviter_id"], ["members.tenant_id", "members.id"], ondelete="CASCADE"
        ),
        Index("ix_referrals_inviter", "tenant_id", "inviter_id"),
        CheckConstraint("inviter_id <> invitee_id", name="referral_not_self"),
    )

    invitee_id: Mapped[uuid.UUID] = mapped_column(ID, primary_key=True)
    inviter_id: Mapped[uuid.UUID] = mapped_column(ID)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    first_purchase_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class NoticeChoice(TenantScoped, Base):
    """A member's choice about one kind of notice (`jifen.members.notices.TOPICS`): the
    latest, with when and where it was made. No row: the topic's default."""

    __tablename__ = "notice_choices"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "member_id"], ["members.tenant_id", "members.id"], ondelete="CASCADE"
        ),
    )

    member_id: Mapped[uuid.UUID] = mapped_column(ID, primary_key=True)
    topic: Mapped[str] = mapped_column(String(32), primary_key=True)
    wanted: Mapped[bool] = mapped_column(Boolean)
    chosen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    chosen_in: Mapped[str] = mapped_column(String(16))  # "mall", or "api" for the merchant


class SavedAddress(TenantScoped, Base):
    """An address in a member's address book (jifen.members.addresses): the fields an
    order's shipping address has, sealed the same way (personal data), a label of the
    member's own (Home, Office) and whether it is the one picked first. At most one
    default per member, which the database holds to as well."""

    __tablename__ = "member_addresses"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "member_id"], ["members.tenant_id", "members.id"], ondelete="CASCADE"
        ),
        Index("ix_member_addresses_member", "tenant_id", "member_id"),
        Index(
            "uq_member_addresses_default",
            "tenant_id",
            "member_id",
            unique=True,
            postgresql_where=text("is_default"),
            sqlite_where=text("is_default"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(ID, primary_key=True)
    member_id: Mapped[uuid.UUID] = mapped_column(ID)
    address: Mapped[str] = mapped_column(String(4000))
    label: Mapped[str | None] = mapped_column(String(20))
    is_default: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SignInKey(TenantScoped, Base):
    """A key the merchant's server signs members' sign-in links with
    (jifen.members.sign_in_links). The secret is kept encrypted: it is needed to check a
    link's signature, so it cannot be a digest."""

    __tablename__ = "sign_in_keys"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)  # public, in every link
    secret_encrypted: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SignInNonce(TenantScoped, Base):
    """A sign-in link's nonce, kept until the link expires so that it opens the mall once."""

    __tablename__ = "sign_in_nonces"

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class CardCode(TenantScoped, Base):
    """A member card's code (jifen.members.cards): kept as its keyed hash, for the minute
    it lives, and marked when a point of sale has used it."""

    __tablename__ = "member_card_codes"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "member_id"], ["members.tenant_id", "members.id"]),
    )

    digest: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    member_id: Mapped[uuid.UUID] = mapped_column(ID)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SignInCode(TenantScoped, Base):
    """A one-time sign-in code sent to a phone or an email (jifen.members.sign_in_codes):
    the code kept encrypted until it is sent and as its keyed hash to check it, the
    member its address belongs to (None: nobody's here), and the tries made."""

    __tablename__ = "sign_in_codes"

    id: Mapped[uuid.UUID] = mapped_column(ID, primary_key=True)
    channel: Mapped[str] = mapped_column(String(8))  # "sms" or "email"
    to_encrypted: Mapped[str] = mapped_column(String(512))
    member_id: Mapped[uuid.UUID | None] = mapped_column(ID)
    code_encrypted: Mapped[str] = mapped_column(String(255))
    code_digest: Mapped[bytes] = mapped_column(LargeBinary(32))
    locale: Mapped[str] = mapped_column(String(8))  # the language it was asked for in
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

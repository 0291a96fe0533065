"""Members and their tags."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    Date,
    ForeignKeyConstraint,
    Index,
    LargeBinary,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from jifen.db import Base, TenantScoped
from jifen.types import ID, UTCDateTime, new_id

STATUSES = ("active", "frozen", "erased")


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
    )

    id: Mapped[uuid.UUID] = mapped_column(ID, primary_key=True, default=new_id)
    external_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str | None] = mapped_column(String(100))
    phone_encrypted: Mapped[str | None] = mapped_column(String(255))
    phone_lookup: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    email_encrypted: Mapped[str | None] = mapped_column(String(512))
    email_lookup: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    birthday: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

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

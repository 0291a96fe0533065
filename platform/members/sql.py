"""Core statements for the members hot path; each takes its tenant explicitly."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from jifen.db import writing_for
from jifen.members.models import Member, MemberTag

_MEMBERS = Member.__table__
_TAGS = MemberTag.__table__
_INSERT_MEMBER = insert(_MEMBERS)
_INSERT_TAG = insert(_TAGS)


def _row(obj: Any) -> dict[str, Any]:
    return {column.key: getattr(obj, column.key) for column in obj.__table__.columns}


def insert_member(session: Session, member: Member) -> None:
    """Insert a new (transient) member and its tags: registration is the API's busiest
    write, and a Core INSERT costs half of the ORM's unit of work for one row."""
    connection = writing_for(session, member.tenant_id)
    connection.execute(_INSERT_MEMBER, _row(member))
    if member.tag_rows:
        connection.execute(_INSERT_TAG, [_row(tag) for tag in member.tag_rows])

"""Member schemas: what the API accepts and returns."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from jifen.members.models import STATUSES
from jifen.types import Text

MAX_TAGS = 20


class Tag(Text):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(min_length=1, max_length=32, **kwargs)


class MemberCreate(Schema):
    external_id = Text(
        required=True,
        min_length=1,
        max_length=128,
        metadata={"description": "The merchant's own id for this member (e.g. an OpenID)."},
    )
    name = Text(max_length=100, allow_none=True)
    phone = Text(max_length=32, allow_none=True)
    email = Text(max_length=254, allow_none=True)
    birthday = fields.Date(allow_none=True)
    tags = fields.List(Tag(), validate=validate.Length(max=MAX_TAGS))


class MemberUpdate(MemberCreate):
    external_id = Text(min_length=1, max_length=128)
    status = fields.String(validate=validate.OneOf(["active", "frozen"]))


class Member(Schema):
    id = fields.UUID()
    external_id = fields.String()
    name = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    birthday = fields.Date(allow_none=True)
    tags = fields.List(fields.String())
    status = fields.String(metadata={"enum": list(STATUSES)})
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class MemberQuery(Schema):
    external_id = Text(min_length=1, max_length=128)
    phone = Text(max_length=32)
    email = Text(max_length=254)
    tag = Tag()
    name = Text(min_length=1, max_length=100)
    status = fields.String(validate=validate.OneOf(STATUSES))
    cursor = Text(max_length=64)
    limit = fields.Integer(strict=False, validate=validate.Range(min=1, max=200), load_default=50)


class MemberPage(Schema):
    items = fields.List(fields.Nested(Member))
    next_cursor = fields.String(allow_none=True)

"""Keyset pagination: the opaque cursor a list returns for its next page, and the query
and page shape every list shares (`PageQuery`, `page_schema`).

A page is read in a fixed order and the cursor holds the sort key of its last row (its
keyset position), so rows added meanwhile never shift the next page. The key's parts
are integers (8 bytes, signed, big-endian), UUIDs (their 16 bytes), instants (their
microseconds since 1970 in UTC, as an integer) and text (2 bytes of length, then
UTF-8), concatenated and written in URL-safe base64 without padding.

A cursor also names its list: in a request, it starts with 4 bytes of the hash of the
route's endpoint. Another list's cursor whose key has the same layout (a bare id, say)
is then refused like any other cursor this list did not return, instead of paging this
list from a foreign position.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from flask import has_request_context, request
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import ColumnElement, Select, and_, or_

from jifen.errors import JifenError
from jifen.i18n import N_
from jifen.types import Text, refuse_unstorable_text

Row = TypeVar("Row")
KeyPart = int | uuid.UUID | datetime | str
_INT_BYTES = 8
_LENGTH_BYTES = 2
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_CURSOR = 512
_SCOPE_BYTES = 4


class InvalidCursor(JifenError):
    code = "invalid_cursor"
    status = 422
    message = N_("The cursor is not one this API returned.")


def _int_bytes(number: int) -> bytes:
    return number.to_bytes(_INT_BYTES, "big", signed=True)


def _part_bytes(part: KeyPart) -> bytes:
    if isinstance(part, uuid.UUID):
        return part.bytes
    if isinstance(part, datetime):
        return _int_bytes((part - _EPOCH) // timedelta(microseconds=1))
    if isinstance(part, str):
        text = part.encode()
        return len(text).to_bytes(_LENGTH_BYTES, "big") + text
    return _int_bytes(part)


def _scope_tag() -> bytes:
    """The tag of the list this request reads (see the module's docstring); none outside
    a request."""
    if not has_request_context() or request.endpoint is None:
        return b""
    return _tag(request.endpoint)


@functools.cache
def _tag(endpoint: str) -> bytes:
    return hashlib.blake2b(endpoint.encode(), digest_size=_SCOPE_BYTES).digest()


def encode_cursor(*position: KeyPart) -> str:
    """The cursor of a keyset position, e.g. `encode_cursor(product.sort_order, product.id)`."""
    raw = _scope_tag() + b"".join(_part_bytes(part) for part in position)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _read_part(raw: bytes, offset: int, kind: type[KeyPart]) -> tuple[KeyPart, int]:
    """The part of type `kind` at `offset` in `raw`, and the offset after it."""
    if kind is str:
        end = offset + _LENGTH_BYTES
        if end > len(raw):
            raise InvalidCursor()
        offset, end = end, end + int.from_bytes(raw[offset:end], "big")
    else:
        end = offset + (16 if kind is uuid.UUID else _INT_BYTES)
    if end > len(raw):
        raise InvalidCursor()
    chunk = raw[offset:end]
    if kind is uuid.UUID:
        return uuid.UUID(bytes=chunk), end
    if kind is str:
        return chunk.decode(), end
    number = int.from_bytes(chunk, "big", signed=True)
    if kind is datetime:
        return _EPOCH + timedelta(microseconds=number), end
    return number, end


def decode_cursor(cursor: str, *shape: type[KeyPart]) -> tuple[Any, ...]:
    """The keyset position in `cursor`, its parts of the types in `shape`, in order.

    Raises InvalidCursor when `cursor` does not hold a position of that shape.
    """
    tag = _scope_tag()
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        if not raw.startswith(tag):
            raise InvalidCursor()
        parts: list[KeyPart] = []
        offset = len(tag)
        for kind in shape:
            part, offset = _read_part(raw, offset, kind)
            if isinstance(part, str):
                refuse_unstorable_text(part)
            parts.append(part)
    # binascii.Error and non-ASCII text are ValueErrors, as is undecodable UTF-8; an
    # instant past year 9999 overflows.
    except (ValueError, OverflowError, ValidationError):
        raise InvalidCursor() from None
    if offset != len(raw):
        raise InvalidCursor()
    return tuple(parts)


def page_of(
    rows: Sequence[Row], limit: int, position: Callable[[Row], tuple[KeyPart, ...]]
) -> tuple[list[Row], str | None]:
    """A page from the rows read for it (up to `limit + 1`, one more than a page, to learn
    whether another page follows) and the next page's cursor, None on the last page."""
    if len(rows) <= limit:
        return list(rows), None
    return list(rows[:limit]), encode_cursor(*position(rows[limit - 1]))


def beyond(
    columns: Sequence[ColumnElement[Any]], position: Sequence[Any], *, descending: bool = False
) -> ColumnElement[bool]:
    """The condition for rows past `position` in the order of `columns` (all ascending, or
    all descending): spelled out rather than as a row-value comparison, which not every
    engine can match to an index."""
    return or_(
        *(
            and_(
                *(
                    earlier == value
                    for earlier, value in zip(columns[:i], position[:i], strict=True)
                ),
                columns[i] < position[i] if descending else columns[i] > position[i],
            )
            for i in range(len(columns))
        )
    )


def read_page(
    fetch: Callable[[Select[Any]], Iterable[Any]],
    query: Select[Any],
    columns: Sequence[Any],
    shape: Sequence[type[KeyPart]],
    limit: int,
    cursor: str | None,
    *,
    descending: bool = False,
) -> tuple[list[Any], str | None]:
    """A page of `query`'s rows (read by `fetch`: `session.scalars` for objects,
    `connection.execute` for rows) in the order of `columns`, whose values are of the
    types in `shape` and unique together, starting past the position in `cursor`."""
    if cursor is not None:
        query = query.where(beyond(columns, decode_cursor(cursor, *shape), descending=descending))
    ordering = [column.desc() if descending else column for column in columns]
    rows = list(fetch(query.order_by(*ordering).limit(limit + 1)))
    return page_of(rows, limit, lambda row: tuple(getattr(row, c.key) for c in columns))


def page_in_memory(
    items: Sequence[Row],
    limit: int,
    cursor: str | None,
    position: Callable[[Row], tuple[Any, ...]],
    *shape: type[KeyPart],
) -> tuple[list[Row], str | None]:
    """A page of a list already in memory in ascending order of `position` (what installed
    plugins provide), paged by the same cursors as a table."""
    start = decode_cursor(cursor, *shape) if cursor is not None else None
    rest = [item for item in items if start is None or position(item) > start]
    return page_of(rest[: limit + 1], limit, position)


def page(items: Sequence[Any], next_cursor: str | None) -> dict[str, Any]:
    """The answer of a list: a page of items and the cursor of the next page."""
    return {"items": items, "next_cursor": next_cursor}


def limit_field(most: int) -> fields.Integer:
    """A list's `limit`: 1 to `most` items, 50 when not given."""
    return fields.Integer(
        strict=False,
        validate=validate.Range(min=1, max=most),
        load_default=50,
        metadata={"description": "At most this many items."},
    )


class PageQuery(Schema):
    """The query of every list: where to start, and how many. A list's filters extend it."""

    cursor = Text(
        max_length=MAX_CURSOR,
        metadata={"description": "The previous page's `next_cursor`; none for the first page."},
    )
    limit = limit_field(100)


def page_schema(item: type[Schema], name: str) -> type[Schema]:
    """The answer of a list of `item`: `{items, next_cursor}`, named `name` in OpenAPI."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item)),
            "next_cursor": fields.String(
                allow_none=True,
                metadata={"description": "Pass as `cursor` for the next page; null on the last."},
            ),
        },
        name=name,
    )

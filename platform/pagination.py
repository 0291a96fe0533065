"""Keyset pagination: the opaque cursor a list returns for its next page.

A page is read in a fixed order and the cursor holds the sort key of its last row (its
keyset position), so rows added meanwhile never shift the next page. The key's parts
are integers (8 bytes, signed, big-endian) and UUIDs (their 16 bytes), concatenated and
written in URL-safe base64 without padding.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from jifen.errors import JifenError
from jifen.i18n import N_

Row = TypeVar("Row")
KeyPart = int | uuid.UUID
_INT_BYTES = 8
_WIDTHS: dict[type, int] = {int: _INT_BYTES, uuid.UUID: 16}


class InvalidCursor(JifenError):
    code = "invalid_cursor"
    status = 422
    message = N_("The cursor is not one this API returned.")


def encode_cursor(*position: KeyPart) -> str:
    """The cursor of a keyset position, e.g. `encode_cursor(product.sort_order, product.id)`."""
    raw = b"".join(
        part.bytes if isinstance(part, uuid.UUID) else part.to_bytes(_INT_BYTES, "big", signed=True)
        for part in position
    )
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, *shape: type[KeyPart]) -> tuple[Any, ...]:
    """The keyset position in `cursor`, its parts of the types in `shape`, in order.

    Raises InvalidCursor when `cursor` does not hold a position of that shape.
    """
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except ValueError:  # binascii.Error too, and non-ASCII text
        raise InvalidCursor() from None
    if len(raw) != sum(_WIDTHS[kind] for kind in shape):
        raise InvalidCursor()
    parts: list[KeyPart] = []
    offset = 0
    for kind in shape:
        chunk = raw[offset : offset + _WIDTHS[kind]]
        offset += _WIDTHS[kind]
        if kind is uuid.UUID:
            parts.append(uuid.UUID(bytes=chunk))
        else:
            parts.append(int.from_bytes(chunk, "big", signed=True))
    return tuple(parts)


def page_of(
    rows: Sequence[Row], limit: int, position: Callable[[Row], tuple[KeyPart, ...]]
) -> tuple[list[Row], str | None]:
    """A page from the rows read for it (up to `limit + 1`, one more than a page, to learn
    whether another page follows) and the next page's cursor, None on the last page."""
    if len(rows) <= limit:
        return list(rows), None
    return list(rows[:limit]), encode_cursor(*position(rows[limit - 1]))

"""The one cursor pager every list uses: opaque cursors holding a keyset position."""

import base64
import uuid
from datetime import UTC, datetime

import pytest

from jifen.pagination import (
    InvalidCursor,
    decode_cursor,
    encode_cursor,
    page_in_memory,
    page_of,
)

ID = uuid.UUID("0190f5a4-5b7e-7c3d-8a2b-1234567890ab")


@pytest.mark.parametrize(
    ("position", "shape"),
    [
        ((ID,), (uuid.UUID,)),
        ((-3, ID), (int, uuid.UUID)),
        ((2**63 - 1,), (int,)),
        ((0,), (int,)),
        ((0, "杯子", ID), (int, str, uuid.UUID)),
        (("", ID), (str, uuid.UUID)),
        ((datetime(2026, 3, 1, 8, 30, 0, 123456, tzinfo=UTC), ID), (datetime, uuid.UUID)),
        ((datetime(1, 1, 1, tzinfo=UTC),), (datetime,)),
    ],
)
def test_a_cursor_gives_back_the_position_it_was_made_from(position, shape):
    assert decode_cursor(encode_cursor(*position), *shape) == position


def test_a_cursor_is_url_safe_base64_of_the_keys_bytes_without_padding():
    # The format members, orders and products returned before the pager was shared.
    assert encode_cursor(ID) == base64.urlsafe_b64encode(ID.bytes).decode().rstrip("=")
    assert encode_cursor(1, ID) == (
        base64.urlsafe_b64encode((1).to_bytes(8, "big") + ID.bytes).decode().rstrip("=")
    )


@pytest.mark.parametrize("cursor", ["nonsense", "!!!!", "AAAA", "a" * 64, "=", "\u00e9\u00e9", ""])
def test_a_cursor_of_another_shape_or_no_cursor_at_all_is_invalid(cursor):
    with pytest.raises(InvalidCursor) as raised:
        decode_cursor(cursor, uuid.UUID)
    assert (raised.value.code, raised.value.status) == ("invalid_cursor", 422)


def test_a_product_cursor_is_not_a_member_cursor():
    with pytest.raises(InvalidCursor):
        decode_cursor(encode_cursor(1, ID), uuid.UUID)


def test_a_page_has_a_next_cursor_only_when_a_row_follows_it():
    rows = list(range(10, 0, -1))
    assert page_of(rows[:3], 3, lambda row: (row,)) == ([10, 9, 8], None)
    page, cursor = page_of(rows[:4], 3, lambda row: (row,))
    assert page == [10, 9, 8]
    assert decode_cursor(cursor, int) == (8,)


@pytest.mark.parametrize(
    ("cursor", "shape"),
    [
        (encode_cursor(2**62, ID), (datetime, uuid.UUID)),  # past the year 9999
        (encode_cursor("a\x00b", ID), (str, uuid.UUID)),  # NUL, which PostgreSQL refuses
        (base64.urlsafe_b64encode(b"\x00\x02\xff\xfe").decode(), (str,)),  # not UTF-8
        (base64.urlsafe_b64encode(b"\x00\x09abc").decode(), (str,)),  # shorter than said
        (encode_cursor("abc", ID), (str,)),  # bytes left over
    ],
)
def test_a_forged_position_is_invalid_before_it_reaches_a_query(cursor, shape):
    with pytest.raises(InvalidCursor):
        decode_cursor(cursor, *shape)


def test_a_list_in_memory_pages_by_the_same_cursors():
    names = ["a", "b", "c", "d", "e"]
    seen, cursor = [], None
    while True:
        page, cursor = page_in_memory(names, 2, cursor, lambda name: (name,), str)
        seen += page
        if cursor is None:
            break
    assert seen == names

"""An entry's or hold's memo, as the ledger keeps it.

What a person typed (an adjustment's reason, a merchant's memo, a product's name) is
kept and shown as written. What the platform writes is a `jifen.i18n.Message`
("lottery prize: %(prize)s"): its text as written (English) goes to the `memo` column,
which exports, logs and rows written before memos were translated read, and its id and
parameters to `memo_message`, so that an entry read back is shown in the reader's
language.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jifen.i18n import Message

MAX_TEXT = 255  # the `memo` column's length


def columns(memo: str | None) -> dict[str, Any]:
    """The memo's columns of an entry's or a hold's row, its text cut to the column (a
    message's full text is rendered from its parameters when read)."""
    return {
        "memo": None if memo is None else memo[:MAX_TEXT],
        "memo_message": memo.data() if isinstance(memo, Message) else None,
    }


def of(row: Mapping[Any, Any]) -> str | None:
    """The memo of a row with these columns: its message when it kept one, else its text."""
    return Message.read(row["memo_message"]) if row["memo_message"] else row["memo"]

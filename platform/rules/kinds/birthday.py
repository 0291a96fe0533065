"""`birthday`: emitted by the birthday job only (see `rules.birthdays`), never sent by a
merchant; the birthday rule decides which of these pays."""

from __future__ import annotations

from jifen.rules.kinds.base import Kind


class Birthday(Kind):
    emitted_only = True

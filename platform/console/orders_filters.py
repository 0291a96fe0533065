"""The orders list's filters, read from its query: a status, words of the product's
name, the member (the merchant's user id for them, their phone number, or our id), and
the days they were placed between (the tenant's days, both included).

The same query names the list's page, its next page and its export, so what a filter
was given is kept as typed (`values`) beside what the search takes (`search`).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from marshmallow import ValidationError
from sqlalchemy.orm import Session

from jifen.errors import ValidationFailed
from jifen.i18n import N_, translate
from jifen.keyring import Keyring
from jifen.mall.models import ORDER_STATUSES
from jifen.members import service as members
from jifen.types import refuse_unstorable_text

FIELDS = ("status", "product", "member", "placed_from", "placed_until")
LONGEST = {"product": 100, "member": 128}
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass
class OrderFilters:
    """What the filters were given (`values`, non-blank ones only), what the search
    takes (`search`), and what was wrong, by field (`problems`)."""

    values: dict[str, str] = field(default_factory=dict)
    search: dict[str, Any] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)


def read_filters(args: Mapping[str, str], session: Session, keyring: Keyring) -> OrderFilters:
    """The filters in a query (anything a client sends: each is checked)."""
    given = {name: str(args.get(name, "")).strip() for name in FIELDS}
    found = OrderFilters(values={name: value for name, value in given.items() if value})
    for name, value in given.items():
        if value and len(value) > LONGEST.get(name, 10):
            found.problems[name] = translate(
                N_("At most %(length)s characters."), {"length": LONGEST.get(name, 10)}
            )
        try:
            refuse_unstorable_text(value)
        except ValidationError:  # a NUL the database would choke on, say
            found.problems[name] = translate(N_("Contains a character that is not allowed."))
    if found.problems:
        return found
    if given["status"]:
        if given["status"] in ORDER_STATUSES:
            found.search["status"] = given["status"]
        else:
            found.problems["status"] = translate(N_("Choose one."))
    if given["product"]:
        found.search["product_named"] = given["product"]
    if given["member"]:
        member_id = _member(session, keyring, given["member"])
        if member_id is None:
            found.problems["member"] = translate(N_("No member has this user id or phone number."))
        found.search["member_id"] = member_id
    for name in ("placed_from", "placed_until"):
        if given[name]:
            day = _day(given[name])
            if day is None:
                found.problems[name] = translate(N_("A date is written YYYY-MM-DD."))
            found.search[name] = day
    first, last = found.search.get("placed_from"), found.search.get("placed_until")
    if first is not None and last is not None and first > last:
        found.problems["placed_until"] = translate(N_("This day comes before the first."))
    return found


def _day(text: str) -> date | None:
    if not _DAY.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:  # 2024-02-30
        return None


def _member(session: Session, keyring: Keyring, text: str) -> uuid.UUID | None:
    """The member the text names: the merchant's user id for them, our id for them (a
    link from their page), or their phone number."""
    found, _ = members.search_members(session, keyring=keyring, external_id=text, limit=1)
    if found:
        return found[0].id
    try:
        return uuid.UUID(text)
    except ValueError:
        pass
    try:
        found, _ = members.search_members(session, keyring=keyring, phone=text, limit=1)
    except ValidationFailed:  # not a phone number either
        return None
    return found[0].id if found else None

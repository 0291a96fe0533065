"""Reading the catalog's forms: each input's text into what a service takes (a whole
number, an amount of money, an instant in the tenant's zone), a refusal beside the
input it is about, and a service's refusal spread onto the inputs it names.

A `Reader` keeps what was typed, to show a refused form again as it was, and one
problem per input. Nothing a client posts raises: a value that is no text (a file
where text was expected) reads as empty, and long texts are cut to a bound before
any work is done on them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any

from jifen.console.schema_fields import Money
from jifen.errors import JifenError
from jifen.field_messages import field_messages, rendered
from jifen.i18n import N_, Message

# What a refused form shows again of any one input, at most: enough for every text a
# schema takes (a description is 4,000 characters), little enough to render.
MAX_SHOWN = 5_000
_WHOLE = re.compile(r"[+-]?[0-9]{1,16}")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]{1,16}(?:\.[0-9]{0,12})?|\.[0-9]{1,12})")
_MOMENT = 32  # no date and time an input sends is longer

NOT_AN_INTEGER = N_("Not a valid integer.")
NOT_A_NUMBER = N_("Not a valid number.")
NOT_A_TIME = N_("Not a valid datetime.")
CHOOSE_ONE = N_("Choose one.")


class Reader:
    """The inputs of a posted form, read one at a time: `values` holds what each showed,
    `problems` why one could not be read (the reader's language)."""

    def __init__(self, form: Mapping[str, Any], *, zone: tzinfo, currency: str) -> None:
        self.form = form
        self.zone = zone
        self.currency = currency
        self.values: dict[str, Any] = {}
        self.problems: dict[str, str] = {}

    def text(self, name: str) -> str:
        """The input's text, line ends as `\\n` (a browser sends `\\r\\n`)."""
        value = self.form.get(name, "")
        text = value[:MAX_SHOWN].replace("\r\n", "\n") if isinstance(value, str) else ""
        self.values[name] = text
        return text

    def checked(self, name: str) -> bool:
        """Whether the checkbox was ticked."""
        self.values[name] = name in self.form
        return name in self.form

    def choice(self, name: str, choices: Any) -> str | None:
        """One of `choices`; None (refused) for anything else, blank included."""
        text = self.text(name).strip()
        if text in choices:
            return text
        self.refuse(name, Message(CHOOSE_ONE))
        return None

    def whole(self, name: str) -> int | None:
        """A whole number; None when blank (or refused: see `problems`)."""
        text = self.text(name).strip()
        if not text:
            return None
        if _WHOLE.fullmatch(text):
            return int(text)
        self.refuse(name, Message(NOT_AN_INTEGER))
        return None

    def money(self, name: str, currency: str | None = None) -> int | None:
        """An amount typed in major units (12.50), in minor units of `currency` (the
        tenant's unless given); None when blank or refused."""
        money = Money(currency or self.currency)
        text = self.text(name).strip()
        if not text:
            return None
        if not _DECIMAL.fullmatch(text):
            self.refuse(name, Message(NOT_A_NUMBER))
            return None
        minor = money.minor(Decimal(text))
        if minor != minor.to_integral_value():
            places = {"currency": money.currency, "places": money.places}
            message = N_("%(currency)s amounts have at most %(places)s decimal places.")
            self.refuse(name, Message(message, places))
            return None
        return int(minor)

    def moment(self, name: str) -> datetime | None:
        """A date and time as a `datetime-local` input sends it, in the tenant's zone;
        None when blank or refused."""
        text = self.text(name).strip()
        if not text:
            return None
        try:
            moment = datetime.fromisoformat(text[:_MOMENT])
        except ValueError:
            self.refuse(name, Message(NOT_A_TIME))
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self.zone)
        return moment

    def refuse(self, name: str, message: Message) -> None:
        """Say why `name` cannot be taken (the first reason stands)."""
        self.problems.setdefault(name, message.translated())


def money_text(minor: int | None, currency: str | None) -> str:
    """An amount as its input shows it (major units), blank for none."""
    return "" if minor is None or currency is None else Money(currency).major(minor)


def local_text(moment: datetime | None, zone: tzinfo) -> str:
    """An instant as a `datetime-local` input holds it: the wall-clock time in `zone`."""
    if moment is None:
        return ""
    return moment.astimezone(zone).replace(tzinfo=None).isoformat(timespec="minutes")


def whole_text(number: int | None) -> str:
    return "" if number is None else str(number)


def problems_in(
    messages: Any, *, prefix: str = "", renames: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Messages (marshmallow's, or a refusal's details) by the input each is about: a
    nested field's input is named by its path (`coupon-amount_off`,
    `lottery-prizes-0-weight`); a path starting with a key of `renames` starts with
    its value instead. Values that are no messages (ids, codes) are left out."""
    found: dict[str, str] = {}
    renames = renames or {}
    pending: list[tuple[str, Any]] = [(prefix, messages)]
    while pending:
        name, node = pending.pop()
        if isinstance(node, Mapping):
            for key, inner in node.items():
                part = renames.get(str(key), str(key)) if not name else str(key)
                pending.append((f"{name}-{part}" if name else part, inner))
        elif isinstance(node, list | tuple) and node and all(isinstance(m, str) for m in node):
            texts = rendered(field_messages(list(node)))
            found[name] = " ".join([found[name], *texts] if name in found else texts)
        elif isinstance(node, list | tuple):
            pending.extend((f"{name}-{i}", inner) for i, inner in enumerate(node))
        elif isinstance(node, Message):
            found[name] = node.translated()
    return found


def refusal_problems(
    error: JifenError, *, default_field: str, renames: Mapping[str, str] | None = None
) -> dict[str, str]:
    """A service's refusal by input: its details' messages where they name fields,
    else its own message on `default_field`."""
    details = error.details if isinstance(error.details, Mapping) else {}
    found = {
        name: text
        for name, text in problems_in(details, renames=renames).items()
        if name  # a message about nothing in particular is the refusal's own
    }
    return found or {default_field: error.translated()}

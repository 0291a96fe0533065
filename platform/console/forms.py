"""A refused form's messages, each beside its field: what a service's error says about
each field, in the reader's language."""

from __future__ import annotations

from jifen.errors import JifenError
from jifen.field_messages import rendered
from jifen.i18n import Message


def problems_of(error: JifenError, *, default_field: str) -> dict[str, str]:
    """The error's message for each field it names (`details` holding messages); the
    error's own message on `default_field` where it names none."""
    found: dict[str, str] = {}
    details = error.details if isinstance(error.details, dict) else {}
    for field, said in details.items():
        messages = said if isinstance(said, list) else [said]
        if messages and all(isinstance(message, Message) for message in messages):
            found[str(field)] = " ".join(rendered(messages))
    if not found:
        found[default_field] = error.translated()
    return found

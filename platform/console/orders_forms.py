"""What the forms of the orders' and reviews' pages share: the staff as the services'
actor, and a posted form read and loaded by the API's own schema, its problems by
field in the reader's language."""

from __future__ import annotations

from typing import Any

from flask import request
from marshmallow import Schema, ValidationError

from jifen.audit import Actor
from jifen.console.access import current
from jifen.console.forms import problems_of
from jifen.errors import ValidationFailed
from jifen.field_messages import field_messages
from jifen.i18n import N_
from jifen.web import request_actor

# marshmallow's word for a required field left out: a blank input, to a person.
MISSING = "Missing data for required field."
REQUIRED = N_("Required.")


def actor() -> Actor:
    """The signed-in staff member, as the services record who acted."""
    return request_actor("user", str(current().user.id))


def posted(names: tuple[str, ...]) -> dict[str, str]:
    """The posted form's values for `names` (missing ones blank)."""
    return {name: request.form.get(name, "") for name in names}


def _by_field(error: ValidationError) -> dict[str, Any]:
    """The error's messages by field (a schema's loads always give a mapping)."""
    messages: dict[str, Any] = error.messages if isinstance(error.messages, dict) else {}
    return messages


def load(schema: Schema, data: dict[str, str], prefix: str = "") -> tuple[Any, dict[str, str]]:
    """The form's data loaded by the schema (blank fields left out, so that optional
    ones take their default), or None and its problems by field, `prefix` before each
    field's name (where a page has two forms with the same fields)."""
    try:
        return schema.load({name: value for name, value in data.items() if value.strip()}), {}
    except ValidationError as error:
        said = {
            name: [REQUIRED if text == MISSING else text for text in texts]
            if isinstance(texts, list)
            else texts
            for name, texts in _by_field(error).items()
        }
        refused = ValidationFailed(details=field_messages(said))
        found = problems_of(refused, default_field=next(iter(data)))
        return None, {f"{prefix}{name}": message for name, message in found.items()}

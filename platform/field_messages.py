"""What an error's `details` says about each field, in the reader's language.

A refused field's messages come from marshmallow's fields, validators and schemas, from
ours, and from the plugins' `Params` schemas. marshmallow writes its own as English
text, formatting a validator's template (`"Length must be between {min} and {max}."`)
before raising, in classes every plugin uses directly; so where a refusal takes them
into its details (`field_messages`), each is made the `jifen.i18n.Message` it stands
for, and an error's details are rendered when answered (`rendered`): its messages in
the reader's language, everything else (ids, codes, names, what the client sent) as it
is, whatever it reads.

- marshmallow's messages are the message ids below, `{min}` written `%(min)s`: a text
  is read back as the id it was formatted from and its parameters, and rendered in the
  reader's language (the English rendering is the text marshmallow wrote, unchanged);
- our own are `jifen.i18n.Message`s (`Message(N_("..."))`, with parameters where they
  have them) in a domain error's details; in a ValidationError (marshmallow keeps the
  objects it is given) a Message, or a message id marked with `N_` that is a sentence
  ending in a full stop;
- a text no catalog has, an outside plugin's own, reads as written.

The structure of the details (fields, indexes, nested schemas) is kept as it is.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any

from babel.messages.mofile import read_mo

from jifen.i18n import CATALOGS, N_, Message

# The messages marshmallow can give a client of this API, as the fields and validators
# the schemas use write them. A template's `{name}` is `%(name)s` here; the datetime
# fields' and Range's templates are written out as they are formatted
# ("Not a valid {obj_type}.", "Must be {min_op} {{min}}.").
MARSHMALLOW = (
    # Schema and every field
    N_("Invalid input type."),
    N_("Unknown field."),
    N_("Missing data for required field."),
    N_("Field may not be null."),
    N_("Invalid value."),
    # fields
    N_("Not a valid string."),
    N_("Not a valid integer."),
    N_("Not a valid number."),
    N_("Number too large."),
    N_("Special numeric values (nan or infinity) are not permitted."),
    N_("Not a valid boolean."),
    N_("Not a valid UUID."),
    N_("Not a valid datetime."),
    N_("Not a valid aware datetime."),
    N_("Not a valid date."),
    N_("Not a valid mapping type."),
    N_("Not a valid list."),
    N_("Invalid type."),
    N_("Not a valid URL."),
    # validators
    N_("Must be greater than or equal to %(min)s and less than or equal to %(max)s."),
    N_("Must be greater than or equal to %(min)s and less than %(max)s."),
    N_("Must be greater than %(min)s and less than or equal to %(max)s."),
    N_("Must be greater than %(min)s and less than %(max)s."),
    N_("Must be greater than or equal to %(min)s."),
    N_("Must be greater than %(min)s."),
    N_("Must be less than or equal to %(max)s."),
    N_("Must be less than %(max)s."),
    N_("Length must be between %(min)s and %(max)s."),
    N_("Shorter than minimum length %(min)s."),
    N_("Longer than maximum length %(max)s."),
    N_("Length must be %(equal)s."),
    N_("Must be one of: %(choices)s."),
    N_("String does not match expected pattern."),
)

_PARAMETER = re.compile(r"%\((\w+)\)s")


def one_of(choices: Iterable[str]) -> Message:
    """Our message for a value that is none of `choices`, where a check of our own (not
    marshmallow's OneOf) refuses it."""
    return Message(N_("One of %(choices)s."), {"choices": ", ".join(choices)})


def _pattern(template: str) -> re.Pattern[str]:
    """What `template` reads once formatted: its text, each parameter any text."""
    literals = _PARAMETER.split(template)[::2]
    names = _PARAMETER.findall(template)
    parts = [re.escape(literals[0])]
    for name, literal in zip(names, literals[1:], strict=True):
        parts += [f"(?P<{name}>.+)", re.escape(literal)]
    return re.compile("".join(parts), re.DOTALL)


# The templates with parameters, the most written text first: "Must be greater than
# %(min)s." also reads "Must be greater than or equal to 1.", whose own template has
# more text and so is tried before it.
_TEMPLATES = tuple(
    (template, _pattern(template))
    for template in sorted(
        (t for t in MARSHMALLOW if _PARAMETER.search(t)),
        key=lambda t: len(_PARAMETER.sub("", t)),
        reverse=True,
    )
)
# The text each template begins with, before any parameter.
_PREFIXES = tuple(_PARAMETER.split(template)[0] for template, _ in _TEMPLATES)


def as_message(text: str) -> str:
    """One of marshmallow's messages as the `Message` it stands for: read back as its
    template and parameters, or as a message id of ours; any other text (an outside
    plugin's own) as it is."""
    if isinstance(text, Message):
        return text
    if text.startswith(_PREFIXES):
        for template, pattern in _TEMPLATES:
            found = pattern.fullmatch(text)
            if found:
                return Message(template, found.groupdict())
    return Message(text) if text in _message_ids() else text


@functools.cache
def _message_ids() -> frozenset[str]:
    """The catalogs' sentences (the English catalog holds every id): our messages that a
    ValidationError may carry as plain text."""
    with (CATALOGS / "en" / "LC_MESSAGES" / "messages.mo").open("rb") as compiled:
        return frozenset(
            m.id for m in read_mo(compiled) if isinstance(m.id, str) and m.id.endswith(".")
        )


def field_messages(messages: Any) -> Any:
    """marshmallow's messages (a ValidationError's, or webargs' for a request) with each
    message as a `Message`, in the same structure: what a refusal's details hold."""
    if isinstance(messages, str):
        return as_message(messages)
    if isinstance(messages, dict):
        return {key: field_messages(value) for key, value in messages.items()}
    if isinstance(messages, list | tuple):
        return [field_messages(value) for value in messages]
    return messages


def rendered(details: Any) -> Any:
    """An error's details as the reader sees them: each `Message` in the reader's
    language, every other value (an id, a code, a name the client sent) as it is, in the
    same structure."""
    if isinstance(details, Message):
        return details.translated()
    if isinstance(details, dict):
        return {key: rendered(value) for key, value in details.items()}
    if isinstance(details, list | tuple):
        return [rendered(value) for value in details]
    return details

"""What the settings pages' forms share: reading whole numbers and ticked boxes from a
post, and a refusal's messages beside the inputs they are about."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from jifen.errors import JifenError, ValidationFailed
from jifen.field_messages import field_messages, rendered
from jifen.i18n import Message

# Longer than any number a setting takes: refused before it is read.
_DIGITS = re.compile(r"[0-9]{1,16}")


def whole(text: str, *, least: int, most: int) -> int | None:
    """The whole number `text` writes, if it is one from `least` to `most`."""
    text = text.strip()
    if not _DIGITS.fullmatch(text):
        return None
    number = int(text)
    return number if least <= number <= most else None


def ticked(form: Mapping[str, str], name: str) -> bool:
    """Whether a checkbox was ticked (a browser posts it only then)."""
    return form.get(name, "") not in ("", "0", "false")


def problems_in(details: Any) -> dict[str, str]:
    """Each message in a refusal's details (marshmallow's shape: fields, indexes and
    nested fields; or dotted keys, `tiers.0.window_days`) under its input's name
    (`tiers-0-window_days`), in the reader's language. What is no message (an id the
    client sent, a count) is left out."""
    return _flattened(field_messages(details), "")


def _flattened(details: Any, prefix: str) -> dict[str, str]:
    found: dict[str, str] = {}
    if isinstance(details, Mapping):
        for key, value in details.items():
            name = str(key).replace(".", "-")
            found |= _flattened(value, f"{prefix}-{name}" if prefix else name)
        return found
    said = details if isinstance(details, list | tuple) else [details]
    messages = [m for m in said if isinstance(m, Message)]
    if messages and prefix:
        found[prefix] = " ".join(rendered(messages))
    return found


def problems_of_error(error: JifenError, *, default_field: str) -> dict[str, str]:
    """A service's refusal by input: a validation error's messages beside their inputs,
    any other refusal's message on `default_field`."""
    found = problems_in(error.details) if isinstance(error, ValidationFailed) else {}
    return found or {default_field: error.translated()}

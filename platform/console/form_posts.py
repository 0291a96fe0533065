"""A posted form back into parameters: `parse(...)`, and errors beside their inputs.

Inputs are named flat, by their path: `points`, `streak_bonuses-0-day`,
`rates-1-key`. Reading a post builds the form's values (`jifen.console.form_values`),
turns each into what the schema loads (money from major into minor units, blank
optional fields left out so that their `load_default` applies), loads it, and maps
marshmallow's messages back onto the flat input names.

Two submit buttons edit the form instead of saving it, so that it works without
JavaScript: `_add` (its value a list's input name) adds a blank row to that list, and
`_remove` (its value a row's input name) removes the row; either way the form is shown
again, unsaved. On save, rows left blank are dropped.

Nothing a client posts raises: a row number that is no number, or beyond the rows a
list may have, is refused with a message on the list, and the work is bounded by the
number of inputs (at most `MAX_INPUTS`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Hashable, Mapping
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any, NamedTuple

from marshmallow import Schema, ValidationError

from jifen.console.form_values import Values, blank, is_blank, values_from
from jifen.console.schema_fields import FormField, Kind, Money
from jifen.field_messages import as_message
from jifen.i18n import N_, Message

# The key of errors about the form as a whole (not one of its inputs).
FORM = ""
# More inputs than this is no form of ours: refused before it is read.
MAX_INPUTS = 10_000
# Longer input names are not ours (a path is a few keys and row numbers).
MAX_NAME = 512
ADD = "_add"
REMOVE = "_remove"

_ROW_NUMBER = re.compile(r"0|[1-9][0-9]{0,5}")
_INTEGER = re.compile(r"[+-]?[0-9]{1,30}")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]{1,30}(?:\.[0-9]{0,30})?|\.[0-9]{1,30})")
_TIME = 64  # no date and time is longer; a longer text is refused by the schema as sent


class _Omitted:
    """A blank optional input: left out of the parameters."""


OMIT = _Omitted()

NOT_AN_INTEGER = N_("Not a valid integer.")
NOT_A_NUMBER = N_("Not a valid number.")
MISSING = N_("Missing data for required field.")


class Parsed(NamedTuple):
    """What a post gave: the loaded parameters (None unless they were saved: refused,
    or a row was added or removed), the errors by input name (`FORM` for the form as
    a whole), and the form's values to show it again."""

    params: dict[str, Any] | None
    errors: dict[str, list[str]]
    values: Values


def join(prefix: str, key: str) -> str:
    """An input's name under `prefix`."""
    return f"{prefix}-{key}" if prefix else key


def parse(
    fields: list[FormField],
    schema: Schema,
    formdata: Mapping[str, Any],
    money: Money,
    zone: tzinfo,
    prefix: str = "",
) -> Parsed:
    """The post `formdata` (a request's form) of the form of `fields`, loaded by `schema`
    (see the module's docstring)."""
    if len(formdata) > MAX_INPUTS:
        refused: dict[str, list[str]] = {FORM: [Message(N_("The form sent too many inputs."))]}
        return Parsed(None, refused, values_from(fields, None, money, zone))
    post = _Post(formdata, prefix)
    values = {f.key: post.read(f, join(prefix, f.key)) for f in fields}
    if post.editing or post.refused:
        return Parsed(None, post.refused, values)
    values = {f.key: _without_blank_rows(f, values[f.key]) for f in fields}
    return _Load(fields, money, zone, prefix).load(schema, values)


class _Post:
    """Reads a post into the form's values, adding or removing a row as asked."""

    def __init__(self, formdata: Mapping[str, Any], prefix: str) -> None:
        self.formdata = formdata
        self.add = _text(formdata.get(join(prefix, ADD)))
        self.remove = _text(formdata.get(join(prefix, REMOVE)))
        self.editing = join(prefix, ADD) in formdata or join(prefix, REMOVE) in formdata
        self.refused: dict[str, list[str]] = {}
        self.rows = _row_numbers(formdata)

    def read(self, f: FormField, name: str) -> Any:
        if f.kind is Kind.OBJECT:
            return {c.key: self.read(c, join(name, c.key)) for c in f.children}
        if f.kind in (Kind.LIST, Kind.MAPPING):
            return self._rows(f, name)
        if f.kind is Kind.BOOLEAN and not f.tristate:
            return name in self.formdata
        return _text(self.formdata.get(name))

    def _rows(self, f: FormField, name: str) -> list[Any]:
        assert f.item is not None
        most = f.max_length if f.max_length is not None else 0
        numbers = []
        for segment in self.rows.get(name, ()):
            if not _ROW_NUMBER.fullmatch(segment):
                _add_error(self.refused, name, Message(N_("Rows are numbered 0, 1, 2 and so on.")))
            elif int(segment) >= most:
                _add_error(self.refused, name, _at_most_rows(most))
            else:
                numbers.append(int(segment))
        rows = [
            self.read(f.item, join(name, str(number)))
            for number in sorted(numbers)
            if join(name, str(number)) != self.remove
        ]
        if self.add == name:
            if len(rows) < most:
                rows.append(blank(f.item))
            else:
                _add_error(self.refused, name, _at_most_rows(most))
        return rows


def _at_most_rows(most: int) -> Message:
    return Message(N_("At most %(max)s rows."), {"max": most})


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _row_numbers(formdata: Mapping[str, Any]) -> dict[str, dict[str, None]]:
    """Each name's next parts among the posted names (`streak_bonuses` -> 0, 1), found
    in one pass so that reading a list costs its rows, not the whole post."""
    found: dict[str, dict[str, None]] = {}
    for key in formdata:
        if not isinstance(key, str) or len(key) > MAX_NAME:
            continue
        parts = key.split("-")
        prefix = parts[0]
        for part in parts[1:]:
            found.setdefault(prefix, {})[part] = None
            prefix = f"{prefix}-{part}"
    return found


def _without_blank_rows(f: FormField, value: Any) -> Any:
    """The values with the rows nothing was entered in left out (a row added and not
    used is not an error)."""
    if f.kind is Kind.OBJECT and isinstance(value, dict):
        return {c.key: _without_blank_rows(c, value.get(c.key)) for c in f.children}
    if f.kind in (Kind.LIST, Kind.MAPPING) and f.item is not None and isinstance(value, list):
        rows = [_without_blank_rows(f.item, row) for row in value]
        return [row for row in rows if not is_blank(f.item, row)]
    return value


def _add_error(errors: dict[str, list[str]], name: str, message: str) -> None:
    found = errors.setdefault(name, [])
    if message not in found:
        found.append(message)


class _Load:
    """Turns the form's values into what the schema loads, loads them and places its
    messages beside the inputs."""

    def __init__(self, fields: list[FormField], money: Money, zone: tzinfo, prefix: str) -> None:
        self.fields = fields
        self.money = money
        self.zone = zone
        self.prefix = prefix
        # Inputs refused before loading: their messages stand instead of the schema's.
        self.invalid: dict[str, list[str]] = {}

    def load(self, schema: Schema, values: Values) -> Parsed:
        data = {}
        for f in self.fields:
            converted = self.convert(f, values.get(f.key), join(self.prefix, f.key))
            if converted is not OMIT:
                data[f.key] = converted
        params: dict[str, Any] | None = None
        errors: dict[str, list[str]] = {}
        try:
            params = schema.load(data)
        except ValidationError as error:
            errors = place_errors(self.fields, error.messages, values, self.prefix)
        errors.update(self.invalid)
        return Parsed(None if errors else params, errors, values)

    def convert(self, f: FormField, value: Any, name: str) -> Any:
        if f.kind is Kind.OBJECT:
            return self._object(f, value if isinstance(value, dict) else {}, name)
        if f.kind is Kind.LIST:
            return self._list(f, value if isinstance(value, list) else [], name)
        if f.kind is Kind.MAPPING:
            return self._mapping(f, value if isinstance(value, list) else [], name)
        if f.kind is Kind.BOOLEAN:
            return self._boolean(f, value)
        text = _text(value)
        if not text.strip():
            return OMIT
        return self._scalar(f, text, name)

    def _object(self, f: FormField, value: dict[str, Any], name: str) -> Any:
        if f.optional and f.key and is_blank(f, value):
            return OMIT
        converted = {}
        for child in f.children:
            found = self.convert(child, value.get(child.key), join(name, child.key))
            if found is not OMIT:
                converted[child.key] = found
        return converted

    def _list(self, f: FormField, rows: list[Any], name: str) -> Any:
        assert f.item is not None
        if not rows:
            return OMIT if f.optional else []
        # A row refused before loading stays in place (None) so that the schema's
        # messages about later rows keep their row numbers.
        items = [self.convert(f.item, row, join(name, str(i))) for i, row in enumerate(rows)]
        return [None if item is OMIT else item for item in items]

    def _mapping(self, f: FormField, rows: list[Any], name: str) -> Any:
        assert f.item is not None
        key_field, value_field = f.item.children
        if not rows:
            return OMIT if f.optional else {}
        converted: dict[Any, Any] = {}
        for i, row in enumerate(rows):
            entered = row if isinstance(row, dict) else {}
            row_name = join(name, str(i))
            key_name, value_name = join(row_name, "key"), join(row_name, "value")
            key = self.convert(key_field, entered.get("key"), key_name)
            found = self.convert(value_field, entered.get("value"), value_name)
            if key is OMIT and key_name not in self.invalid:
                _add_error(self.invalid, key_name, Message(MISSING))
            if found is OMIT and value_name not in self.invalid:
                _add_error(self.invalid, value_name, Message(MISSING))
            if key is OMIT or found is OMIT:
                continue
            if not isinstance(key, Hashable) or key in converted:
                _add_error(self.invalid, key_name, Message(N_("This key is already in the list.")))
                continue
            converted[key] = found
        return converted

    @staticmethod
    def _boolean(f: FormField, value: Any) -> Any:
        if not f.tristate:
            return value is True
        text = _text(value)
        return {"": OMIT, "true": True, "false": False}.get(text, text)

    def _scalar(self, f: FormField, text: str, name: str) -> Any:
        stripped = text.strip()
        if f.kind is Kind.INTEGER:
            if _INTEGER.fullmatch(stripped):
                return int(stripped)
            return self._refuse(name, NOT_AN_INTEGER)
        if f.kind is Kind.MONEY:
            return self._money(f, stripped, name)
        if f.kind is Kind.DECIMAL:
            return stripped if _DECIMAL.fullmatch(stripped) else self._refuse(name, NOT_A_NUMBER)
        if f.kind is Kind.CHOICE:
            return next((c.loads for c in f.choices if c.value == text), text)
        if f.kind in (Kind.DATE, Kind.DATETIME):
            return self._time(f, stripped)
        if f.kind is Kind.JSON:
            try:
                return json.loads(text)
            except (ValueError, RecursionError):
                return self._refuse(name, N_("Not valid JSON."))
        return text

    def _money(self, f: FormField, text: str, name: str) -> Any:
        if not _DECIMAL.fullmatch(text):
            return self._refuse(name, NOT_A_NUMBER)
        minor = self.money.minor(Decimal(text))
        if minor != minor.to_integral_value():
            places = {"currency": self.money.currency, "places": self.money.places}
            message = N_("%(currency)s amounts have at most %(places)s decimal places.")
            return self._refuse(name, Message(message, places))
        low, high = f.minimum, f.maximum
        if (low is not None and minor < low) or (high is not None and minor > high):
            return self._refuse(name, _range(self.money, low, high))
        return int(minor)

    def _time(self, f: FormField, text: str) -> str:
        """A date as typed; a time without an offset (a `datetime-local` input) read in
        the tenant's zone when the schema wants an instant."""
        if f.kind is Kind.DATE or not f.aware or len(text) > _TIME:
            return text
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return text  # the schema says what is wrong with it
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self.zone)
        return moment.isoformat()

    def _refuse(self, name: str, message: str) -> _Omitted:
        _add_error(
            self.invalid, name, message if isinstance(message, Message) else Message(message)
        )
        return OMIT


def _range(money: Money, low: Decimal | None, high: Decimal | None) -> Message:
    """marshmallow's message for a value out of range, in major units."""
    if low is not None and high is not None:
        template = N_("Must be greater than or equal to %(min)s and less than or equal to %(max)s.")
        return Message(template, {"min": money.major(low), "max": money.major(high)})
    if low is not None:
        return Message(N_("Must be greater than or equal to %(min)s."), {"min": money.major(low)})
    assert high is not None
    return Message(N_("Must be less than or equal to %(max)s."), {"max": money.major(high)})


def place_errors(
    fields: list[FormField], messages: Any, values: Values, prefix: str = ""
) -> dict[str, list[str]]:
    """A schema's messages (a `ValidationError`'s, or a refusal's details about the
    parameters) by the name of the input each is about, for the form showing `values`.
    A message about the whole schema, or about something no input shows, is the
    form's (`FORM`)."""
    placed: dict[str, list[str]] = {}
    root = FormField(key="", path="", kind=Kind.OBJECT, label="", children=tuple(fields))
    if isinstance(messages, dict):
        for key, sub in messages.items():
            child = root.child(key) if isinstance(key, str) else None
            if child is None:
                _place_flat(placed, FORM, sub)
            else:
                _place(placed, child, sub, join(prefix, child.key), values.get(child.key))
    else:
        _place_flat(placed, FORM, messages)
    return placed


def _place(
    placed: dict[str, list[str]], f: FormField, messages: Any, name: str, value: Any
) -> None:
    if not isinstance(messages, dict):
        _place_flat(placed, name, messages)
        return
    rows = value if isinstance(value, list) else []
    for key, sub in messages.items():
        if f.kind is Kind.OBJECT:
            child = f.child(key) if isinstance(key, str) else None
            inner = value.get(key) if isinstance(value, dict) and child is not None else None
            if child is None:
                _place_flat(placed, name, sub)
            else:
                _place(placed, child, sub, join(name, child.key), inner)
        elif (
            f.kind is Kind.LIST
            and f.item is not None
            and isinstance(key, int)
            and 0 <= key < len(rows)
        ):
            _place(placed, f.item, sub, join(name, str(key)), rows[key])
        elif f.kind is Kind.MAPPING and f.item is not None:
            # A mapping's messages are by its keys: the row is the one with that key.
            row = next(
                (i for i, r in enumerate(rows) if isinstance(r, dict) and r.get("key") == str(key)),
                None,
            )
            if row is None:
                _place_flat(placed, name, sub)
            else:
                _place(placed, f.item, sub, join(name, str(row)), rows[row])
        else:
            _place_flat(placed, name, sub)


def _place_flat(placed: dict[str, list[str]], name: str, messages: Any) -> None:
    """Every message in `messages` (at any depth) under `name`."""
    pending = [messages]
    while pending:
        item = pending.pop(0)
        if isinstance(item, str):
            _add_error(placed, name, as_message(item))
        elif isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)

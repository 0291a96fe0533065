"""What a form shows for each field of a marshmallow schema: `describe(schema)`.

A rule type's `Params` schema is the whole truth about its parameters, so the console
builds the rule's form from it, and a plugin's rule type gets a form without writing
one. Each field becomes a `FormField`: the kind of input it needs, its label and help
(from the field's `metadata`), whether it is required, its default and its bounds.
Nested schemas become groups of fields, lists become rows, mappings rows of key and
value. A field of a type the form cannot show otherwise is a text area holding JSON.

Money is marked with `metadata={"x-money": True}` on an integer field of minor units
(fen, cents): its input shows and takes major units (12.50 yuan), converted exactly
with the tenant's currency's minor-unit exponent (`Money`).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation, localcontext
from typing import Any

from marshmallow import Schema, fields, missing, validate

from jifen.i18n import N_, Message
from jifen.types import minor_units

# The metadata key that marks an integer field as an amount of money in minor units.
MONEY = "x-money"
# The most rows one list of a form may have, whatever its schema allows: a form posts
# each row's inputs, and parsing one must stay bounded.
ROW_LIMIT = 1000
# Nested schemas deeper than this (a schema nesting itself) are shown as JSON.
MAX_DEPTH = 8


class Kind(enum.StrEnum):
    """The input a field needs."""

    INTEGER = "integer"
    DECIMAL = "decimal"  # a Decimal (rates), exact
    MONEY = "money"  # integer minor units, shown and typed in major units
    TEXT = "text"
    CHOICE = "choice"  # one of a list (validate.OneOf, an Enum)
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    OBJECT = "object"  # a nested schema: its own fields
    LIST = "list"  # rows of one item field
    MAPPING = "mapping"  # rows of a key and a value (a Dict)
    JSON = "json"  # any other field: its value as JSON text


@dataclass(frozen=True)
class Choice:
    """One option of a choice: the text posted, its label, and what the schema loads."""

    value: str
    label: str
    loads: Any


@dataclass(frozen=True)
class FormField:
    """How a form shows one field of a schema (see `describe`).

    `key` is the field's key in the parameters and its part of the input name; `path`
    is the input name's pattern from the form's root, rows written `*`
    (`streak_bonuses-*-day`). `minimum`/`maximum` are what the schema allows (minor
    units for money); `min_length`/`max_length` count characters of text, or rows of a
    list or mapping (`max_length` then at most `ROW_LIMIT`). `children` are an object's
    fields (a mapping row's: `key` and `value`); `item` is what each row of a list or
    mapping holds. `default` is the field's `load_default` (`marshmallow.missing` when
    it has none).
    """

    key: str
    path: str
    kind: Kind
    label: str
    help: str = ""
    unit: str = ""
    required: bool = False
    default: Any = missing
    example: Any = None
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    places: int | None = None  # a decimal field's fixed places, if any
    min_length: int | None = None
    max_length: int | None = None
    choices: tuple[Choice, ...] = ()
    input_type: str = "text"  # for text: text, email, url
    aware: bool = False  # a datetime that must carry its offset (an Instant)
    tristate: bool = False  # a boolean that may be left unset
    children: tuple[FormField, ...] = ()
    item: FormField | None = None

    @property
    def optional(self) -> bool:
        return not self.required

    def child(self, key: str) -> FormField | None:
        """The child field under `key`, if there is one."""
        return next((c for c in self.children if c.key == key), None)


def describe(schema: Schema | type[Schema]) -> list[FormField]:
    """Each field of `schema` (an instance or a class), in declaration order, as a form
    shows it. Fields only dumped are left out."""
    instance = schema() if isinstance(schema, type) else schema
    return _describe_schema(instance, "", 0)


def _describe_schema(schema: Schema, prefix: str, depth: int) -> list[FormField]:
    described = []
    for name, schema_field in schema.fields.items():
        if schema_field.dump_only:
            continue
        key = schema_field.data_key or name
        described.append(_describe(schema_field, key, _join(prefix, key), name, depth))
    return described


def _join(prefix: str, key: str) -> str:
    return f"{prefix}-{key}" if prefix else key


def _describe(
    schema_field: fields.Field[Any], key: str, path: str, name: str, depth: int
) -> FormField:
    metadata = schema_field.metadata
    default = schema_field.load_default
    common: dict[str, Any] = {
        "key": key,
        "path": path,
        "label": str(metadata.get("title") or name.replace("_", " ").strip().capitalize()),
        "help": str(metadata.get("description") or ""),
        "unit": str(metadata.get("x-unit") or ""),
        "required": schema_field.required,
        "default": default() if callable(default) else default,
        "example": metadata.get("example"),
    }
    if depth >= MAX_DEPTH:
        return FormField(kind=Kind.JSON, **common)
    if isinstance(schema_field, fields.Nested) and isinstance(schema_field.schema, Schema):
        inner = _describe_schema(
            schema_field.schema, f"{path}-*" if schema_field.many else path, depth + 1
        )
        group = FormField(kind=Kind.OBJECT, **(common | {"path": path, "children": tuple(inner)}))
        if not schema_field.many:
            return group
        item = FormField(
            key="", path=f"{path}-*", kind=Kind.OBJECT, label=common["label"], children=tuple(inner)
        )
        return FormField(kind=Kind.LIST, item=item, **common | _rows(schema_field))
    if isinstance(schema_field, fields.List):
        item = _describe(schema_field.inner, "", f"{path}-*", name, depth + 1)
        return FormField(kind=Kind.LIST, item=_as_item(item), **common | _rows(schema_field))
    if isinstance(schema_field, fields.Mapping):
        return _describe_mapping(schema_field, common, depth)
    return FormField(**common | _scalar(schema_field))


def _as_item(described: FormField) -> FormField:
    """A row's field: no help or unit of its own (its list's are shown once), and no
    default. A yes/no in a row is a select: an unticked box would post nothing, and
    the row would vanish."""
    tristate = described.tristate or described.kind is Kind.BOOLEAN
    return replace(
        described,
        help="",
        unit="",
        required=False,
        default=missing,
        example=None,
        tristate=tristate,
    )


def _describe_mapping(
    schema_field: fields.Mapping[Any], common: dict[str, Any], depth: int
) -> FormField:
    keys, values = schema_field.key_field, schema_field.value_field
    if keys is None or values is None:
        return FormField(kind=Kind.JSON, **common)
    path = common["path"]
    key = _as_item(_describe(keys, "key", f"{path}-*-key", "key", depth + 1))
    value = _as_item(_describe(values, "value", f"{path}-*-value", "value", depth + 1))
    # The key's and the value's labels: their own titles, else words the catalogs have.
    key = replace(key, label=keys.metadata.get("title") or Message(N_("Key")))
    value = replace(value, label=values.metadata.get("title") or Message(N_("Value")))
    row = FormField(
        key="", path=f"{path}-*", kind=Kind.OBJECT, label=common["label"], children=(key, value)
    )
    return FormField(kind=Kind.MAPPING, item=row, **common | _rows(schema_field))


def _rows(schema_field: fields.Field[Any]) -> dict[str, Any]:
    """A list's or a mapping's bounds on its rows."""
    low, high = _lengths(schema_field.validators)
    return {
        "min_length": low,
        "max_length": min(high if high is not None else ROW_LIMIT, ROW_LIMIT),
    }


def _scalar(schema_field: fields.Field[Any]) -> dict[str, Any]:
    """The kind and bounds of a field holding one value."""
    validators = schema_field.validators
    choices = _choices(schema_field)
    if choices:
        return {"kind": Kind.CHOICE, "choices": choices}
    if isinstance(schema_field, fields.Boolean):
        default = schema_field.load_default
        unset = not schema_field.required and (default is missing or default is None)
        return {"kind": Kind.BOOLEAN, "tristate": unset}
    low, high = _bounds(validators)
    if isinstance(schema_field, fields.Integer):
        money = schema_field.metadata.get(MONEY) is True
        return {"kind": Kind.MONEY if money else Kind.INTEGER, "minimum": low, "maximum": high}
    if isinstance(schema_field, fields.Number):  # Decimal, Float
        places = getattr(schema_field, "places", None)
        places = places if isinstance(places, int) else None
        return {"kind": Kind.DECIMAL, "minimum": low, "maximum": high, "places": places}
    if isinstance(schema_field, fields.Date):
        return {"kind": Kind.DATE}
    if isinstance(schema_field, fields.DateTime):
        return {"kind": Kind.DATETIME, "aware": isinstance(schema_field, fields.AwareDateTime)}
    if isinstance(schema_field, fields.String | fields.UUID):
        shortest, longest = _lengths(validators)
        kind = "email" if isinstance(schema_field, fields.Email) else "text"
        kind = "url" if isinstance(schema_field, fields.Url) else kind
        return {
            "kind": Kind.TEXT,
            "min_length": shortest,
            "max_length": longest,
            "input_type": kind,
        }
    return {"kind": Kind.JSON}


def _choices(schema_field: fields.Field[Any]) -> tuple[Choice, ...]:
    if isinstance(schema_field, fields.Enum):
        by_value = bool(schema_field.by_value)
        return tuple(
            Choice(
                str(m.value) if by_value else m.name,
                str(m.value) if by_value else m.name,
                m.value if by_value else m.name,
            )
            for m in schema_field.enum
        )
    for validator in schema_field.validators:
        if isinstance(validator, validate.OneOf):
            # As OneOf's own `options`: a choice without a label is labelled by itself.
            labels = list(validator.labels)
            return tuple(
                Choice(str(c), str(labels[i]) if i < len(labels) and labels[i] else str(c), c)
                for i, c in enumerate(validator.choices)
            )
    return ()


def _bounds(validators: Sequence[Callable[..., Any]]) -> tuple[Decimal | None, Decimal | None]:
    """The tightest minimum and maximum the field's `Range`s allow."""
    low: Decimal | None = None
    high: Decimal | None = None
    for validator in validators:
        if not isinstance(validator, validate.Range):
            continue
        found = _decimal(validator.min)
        if found is not None:
            low = found if low is None else max(low, found)
        found = _decimal(validator.max)
        if found is not None:
            high = found if high is None else min(high, found)
    return low, high


def _decimal(bound: Any) -> Decimal | None:
    if bound is None or isinstance(bound, Decimal):
        return bound
    try:
        return Decimal(str(bound))
    except InvalidOperation:
        return None


def _lengths(validators: Sequence[Callable[..., Any]]) -> tuple[int | None, int | None]:
    """The tightest minimum and maximum the field's `Length`s allow."""
    low: int | None = None
    high: int | None = None
    for validator in validators:
        if isinstance(validator, validate.Length):
            shortest = validator.equal if validator.equal is not None else validator.min
            longest = validator.equal if validator.equal is not None else validator.max
            if shortest is not None:
                low = shortest if low is None else max(low, shortest)
            if longest is not None:
                high = longest if high is None else min(high, longest)
    return low, high


@dataclass(frozen=True)
class Money:
    """Amounts in a currency: minor units (what the schema holds) and major units (what
    the form shows), converted exactly."""

    currency: str

    @property
    def places(self) -> int:
        """Digits after the point in major units: 2 for CNY, 0 for JPY."""
        return Decimal(minor_units(self.currency)).adjusted()

    def major(self, minor: int | Decimal) -> str:
        """12050 as "120.50" (CNY); always with the currency's places."""
        with localcontext(prec=60):
            return format(Decimal(minor).scaleb(-self.places), f".{self.places}f")

    def minor(self, major: Decimal) -> Decimal:
        """ "120.5" as 12050 (exact; a fraction of a minor unit stays a fraction)."""
        with localcontext(prec=60):
            return major.scaleb(self.places)

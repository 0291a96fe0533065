"""Parameters as a form shows them: `values_from(fields, params, money, zone)`.

A form's values are a tree shaped like the parameters, every leaf the text an input
holds: an object's values are a dict by key, a list's a list of its rows, a mapping's a
list of `{"key": ..., "value": ...}` rows; a checkbox's value is a bool. The same tree
comes back from a posted form (`jifen.console.form_posts`), so a refused form is shown
again as it was typed.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import Any

from marshmallow import missing

from jifen.console.schema_fields import FormField, Kind, Money

Values = dict[str, Any]


def values_from(
    fields: list[FormField], params: Mapping[str, Any] | None, money: Money, zone: tzinfo
) -> Values:
    """The form's values for `params` (stored JSON or loaded parameters); a field they
    lack shows its default. With `params` None: a new rule's form, all defaults."""
    given: Mapping[str, Any] = params if isinstance(params, Mapping) else {}
    return {f.key: shown(f, given.get(f.key, f.default), money, zone) for f in fields}


def blank(f: FormField) -> Any:
    """What an empty input (or row) of `f` holds."""
    if f.kind is Kind.OBJECT:
        return {c.key: blank(c) for c in f.children}
    if f.kind in (Kind.LIST, Kind.MAPPING):
        return []
    if f.kind is Kind.BOOLEAN and not f.tristate:
        return False
    return ""


def is_blank(f: FormField, value: Any) -> bool:
    """Whether nothing was entered: empty text, an unticked box, no rows."""
    if f.kind is Kind.OBJECT:
        entered = value if isinstance(value, dict) else {}
        return all(is_blank(c, entered.get(c.key)) for c in f.children)
    if isinstance(value, str):
        return not value.strip()
    return not value


def shown(f: FormField, value: Any, money: Money, zone: tzinfo) -> Any:
    """`value` of field `f` as its input shows it (see the module's docstring)."""
    if f.kind is Kind.OBJECT:
        inner: Mapping[str, Any] = value if isinstance(value, Mapping) else {}
        return {c.key: shown(c, inner.get(c.key, c.default), money, zone) for c in f.children}
    if f.kind is Kind.LIST and f.item is not None:
        rows = value if isinstance(value, list | tuple) else []
        return [shown(f.item, row, money, zone) for row in rows[: f.max_length]]
    if f.kind is Kind.MAPPING and f.item is not None:
        pairs = list(value.items())[: f.max_length] if isinstance(value, Mapping) else []
        return [shown(f.item, {"key": k, "value": v}, money, zone) for k, v in pairs]
    if f.kind is Kind.BOOLEAN:
        return _shown_boolean(f, value)
    if value is missing or value is None:
        return ""
    return _shown_scalar(f, value, money, zone)


def _shown_boolean(f: FormField, value: Any) -> bool | str:
    if not f.tristate:
        return value is True
    return {True: "true", False: "false"}.get(value, "") if isinstance(value, bool) else ""


def _shown_scalar(f: FormField, value: Any, money: Money, zone: tzinfo) -> str:
    if f.kind is Kind.MONEY and isinstance(value, int | Decimal) and not isinstance(value, bool):
        return money.major(value)
    if f.kind is Kind.JSON:
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, enum.Enum):
        loads = {c.loads: c.value for c in f.choices}
        return loads.get(value.value, loads.get(value.name, value.name))
    if f.kind is Kind.DATETIME:
        return _local_time(value, zone)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _local_time(value: Any, zone: tzinfo) -> str:
    """An instant as a `datetime-local` input holds it: the tenant's wall-clock time."""
    moment = value
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
    if not isinstance(moment, datetime):
        return str(moment)
    if moment.tzinfo is not None:
        moment = moment.astimezone(zone).replace(tzinfo=None)
    return moment.isoformat(timespec="seconds")

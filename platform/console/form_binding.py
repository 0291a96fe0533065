"""A form's fields bound to its values and errors: what the macro in
`templates/console/schema_form.html` renders.

Everything a template would otherwise compute is worked out here: each input's flat
name and id, its HTML attributes (`required`, `min`/`max`/`step` in the units shown,
`inputmode` for phones' keyboards, `aria-describedby` naming its help, unit and errors),
a select's options, a list's rows with their remove buttons, and the summary of every
error linking to its input. Texts are in the reader's language when bound in a request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import tzinfo
from decimal import Decimal
from typing import Any

from marshmallow import missing

from jifen.console.form_posts import ADD, REMOVE, join
from jifen.console.form_values import Values, shown
from jifen.console.schema_fields import FormField, Kind, Money
from jifen.field_messages import field_messages, rendered
from jifen.i18n import N_, Message


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    selected: bool


@dataclass
class BoundField:
    """One field of the form as rendered. `kind` is the `Kind`'s value; `control` the
    element the macro writes for a scalar (`input`, `select`, `textarea`) with its
    attributes `attrs`; `children` an object's fields; `rows` a list's."""

    kind: str
    name: str
    id: str
    label: str
    help: str = ""
    unit: str = ""
    default: str = ""
    errors: list[str] = field(default_factory=list)
    control: str = "input"
    attrs: dict[str, str] = field(default_factory=dict)
    value: str = ""
    options: list[Option] = field(default_factory=list)
    children: list[BoundField] = field(default_factory=list)
    rows: list[BoundRow] = field(default_factory=list)
    # A list's buttons: the name they submit under, and this list's value for "add".
    add_name: str = ""
    remove_name: str = ""
    can_add: bool = False

    @property
    def help_id(self) -> str:
        return f"{self.id}-help"

    @property
    def unit_id(self) -> str:
        return f"{self.id}-unit"

    @property
    def error_id(self) -> str:
        return f"{self.id}-error"

    @property
    def described_by(self) -> str:
        """The ids of the texts describing the field, for `aria-describedby`."""
        ids = [self.unit_id] if self.unit else []
        ids += [self.help_id] if self.help or self.default else []
        ids += [self.error_id] if self.errors else []
        return " ".join(ids)


@dataclass
class BoundRow:
    """A row of a list: its number as shown (from 1), its item, and the value its
    remove button submits."""

    number: int
    item: BoundField
    remove: str


@dataclass(frozen=True)
class Problem:
    """An entry of the error summary: the message, and the id of its input (empty for
    the form as a whole)."""

    id: str
    label: str
    message: str


@dataclass
class BoundForm:
    fields: list[BoundField]
    problems: list[Problem]


def bind(
    fields: list[FormField],
    values: Values,
    errors: dict[str, list[str]],
    money: Money,
    zone: tzinfo,
    prefix: str = "",
) -> BoundForm:
    """The form of `fields` showing `values` and `errors` (by input name, `FORM` for
    the form's own)."""
    binder = _Binder(errors, money, zone, prefix)
    bound = [binder.field(f, join(prefix, f.key), values.get(f.key)) for f in fields]
    leftover = [m for name, found in errors.items() if name not in binder.used for m in found]
    form_problems = [Problem("", "", message) for message in _texts(leftover)]
    return BoundForm(bound, form_problems + binder.problems)


def _texts(messages: list[str]) -> list[str]:
    found: list[str] = rendered(field_messages(list(messages)))
    return found


def _text(message: str) -> str:
    """A label or a message in the reader's language (a plugin's own text as written)."""
    return message.translated() if isinstance(message, Message) else message


class _Binder:
    def __init__(
        self, errors: dict[str, list[str]], money: Money, zone: tzinfo, prefix: str
    ) -> None:
        self.errors = errors
        self.money = money
        self.zone = zone
        self.add_name = join(prefix, ADD)
        self.remove_name = join(prefix, REMOVE)
        self.used: set[str] = set()
        self.problems: list[Problem] = []

    def field(
        self,
        f: FormField,
        name: str,
        value: Any,
        label: str | None = None,
        trail: tuple[str, ...] = (),
    ) -> BoundField:
        """`f` bound as `name`; `trail` are the labels of the groups it is in, which the
        error summary names it by ("Streak bonuses, row 2, Day")."""
        bound = BoundField(
            kind=f.kind.value,
            name=name,
            id="field-" + "_".join(name.split()),
            label=label if label is not None else _text(f.label),
            help=_text(f.help),
            unit=self.money.currency if f.kind is Kind.MONEY else _unit(f),
            default=self._default(f),
            errors=self._errors(name),
        )
        for message in bound.errors:
            self.problems.append(Problem(bound.id, ", ".join((*trail, bound.label)), message))
        if f.kind is Kind.OBJECT:
            entered = value if isinstance(value, dict) else {}
            inner = (*trail, bound.label)
            bound.children = [
                self.field(c, join(name, c.key), entered.get(c.key), trail=inner)
                for c in f.children
            ]
        elif f.kind in (Kind.LIST, Kind.MAPPING):
            self._rows(f, bound, value if isinstance(value, list) else [], trail)
        else:
            self._control(f, bound, value)
        return bound

    def _errors(self, name: str) -> list[str]:
        self.used.add(name)
        return _texts(self.errors.get(name, []))

    def _rows(
        self, f: FormField, bound: BoundField, rows: list[Any], trail: tuple[str, ...]
    ) -> None:
        assert f.item is not None
        for i, row in enumerate(rows):
            row_name = join(bound.name, str(i))
            label = Message(
                N_("%(label)s, row %(number)s"), {"label": bound.label, "number": i + 1}
            )
            item = self.field(f.item, row_name, row, label=label.translated(), trail=trail)
            bound.rows.append(BoundRow(i + 1, item, row_name))
        bound.add_name, bound.remove_name = self.add_name, self.remove_name
        bound.can_add = len(rows) < (f.max_length if f.max_length is not None else 0)

    def _control(self, f: FormField, bound: BoundField, value: Any) -> None:
        attrs = {"id": bound.id, "name": bound.name}
        if f.required and not (f.kind is Kind.BOOLEAN and not f.tristate):
            attrs["required"] = ""
        if bound.described_by:
            attrs["aria-describedby"] = bound.described_by
        if bound.errors:
            attrs["aria-invalid"] = "true"
        if f.kind is Kind.BOOLEAN and not f.tristate:
            attrs |= {"type": "checkbox", "value": "y"}
            if value is True:
                attrs["checked"] = ""
        elif f.kind is Kind.CHOICE or f.kind is Kind.BOOLEAN:
            bound.control = "select"
            bound.options = self._options(f, _string(value))
        elif f.kind is Kind.JSON:
            bound.control, bound.value = "textarea", _string(value)
            attrs["rows"] = "4"
        else:
            attrs |= self._input(f) | {"value": _string(value)}
        bound.attrs = attrs

    def _input(self, f: FormField) -> dict[str, str]:
        """An input's type and bounds, as shown (major units for money)."""
        attrs: dict[str, str] = {}
        if f.kind in (Kind.INTEGER, Kind.MONEY, Kind.DECIMAL):
            show = self.money.major if f.kind is Kind.MONEY else _number
            attrs["type"] = "number"
            whole = f.kind is Kind.INTEGER and (f.minimum is not None and f.minimum >= 0)
            attrs["inputmode"] = "numeric" if whole else "decimal"
            if f.kind is Kind.INTEGER:
                attrs["step"] = "1"
            elif f.kind is Kind.MONEY:
                attrs["step"] = self.money.major(1)
            else:
                attrs["step"] = "any" if f.places is None else _number(Decimal(1).scaleb(-f.places))
            if f.minimum is not None:
                attrs["min"] = show(f.minimum)
            if f.maximum is not None:
                attrs["max"] = show(f.maximum)
        elif f.kind is Kind.DATE:
            attrs["type"] = "date"
        elif f.kind is Kind.DATETIME:
            attrs |= {"type": "datetime-local", "step": "1"}
        else:
            attrs["type"] = f.input_type
            if f.max_length is not None:
                attrs["maxlength"] = str(f.max_length)
            if f.min_length:
                attrs["minlength"] = str(f.min_length)
        return attrs

    @staticmethod
    def _options(f: FormField, value: str) -> list[Option]:
        if f.kind is Kind.BOOLEAN:
            choices = [("true", _text(Message(N_("Yes")))), ("false", _text(Message(N_("No"))))]
        else:
            choices = [(c.value, c.label) for c in f.choices]
        options = []
        unset = f.optional and f.default in (missing, None)
        if unset or value not in {v for v, _ in choices}:
            empty = N_("Not set") if unset else N_("Choose one")
            options.append(Option("", Message(empty).translated(), value == ""))
        options += [Option(v, label, v == value) for v, label in choices]
        return options

    def _default(self, f: FormField) -> str:
        """ "Default: ..." for an optional field whose default is something."""
        if f.required or f.kind in (Kind.OBJECT, Kind.MAPPING, Kind.JSON):
            return ""
        if f.default is missing or f.default is None or f.default in ([], {}, ""):
            return ""
        text = self._default_text(f)
        return Message(N_("Default: %(value)s"), {"value": text}).translated() if text else ""

    def _default_text(self, f: FormField) -> str:
        value = shown(f, f.default, self.money, self.zone)
        if f.kind is Kind.LIST and f.item is not None and f.item.kind is not Kind.OBJECT:
            return ", ".join(_string(item) for item in value)
        if f.kind is Kind.BOOLEAN:
            yes = value is True or value == "true"
            return _text(Message(N_("Yes") if yes else N_("No")))
        if f.kind is Kind.CHOICE:
            return next((c.label for c in f.choices if c.value == value), _string(value))
        return _string(value)


def _unit(f: FormField) -> str:
    # A choice's or a yes/no's x-unit lists its values, which the input shows already.
    return "" if f.kind in (Kind.CHOICE, Kind.BOOLEAN) else _text(f.unit)


def _number(number: Decimal) -> str:
    return format(number, "f")


def _string(value: Any) -> str:
    return value if isinstance(value, str) else ""

"""Forms generated from marshmallow schemas: the console's earn-rule editor.

A rule type's form comes from its `Params` schema, so a plugin's rule type gets one
for free. A view does:

    form = RuleForm(rule_type.Params, tenant.currency, zone=tenant_zone)
    if request.method == "POST":
        parsed = form.parse(request.form)
        if parsed.params is not None:
            ...  # save rule_types.stored_params(name, parsed.params)
        context = form.render_context(parsed.values, parsed.errors)
    else:
        context = form.render_context(form.values_from(rule.params))  # None: a new rule
    return render_template("console/rule.html", **context)

and the page calls the macro `schema_form(rule_form)` from
`templates/console/schema_form.html` inside its `<form method="post">`.

The parts: `describe` (jifen.console.schema_fields) says how each field is shown;
`values_from` (jifen.console.form_values) gives the inputs' texts for stored
parameters; `parse` (jifen.console.form_posts) reads a post back and loads it;
`bind` (jifen.console.form_binding) prepares what the macro renders. Calls into the
schema are the plugin's code: a view isolates them as it isolates any plugin call.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, tzinfo
from typing import Any

from marshmallow import Schema

from jifen.console import form_posts
from jifen.console.form_binding import BoundForm, bind
from jifen.console.form_posts import FORM, Parsed, place_errors
from jifen.console.form_values import Values
from jifen.console.form_values import values_from as _values_from
from jifen.console.schema_fields import MONEY, FormField, Kind, Money, describe

__all__ = [
    "FORM",
    "MONEY",
    "FormField",
    "Kind",
    "Parsed",
    "RuleForm",
    "describe",
    "parse",
    "values_from",
]


class RuleForm:
    """The form of one schema, for a tenant's currency and time zone.

    `prefix` goes before every input name (`params-points`), for a page whose own
    inputs could share a name with a parameter.
    """

    def __init__(
        self,
        schema: Schema | type[Schema],
        currency: str,
        *,
        zone: tzinfo = UTC,
        prefix: str = "",
    ) -> None:
        self.schema = schema() if isinstance(schema, type) else schema
        self.money = Money(currency)
        self.zone = zone
        self.prefix = prefix
        self.fields: list[FormField] = describe(self.schema)

    def values_from(self, params: Mapping[str, Any] | None = None) -> Values:
        """The inputs' texts for `params` (stored or loaded); None: the defaults."""
        return _values_from(self.fields, params, self.money, self.zone)

    def parse(self, formdata: Mapping[str, Any]) -> Parsed:
        """A post of this form: the loaded parameters when it was saved and they
        passed, else None; the errors by input name; the values to show it again."""
        return form_posts.parse(
            self.fields, self.schema, formdata, self.money, self.zone, self.prefix
        )

    def errors_from(self, messages: Any, values: Values) -> dict[str, list[str]]:
        """Messages about the parameters from elsewhere (a service's refusal details,
        shaped like marshmallow's) by input name, for the form showing `values`."""
        return place_errors(self.fields, messages, values, self.prefix)

    def bind(
        self, values: Values | None = None, errors: Mapping[str, list[str]] | None = None
    ) -> BoundForm:
        """The form as the macro renders it; no values: the defaults."""
        shown = values if values is not None else self.values_from(None)
        return bind(self.fields, shown, dict(errors or {}), self.money, self.zone, self.prefix)

    def render_context(
        self, values: Values | None = None, errors: Mapping[str, list[str]] | None = None
    ) -> dict[str, Any]:
        """What the page's template needs: `rule_form`, for the `schema_form` macro."""
        return {"rule_form": self.bind(values, errors)}


def parse(
    schema: Schema | type[Schema],
    formdata: Mapping[str, Any],
    currency: str,
    *,
    zone: tzinfo = UTC,
    prefix: str = "",
) -> Parsed:
    """`RuleForm(schema, currency).parse(formdata)`: (params or None, errors, values)."""
    return RuleForm(schema, currency, zone=zone, prefix=prefix).parse(formdata)


def values_from(
    params: Mapping[str, Any] | None,
    schema: Schema | type[Schema],
    currency: str,
    *,
    zone: tzinfo = UTC,
) -> Values:
    """`RuleForm(schema, currency).values_from(params)`: the form pre-filled."""
    return RuleForm(schema, currency, zone=zone).values_from(params)

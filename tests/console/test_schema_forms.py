"""Rule forms generated from the rule types' `Params` schemas: every rule type, built-in
or a plugin's, gets a form that shows its parameters, reads them back exactly, and puts
each refusal beside its input."""

from __future__ import annotations

import copy
import tracemalloc
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import sqlite_only
from flask import Flask, render_template_string
from hypothesis import given
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError, fields, validate
from werkzeug.datastructures import MultiDict

from jifen.console.form_posts import MAX_INPUTS
from jifen.console.schema_forms import FORM, Kind, RuleForm, describe, parse, values_from
from jifen.types import Instant, JsonObject, RateField, StrictInteger, Text
from jifen_plugins.earn_rules.checkin import CheckinRule
from jifen_plugins.earn_rules.spend import SpendRule

from .html_form import RenderedForm

MACRO = '{% from "console/schema_form.html" import schema_form %}{{ schema_form(rule_form) }}'
SHANGHAI = ZoneInfo("Asia/Shanghai")


def render(app: Flask, form: RuleForm, values: Any = None, errors: Any = None) -> RenderedForm:
    with app.test_request_context(headers={"Accept-Language": "en"}):
        html = render_template_string(MACRO, **form.render_context(values, errors))
    return RenderedForm(html)


# --- example parameters of a rule type ------------------------------------------------


def example_params(schema: Schema) -> dict[str, Any]:
    """Each field's metadata example, a list of nested objects given a second row, and
    what the schema refuses of the examples together (a campaign's settings for other
    kinds) left to its default."""
    example: dict[str, Any] = {}
    for name, field in schema.fields.items():
        value = copy.deepcopy(field.metadata["example"])
        inner = field.inner if isinstance(field, fields.List) else None
        if isinstance(inner, fields.Nested) and len(value) < 2:
            value.append(
                {k: v - 1 if type(v) is int and v > 1 else v for k, v in value[-1].items()}
            )
        example[field.data_key or name] = value
    for _ in range(len(example)):
        try:
            schema.load(example)
            return example
        except ValidationError as error:
            refused = [k for k in error.messages if k in example]
            assert refused, error.messages
            assert not any(schema.fields[k].required for k in refused), error.messages
            for key in refused:
                del example[key]
    raise AssertionError("no example loads")


def nested_lists(schema: Schema) -> list[str]:
    return [
        name
        for name, field in schema.fields.items()
        if isinstance(field, fields.List) and isinstance(field.inner, fields.Nested)
    ]


@sqlite_only
def test_every_rule_type_round_trips_through_its_form(app, svc):
    checked = []
    for name, rule_type in svc.rule_types.items():
        schema = rule_type.Params()
        example = example_params(schema)
        expected = schema.load(example)
        form = RuleForm(schema, "CNY")
        stored = svc.rule_types.stored_params(name, expected)

        for given_params in (example, stored, expected):
            page = render(app, form, form.values_from(given_params))
            for list_name in nested_lists(schema):
                rows = {n.split("-")[1] for n in page.names() if n.startswith(f"{list_name}-")}
                assert len(rows) >= 2, (name, list_name)
            parsed = form.parse(page.posted())

            assert parsed.errors == {}, (name, parsed.errors)
            assert parsed.params == expected, name
        checked.append(name)
    assert set(checked) == set(svc.rule_types.names()) and len(checked) >= 8


@sqlite_only
def test_every_input_has_one_label_and_its_texts_are_described(app, svc):
    for name, rule_type in svc.rule_types.items():
        form = RuleForm(rule_type.Params, "CNY")
        page = render(app, form, form.values_from(example_params(rule_type.Params())))
        shown = [c for c in page.controls if c.type != "hidden"]

        assert shown, name
        assert len(page.ids) == len(set(page.ids)), name
        for control in shown:
            assert page.labels.get(control.attrs["id"], "").strip(), (name, control.name)
            for described in control.attrs.get("aria-describedby", "").split():
                assert described in page.ids, (name, control.name, described)


def parameters(schema: Schema, prefix: str = "") -> list[tuple[str, fields.Field]]:
    """Each field of `schema` by its path, and those of the schemas nested in it."""
    found = []
    for name, field in schema.fields.items():
        found.append((f"{prefix}{name}", field))
        inner = field.inner if isinstance(field, fields.List) else field
        if isinstance(inner, fields.Nested) and isinstance(inner.schema, Schema):
            found += parameters(inner.schema, f"{prefix}{name}[].")
    return found


@sqlite_only
def test_every_built_in_amount_of_money_is_marked_as_money(svc):
    amounts = []
    for name, rule_type in svc.rule_types.items():
        for path, field in parameters(rule_type.Params()):
            in_minor_units = "minor units" in field.metadata.get("x-unit", "")
            assert in_minor_units == (field.metadata.get("x-money") is True), (name, path)
            amounts += [f"{name}.{path}"] if in_minor_units else []
    assert {"spend.minimum_spend", "campaign.threshold"} <= set(amounts)


@sqlite_only
def test_money_is_shown_and_typed_in_major_units_of_the_tenants_currency(app):
    for currency, shown, typed, minor in (
        ("CNY", "10.00", "12.5", 1250),
        ("JPY", "1000", "1250", 1250),
        ("BHD", "1.000", "1.25", 1250),
    ):
        form = RuleForm(SpendRule.Params, currency)
        page = render(app, form, form.values_from({"minimum_spend": 1000}))
        amount = page.control("minimum_spend")

        assert (amount.value, amount.attrs["inputmode"]) == (shown, "decimal")
        assert amount.attrs["step"] == {"CNY": "0.01", "JPY": "1", "BHD": "0.001"}[currency]
        assert page.texts["field-minimum_spend-unit"] == currency
        parsed = form.parse(page.posted({"minimum_spend": typed}))
        assert parsed.params is not None and parsed.params["minimum_spend"] == minor


@sqlite_only
def test_a_new_rules_form_shows_the_defaults(app):
    form = RuleForm(SpendRule.Params, "CNY")
    page = render(app, form)

    assert page.control("rate").value == "1"
    assert page.control("minimum_spend").value == "0.00"
    assert [v for v, selected in page.control("rounding").options if selected] == ["floor"]
    assert not page.control("include_shipping").checked
    assert "Default: floor" in page.texts["field-rounding-help"]
    parsed = form.parse(page.posted())
    assert parsed.params == SpendRule.Params().load({})


# --- a plugin's rule type ---------------------------------------------------------------


class Window(Schema):
    starts = fields.Date(required=True, metadata={"description": "The first day."})
    ends = fields.Date(load_default=None)


class TierBonus(Schema):
    tier = Text(min_length=1, max_length=16, required=True)
    multiplier = RateField(minimum=Decimal(1), required=True)


class StampCard:
    """A third-party rule type, with a field of every kind the form knows."""

    name = "acme.stamp_card"
    title = "Stamp card"

    class Params(Schema):
        stamps = StrictInteger(
            minimum=1,
            maximum=20,
            required=True,
            metadata={"description": "Stamps that fill a card.", "x-unit": "stamps"},
        )
        reward = StrictInteger(
            minimum=1,
            required=True,
            metadata={"description": "Off the next order.", "x-unit": "fen", "x-money": True},
        )
        rate = RateField(load_default=Decimal("0.5"), metadata={"x-unit": "points per 1.00"})
        color = fields.String(
            validate=validate.OneOf(["red", "green"], labels=["Red", "Green"]),
            load_default="red",
        )
        window = fields.Nested(Window, required=True)
        holidays = fields.List(fields.Date(), load_default=list, validate=validate.Length(max=3))
        bonuses = fields.List(fields.Nested(TierBonus), load_default=list)
        store_caps = fields.Dict(
            keys=Text(min_length=1, max_length=20),
            values=StrictInteger(minimum=1, metadata={"x-money": True}),
            load_default=dict,
        )
        ends_at = Instant(load_default=None)
        weekends = fields.Boolean(load_default=True)
        audited = fields.Boolean(load_default=None)
        extra = JsonObject(load_default=dict)


def test_a_plugins_fields_are_described_by_their_types_and_metadata():
    described = {f.key: f for f in describe(StampCard.Params)}

    assert {k: f.kind for k, f in described.items()} == {
        "stamps": Kind.INTEGER,
        "reward": Kind.MONEY,
        "rate": Kind.DECIMAL,
        "color": Kind.CHOICE,
        "window": Kind.OBJECT,
        "holidays": Kind.LIST,
        "bonuses": Kind.LIST,
        "store_caps": Kind.MAPPING,
        "ends_at": Kind.DATETIME,
        "weekends": Kind.BOOLEAN,
        "audited": Kind.BOOLEAN,
        "extra": Kind.JSON,
    }
    stamps = described["stamps"]
    assert (stamps.label, stamps.help, stamps.unit) == (
        "Stamps",
        "Stamps that fill a card.",
        "stamps",
    )
    assert (stamps.required, stamps.minimum, stamps.maximum) == (True, 1, 20)
    assert [c.key for c in described["window"].children] == ["starts", "ends"]
    assert described["bonuses"].item.children[1].path == "bonuses-*-multiplier"
    assert described["holidays"].max_length == 3
    assert [(c.value, c.label) for c in described["color"].choices] == [
        ("red", "Red"),
        ("green", "Green"),
    ]
    assert (described["weekends"].tristate, described["audited"].tristate) == (False, True)


@sqlite_only
def test_a_plugins_rule_type_gets_a_working_form(app):
    form = RuleForm(StampCard.Params, "CNY", zone=SHANGHAI)
    page = render(app, form)
    reward = page.control("reward").attrs
    assert reward.items() >= {"step": "0.01", "min": "0.01", "required": ""}.items()
    assert page.control("stamps").attrs["inputmode"] == "numeric"
    assert (page.control("stamps").attrs["min"], page.control("stamps").attrs["max"]) == ("1", "20")

    # Rows are added with the lists' own buttons, as a merchant without JavaScript does.
    for list_name in ("holidays", "holidays", "bonuses", "store_caps"):
        parsed = form.parse(page.posted(button=page.button("Add a row", list_name)))
        assert parsed.params is None and parsed.errors == {}
        page = render(app, form, parsed.values, parsed.errors)
    parsed = form.parse(
        page.posted(
            {
                "stamps": "10",
                "reward": "12.5",
                "rate": "0.75",
                "color": "green",
                "window-starts": "2026-05-01",
                "holidays-0": "2026-05-04",
                "holidays-1": "2026-05-05",
                "bonuses-0-tier": "gold",
                "bonuses-0-multiplier": "1.5",
                "store_caps-0-key": "SH-01",
                "store_caps-0-value": "300",
                "ends_at": "2026-06-01T08:00",
                "weekends": False,
                "audited": "true",
                "extra": '{"note": "<b>", "n": [1, 2]}',
            }
        )
    )

    assert parsed.errors == {}
    assert parsed.params == {
        "stamps": 10,
        "reward": 1250,
        "rate": Decimal("0.75"),
        "color": "green",
        "window": {"starts": date(2026, 5, 1), "ends": None},
        "holidays": [date(2026, 5, 4), date(2026, 5, 5)],
        "bonuses": [{"tier": "gold", "multiplier": Decimal("1.5")}],
        "store_caps": {"SH-01": 30000},
        "ends_at": datetime(2026, 6, 1, 0, 0, tzinfo=UTC),
        "weekends": False,
        "audited": True,
        "extra": {"note": "<b>", "n": [1, 2]},
    }
    # And the stored parameters show as they were typed.
    again = render(app, form, form.values_from(parsed.params))
    assert again.control("ends_at").value == "2026-06-01T08:00:00"
    assert again.control("store_caps-0-value").value == "300.00"
    assert form.parse(again.posted()).params == parsed.params


# --- refusals beside their inputs -----------------------------------------------------


def checkin_post(**inputs: str) -> MultiDict[str, str]:
    posted = {
        "points": "10",
        "streak_bonuses-0": "",
        "streak_bonuses-0-day": "3",
        "streak_bonuses-0-points": "20",
        "streak_bonuses-1": "",
        "streak_bonuses-1-day": "7",
        "streak_bonuses-1-points": "50",
        "cycle_days": "7",
        "missed_days_allowed": "0",
    }
    posted.update({name.replace("__", "-"): value for name, value in inputs.items()})
    return MultiDict(posted)


@pytest.mark.parametrize(
    ("form", "inputs", "name", "message"),
    [
        (RuleForm(CheckinRule.Params, "CNY"), {"points": "1O"}, "points", "Not a valid integer."),
        (
            RuleForm(CheckinRule.Params, "CNY"),
            {"streak_bonuses__1__day": "4000"},
            "streak_bonuses-1-day",
            "Must be greater than or equal to 1 and less than or equal to 3660.",
        ),
        (
            RuleForm(CheckinRule.Params, "CNY"),
            {"streak_bonuses__1__points": ""},
            "streak_bonuses-1-points",
            "Missing data for required field.",
        ),
        (
            RuleForm(CheckinRule.Params, "CNY"),
            {"streak_bonuses__1__day": "3"},
            "streak_bonuses",
            "Each day may have one bonus.",
        ),
        (
            RuleForm(SpendRule.Params, "CNY"),
            {"minimum_spend": "12.505"},
            "minimum_spend",
            "CNY amounts have at most 2 decimal places.",
        ),
        (
            RuleForm(SpendRule.Params, "JPY"),
            {"minimum_spend": "12.5"},
            "minimum_spend",
            "JPY amounts have at most 0 decimal places.",
        ),
        (
            RuleForm(SpendRule.Params, "CNY"),
            {"minimum_spend": "-0.01"},
            "minimum_spend",
            "Must be greater than or equal to 0.00 and less than or equal to 90071992547409.91.",
        ),
        (
            RuleForm(SpendRule.Params, "CNY"),
            {"rate": "1e3"},
            "rate",
            "Not a valid number.",
        ),
        (
            RuleForm(SpendRule.Params, "CNY"),
            {"rounding": "<script>"},
            "rounding",
            "Must be one of: floor, round, ceil.",
        ),
    ],
)
def test_a_refusal_is_placed_beside_its_input(form, inputs, name, message):
    posted = checkin_post(**inputs) if form.fields[0].key == "points" else MultiDict(inputs)

    parsed = form.parse(posted)

    assert parsed.params is None
    assert parsed.errors == {name: [message]}


@sqlite_only
def test_a_refused_form_shows_each_message_beside_its_input_and_in_the_summary(app):
    form = RuleForm(CheckinRule.Params, "CNY")
    parsed = form.parse(checkin_post(points="ten", streak_bonuses__1__day="4000"))
    page = render(app, form, parsed.values, parsed.errors)

    points = page.control("points")
    assert points.value == "ten"  # shown again as typed
    assert points.attrs["aria-invalid"] == "true"
    assert "field-points-error" in points.attrs["aria-describedby"].split()
    assert page.texts["field-points-error"] == "Not a valid integer."
    day = page.control("streak_bonuses-1-day")
    assert "field-streak_bonuses-1-day-error" in day.attrs["aria-describedby"]
    assert page.texts["field-streak_bonuses-1-day-error"].startswith("Must be greater than")
    summary = '<a href="#field-streak_bonuses-1-day">Streak bonuses, row 2, Day: Must be'
    assert summary in page.html


@sqlite_only
def test_a_message_from_elsewhere_lands_beside_its_input(app):
    """A service's refusal details (shaped like marshmallow's) are placed like the
    form's own."""
    form = RuleForm(CheckinRule.Params, "CNY")
    values = form.values_from({"streak_bonuses": [{"day": 3, "points": 5}]})

    errors = form.errors_from({"streak_bonuses": {0: {"points": ["Too generous."]}}}, values)
    page = render(app, form, values, errors)

    assert errors == {"streak_bonuses-0-points": ["Too generous."]}
    assert page.texts["field-streak_bonuses-0-points-error"] == "Too generous."


@sqlite_only
def test_a_message_about_the_whole_form_is_shown_at_its_top(app):
    """A refusal no input shows (a check of the schema as a whole, a service's about
    the parameters together) heads the form's summary."""
    form = RuleForm(CheckinRule.Params, "CNY")
    values = form.values_from(None)

    errors = form.errors_from({"_schema": ["Not on Sundays."]}, values)
    page = render(app, form, values, errors)

    assert errors == {FORM: ["Not on Sundays."]}
    assert '<div class="error-summary" role="alert">' in page.html
    assert "<li>Not on Sundays.</li>" in page.html


# --- rows ---------------------------------------------------------------------------


def test_add_a_row_shows_the_form_again_with_one_more_blank_row():
    form = RuleForm(CheckinRule.Params, "CNY")

    parsed = form.parse(checkin_post(_add="streak_bonuses"))

    assert parsed.params is None and parsed.errors == {}
    assert parsed.values["streak_bonuses"] == [
        {"day": "3", "points": "20"},
        {"day": "7", "points": "50"},
        {"day": "", "points": ""},
    ]


def test_remove_a_row_renumbers_the_rest():
    form = RuleForm(CheckinRule.Params, "CNY")

    parsed = form.parse(checkin_post(_remove="streak_bonuses-0"))

    assert parsed.params is None
    assert parsed.values["streak_bonuses"] == [{"day": "7", "points": "50"}]
    saved = form.parse(MultiDict({"streak_bonuses-0-day": "7", "streak_bonuses-0-points": "50"}))
    assert saved.params is not None and saved.params["streak_bonuses"] == [{"day": 7, "points": 50}]


def test_a_row_left_blank_is_dropped_on_save():
    form = RuleForm(CheckinRule.Params, "CNY")

    parsed = form.parse(checkin_post(streak_bonuses__2__day=" ", streak_bonuses__2__points=""))

    assert parsed.params is not None
    assert len(parsed.params["streak_bonuses"]) == 2


def test_rows_past_the_lists_length_cannot_be_added():
    form = RuleForm(StampCard.Params, "CNY")
    full = {f"holidays-{i}": f"2026-05-0{i + 1}" for i in range(3)}

    parsed = form.parse(MultiDict(full | {"_add": "holidays"}))

    assert parsed.errors == {"holidays": ["At most 3 rows."]}
    assert len(parsed.values["holidays"]) == 3


@sqlite_only
def test_a_full_list_has_no_add_button(app):
    form = RuleForm(StampCard.Params, "CNY")
    values = form.values_from({"holidays": ["2026-05-01", "2026-05-02", "2026-05-03"]})

    page = render(app, form, values)

    assert [b.value for b in page.buttons if "Add a row" in b.text] == ["bonuses", "store_caps"]
    assert [b.value for b in page.buttons if b.name == "_remove"] == [
        "holidays-0",
        "holidays-1",
        "holidays-2",
    ]


def test_rows_posted_with_gaps_are_read_in_order():
    form = RuleForm(CheckinRule.Params, "CNY")
    posted = MultiDict(
        {
            "streak_bonuses-7-day": "7",
            "streak_bonuses-7-points": "70",
            "streak_bonuses-2-day": "2",
            "streak_bonuses-2-points": "20",
        }
    )

    parsed = form.parse(posted)

    assert parsed.params is not None
    assert parsed.params["streak_bonuses"] == [{"day": 2, "points": 20}, {"day": 7, "points": 70}]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("-1", "Rows are numbered 0, 1, 2 and so on."),
        ("x", "Rows are numbered 0, 1, 2 and so on."),
        ("01", "Rows are numbered 0, 1, 2 and so on."),
        ("1e3", "Rows are numbered 0, 1, 2 and so on."),
        ("100", "At most 100 rows."),
        ("99999", "At most 100 rows."),
        ("9" * 400, "Rows are numbered 0, 1, 2 and so on."),
    ],
)
def test_an_absurd_row_number_is_refused_on_its_list(row, message):
    form = RuleForm(CheckinRule.Params, "CNY")

    parsed = form.parse(checkin_post(**{f"streak_bonuses__{row}__day": "5"}))

    assert parsed.params is None
    assert parsed.errors == {"streak_bonuses": [message]}
    assert len(parsed.values["streak_bonuses"]) == 2


def test_ten_thousand_rows_are_refused_in_bounded_work():
    form = RuleForm(CheckinRule.Params, "CNY")
    rows = MultiDict([(f"streak_bonuses-{i}-day", "1") for i in range(10_000)])

    tracemalloc.start()
    try:
        parsed = form.parse(rows)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert parsed.errors == {"streak_bonuses": ["At most 100 rows."]}
    assert len(parsed.values["streak_bonuses"]) == 100
    assert peak < 20_000_000


def test_more_inputs_than_any_form_has_are_refused_unread():
    form = RuleForm(CheckinRule.Params, "CNY")

    parsed = form.parse(MultiDict([(f"x{i}", "") for i in range(MAX_INPUTS + 1)]))

    assert parsed.errors == {FORM: ["The form sent too many inputs."]}
    assert parsed.values == form.values_from(None)


SEGMENTS = [
    "points",
    "streak_bonuses",
    "category_rates",
    "day",
    "key",
    "value",
    "0",
    "1",
    "-1",
    "",
    "x",
    "99999",
]


@given(
    formdata=st.dictionaries(
        st.lists(st.sampled_from(SEGMENTS), min_size=1, max_size=4).map("-".join)
        | st.sampled_from(["_add", "_remove"]),
        st.text(max_size=20) | st.sampled_from(["streak_bonuses", "streak_bonuses-0", "1.5", "12"]),
        max_size=12,
    )
)
def test_nothing_posted_raises_and_no_error_is_lost(formdata):
    editing = "_add" in formdata or "_remove" in formdata
    for schema in (CheckinRule.Params, SpendRule.Params, StampCard.Params):
        form = RuleForm(schema, "CNY")
        parsed = form.parse(MultiDict(formdata))

        bound = form.bind(parsed.values, parsed.errors)
        assert len(bound.problems) == sum(len(found) for found in parsed.errors.values())
        if parsed.errors or editing:
            assert parsed.params is None
        else:
            assert parsed.params is not None


# --- escaping -----------------------------------------------------------------------


class Hostile(Schema):
    note = fields.String(
        load_default='"><script>alert(1)</script>',
        metadata={
            "title": "<img src=x onerror=alert(1)>",
            "description": "<b>bold</b> & more",
            "x-unit": "<i>unit</i>",
        },
    )
    pick = fields.String(
        validate=validate.OneOf(["a"], labels=["<svg onload=alert(1)>"]),
        load_default="a",
    )


@sqlite_only
def test_html_in_a_default_a_label_or_help_is_escaped(app):
    form = RuleForm(Hostile, "CNY")

    page = render(app, form)

    assert "<script" not in page.html and "<img" not in page.html and "<svg" not in page.html
    assert "<b>" not in page.html and "<i>" not in page.html
    assert page.labels["field-note"] == "<img src=x onerror=alert(1)>"
    assert page.control("note").value == '"><script>alert(1)</script>'
    assert "<b>bold</b> & more" in page.texts["field-note-help"]
    assert form.parse(page.posted()).params == {"note": '"><script>alert(1)</script>', "pick": "a"}


# --- module-level helpers -------------------------------------------------------------


def test_the_module_functions_are_the_forms():
    posted = MultiDict({"minimum_spend": "10"})

    params, errors, values = parse(SpendRule.Params, posted, "CNY")

    assert errors == {} and params is not None and params["minimum_spend"] == 1000
    assert values_from(params, SpendRule.Params, "CNY")["minimum_spend"] == "10.00"
    assert values["minimum_spend"] == "10"

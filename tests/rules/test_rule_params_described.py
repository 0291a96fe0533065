"""Every parameter of every rule type says what it is: a merchant's console builds its
rule forms from `GET /rule-types` and the OpenAPI document, so a parameter without a
description, a unit or an example is a blank in a form."""

from __future__ import annotations

from collections.abc import Iterator

from conftest import sqlite_only
from marshmallow import Schema, fields

from .api import call

DESCRIBED = ("description", "x-unit", "example")


def parameters(schema: Schema, prefix: str = "") -> Iterator[tuple[str, fields.Field]]:
    """Each field of `schema` by its path, and those of the schemas nested in it."""
    for name, field in schema.fields.items():
        path = f"{prefix}{name}"
        yield path, field
        inner = field.inner if isinstance(field, fields.List) else field
        if isinstance(inner, fields.Nested) and isinstance(inner.schema, Schema):
            yield from parameters(inner.schema, f"{path}[].")


@sqlite_only
def test_every_parameter_of_every_rule_type_has_a_description_unit_and_example(svc):
    missing = []
    for name, rule_type in svc.rule_types.items():
        for path, field in parameters(rule_type.Params()):
            missing += [
                (name, path, key)
                for key in DESCRIBED
                if field.metadata.get(key) is None or field.metadata.get(key) == ""
            ]
    assert not missing


@sqlite_only
def test_every_example_is_a_value_the_parameter_accepts(svc):
    for name, rule_type in svc.rule_types.items():
        for path, field in parameters(rule_type.Params()):
            example = field.metadata["example"]
            # Raises (failing the test) when the example would be refused.
            field.deserialize(example)
            assert example is not None, (name, path)


def test_rule_types_describe_each_parameter_for_a_form(client, tenant, svc):
    items = call(client, tenant, "GET", "/rule-types", None, 200).json["items"]

    assert {item["name"] for item in items} == set(svc.rule_types.names())
    for item in items:
        assert item["params"], item["name"]
        for name, described in item["params"].items():
            assert all(described.get(key) not in (None, "") for key in DESCRIBED), (
                item["name"],
                name,
            )
    spend = next(item for item in items if item["name"] == "spend")
    assert spend["params"]["minimum_spend"]["x-unit"] == "minor units of the currency"
    assert spend["params"]["minimum_spend"]["x-money"] is True
    assert spend["params"]["minimum_spend"]["type"] == "integer"
    checkin = next(item for item in items if item["name"] == "checkin")
    bonus = checkin["params"]["streak_bonuses"]["items"]["properties"]["day"]
    assert (bonus["x-unit"], bonus["example"]) == ("days", 7)
    caps = next(item for item in items if item["name"] == "caps")
    assert set(caps["required"]) == {"period", "limit"}


def test_the_openapi_document_describes_each_rule_types_parameters(client, svc):
    schemas = client.get("/api/openapi.json").json["components"]["schemas"]

    for name in svc.rule_types.names():
        properties = schemas[f"RuleParams.{name}"]["properties"]
        assert properties, name
        for parameter, described in properties.items():
            assert all(key in described for key in DESCRIBED), (name, parameter)

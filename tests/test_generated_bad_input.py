"""Bad input to every operation, generated from the OpenAPI document: a 4xx JSON error
with a known code, and the database exactly as it was.

Each write operation starts from a request it accepts (`api_world.EXAMPLES`) and gets
one bad value at a time in each property its schema describes, at any depth: the wrong
JSON type, a float for an integer, numbers past the schema's bounds and past 64 bits,
instants outside the years 1 to 9999, NUL and other control characters, text one past
its length. Then whole bodies that are not JSON, not an object, too big or too deep;
path ids that are not UUIDs; and in queries, each parameter's bad values as text and
cursors no list returned. Derandomized: the same cases
every run. `pytest_terminal_summary` (conftest) prints how many ran.

They are sent asking for Chinese, and each text of a validation error's details must
read as one of the zh_CN catalog's translations: a field message without one (a new
validator's, a new check's) fails here by name.

SQLite runs them all, split in shards for `-n`; PostgreSQL the values that once failed
only there (64-bit integers, NUL, the years' edges).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from api_world import EXAMPLES, QUERIES, build, filled, fingerprint, names_in, shown
from test_i18n import CHINESE, catalog

API = "/api/v1"
SHARDS = 4
# What a refusal of bad input may say, besides `unknown_<thing>` for a name that names
# nothing; a domain code (`insufficient_points`) would mean the bad value got past
# validation.
REFUSALS = {
    "validation_error",
    "malformed_json",
    "payload_too_large",
    "invalid_cursor",
    "not_found",
}
NOT_UUIDS = ["not-a-uuid", "123", "01890a5d-ac96-774b-bcce-b302099a8057x", "%00"]
FORGED_CURSORS = ["²", "①", "////", "AQID", "ZZZZ" * 20]
# JSON values of each type, for "the wrong type".
OF_TYPE = {"string": "7", "integer": 7, "number": 7.5, "boolean": True, "array": [7], "object": {}}
CONTROL = ["a\u0000b", "a\u0001b", "a\u001bb", "a\u007fb"]
INSTANTS = [
    "9999-12-31T23:59:59-14:00",
    "0001-01-01T00:00:00+14:00",
    "10000-01-01T00:00:00Z",
    "2026-02-30T00:00:00Z",
]
DATES = ["0000-01-01", "10000-01-01", "2026-02-30"]
# The values PostgreSQL once refused where SQLite took them (and so answered 500).
ENGINE_SPECIFIC = ["2**63", "-2**63-1", "NUL", "9999-12-31T23:59:59-14:00"]


@dataclass(frozen=True)
class Case:
    label: str
    method: str
    path: str  # with {member_id} and the like still to fill
    body: bytes | None = None
    query: str = ""
    status: int | None = None  # when one status is the only right answer


def _resolve(schema: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def bad_values(schema: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """Values the schema refuses, each with a label naming what is wrong with it."""
    kind = schema.get("type")
    # A decimal (a rate) is a string or an integer: never a float, which may have lost it.
    decimal = schema.get("format") == "decimal"
    if kind is None:  # anyOf, free JSON: only what no type allows
        yield "NUL", "\u0000"
        return
    allowed = {kind, "integer"} if kind == "number" or decimal else {kind}
    for other, value in OF_TYPE.items():
        if other not in allowed:
            yield f"a {other}", value
    if kind == "integer":
        yield "a float", 1.5
        yield "2**63", 2**63
        yield "-2**63-1", -(2**63) - 1
        if "maximum" in schema:
            yield "past the maximum", schema["maximum"] + 1
        if "minimum" in schema:
            yield "below the minimum", schema["minimum"] - 1
    if kind == "string":
        for text in CONTROL:
            yield "NUL" if "\u0000" in text else f"control {text!r}", text
        if "maxLength" in schema:
            yield "one too long", "x" * (schema["maxLength"] + 1)
        if "enum" in schema:
            yield "not in the enum", "no-such-choice"
        instants = {"date-time": INSTANTS, "date": DATES, "uuid": ["not-a-uuid"]}
        for text in instants.get(schema.get("format", ""), []):
            yield text, text
        if schema.get("format") == "decimal":
            yield from (("NaN", "NaN"), ("Infinity", "Infinity"), ("1e999", "1e999"))
    if kind == "object":
        yield "NUL in a key", {"a\u0000": 1}
        yield "NUL in a value", {"a": "\u0000"}


def bad_query_values(schema: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Values a query parameter of this schema refuses: in a query every value is text."""
    if schema.get("type") == "array":
        schema = schema["items"]
    kind = schema.get("type")
    if kind == "integer":
        yield from [("a float", "1.5"), ("not a number", "abc"), ("2**63", str(2**63))]
        yield "-2**63-1", str(-(2**63) - 1)
        if "maximum" in schema:
            yield "past the maximum", str(schema["maximum"] + 1)
        if "minimum" in schema:
            yield "below the minimum", str(schema["minimum"] - 1)
    elif kind == "boolean":
        yield "not a boolean", "maybe"
    else:
        yield from ((label, value) for label, value in bad_values(schema) if isinstance(value, str))


def located(
    schema: dict[str, Any], example: Any, doc: dict[str, Any], where: tuple[Any, ...] = ()
) -> Iterator[tuple[tuple[Any, ...], dict[str, Any]]]:
    """Each place in `example` a property of `schema` can go (its path of keys and
    indexes) with the property's schema: every property, present in the example or not,
    and those nested in the example's objects and its arrays' first item."""
    schema = _resolve(schema, doc)
    if isinstance(example, list) and example and "items" in schema:
        yield from located(schema["items"], example[0], doc, (*where, 0))
    if not isinstance(example, dict):
        return
    for name, prop in schema.get("properties", {}).items():
        prop = _resolve(prop, doc)
        if prop.get("readOnly"):
            continue
        yield (*where, name), prop
        if name in example:
            yield from located(prop, example[name], doc, (*where, name))


def replaced(example: Any, where: tuple[Any, ...], value: Any) -> Any:
    body = copy.deepcopy(example)
    target = body
    for step in where[:-1]:
        target = target[step]
    target[where[-1]] = value
    return body


def _raw(value: Any) -> bytes:
    return json.dumps(value).encode()


def deep(depth: int) -> bytes:
    return b'{"a": ' * depth + b"{}" + b"}" * depth


def operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(method, path under /api/v1, operation) of every operation in the document."""
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if path.startswith(API) and method != "parameters":
                yield method.upper(), path.removeprefix(API), operation


def cases(doc: dict[str, Any], ids: dict[str, str]) -> list[Case]:
    """Every bad input, for every operation of the document."""
    found = []
    for method, path, operation in operations(doc):
        if path.startswith("/payments/notify/"):  # the providers' door: signed, no API key
            continue
        query = QUERIES.get((method, path), lambda ids: {})(ids)
        for parameter in operation.get("parameters", []):
            if parameter["in"] != "query":
                continue
            name = parameter["name"]
            bad = (
                [(repr(c), c) for c in FORGED_CURSORS]
                if name == "cursor"
                else bad_query_values(parameter["schema"])
            )
            found += [
                Case(f"{name}: {label}", method, path, query=urlencode(query | {name: value}))
                for label, value in bad
            ]
        for name in names_in(path) - {"code"}:
            found += [
                Case(f"{name}={bad}", method, path.replace(f"{{{name}}}", bad), status=404)
                for bad in NOT_UUIDS
            ]
        if method == "GET":
            continue
        assert (method, path) in EXAMPLES, f"{method} {path}: no request in api_world.EXAMPLES"
        example = EXAMPLES[method, path](ids)
        if example is None:
            continue
        schema = operation["requestBody"]["content"]["application/json"]["schema"]
        for where, prop in located(schema, example, doc):
            found += [
                Case(f"{'.'.join(map(str, where))}: {label}", method, path, _raw(body))
                for label, value in bad_values(prop)
                for body in [replaced(example, where, value)]
            ]
        found += [
            Case("not JSON", method, path, b'{"a": ', status=400),
            Case("an array", method, path, _raw([example]), status=422),
            Case("2 MiB", method, path, _raw(example | {"x": "x" * 2**21}), status=413),
            Case("1,000 deep", method, path, deep(1_000)),
        ]
    return found


def answer(client, tenant, case: Case, ids: dict[str, str]):
    return client.open(
        f"{API}{filled(case.path, ids)}?{case.query}",
        method=case.method,
        data=case.body,
        content_type="application/json",
        headers=tenant.headers | CHINESE,
    )


def _rendered(translation: str) -> str:
    """A pattern of what `translation` reads once its parameters are filled in."""
    parts = re.split(r"%\(\w+\)s", translation)
    return ".+".join(map(re.escape, parts))


# Any zh_CN translation with some text of its own (not one that is a parameter only).
CHINESE_TEXT = re.compile(
    "|".join(
        _rendered(message.string)
        for message in catalog("zh_CN")
        if message.id and re.sub(r"%\(\w+\)s", "", message.string).strip()
    ),
    re.DOTALL,
)


def texts(details: Any) -> Iterator[str]:
    """Every text in an error's details, at any depth."""
    if isinstance(details, str):
        yield details
    elif isinstance(details, dict):
        for value in details.values():
            yield from texts(value)
    elif isinstance(details, list):
        for value in details:
            yield from texts(value)


def refusal(response, case: Case) -> str | None:
    """What is wrong with the answer to a bad input; None if nothing."""
    if not response.is_json or not 400 <= response.status_code < 500:
        return f"{response.status_code} {response.get_data(as_text=True)[:300]}"
    if case.status is not None and response.status_code != case.status:
        return f"{response.status_code}, not {case.status}: {response.json}"
    code = response.json.get("code", "")
    if code not in REFUSALS and not code.startswith("unknown_"):
        return f"{response.status_code} {response.json}"
    if code == "validation_error":
        untranslated = [t for t in texts(response.json["details"]) if not CHINESE_TEXT.fullmatch(t)]
        if untranslated:
            return f"not in the reader's language: {untranslated}"
    return None


def probe(app, client, tenant, svc, chosen) -> tuple[int, dict[str, str]]:
    """Send the chosen cases; how many, and what went wrong with which."""
    ids = build(client, tenant)
    doc = client.get("/api/openapi.json").json
    other_list = client.get(f"{API}/products?limit=1", headers=tenant.headers).json["next_cursor"]
    assert other_list is not None
    generated = [
        *cases(doc, ids),
        Case("cursor: one of /products", "GET", "/members", query=f"cursor={other_list}"),
    ]
    sent = [case for index, case in enumerate(generated) if chosen(index, case)]
    failures = {}
    before = fingerprint(svc)
    for case in sent:
        wrong = refusal(answer(client, tenant, case, ids), case)
        after = fingerprint(svc)
        if after != before:
            changed = [table for table in after if after[table] != before.get(table)]
            wrong = f"{wrong or 'refused'}, but wrote to {changed}"
            before = after
        if wrong:
            failures[f"{case.method} {case.path} {case.query} [{case.label}]"] = wrong
    return len(sent), failures


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
@pytest.mark.parametrize("shard", range(SHARDS))
def test_bad_input_is_refused_and_writes_nothing(app, client, tenant, svc, shard, record_property):
    sent, failures = probe(app, client, tenant, svc, lambda index, case: index % SHARDS == shard)
    record_property("bad_inputs", sent)
    assert not failures, f"{len(failures)} of {sent}:\n{shown(failures)}"


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_values_postgresql_once_refused_are_refused_before_it(
    app, client, tenant, svc, record_property
):
    def chosen(index: int, case: Case) -> bool:
        return case.label.rsplit(": ", 1)[-1] in ENGINE_SPECIFIC

    sent, failures = probe(app, client, tenant, svc, chosen)
    record_property("bad_inputs", sent)
    assert not failures, f"{len(failures)} of {sent}:\n{shown(failures)}"

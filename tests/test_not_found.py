"""One scheme for ids that name nothing: 404 `not_found` with `details.resource` for an
id in the URL path, 422 `unknown_<resource>` for one in the body or query; another
tenant's id is answered exactly as a missing one."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from api_world import (
    EXAMPLES,
    QUERIES,
    RESOURCES,
    api_path,
    build,
    filled,
    fingerprint,
    names_in,
    shown,
)
from mall.shop import member, product
from rules.api import call

NOT_PROBED = {
    "/api/v1/payments/notify/<provider>": "the providers' door: signed, no API key, no id",
    "/api/v1/tenant/templates/<template:name>": "a template's name, the caller's own: no id",
}
# Fields of a body that name another resource by id, and the resource.
BODY_IDS = {
    "member_id": "member",
    "from_member_id": "member",
    "to_member_id": "member",
    "into_id": "member",
    "product_id": "product",
    "order_id": "order",
    "category_id": "category",
    "parent_id": "category",
    "address_id": "address",
}
# Fields whose name says id but hold no id of ours.
NOT_IDS = {"external_id", "into_external_id"}  # the merchant's own id for a member


@pytest.fixture
def theirs(client, make_tenant) -> dict[str, str]:
    """Ids of another tenant's things, one of each kind."""
    return build(client, make_tenant("rival"))


@pytest.fixture
def mine(client, tenant) -> dict[str, str]:
    """The caller's own things, for the ids a request names besides the one probed."""
    return build(client, tenant)


def routes(app) -> Iterator[tuple[str, str]]:
    """(method, rule) of every API route that takes an id in its path, from the URL map."""
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and rule.arguments:
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield method, rule.rule


def fresh(resource: str) -> str:
    """An id nothing has."""
    return f"NOSUCH{uuid.uuid4().hex[:8].upper()}" if resource == "coupon" else str(uuid.uuid4())


def probed(client, tenant, method: str, rule: str, ids: dict[str, str], mine) -> Any:
    """Call the route with these ids in its path and the caller's example request."""
    path = api_path(rule)
    url = filled(path, ids)
    if method == "GET":
        query = QUERIES.get((method, path), lambda ids: {})(mine)
        return client.get(f"/api/v1{url}", query_string=query, headers=tenant.headers)
    return call(client, tenant, method, url, EXAMPLES[method, path](mine))


def test_every_id_in_a_path_of_another_tenant_is_answered_as_a_missing_one(
    app, client, tenant, svc, theirs, mine, record_property
):
    """Generated from the URL map: a new route that takes an id fails here until the
    probe can fill it (its resource in `api_world.RESOURCES`, a request in `EXAMPLES`)."""
    before = fingerprint(svc)
    failures, probes = {}, 0
    for method, rule in routes(app):
        if rule in NOT_PROBED:
            continue
        path = api_path(rule)
        names = names_in(path)
        fillable = bool(names) and names <= RESOURCES.keys()
        if not fillable or (method != "GET" and (method, path) not in EXAMPLES):
            failures[f"{method} {rule}"] = "the probe cannot fill it (api_world)"
            continue
        missing = {resource: fresh(resource) for resource in theirs}
        refused = probed(client, tenant, method, rule, theirs, mine)
        absent = probed(client, tenant, method, rule, missing, mine)
        probes += 1
        answers = [(r.status_code, r.json) for r in (refused, absent)]
        said = (refused.status_code, refused.json.get("code"), refused.json.get("details"))
        if answers[0] != answers[1]:
            failures[f"{method} {rule}"] = f"theirs {answers[0]}, missing {answers[1]}"
        elif said != (404, "not_found", {"resource": RESOURCES[outermost(path)]}):
            failures[f"{method} {rule}"] = f"{answers[0]}"
    record_property("routes_probed", probes)
    assert not failures, shown(failures)
    assert fingerprint(svc) == before


def outermost(path: str) -> str:
    """The first id of a path (the member's in /members/{member_id}/addresses/{address_id}):
    what the route looks up first, so what another tenant's ids are missing as."""
    return re.findall(r"\{(\w+)\}", path)[0]


def body_ids(doc: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(method, path, field) of every write whose body names another resource by id."""
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            content = {} if method == "parameters" else operation.get("requestBody", {})
            if "application/json" not in content.get("content", {}):
                continue
            ref = content["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
            for field in doc["components"]["schemas"][ref].get("properties", {}):
                if field.endswith("_id"):
                    yield method.upper(), path.removeprefix("/api/v1"), field


def test_every_id_in_a_body_of_another_tenant_is_answered_as_a_missing_one(
    client, tenant, svc, theirs, mine
):
    """Generated from the OpenAPI document: each `*_id` field of each write's body, in
    the caller's own example request, gets another tenant's id and then a missing one."""
    doc = client.get("/api/openapi.json").json
    before = fingerprint(svc)
    failures, probes = {}, 0
    for method, path, field in body_ids(doc):
        if field in NOT_IDS:
            continue
        resource = BODY_IDS.get(field)
        if resource is None:
            failures[f"{method} {path} {field}"] = "the probe cannot fill it (BODY_IDS)"
            continue
        url = filled(path, mine)
        example = EXAMPLES[method, path](mine) or {}
        missing = fresh(resource)
        refused = call(client, tenant, method, url, example | {field: theirs[resource]})
        absent = call(client, tenant, method, url, example | {field: missing})
        probes += 1
        echoed = json.dumps(refused.json).replace(theirs[resource], missing)
        said = (refused.status_code, refused.json.get("code"), refused.json.get("details"))
        if (refused.status_code, echoed) != (absent.status_code, json.dumps(absent.json)):
            failures[f"{method} {path} {field}"] = f"theirs {refused.json}, missing {absent.json}"
        elif said[:2] != (422, f"unknown_{resource}") or said[2].get("resource") != resource:
            failures[f"{method} {path} {field}"] = f"{refused.status_code} {refused.json}"
    assert probes >= len(BODY_IDS)
    assert not failures, shown(failures)
    assert fingerprint(svc) == before


def query_ids(doc: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(path, parameter) of every read whose query names a resource by id."""
    for path, item in doc["paths"].items():
        for parameter in item.get("get", {}).get("parameters", []):
            name = parameter["name"]
            if parameter["in"] == "query" and name.endswith("_id") and name not in NOT_IDS:
                yield path.removeprefix("/api/v1"), name


def test_every_id_in_a_query_of_another_tenant_finds_what_a_missing_one_finds(
    client, tenant, theirs, mine
):
    """A filter by another tenant's id lists nothing, a lookup refuses it: exactly as for
    an id nothing has."""
    doc = client.get("/api/openapi.json").json
    failures, probes = {}, 0
    for path, parameter in query_ids(doc):
        resource = BODY_IDS[parameter]
        url = "/api/v1" + filled(path, mine)
        query = QUERIES.get(("GET", path), lambda ids: {})(mine)
        missing = fresh(resource)
        refused, absent = (
            client.get(url, query_string=query | {parameter: id_}, headers=tenant.headers)
            for id_ in (theirs[resource], missing)
        )
        probes += 1
        echoed = json.dumps(refused.json).replace(theirs[resource], missing)
        expected = (200, []) if refused.status_code == 200 else (422, f"unknown_{resource}")
        found = refused.json.get("items" if refused.status_code == 200 else "code")
        if (refused.status_code, echoed) != (absent.status_code, json.dumps(absent.json)):
            failures[f"{path}?{parameter}"] = f"theirs {refused.json}, missing {absent.json}"
        elif (refused.status_code, found) != expected:
            failures[f"{path}?{parameter}"] = f"{refused.status_code} {refused.json}"
    assert probes >= 5
    assert not failures, shown(failures)


def test_an_id_in_the_query_that_names_nothing_is_unknown(client, tenant, theirs):
    item = product(client, tenant)["id"]
    quote = f"/products/{item}/quote?member_id={theirs['member']}&quantity=1"
    refused = call(client, tenant, "GET", quote, None, 422).json
    assert (refused["code"], refused["details"]["resource"]) == ("unknown_member", "member")

    buyer = member(client, tenant, 1_000)
    missing_product = f"/products/{uuid.uuid4()}/quote?member_id={buyer}&quantity=1"
    refused = call(client, tenant, "GET", missing_product, None, 404).json
    assert (refused["code"], refused["details"]) == ("not_found", {"resource": "product"})

"""Each API key may make so many requests a minute; the next is a 429 `rate_limited`
with Retry-After, for that key only."""

import pytest
from conftest import another_key, sqlite_only
from test_cli import run

from jifen.app import create_app
from jifen.audit import SYSTEM
from jifen.config import Settings
from jifen.errors import ValidationFailed
from jifen.tenants import apikeys
from jifen.tenants.models import ApiKey

MEMBERS = "/api/v1/members"


def assert_rate_limited(response, per_minute: int) -> None:
    assert response.status_code == 429
    assert response.json["code"] == "rate_limited"
    assert response.json["details"]["limit_per_minute"] == per_minute
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    assert response.json["details"]["retry_after"] == retry_after


@sqlite_only
def test_a_key_past_its_limit_is_refused_and_other_keys_are_not(client, svc, tenant):
    limited = another_key(svc, tenant, rate_limit=3)
    for n in range(3):
        created = client.post(MEMBERS, json={"external_id": f"m{n}"}, headers=limited.headers)
        assert created.status_code == 201
    refused = client.post(MEMBERS, json={"external_id": "m3"}, headers=limited.headers)
    assert_rate_limited(refused, 3)
    assert_rate_limited(client.get(MEMBERS, headers=limited.headers), 3)
    # The refused write wrote nothing; the tenant's other key goes on.
    listed = client.get(MEMBERS, headers=tenant.headers)
    assert listed.status_code == 200
    assert sorted(m["external_id"] for m in listed.json["items"]) == ["m0", "m1", "m2"]


@sqlite_only
def test_keys_without_a_limit_of_their_own_get_the_platforms(database, tmp_path, svc, tenant):
    settings = Settings.from_env(
        {},
        database_url=database.app,
        operator_database_url=database.operator,
        instance_path=tmp_path / "limited",
        secret_key="test-secret-" + "x" * 40,
        testing=True,
        api_rate_limit=2,
    )
    app = create_app(settings)
    try:
        client = app.test_client()
        assert [client.get(MEMBERS, headers=tenant.headers).status_code for _ in range(2)] == [
            200,
            200,
        ]
        assert_rate_limited(client.get(MEMBERS, headers=tenant.headers), 2)
        generous = another_key(svc, tenant, rate_limit=100)
        assert client.get(MEMBERS, headers=generous.headers).status_code == 200
    finally:
        app.extensions["jifen.services"].close()


@sqlite_only
def test_workers_share_the_count_in_redis(database, tmp_path, redis_url, svc, tenant):
    limited = another_key(svc, tenant, rate_limit=2)

    def worker(name: str):
        settings = Settings.from_env(
            {},
            database_url=database.app,
            operator_database_url=database.operator,
            instance_path=tmp_path / name,
            secret_key="test-secret-" + "x" * 40,
            testing=True,
            redis_url=redis_url,
        )
        return create_app(settings)

    first, second = worker("first"), worker("second")
    try:
        assert first.test_client().get(MEMBERS, headers=limited.headers).status_code == 200
        assert second.test_client().get(MEMBERS, headers=limited.headers).status_code == 200
        assert_rate_limited(first.test_client().get(MEMBERS, headers=limited.headers), 2)
    finally:
        for app in (first, second):
            app.extensions["jifen.services"].close()


@sqlite_only
@pytest.mark.parametrize("limit", [300, 350])
def test_workers_taking_blocks_of_the_count_let_exactly_the_limit_through(
    database, tmp_path, redis_url, svc, tenant, limit
):
    """Each worker takes 3 requests at a time from Redis; 350 is no multiple of 3, so
    the last two are taken one at a time."""
    limited = another_key(svc, tenant, rate_limit=limit)
    apps = [
        create_app(
            Settings.from_env(
                {},
                database_url=database.app,
                operator_database_url=database.operator,
                instance_path=tmp_path / name,
                secret_key="test-secret-" + "x" * 40,
                testing=True,
                redis_url=redis_url,
            )
        )
        for name in ("first", "second")
    ]
    try:
        clients = [app.test_client() for app in apps]
        answers = [clients[n % 2].get(MEMBERS, headers=limited.headers) for n in range(limit + 1)]
        assert [a.status_code for a in answers[:limit]] == [200] * limit
        assert_rate_limited(answers[limit], limit)
        assert_rate_limited(clients[0].get(MEMBERS, headers=limited.headers), limit)
    finally:
        for app in apps:
            app.extensions["jifen.services"].close()


@sqlite_only
def test_an_unreachable_counter_lets_requests_through(database, tmp_path, svc, tenant):
    limited = another_key(svc, tenant, rate_limit=1)
    settings = Settings.from_env(
        {},
        database_url=database.app,
        operator_database_url=database.operator,
        instance_path=tmp_path / "down",
        secret_key="test-secret-" + "x" * 40,
        testing=True,
        redis_url="redis://127.0.0.1:1/0",
    )
    app = create_app(settings)
    try:
        client = app.test_client()
        assert [client.get(MEMBERS, headers=limited.headers).status_code for _ in range(2)] == [
            200,
            200,
        ]
    finally:
        app.extensions["jifen.services"].close()


@sqlite_only
def test_every_route_taking_a_key_documents_the_429(client):
    spec = client.get("/api/openapi.json").json
    response = spec["components"]["responses"]["RateLimited"]
    assert response["headers"]["Retry-After"]["schema"]["type"] == "integer"
    keyed = [
        (path, method, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and operation.get("security")
    ]
    assert len(keyed) > 40
    undocumented = [
        f"{method.upper()} {path}"
        for path, method, operation in keyed
        if operation["responses"].get("429") != {"$ref": "#/components/responses/RateLimited"}
    ]
    assert undocumented == []


@sqlite_only
@pytest.mark.parametrize("rate_limit", [0, -1, 2**31])
def test_a_key_limit_is_a_positive_count(svc, tenant, rate_limit):
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        key = session.query(ApiKey).one()
        with pytest.raises(ValidationFailed):
            apikeys.set_rate_limit(
                session, tenant.tenant_id, key.id, rate_limit, actor=SYSTEM, clock=svc.clock
            )
        with pytest.raises(ValidationFailed):
            another_key(svc, tenant, rate_limit=rate_limit)


@sqlite_only
def test_a_keys_limit_can_be_changed(client, svc, tenant):
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        key = session.query(ApiKey).one()
        apikeys.set_rate_limit(session, tenant.tenant_id, key.id, 1, actor=SYSTEM, clock=svc.clock)
    assert client.get(MEMBERS, headers=tenant.headers).status_code == 200
    assert_rate_limited(client.get(MEMBERS, headers=tenant.headers), 1)


@sqlite_only
def test_the_cli_sets_a_keys_limit(app, client, tenant):
    token = run(
        app, "apikeys", "create", "--tenant", tenant.slug, "--name", "pos", "--rate-limit", "1"
    )
    headers = {"Authorization": f"Bearer {token.strip()}"}
    assert client.get(MEMBERS, headers=headers).status_code == 200
    assert_rate_limited(client.get(MEMBERS, headers=headers), 1)
    prefix = token.split("_")[1]
    assert "6000 requests a minute" in run(app, "apikeys", "limit", prefix, "default")
    assert client.get(MEMBERS, headers=headers).status_code == 200

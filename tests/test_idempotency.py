"""Idempotency keys: a retried write returns its first answer and changes nothing.

A client that lost a response (a timeout, a dropped connection) sends the same request
again with the same `Idempotency-Key`; it must get the same answer, not a second member.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

import pytest
from sqlalchemy import select, text

from jifen import idempotency, schedules
from jifen.db import cross_tenant
from jifen.idempotency import IdempotencyKey
from jifen.ledger.models import Account

MEMBERS = "/api/v1/members"


def post(client, tenant, body, key, path=MEMBERS):
    return client.post(path, json=body, headers={**tenant.headers, "Idempotency-Key": key})


def members_of(client, tenant) -> list[dict]:
    listed = client.get(MEMBERS, headers=tenant.headers)
    assert listed.status_code == 200
    return listed.json["items"]


def test_a_repeated_request_replays_the_first_answer_and_creates_one_member(client, tenant):
    body = {"external_id": "wx/openid-1", "name": "Li Lei", "tags": ["new"]}

    first = post(client, tenant, body, "order-1001")
    again = post(client, tenant, body, "order-1001")

    assert first.status_code == again.status_code == 201
    assert again.json == first.json
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"
    assert [m["id"] for m in members_of(client, tenant)] == [first.json["id"]]


def test_the_same_json_written_differently_is_the_same_request(client, tenant):
    first = client.post(
        MEMBERS,
        data='{"external_id": "u-1", "name": "Han Meimei"}',
        content_type="application/json",
        headers={**tenant.headers, "Idempotency-Key": "k-1"},
    )
    again = client.post(
        MEMBERS,
        data='{"name":"Han Meimei","external_id":"u-1"}',
        content_type="application/json",
        headers={**tenant.headers, "Idempotency-Key": "k-1"},
    )

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"


def test_the_same_key_with_another_body_is_refused_and_writes_nothing(client, tenant):
    first = post(client, tenant, {"external_id": "u-1"}, "k-1")

    other = post(client, tenant, {"external_id": "u-2"}, "k-1")

    assert other.status_code == 409
    assert other.json["code"] == "idempotency_mismatch"
    assert [m["external_id"] for m in members_of(client, tenant)] == ["u-1"]
    # The key still answers for its first request.
    assert post(client, tenant, {"external_id": "u-1"}, "k-1").json == first.json


def test_the_same_key_on_another_endpoint_is_refused_and_writes_nothing(client, tenant):
    created = post(client, tenant, {"external_id": "u-1"}, "k-1").json

    erase = client.post(
        f"{MEMBERS}/{created['id']}/erasure",
        headers={**tenant.headers, "Idempotency-Key": "k-1"},
    )

    assert erase.status_code == 409
    assert erase.json["code"] == "idempotency_mismatch"
    member = client.get(f"{MEMBERS}/{created['id']}", headers=tenant.headers).json
    assert member["status"] == "active"


def test_keys_belong_to_one_tenant(client, make_tenant):
    alpha, beta = make_tenant("alpha"), make_tenant("beta")
    body = {"external_id": "u-1"}

    alphas = post(client, alpha, body, "shared-key")
    betas = post(client, beta, body, "shared-key")

    assert (alphas.status_code, betas.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in betas.headers
    assert betas.json["id"] != alphas.json["id"]
    assert [m["id"] for m in members_of(client, beta)] == [betas.json["id"]]
    assert post(client, alpha, body, "shared-key").json == alphas.json
    assert post(client, beta, body, "shared-key").json == betas.json


def test_a_failed_request_does_not_use_up_its_key(client, tenant):
    failed = post(client, tenant, {"external_id": "u-1", "birthday": "not a date"}, "k-1")

    corrected = post(client, tenant, {"external_id": "u-1", "birthday": "1990-05-04"}, "k-1")

    assert failed.status_code == 422
    assert corrected.status_code == 201
    assert "Idempotent-Replayed" not in corrected.headers
    assert corrected.json["birthday"] == "1990-05-04"
    assert len(members_of(client, tenant)) == 1


def test_a_refused_request_is_not_replayed_once_the_conflict_is_resolved(client, tenant):
    existing = post(client, tenant, {"external_id": "u-1"}, "k-1").json
    duplicate = post(client, tenant, {"external_id": "u-1"}, "k-2")
    renamed = client.patch(
        f"{MEMBERS}/{existing['id']}", json={"external_id": "u-renamed"}, headers=tenant.headers
    )

    retried = post(client, tenant, {"external_id": "u-1"}, "k-2")

    assert duplicate.status_code == 409
    assert duplicate.json["code"] == "duplicate_external_id"
    assert renamed.status_code == 200
    assert retried.status_code == 201
    assert "Idempotent-Replayed" not in retried.headers


@pytest.mark.parametrize(
    "key",
    ["", "k" * 256, "clé-1", "tab\there"],
    ids=["empty", "too-long", "non-ascii", "control-character"],
)
def test_an_invalid_key_is_refused_with_a_code(client, tenant, key):
    response = post(client, tenant, {"external_id": "u-1"}, key)

    assert response.status_code == 422
    assert response.json["code"] == "validation_error"
    assert response.json["details"] == {"header": "Idempotency-Key"}
    assert members_of(client, tenant) == []


def test_the_longest_valid_key_is_accepted(client, tenant):
    key = "k" * 255

    first = post(client, tenant, {"external_id": "u-1"}, key)
    again = post(client, tenant, {"external_id": "u-1"}, key)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"


def test_concurrent_duplicates_create_one_member(app, client, tenant):
    # One request first, so the key's last_used_at is fresh and the duplicates below
    # meet on the idempotency key rather than queue on the API key's row.
    assert client.get(MEMBERS, headers=tenant.headers).status_code == 200
    body = {"external_id": "wx/racer", "name": "Racer"}
    threads = 8
    start = threading.Barrier(threads)

    def attempt(_: int):
        own_client = app.test_client()
        start.wait(timeout=30)
        response = post(own_client, tenant, body, "race-1")
        return response.status_code, response.json, response.headers.get("Idempotent-Replayed")

    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(attempt, range(threads)))

    created = [r for r in results if r[0] == 201]
    in_progress = [r for r in results if r[0] == 409]
    assert len(created) + len(in_progress) == threads, results
    assert all(r[1]["code"] == "idempotency_in_progress" for r in in_progress), results
    assert [r[2] for r in created].count(None) == 1, "exactly one request did the work"
    assert all(r[1] == created[0][1] for r in created)
    assert [m["id"] for m in members_of(client, tenant)] == [created[0][1]["id"]]
    retry = post(client, tenant, body, "race-1")
    assert (retry.status_code, retry.json) == (201, created[0][1])


# --- duplicates in flight -------------------------------------------------------------


def earn_twice_at_once(app, tenant, body, key):
    """Send the same earn twice at the same moment, from two threads; their answers."""
    start = threading.Barrier(2)

    def attempt(_: int):
        own_client = app.test_client()
        start.wait(timeout=30)
        return post(own_client, tenant, body, key, path="/api/v1/points/earn")

    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(attempt, range(2)))


def member_balance(client, tenant, member_id) -> int:
    return client.get(f"{MEMBERS}/{member_id}/points", headers=tenant.headers).json["balance"]


def test_simultaneous_duplicates_both_get_the_answer_of_one_credit(app, client, tenant):
    member = post(client, tenant, {"external_id": "u-1"}, "setup").json["id"]
    body = {"member_id": member, "amount": 50}

    answers = earn_twice_at_once(app, tenant, body, "earn-1")

    assert [a.status_code for a in answers] == [201, 201], [a.json for a in answers]
    assert answers[0].json == answers[1].json
    assert sorted(a.headers.get("Idempotent-Replayed", "") for a in answers) == ["", "true"]
    assert member_balance(client, tenant, member) == 50


def test_a_duplicate_still_running_when_the_wait_runs_out_is_in_progress(app, svc, client, tenant):
    member = post(client, tenant, {"external_id": "u-1"}, "setup").json["id"]
    body = {"member_id": member, "amount": 50}
    opening = post(client, tenant, {**body, "amount": 10}, "opening", path="/api/v1/points/earn")
    assert opening.status_code == 201
    svc.settings = dataclasses.replace(svc.settings, idempotency_wait=0.3)
    start = threading.Barrier(2)

    def attempt(_: int):
        own_client = app.test_client()
        start.wait(timeout=30)
        return post(own_client, tenant, body, "earn-1", path="/api/v1/points/earn")

    # Another transaction holds the member's wallet (on SQLite, the write lock), so the
    # request that claims the key first cannot finish before its duplicate gives up.
    with svc.db.transaction(tenant_id=tenant.tenant_id) as blocker:
        blocker.execute(select(Account).where(Account.member_id == member).with_for_update())
        pool = ThreadPoolExecutor(2)
        running = [pool.submit(attempt, i) for i in range(2)]
        done, _ = wait(running, timeout=30, return_when=FIRST_COMPLETED)
    pool.shutdown()
    answers = sorted((f.result() for f in running), key=lambda a: a.status_code)

    assert [a.status_code for a in answers] == [201, 409], [a.json for a in answers]
    assert [f.result().status_code for f in done] == [409], "the refusal came first"
    assert answers[1].json["code"] == "idempotency_in_progress"
    assert member_balance(client, tenant, member) == 10 + 50
    retried = post(client, tenant, body, "earn-1", path="/api/v1/points/earn")
    assert (retried.status_code, retried.json) == (201, answers[0].json)
    assert retried.headers["Idempotent-Replayed"] == "true"


# --- retention -----------------------------------------------------------------------


def stored_keys(svc) -> set[tuple[uuid.UUID, str]]:
    with svc.db.session() as session, cross_tenant(session, "test inspection"):
        return {(k.tenant_id, k.key) for k in session.scalars(select(IdempotencyKey))}


def test_purge_forgets_old_keys_of_every_tenant_and_keeps_fresh_ones(
    svc, client, clock, make_tenant
):
    alpha, beta = make_tenant("alpha"), make_tenant("beta")
    post(client, alpha, {"external_id": "a-old"}, "old")
    post(client, beta, {"external_id": "b-old"}, "old")
    clock.advance(days=9)
    post(client, alpha, {"external_id": "a-new"}, "new")

    purged = schedules.purge_idempotency_keys(svc)
    purged_again = schedules.purge_idempotency_keys(svc)

    assert (purged, purged_again) == (2, 0)
    assert stored_keys(svc) == {(alpha.tenant_id, "new")}
    # A forgotten key is free for a new request; a kept one still guards its first.
    assert post(client, alpha, {"external_id": "a-other"}, "old").status_code == 201
    assert post(client, alpha, {"external_id": "a-other"}, "new").status_code == 409


def test_keys_are_kept_at_least_seven_days(svc, client, clock, tenant):
    first = post(client, tenant, {"external_id": "u-1"}, "k-1")
    clock.advance(days=7, hours=23)

    purged = schedules.purge_idempotency_keys(svc)

    assert purged == 0
    again = post(client, tenant, {"external_id": "u-1"}, "k-1")
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json == first.json


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_a_duplicate_that_waited_locks_rows_as_any_request_does(svc, tenant):
    """On PostgreSQL a duplicate blocks on the first request's advisory lock, bounded by
    a lock timeout for that wait only: once the first commits, the duplicate replays its
    answer, and the rest of its transaction waits for row locks as long as any request."""
    claim = functools.partial(
        idempotency.claim,
        tenant_id=tenant.tenant_id,
        key="slow-1",
        method="POST",
        route=MEMBERS,
        fingerprint=idempotency.request_hash("POST", MEMBERS, b"{}"),
        now=svc.clock.now(),
        wait=10,
    )

    def duplicate() -> tuple[object, str]:
        with svc.db.session(tenant_id=tenant.tenant_id) as session:
            stored = claim(session)
            return stored, session.scalar(text("SELECT current_setting('lock_timeout')"))

    with svc.db.session(tenant_id=tenant.tenant_id) as first:
        assert claim(first) is None
        with ThreadPoolExecutor(1) as pool:
            waiting = pool.submit(duplicate)
            while not advisory_lock_waits(svc):
                assert not waiting.done(), waiting.result()
                time.sleep(0.01)
            idempotency.complete(first, "slow-1", 201, {"id": "the first"})
            first.commit()
            stored, lock_timeout = waiting.result(timeout=30)

    assert stored == idempotency.StoredResponse(201, {"id": "the first"})
    assert lock_timeout == "0"  # the server's default: no bound on row-lock waits


def advisory_lock_waits(svc) -> bool:
    with svc.db.session() as session:
        return bool(
            session.scalar(
                text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
            )
        )

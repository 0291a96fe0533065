"""Jobs run after the transaction commits: on the worker thread by default, through rq
with Redis."""

import pytest
from conftest import create_tenant_with_key
from redis import Redis
from rq import Queue, Worker
from sqlalchemy.orm import Session

from jifen import jobs
from jifen.app import create_app
from jifen.config import Settings
from jifen.tenants.models import ApiKey


def last_used(svc, tenant):
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        return session.query(ApiKey.last_used_at).scalar()


def test_a_job_runs_on_the_worker_thread_after_the_request_commits(client, svc, tenant, clock):
    assert last_used(svc, tenant) is None
    assert client.get("/api/v1/members", headers=tenant.headers).status_code == 200
    assert svc.jobs.wait_idle()
    assert last_used(svc, tenant) == clock.now()


def test_a_rolled_back_transaction_runs_no_job(svc, tenant):
    ran = []
    with svc.db.session(tenant_id=tenant.tenant_id, write=True) as session:
        session.begin()
        jobs.enqueue(session, lambda services, x: ran.append(x), 1)
        session.rollback()
        session.begin()
        session.commit()
    assert svc.jobs.wait_idle()
    assert ran == []


def test_a_failing_inline_job_does_not_undo_the_commit(svc, tenant, caplog):
    def explode(services):
        raise RuntimeError("boom")

    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        jobs.enqueue(session, explode)
    assert svc.jobs.wait_idle()
    assert "background job" in caplog.text


def test_enqueue_needs_a_session_with_a_job_runner():
    with pytest.raises(RuntimeError):
        jobs.enqueue(Session(), print)


def test_rq_worker_runs_the_job_in_a_forked_child(database, tmp_path, redis_url, clock):
    settings = Settings.from_env(
        {},
        database_url=database.app,
        operator_database_url=database.operator,
        migration_database_url=database.owner,
        instance_path=tmp_path / "instance",
        secret_key="s" * 48,
        redis_url=redis_url,
        testing=True,
    )
    app = create_app(settings)
    svc = app.extensions["jifen.services"]
    svc.clock = clock
    tenant = create_tenant_with_key(svc, "rq", ("members:read",))
    redis = Redis.from_url(redis_url)
    queue = Queue(jobs.QUEUE, connection=redis)
    queue.empty()
    response = app.test_client().get("/api/v1/members", headers=tenant.headers)
    assert response.status_code == 200
    assert queue.count == 1  # queued, not run: no worker yet
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        assert session.query(ApiKey.last_used_at).scalar() is None
    with app.app_context():
        Worker([queue], connection=redis).work(burst=True)
    assert queue.count == 0
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        assert session.query(ApiKey.last_used_at).scalar() == clock.now()
    svc.close()


def test_with_redis_unreachable_a_committed_request_still_answers(
    database, tmp_path, clock, caplog
):
    settings = Settings.from_env(
        {},
        database_url=database.app,
        operator_database_url=database.operator,
        migration_database_url=database.owner,
        instance_path=tmp_path / "instance",
        secret_key="s" * 48,
        redis_url="redis://127.0.0.1:1/0",  # nothing listens there
        testing=True,
    )
    app = create_app(settings)
    svc = app.extensions["jifen.services"]
    svc.clock = clock
    tenant = create_tenant_with_key(svc, "no-redis", ("members:read", "members:write"))
    client = app.test_client()
    created = client.post("/api/v1/members", json={"external_id": "u-1"}, headers=tenant.headers)
    assert created.status_code == 201
    assert (
        client.get("/api/v1/members", headers=tenant.headers).json["items"][0]["external_id"]
        == "u-1"
    )
    assert "not queued (Redis unreachable?)" in caplog.text
    svc.close()


def test_rq_cron_sends_runs_over_every_member_to_the_bulk_queue():
    # One worker serves both queues, the interactive one first: a sweep over every
    # member must not hold up the relay's payment calls behind it.
    import importlib

    from rq import cron

    import jifen.rq_cron

    cron._job_data_registry.clear()
    importlib.reload(jifen.rq_cron)
    queues = {job["name"]: job["queue_name"] for job in cron._job_data_registry}
    cron._job_data_registry.clear()
    assert queues["expire-points"] == queues["points-expiry-reminders"] == "jifen-bulk"
    assert queues["tier-reevaluation"] == queues["birthday-events"] == "jifen-bulk"
    assert queues["relay-sweep"] == queues["expire-unpaid-payments"] == "jifen"
    assert queues["settle-due-holds"] == "jifen"

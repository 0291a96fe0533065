"""api_floor: `POST /api/v1/members` of ours against the minimal transactional write.

Ours is `wsgi:app` under gunicorn, migrated and given one tenant and one API key
(`members:write`, `members:read`); every request creates a member with a unique
external id. The reference is `bench.reference:write_app` (one INSERT and COMMIT on the
same database with the same driver), and `vs_bare=` compares ours with
`bench.reference:bare_app` (no database). The ratio is the floor of what the API's layers
(authentication, validation, tenancy, audit, serialisation) cost over the write itself.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench import reference
from bench.http import (
    REPO_ROOT,
    UNIQUE,
    App,
    BenchDatabase,
    BenchError,
    Load,
    Result,
    base_env,
    bench_database,
    compare,
    log,
)
from bench.relay import relay_beside, relay_lag, worker_for
from jifen.config import Settings
from jifen.services import Services

NAME = "api_floor"
PATH = "/api/v1/members"
SCOPES = ["members:write", "members:read"]

# Run in a child process with ours' environment: prints {"token": ...} on its last line.
_SETUP = """
import json, sys
from jifen import audit
from jifen.app import create_app
from jifen.tenants.apikeys import create_api_key
from jifen.tenants.service import create_tenant

slug, scopes = sys.argv[1], json.loads(sys.argv[2])
app = create_app()
services = app.extensions["jifen.services"]
with services.db.transaction() as session:
    tenant = create_tenant(
        session, slug=slug, name="Bench", actor=audit.SYSTEM, clock=services.clock
    )
    _key, token = create_api_key(
        session,
        tenant_id=tenant.id,
        name="bench",
        scopes=scopes,
        actor=audit.SYSTEM,
        clock=services.clock,
        keyring=services.keyring,
    )
print(json.dumps({"token": token}))
"""


def ours_env(database: BenchDatabase, workdir: Path) -> dict[str, str]:
    return {
        "JIFEN_DATABASE_URL": database.url,
        "JIFEN_MIGRATION_DATABASE_URL": database.owner_url,
        "JIFEN_OPERATOR_DATABASE_URL": database.operator_url,
        "JIFEN_INSTANCE_PATH": str(workdir / "instance"),
        "JIFEN_SECRET_KEY": secrets.token_urlsafe(48),
        # One key drives the whole load, far past any real client's rate: every request is
        # still counted, and none refused.
        "JIFEN_API_RATE_LIMIT": str(2**31 - 1),
    }


def _run(command: list[str], env: dict[str, str], what: str) -> str:
    completed = subprocess.run(
        command,
        cwd=REPO_ROOT,
        env={**base_env(), **env},
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
        timeout=300,
    )
    if completed.returncode != 0:
        raise BenchError(
            f"{what} failed ({completed.returncode}):\n{completed.stdout}{completed.stderr}"
        )
    return completed.stdout


def set_up_ours(env: dict[str, str], script: str, *args: str) -> Any:
    """Migrate ours, then run a set-up script in its environment: what the script
    printed as JSON on its last line."""
    _run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "jifen", "db", "upgrade"], env, "migration"
    )
    out = _run([sys.executable, "-c", script, *args], env, "set-up")
    return json.loads(out.strip().splitlines()[-1])


def against_reference(
    name: str, database: BenchDatabase, env: dict[str, str], load: Load, workdir: Path
) -> Result:
    """Ours (`wsgi:app`, with Redis and one relay worker beside it) against the
    one-INSERT reference and the bare endpoint, by the protocol of `bench.http.compare`;
    the line also gives the relay's lag after the load."""
    reference.create_table(database.owner_url, database.url)
    try:
        with relay_beside(workdir) as redis_url:
            ours = {**env, "JIFEN_REDIS_URL": redis_url}
            with worker_for(ours, workdir):
                result = compare(
                    name,
                    ours=App("ours", "wsgi:app", ours),
                    reference=App(
                        "reference",
                        "bench.reference:write_app",
                        {"JIFEN_DATABASE_URL": database.url},
                    ),
                    bare=App("bare", "bench.reference:bare_app"),
                    load=load,
                    workdir=workdir,
                )
                services = Services.build(Settings.from_env(ours))
                try:
                    result.extra["relay_lag"] = relay_lag(services)
                finally:
                    services.close()
        return result
    finally:
        reference.drop_table(database.owner_url)


def run(db: str) -> Result:
    with (
        tempfile.TemporaryDirectory(prefix="jifen-bench-") as tmp,
        bench_database(db, Path(tmp)) as database,
    ):
        workdir = Path(tmp)
        env = ours_env(database, workdir)
        log(f"{NAME}: migrating ours")
        # A fresh slug each time, so a database given by JIFEN_BENCH_DATABASE_URL can be
        # reused.
        slug = f"bench-{secrets.token_hex(4)}"
        token = set_up_ours(env, _SETUP, slug, json.dumps(SCOPES))["token"]
        load = Load(
            path=PATH,
            method="POST",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            body={"external_id": UNIQUE, "name": "Bench Member"},
            expected_status=201,
        )
        return against_reference(NAME, database, env, load, workdir)

"""Redis and one relay worker beside ours, as in production (docs/architecture.md,
"Domain events and the relay"): commits wake the relay through Redis and one
`flask jifen worker` process delivers. `relay_lag` is how long the relay took, once the
load had stopped, to deliver everything its subscribers want: 0.0 s when it kept up.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

from bench.http import REPO_ROOT, BenchError, base_env, log
from jifen.services import Services

LAG_TIMEOUT = 300.0


@contextlib.contextmanager
def relay_beside(workdir: Path) -> Iterator[str]:
    """A throwaway Redis server; yields its URL. Start the worker with `worker_for`."""
    from jifen.testing.servers import ServiceUnavailable, start_redis

    try:
        server = start_redis(workdir / "redis")
    except (ServiceUnavailable, RuntimeError) as exc:
        raise BenchError(f"cannot start Redis for the relay: {exc}") from exc
    try:
        yield server.url
    finally:
        server.stop()


@contextlib.contextmanager
def worker_for(env: Mapping[str, str], workdir: Path) -> Iterator[None]:
    """One `flask jifen worker` with ours' environment (Redis included), for the run."""
    log("starting one relay worker beside ours")
    with (workdir / "worker.log").open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "jifen", "worker"],
            cwd=REPO_ROOT,
            env={**base_env(), **env},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def relay_lag(services: Services) -> str:
    """Seconds until the relay has delivered everything wanted, from now (the end of
    the load), as the result line shows it."""
    started = time.monotonic()
    if not services.relay.backlog():
        return "0.0s"
    while services.relay.backlog():
        if time.monotonic() - started > LAG_TIMEOUT:
            raise BenchError(f"the relay did not catch up within {LAG_TIMEOUT:.0f} s")
        time.sleep(0.1)
    return f"{time.monotonic() - started:.1f}s"

"""The HTTP benchmark protocol (docs/architecture.md, "Benchmarks").

Each app under test (ours, the reference, the bare endpoint) runs under
`gunicorn -w 2 -k sync` on a free loopback port. Load comes from `wrk -t1 -c8` with a
Lua script that makes every request body unique (a random prefix per wrk run, the wrk
thread and a counter) and counts responses whose status is not the expected one. Each
app is warmed up, then the apps are measured in interleaved rounds (ours, reference,
bare, ours, ...) so that the machine's drift falls on all of them alike, and the median
requests/s of each is kept. A run with an unexpected status, a socket error other than
the server closing a connection, or no request at all fails the benchmark: a ratio over
errors would be a lie.

`JIFEN_BENCH_SECONDS` (default 10) and `JIFEN_BENCH_WARMUP` (default 3) shorten the runs
for a smoke test; `JIFEN_BENCH_WRK` names another wrk binary.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.reference import database_url

WORKERS = 2
WRK_THREADS = 1
WRK_CONNECTIONS = 8
ROUNDS = 3
DEFAULT_SECONDS = 10
DEFAULT_WARMUP = 3
STARTUP_TIMEOUT = 60.0

# Put this string as a value in a Load body: each request gets a unique value instead.
UNIQUE = "<<jifen-bench-unique>>"
# ... and this one to take the next of the Load's `rotate` values.
ROTATE = "<<jifen-bench-rotate>>"

REPO_ROOT = Path(__file__).resolve().parent.parent


class BenchError(RuntimeError):
    """The benchmark cannot give an honest number; the message says why."""


@dataclass(frozen=True)
class Result:
    """One benchmark's outcome: ours against a baseline measured in the same run."""

    name: str
    ours: float
    baseline: float
    unit: str = "/s"
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.ours / self.baseline

    def line(self) -> str:
        parts = [
            f"{self.name}: ratio={self.ratio:.2f}",
            f"ours={self.ours:.0f}{self.unit}",
            f"baseline={self.baseline:.0f}{self.unit}",
            *(f"{key}={value}" for key, value in self.extra.items()),
        ]
        return " ".join(parts)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def seconds_from_env(name: str, default: int, *, minimum: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BenchError(f"{name} must be a whole number of seconds, not {raw!r}") from None
    if value < minimum:
        raise BenchError(f"{name} must be at least {minimum}")
    return value


def base_env() -> dict[str, str]:
    """This process's environment without JIFEN_* settings: each app gets only its own."""
    return {k: v for k, v in os.environ.items() if not k.startswith("JIFEN_")}


# --- load ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Load:
    """What every request looks like. `body` values equal to UNIQUE vary per request;
    values equal to ROTATE take the next of `rotate` (e.g. a set of member ids). Answers
    other than `expected_status` count as failures, except a status in `refusals` whose
    body holds the given text (a clean refusal the benchmark expects, such as a flash
    sale's out-of-stock)."""

    path: str
    method: str = "POST"
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Any = None
    expected_status: int = 200
    rotate: tuple[str, ...] = ()
    refusals: Mapping[int, str] = field(default_factory=dict)
    # A header that takes the next of `rotate` on each request instead (a session
    # cookie, say: `Cookie` with values "name=token").
    rotate_header: str = ""

    def lua_script(self, prefix: str) -> str:
        text = "" if self.body is None else json.dumps(self.body, ensure_ascii=False)
        markers = {json.dumps(UNIQUE)[1:-1]: "unique", json.dumps(ROTATE)[1:-1]: "rotate"}
        pattern = "(" + "|".join(re.escape(m) for m in markers) + ")"
        pieces = re.split(pattern, text)
        found = [markers[p] for p in pieces[1::2]]
        if len(found) != len(set(found)):
            raise BenchError("a Load body may hold each marker once")
        if ("rotate" in found or self.rotate_header) and not self.rotate:
            raise BenchError("a Load body with ROTATE, or a rotate_header, needs `rotate` values")
        headers = "\n".join(
            f"wrk.headers[{_lua(name)}] = {_lua(value)}" for name, value in self.headers.items()
        )
        parts = []
        for n, piece in enumerate(pieces):
            if n % 2 == 0:
                parts.append(_lua(piece))
            elif markers[piece] == "unique":
                parts.append('prefix .. "-" .. tid .. "-" .. counter')
            else:
                parts.append("rotate[(counter + tid) % #rotate + 1]")
        make_body = f"return {' .. '.join(parts)}" if self.body is not None else "return nil"
        return _LUA_TEMPLATE.format(
            method=_lua(self.method),
            headers=headers,
            prefix=_lua(prefix),
            rotate="{" + ", ".join(_lua(value) for value in self.rotate) + "}",
            rotate_header=_lua(self.rotate_header),
            make_body=make_body,
            expected=int(self.expected_status),
            refusals="{"
            + ", ".join(f"[{int(code)}] = {_lua(text)}" for code, text in self.refusals.items())
            + "}",
        )


def _lua(value: str) -> str:
    """A Lua string literal for any text: every byte outside a safe set as \\ddd."""
    safe = set(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-.,:/{}[]=+*")
    return '"' + "".join(chr(b) if b in safe else f"\\{b:03d}" for b in value.encode()) + '"'


_LUA_TEMPLATE = """\
-- Generated by bench.http: unique bodies, and a count of unexpected statuses.
wrk.method = {method}
{headers}
prefix = {prefix}
rotate = {rotate}
rotate_header = {rotate_header}
expected = {expected}
refusals = {refusals}

local threads = {{}}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  counter = 0
  unexpected = 0
  first_unexpected = ""
end

local function body()
  {make_body}
end

function request()
  counter = counter + 1
  local headers = nil
  if rotate_header ~= "" then
    headers = {{}}
    for name, value in pairs(wrk.headers) do headers[name] = value end
    headers[rotate_header] = rotate[(counter + tid) % #rotate + 1]
  end
  return wrk.format(nil, nil, headers, body())
end

local function refused_cleanly(status, body)
  local text = refusals[status]
  return text ~= nil and string.find(body or "", text, 1, true) ~= nil
end

function response(status, headers, body)
  if status ~= expected and not refused_cleanly(status, body) then
    unexpected = unexpected + 1
    if first_unexpected == "" then
      first_unexpected = status .. " " .. string.sub(body or "", 1, 300)
    end
  end
end

function done(summary, latency, requests)
  local total = 0
  local first = ""
  for _, thread in ipairs(threads) do
    total = total + thread:get("unexpected")
    local f = thread:get("first_unexpected")
    if first == "" and f ~= nil and f ~= "" then
      first = f
    end
  end
  io.write("JIFEN-UNEXPECTED " .. total .. "\\n")
  io.write("JIFEN-FIRST-UNEXPECTED " .. (string.gsub(first, "[\\r\\n]", " ")) .. "\\n")
end
"""


# --- servers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class App:
    """A WSGI app to serve: `label` for the logs, `target` as gunicorn takes it."""

    label: str
    target: str
    env: Mapping[str, str] = field(default_factory=dict)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """One gunicorn master serving an App, started and stopped by us."""

    def __init__(self, app: App, workdir: Path) -> None:
        self.app = app
        self.port = free_port()
        self.log_path = workdir / f"gunicorn-{app.label}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            str(WORKERS),
            "-k",
            "sync",
            "-b",
            f"127.0.0.1:{self.port}",
            "--log-level",
            "warning",
            self.app.target,
        ]
        env = {**base_env(), **self.app.env}
        with self.log_path.open("ab") as out:
            self.process = subprocess.Popen(
                command,
                cwd=REPO_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches us; we stop it ourselves
            )
        self._wait_until_answering()

    def _wait_until_answering(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(
                    f"gunicorn for {self.app.label} ({self.app.target}) exited with "
                    f"{self.process.returncode}:\n{self.log_tail()}"
                )
            # Any HTTP answer will do (a 404 or 405 too): the workers are importing no more.
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            try:
                conn.request("GET", "/")
                conn.getresponse().read()
                return
            except OSError:
                time.sleep(0.1)
            finally:
                conn.close()
        raise BenchError(
            f"gunicorn for {self.app.label} did not answer within {STARTUP_TIMEOUT:.0f} s:\n"
            f"{self.log_tail()}"
        )

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:]) or "(empty log)"

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)  # gunicorn: graceful shutdown of its workers
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # its own session: its workers only
            process.wait(timeout=5)


@contextlib.contextmanager
def serving(apps: list[App], workdir: Path) -> Iterator[list[Server]]:
    servers: list[Server] = []
    try:
        for app in apps:
            server = Server(app, workdir)
            servers.append(server)
            log(f"starting {app.label}: gunicorn -w {WORKERS} -k sync {app.target}")
            server.start()
        yield servers
    finally:
        for server in servers:
            server.stop()


# --- wrk -------------------------------------------------------------------------------


@dataclass(frozen=True)
class WrkRun:
    requests_per_second: float
    requests: int
    unexpected: int
    first_unexpected: str
    non_2xx_3xx: int
    socket_errors: dict[str, int]
    output: str


def wrk_binary() -> str:
    name = os.environ.get("JIFEN_BENCH_WRK") or "wrk"
    found = shutil.which(name)
    if found is None:
        raise BenchError(f"{name!r} not found: install wrk (Debian: apt-get install wrk)")
    return found


def run_wrk(url: str, script: Path, seconds: int) -> WrkRun:
    command = [
        wrk_binary(),
        f"-t{WRK_THREADS}",
        f"-c{WRK_CONNECTIONS}",
        f"-d{seconds}s",
        "-s",
        str(script),
        url,
    ]
    completed = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    output = completed.stdout + completed.stderr
    if completed.returncode != 0:
        raise BenchError(f"wrk exited with {completed.returncode}:\n{output}")
    return parse_wrk(output)


def parse_wrk(output: str) -> WrkRun:
    def number(pattern: str, default: str | None = None) -> str:
        match = re.search(pattern, output, re.MULTILINE)
        if match is None:
            if default is None:
                raise BenchError(f"cannot read wrk's output ({pattern!r}):\n{output}")
            return default
        return match.group(1)

    socket_errors = {"connect": 0, "read": 0, "write": 0, "timeout": 0}
    match = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if match:
        socket_errors = dict(zip(socket_errors, map(int, match.groups()), strict=True))
    return WrkRun(
        requests_per_second=float(number(r"^Requests/sec:\s+([\d.]+)")),
        requests=int(number(r"^\s*(\d+) requests in ")),
        unexpected=int(number(r"^JIFEN-UNEXPECTED (\d+)")),
        first_unexpected=number(r"^JIFEN-FIRST-UNEXPECTED ?(.*)$", ""),
        non_2xx_3xx=int(number(r"Non-2xx or 3xx responses: (\d+)", "0")),
        socket_errors=socket_errors,
        output=output,
    )


def check(run: WrkRun, label: str, load: Load, server: Server) -> None:
    problems = []
    if run.requests == 0:
        problems.append("no request completed")
    # wrk counts clean refusals as non-2xx too; the script has already checked them.
    if run.unexpected or (run.non_2xx_3xx and not load.refusals):
        problems.append(
            f"{run.unexpected} responses were not {load.expected_status}"
            f" ({run.non_2xx_3xx} non-2xx/3xx); first: {run.first_unexpected or '?'}"
        )
    # A read error is the server closing a connection, which gunicorn's sync workers do
    # after every response; connect errors and timeouts are failures.
    hard = {k: v for k, v in run.socket_errors.items() if k != "read" and v}
    if hard:
        problems.append(f"socket errors {hard}")
    if problems:
        raise BenchError(
            f"{label}: {'; '.join(problems)}\n--- wrk ---\n{run.output}"
            f"--- gunicorn log ---\n{server.log_tail()}"
        )


def compare(
    name: str,
    ours: App,
    reference: App,
    bare: App,
    load: Load,
    workdir: Path,
) -> Result:
    """Measure ours, the reference and the bare endpoint by the protocol above."""
    seconds = seconds_from_env("JIFEN_BENCH_SECONDS", DEFAULT_SECONDS, minimum=1)
    warmup = seconds_from_env("JIFEN_BENCH_WARMUP", DEFAULT_WARMUP, minimum=0)
    wrk_binary()  # fail before starting anything
    samples: dict[str, list[float]] = {ours.label: [], reference.label: [], bare.label: []}
    with serving([ours, reference, bare], workdir) as servers:
        runs = 0

        def measure(server: Server, duration: int, what: str) -> WrkRun:
            nonlocal runs
            runs += 1
            script = workdir / f"load-{runs}.lua"
            # A fresh prefix per wrk run keeps bodies unique across runs and invocations.
            script.write_text(load.lua_script(f"{secrets.token_hex(6)}"))
            run = run_wrk(server.url + load.path, script, duration)
            check(run, f"{name} {what} {server.app.label}", load, server)
            return run

        if warmup:
            for server in servers:
                run = measure(server, warmup, "warm-up")
                log(f"{name}: warm-up {server.app.label}: {run.requests_per_second:.0f}/s")
        for round_ in range(1, ROUNDS + 1):
            for server in servers:
                run = measure(server, seconds, f"round {round_}")
                samples[server.app.label].append(run.requests_per_second)
                log(
                    f"{name}: round {round_}/{ROUNDS} {server.app.label}: "
                    f"{run.requests_per_second:.0f}/s ({run.requests} requests)"
                )
    ours_rps = statistics.median(samples[ours.label])
    reference_rps = statistics.median(samples[reference.label])
    bare_rps = statistics.median(samples[bare.label])
    return Result(
        name=name,
        ours=ours_rps,
        baseline=reference_rps,
        extra={"vs_bare": f"{ours_rps / bare_rps:.2f}"},
    )


# --- databases -------------------------------------------------------------------------


@dataclass(frozen=True)
class BenchDatabase:
    """Where ours and the reference write: the app's URL, the owner's (migrations) and the
    operator's (cross-tenant work), the roles production connects as."""

    dialect: str
    url: str
    owner_url: str
    operator_url: str


@contextlib.contextmanager
def bench_database(db: str, workdir: Path) -> Iterator[BenchDatabase]:
    """A database for one benchmark run.

    SQLite: a fresh file in `workdir`. PostgreSQL: `JIFEN_BENCH_DATABASE_URL` (and
    `JIFEN_BENCH_MIGRATION_DATABASE_URL` for the owner, `JIFEN_BENCH_OPERATOR_DATABASE_URL`
    for the operator, each else the same URL) if set, or a temporary server started as
    the tests start theirs, stopped afterwards.
    """
    if db == "sqlite":
        url = f"sqlite:///{workdir / 'bench.db'}"
        yield BenchDatabase("sqlite", url, url, url)
        return
    if db != "postgresql":
        raise BenchError(f"unknown database {db!r}")
    given = os.environ.get("JIFEN_BENCH_DATABASE_URL")
    if given:
        owner = os.environ.get("JIFEN_BENCH_MIGRATION_DATABASE_URL") or given
        operator = os.environ.get("JIFEN_BENCH_OPERATOR_DATABASE_URL") or given
        log("using the PostgreSQL server of JIFEN_BENCH_DATABASE_URL")
        yield BenchDatabase(
            "postgresql", database_url(given), database_url(owner), database_url(operator)
        )
        return
    from jifen.testing.servers import ServiceUnavailable, start_postgres

    # The server runs as the postgres user, which must traverse down to its data folder.
    workdir.chmod(0o711)
    log("starting a temporary PostgreSQL server (durability off, as for the tests)")
    try:
        server = start_postgres(workdir / "postgres")
    except (ServiceUnavailable, RuntimeError) as exc:
        raise BenchError(f"cannot start PostgreSQL: {exc}") from exc
    try:
        server.create_database("jifen_bench")
        yield BenchDatabase(
            "postgresql",
            database_url(server.url("jifen_bench")),
            database_url(server.owner_url("jifen_bench")),
            database_url(server.operator_url("jifen_bench")),
        )
    finally:
        server.stop()

"""Throwaway PostgreSQL and Redis servers for tests (ours and plugin authors') and the
benchmarks.

Both are started from the binaries the Debian packages install (`postgresql`,
`redis-server`), each on a free loopback port with its own folder, so two pytest-xdist
workers can each start their own at the same time. Durability is switched off: these
servers hold nothing worth keeping. `stop()` ends the server and removes its files;
servers still running when the process exits are stopped then too.

PostgreSQL pitfalls handled here (docs/architecture.md, "Tests"): Debian keeps `initdb` and
`pg_ctl` off PATH in a versioned folder, and `initdb` refuses to run as root, so as root
the server runs as the `postgres` OS user in a data directory that user owns, under a
parent it can traverse.

Roles in every server: `postgres` (superuser, used here for admin SQL only),
`jifen_owner` (owns the databases, runs migrations), `jifen_app` (the application's
role: no superuser, no BYPASSRLS, so row-level security binds it) and `jifen_ops` (the
role of cross-tenant work, bound the same way; only it may open a cross-tenant scope).
Authentication is `trust` on the unix socket and on 127.0.0.1.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import redis
from psycopg import sql
from redis.backoff import NoBackoff
from redis.retry import Retry

_HOST = "127.0.0.1"
_PG_TOOLS = ("initdb", "pg_ctl", "postgres")
_PG_OS_USER = "postgres"
_START_ATTEMPTS = 5  # a free port can be taken by someone else before the server binds it
_START_TIMEOUT = 60.0
# A unix socket path must fit in 107 bytes; PostgreSQL appends "/.s.PGSQL.NNNNN".
_MAX_SOCKET_DIR_LEN = 107 - len("/.s.PGSQL.65535")


class ServiceUnavailable(Exception):
    """The binaries are missing; str() is a clear reason."""


# --------------------------------------------------------------------------- PostgreSQL


@dataclass
class PostgresServer:
    """A running throwaway PostgreSQL server, reached over TCP on `host`:`port`."""

    data_dir: Path
    port: int
    host: str = _HOST
    _bindir: Path | None = field(default=None, repr=False, compare=False)
    _workdir: Path | None = field(default=None, repr=False, compare=False)

    def url(self, dbname: str, *, role: str = "jifen_app") -> str:
        """SQLAlchemy URL of database `dbname` as `role` (trust auth: no password)."""
        return f"postgresql+psycopg://{role}@{self.host}:{self.port}/{dbname}"

    def owner_url(self, dbname: str) -> str:
        """SQLAlchemy URL of database `dbname` as `jifen_owner` (for migrations)."""
        return self.url(dbname, role="jifen_owner")

    def operator_url(self, dbname: str) -> str:
        """SQLAlchemy URL of database `dbname` as `jifen_ops` (for cross-tenant work)."""
        return self.url(dbname, role="jifen_ops")

    def create_database(self, name: str, *, template: str | None = None) -> None:
        """Create database `name` owned by `jifen_owner`, optionally cloned from `template`.

        PostgreSQL refuses to clone a template that has open connections: close them (and
        dispose of engines and pools) first.
        """
        query = sql.SQL("CREATE DATABASE {} OWNER jifen_owner").format(sql.Identifier(name))
        if template is not None:
            query = sql.SQL("{} TEMPLATE {}").format(query, sql.Identifier(template))
        self._admin(query)

    def drop_database(self, name: str) -> None:
        """Drop database `name` if it exists, ending its open connections (WITH (FORCE))."""
        self._admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def stop(self) -> None:
        """Stop the server at once (`pg_ctl stop -m immediate`) and remove its files.

        Safe to call more than once.
        """
        atexit.unregister(self.stop)
        if self.data_dir.exists():
            bindir = self._bindir or _find_pg_bindir()
            with contextlib.suppress(subprocess.CalledProcessError):
                _run_pg(
                    [bindir / "pg_ctl", "stop", "--pgdata", self.data_dir, "--mode", "immediate"],
                    cwd=self.data_dir.parent,
                )
        shutil.rmtree(self._workdir or self.data_dir, ignore_errors=True)

    def _admin(self, query: sql.SQL | sql.Composed) -> None:
        with psycopg.connect(
            host=self.host,
            port=self.port,
            user=_PG_OS_USER,
            dbname="postgres",
            autocommit=True,
            connect_timeout=10,
        ) as conn:
            conn.execute(query)


def start_postgres(base_dir: Path) -> PostgresServer:
    """Start a throwaway PostgreSQL server with the roles `jifen_owner`, `jifen_app` and
    `jifen_ops`.

    Its files go in a new folder under `base_dir`; as root, when the `postgres` user
    cannot reach `base_dir` (a 0700 temporary folder owned by root), under the system's
    temporary folder instead. Raises ServiceUnavailable when the binaries are missing,
    RuntimeError (with the server's log) when the server does not start.
    """
    bindir = _find_pg_bindir()
    workdir, data_dir = _make_pg_dirs(Path(base_dir))
    server = PostgresServer(data_dir=data_dir, port=0, _bindir=bindir, _workdir=workdir)
    try:
        _initdb(bindir, data_dir, workdir)
        server.port = _pg_ctl_start(bindir, data_dir, workdir)
        _wait_for_postgres(server)
        server._admin(
            sql.SQL(
                "CREATE ROLE jifen_owner LOGIN CREATEDB NOSUPERUSER NOCREATEROLE;"
                " CREATE ROLE jifen_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;"
                " CREATE ROLE jifen_ops LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE"
            )
        )
    except BaseException:
        server.stop()
        raise
    atexit.register(server.stop)
    return server


def _find_pg_bindir() -> Path:
    """The folder holding initdb, pg_ctl and postgres: `pg_config --bindir`, else the
    highest version under /usr/lib/postgresql."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(  # noqa: S603 - fixed arguments
                [pg_config, "--bindir"], capture_output=True, text=True, check=True, timeout=30
            ).stdout.strip()
            if out:
                candidates.append(Path(out))
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True)
    candidates += [Path(v) for v in versions]
    for bindir in candidates:
        if all(os.access(bindir / tool, os.X_OK) for tool in _PG_TOOLS):
            return bindir
    raise ServiceUnavailable(
        "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found: neither "
        "`pg_config --bindir` nor /usr/lib/postgresql/*/bin has them "
        "(install the Debian package `postgresql`)"
    )


def _version_key(path: str) -> tuple[int, ...]:
    version = Path(path).parent.name
    return tuple(int(p) if p.isdigit() else -1 for p in version.split("."))


def _as_root() -> bool:
    return os.geteuid() == 0


def _pg_os_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(_PG_OS_USER)
    except KeyError:
        raise ServiceUnavailable(
            "running as root, and there is no `postgres` OS user to run PostgreSQL as "
            "(initdb refuses root; the Debian package `postgresql` creates that user)"
        ) from None


def _runuser() -> str:
    runuser = shutil.which("runuser") or next(
        (p for p in ("/usr/sbin/runuser", "/sbin/runuser") if os.access(p, os.X_OK)), None
    )
    if runuser is None:
        raise ServiceUnavailable(
            "running as root, and `runuser` (util-linux) is missing: "
            "cannot run PostgreSQL as the `postgres` user"
        )
    return runuser


def _make_pg_dirs(base_dir: Path) -> tuple[Path, Path]:
    """A new work folder and the empty data directory inside it.

    As root, the work folder is root's with mode 0711 and the data directory is the
    `postgres` user's. The first parent (`base_dir`, then the system's temporary folder)
    that user can reach, with a path short enough for the unix socket, wins.
    """
    as_root = _as_root()
    user = _pg_os_user() if as_root else None
    base_dir.mkdir(parents=True, exist_ok=True)
    parents = (base_dir, Path(tempfile.gettempdir()))
    for parent in parents:
        workdir = Path(tempfile.mkdtemp(prefix="jifen-pg-", dir=parent))
        data_dir = workdir / "data"
        data_dir.mkdir(mode=0o700)
        if user is not None:
            workdir.chmod(0o711)
            os.chown(data_dir, user.pw_uid, user.pw_gid)
        if len(str(data_dir)) <= _MAX_SOCKET_DIR_LEN and (
            user is None or _postgres_can_write(data_dir)
        ):
            return workdir, data_dir
        shutil.rmtree(workdir, ignore_errors=True)
    who = "the `postgres` user can reach" if as_root else "is"
    raise RuntimeError(
        f"no folder for PostgreSQL data that {who} short enough for a unix socket path "
        f"(at most {_MAX_SOCKET_DIR_LEN} characters): tried under {', '.join(map(str, parents))}"
    )


def _postgres_can_write(path: Path) -> bool:
    """Whether the `postgres` user can reach and write `path` (asks the kernel, as that user)."""
    result = subprocess.run(  # noqa: S603 - our own arguments
        [_runuser(), "-u", _PG_OS_USER, "--", "test", "-w", str(path), "-a", "-x", str(path)],
        cwd="/",
        env=_pg_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        check=False,
        timeout=30,
    )
    return result.returncode == 0


def _append_pg_settings(data_dir: Path) -> None:
    """Settings for a disposable server (appending keeps the file's owner)."""
    socket_dir = str(data_dir).replace("'", "''")
    settings = {
        "listen_addresses": "'127.0.0.1'",
        "unix_socket_directories": f"'{socket_dir}'",
        "max_connections": "200",
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
    }
    with (data_dir / "postgresql.conf").open("a", encoding="utf-8") as conf:
        conf.write("\n# jifen.testing: a throwaway server\n")
        conf.writelines(f"{key} = {value}\n" for key, value in settings.items())


def _pg_env() -> dict[str, str]:
    """The environment minus PG* variables (they would redirect the tools), in C locale."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"
    return env


def _run_pg(args: list[str | Path], *, cwd: Path) -> None:
    """Run a PostgreSQL tool: as the `postgres` user when we are root, else directly.

    Raises subprocess.CalledProcessError (with the output captured) when it fails.
    """
    cmd = [str(a) for a in args]
    if _as_root():
        cmd = [_runuser(), "-u", _PG_OS_USER, "--", *cmd]
    subprocess.run(  # noqa: S603 - our own arguments
        cmd,
        cwd=cwd,
        env=_pg_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=True,
        timeout=_START_TIMEOUT + 30,
    )


def _initdb(bindir: Path, data_dir: Path, workdir: Path) -> None:
    """Create the cluster: superuser `postgres`, trust auth, C locale, then our settings."""
    try:
        _run_pg(
            [
                bindir / "initdb",
                "--pgdata",
                data_dir,
                "--username",
                _PG_OS_USER,
                "--auth",
                "trust",
                "--encoding",
                "UTF8",
                "--no-locale",
                "--no-sync",
            ],
            cwd=workdir,
        )
    except subprocess.CalledProcessError as exc:
        raise RuntimeError(f"initdb failed in {data_dir}:\n{_output(exc)}") from exc
    _append_pg_settings(data_dir)


def _pg_ctl_start(bindir: Path, data_dir: Path, workdir: Path) -> int:
    """Start the server on a free port, waiting until it is ready; return the port."""
    log = _pg_log(data_dir)
    for attempt in range(1, _START_ATTEMPTS + 1):
        port = _free_port()
        seen = log.stat().st_size if log.exists() else 0
        try:
            _run_pg(
                [
                    bindir / "pg_ctl",
                    "start",
                    "--pgdata",
                    data_dir,
                    "--log",
                    log,
                    "-o",
                    f"-p {port}",
                    "--wait",
                    "--timeout",
                    str(int(_START_TIMEOUT)),
                ],
                cwd=workdir,
            )
            return port
        except subprocess.CalledProcessError as exc:
            text = _tail(log, start=seen)
            if attempt < _START_ATTEMPTS and _port_taken(text):
                continue
            raise RuntimeError(
                f"PostgreSQL did not start in {data_dir}:\n{_output(exc)}\n"
                f"--- server log ---\n{text}"
            ) from exc
    raise AssertionError("unreachable")  # pragma: no cover


def _pg_log(data_dir: Path) -> Path:
    return data_dir / "server.log"


def _wait_for_postgres(server: PostgresServer) -> None:
    """Wait until the server accepts TCP connections from the `postgres` user."""
    deadline = time.monotonic() + _START_TIMEOUT
    while True:
        try:
            server._admin(sql.SQL("SELECT 1"))
            return
        except psycopg.OperationalError as exc:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"PostgreSQL on port {server.port} does not accept connections: {exc}\n"
                    f"--- server log ---\n{_tail(_pg_log(server.data_dir))}"
                ) from exc
            time.sleep(0.1)


# --------------------------------------------------------------------------------- Redis


@dataclass
class RedisServer:
    """A running throwaway Redis server on 127.0.0.1:`port`."""

    port: int
    process: subprocess.Popen[bytes]
    _workdir: Path | None = field(default=None, repr=False, compare=False)

    @property
    def url(self) -> str:
        """The URL of database 0, for `JIFEN_REDIS_URL` or `redis.Redis.from_url`."""
        return f"redis://{_HOST}:{self.port}/0"

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL) and remove its folder. Idempotent."""
        atexit.unregister(self.stop)
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)


def start_redis(base_dir: Path) -> RedisServer:
    """Start a throwaway Redis server (no persistence) with its files under `base_dir`.

    Raises ServiceUnavailable when `redis-server` is missing, RuntimeError (with the
    server's log) when it does not start.
    """
    binary = shutil.which("redis-server") or next(
        (p for p in ("/usr/bin/redis-server", "/usr/sbin/redis-server") if os.access(p, os.X_OK)),
        None,
    )
    if binary is None:
        raise ServiceUnavailable(
            "`redis-server` not found on PATH (install the Debian package `redis-server`)"
        )
    base_dir = Path(base_dir)
    base_dir.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="jifen-redis-", dir=base_dir))
    log = workdir / "redis.log"
    server: RedisServer | None = None
    try:
        for attempt in range(1, _START_ATTEMPTS + 1):
            port = _free_port()
            with log.open("w", encoding="utf-8") as out:
                process = subprocess.Popen(  # noqa: S603 - our own arguments
                    [
                        binary,
                        "--port",
                        str(port),
                        "--bind",
                        _HOST,
                        "--save",
                        "",
                        "--appendonly",
                        "no",
                        "--dir",
                        str(workdir),
                    ],
                    cwd=workdir,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            server = RedisServer(port=port, process=process)
            error = _wait_for_redis(server)
            if error is None:
                server._workdir = workdir
                atexit.register(server.stop)
                return server
            server.stop()
            text = _tail(log)
            if attempt < _START_ATTEMPTS and _port_taken(text):
                continue
            raise RuntimeError(
                f"Redis did not start on port {port}: {error}\n--- server log ---\n{text}"
            )
    except BaseException:
        if server is not None:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    raise AssertionError("unreachable")  # pragma: no cover


def _wait_for_redis(server: RedisServer) -> str | None:
    """None once our server answers PING, else why it did not.

    Another process may have taken the port between our choosing it and the server binding
    it, so the answer must come from our server's process id.
    """
    deadline = time.monotonic() + _START_TIMEOUT
    client = redis.Redis(
        host=_HOST,
        port=server.port,
        socket_connect_timeout=1,
        socket_timeout=1,
        retry=Retry(NoBackoff(), 0),  # we poll ourselves, and watch the process in between
    )
    try:
        while True:
            code = server.process.poll()
            if code is not None:
                return f"redis-server exited with status {code}"
            try:
                client.ping()
                pid = client.info("server").get("process_id")
                if pid == server.process.pid:
                    return None
                reason = f"the port is answered by another process (pid {pid})"
            except redis.RedisError as exc:
                reason = f"{type(exc).__name__}: {exc}"
            if time.monotonic() > deadline:
                return f"no answer to PING after {_START_TIMEOUT:.0f} s: {reason}"
            time.sleep(0.05)
    finally:
        client.close()


# -------------------------------------------------------------------------------- shared


def _free_port() -> int:
    """A loopback TCP port nobody listens on right now (the kernel's choice for port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((_HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _port_taken(log_text: str) -> bool:
    return "Address already in use" in log_text or "could not bind" in log_text


def _tail(path: Path, *, start: int = 0, limit: int = 8000) -> str:
    """The end of a log file from byte `start` on, for error messages."""
    try:
        with path.open("rb") as f:
            f.seek(start)
            text = f.read().decode("utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return text[-limit:]


def _output(exc: subprocess.CalledProcessError) -> str:
    return "\n".join(s for s in (exc.stdout, exc.stderr) if s).strip()

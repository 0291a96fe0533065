"""Settings from JIFEN_* environment variables, in one typed object.

The embedded default needs none of them: a SQLite file and a generated secret under the
instance folder. Production sets at least JIFEN_DATABASE_URL, JIFEN_REDIS_URL and
JIFEN_SECRET_KEY; on PostgreSQL also JIFEN_MIGRATION_DATABASE_URL (the schema owner) and
JIFEN_OPERATOR_DATABASE_URL (the role of cross-tenant work), each a role of its own.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from jifen.i18n import LOCALES

PLUGIN_PREFIX = "JIFEN_PLUGIN_"


@dataclass(frozen=True)
class Settings:
    """Everything the app reads from its environment."""

    instance_path: Path
    database_url: str
    migration_database_url: str
    # Cross-tenant work (sweeps, the relay, operators' commands) connects as this role:
    # on PostgreSQL only it may lift row-level security (docs/security.md).
    operator_database_url: str = ""
    redis_url: str | None = None
    smtp_url: str | None = None  # the SMTP notifier's server (see jifen_plugins.notifiers.smtp)
    secret_key: str = ""
    # "kid:base64key" items, comma-separated; the first encrypts, all decrypt.
    encryption_keys: str = ""
    lookup_key: str = ""
    default_locale: str = "zh_CN"
    storage_url: str = ""
    clock: str | None = None
    testing: bool = False
    # Cookies marked Secure; None: all but the embedded mode's (see `secure_cookies`).
    cookie_secure: bool | None = None
    # Requests a minute an API key may make, unless the key sets its own (api_keys.rate_limit).
    api_rate_limit: int = 6000
    # Seconds a request waits for a duplicate in flight (same Idempotency-Key) to finish.
    idempotency_wait: float = 5.0
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host it trusts
    # (0: none, the app sees the peer itself): the client's address for the sign-in
    # throttle and the audit log, and HTTPS for HSTS and Secure cookies.
    proxy_hops: int = 0
    # Plugins' own settings: JIFEN_PLUGIN_MY_SMS_KEY=... is extra["my_sms_key"].
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Read the JIFEN_* variables; keyword overrides win (tests use them)."""
        env = os.environ if environ is None else environ
        instance = Path(
            overrides.pop("instance_path", None) or env.get("JIFEN_INSTANCE_PATH") or "instance"
        )
        instance = instance.resolve()
        database_url = env.get("JIFEN_DATABASE_URL") or f"sqlite:///{instance / 'jifen.db'}"
        settings = cls(
            instance_path=instance,
            database_url=database_url,
            migration_database_url=env.get("JIFEN_MIGRATION_DATABASE_URL") or database_url,
            operator_database_url=env.get("JIFEN_OPERATOR_DATABASE_URL") or database_url,
            redis_url=env.get("JIFEN_REDIS_URL") or None,
            smtp_url=env.get("JIFEN_SMTP_URL") or None,
            secret_key=env.get("JIFEN_SECRET_KEY", ""),
            encryption_keys=env.get("JIFEN_ENCRYPTION_KEYS", ""),
            lookup_key=env.get("JIFEN_LOOKUP_KEY", ""),
            default_locale=_one_of(env, "JIFEN_DEFAULT_LOCALE", LOCALES),
            storage_url=env.get("JIFEN_STORAGE_URL") or f"file://{instance / 'files'}",
            clock=env.get("JIFEN_CLOCK") or None,
            testing=_flag(env, "JIFEN_TESTING") or False,
            cookie_secure=_flag(env, "JIFEN_COOKIE_SECURE"),
            api_rate_limit=_whole(env, "JIFEN_API_RATE_LIMIT", 6000, least=1),
            idempotency_wait=_seconds(env, "JIFEN_IDEMPOTENCY_WAIT", 5.0),
            proxy_hops=_whole(env, "JIFEN_PROXY_HOPS", 0, least=0),
            extra={
                name.removeprefix(PLUGIN_PREFIX).lower(): value
                for name, value in env.items()
                if name.startswith(PLUGIN_PREFIX)
            },
        )
        for derived in ("migration_database_url", "operator_database_url"):
            if "database_url" in overrides and derived not in overrides:
                overrides[derived] = overrides["database_url"]
        settings = replace(settings, **overrides)
        if not settings.secret_key:
            settings = replace(settings, secret_key=_instance_secret(settings.instance_path))
        return settings

    @property
    def embedded(self) -> bool:
        """The embedded mode: no Redis, jobs on a worker thread of the one process."""
        return self.redis_url is None

    @property
    def secure_cookies(self) -> bool:
        """Whether cookies are sent over HTTPS only: yes unless set otherwise, except in
        the embedded mode, which is often served over plain HTTP on a local network."""
        return not self.embedded if self.cookie_secure is None else self.cookie_secure


class SettingsError(ValueError):
    """A JIFEN_* variable the app cannot use: the message names it and what it takes."""


_FLAGS = {"1": True, "true": True, "yes": True, "on": True}
_FLAGS |= {"0": False, "false": False, "no": False, "off": False}


def _flag(env: Any, name: str) -> bool | None:
    """A yes/no variable (1/0, true/false, yes/no, on/off); None when unset."""
    value = env.get(name, "").strip()
    if not value:
        return None
    if value.lower() not in _FLAGS:
        raise SettingsError(f"{name} must be 1 or 0 (or true/false), not {value!r}")
    return _FLAGS[value.lower()]


def _one_of(env: Any, name: str, choices: tuple[str, ...]) -> str:
    """One of `choices`; the first when unset."""
    value = env.get(name, "").strip() or choices[0]
    if value not in choices:
        raise SettingsError(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


def _whole(env: Any, name: str, default: int, *, least: int) -> int:
    value = env.get(name, "").strip()
    if not value:
        return default
    if not value.isascii() or not value.isdigit() or int(value) < least:
        raise SettingsError(f"{name} must be a whole number of at least {least}, not {value!r}")
    return int(value)


def _seconds(env: Any, name: str, default: float) -> float:
    value = env.get(name, "").strip()
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 3600:  # also refuses nan and inf
        raise SettingsError(f"{name} must be a number of seconds (0 to 3600), not {value!r}")
    return seconds


def _instance_secret(instance: Path) -> str:
    """The embedded mode's secret: generated once, kept in the instance folder."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
    return path.read_text().strip()

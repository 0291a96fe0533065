"""The injectable clock: services ask it for "now", never datetime.now().

Tests and benchmarks move it to exercise expiry, streaks and birthdays. In a running
server `JIFEN_CLOCK` selects one (test processes only): an ISO instant freezes time there,
and `file:PATH` reads the instant from a file on every call, so a test can move the
clock of a server it started.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""
        ...


class SystemClock:
    """Wall-clock time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to."""

    def __init__(self, start: datetime) -> None:
        self._now = as_utc(start)

    def now(self) -> datetime:
        return self._now

    def set(self, instant: datetime) -> None:
        self._now = as_utc(instant)

    def advance(self, **delta: float) -> datetime:
        self._now += timedelta(**delta)
        return self._now


class FileClock:
    """Reads the current instant from a file, so another process can move it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def now(self) -> datetime:
        return parse_instant(self.path.read_text().strip())


def parse_instant(text: str) -> datetime:
    """An ISO 8601 instant; it must carry its offset."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(f"instant without a timezone: {text!r}")
    return value.astimezone(UTC)


def as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime: Jifen keeps every instant timezone-aware")
    return value.astimezone(UTC)


def from_setting(setting: str | None) -> Clock:
    """The clock a `JIFEN_CLOCK` value names (none: the system clock)."""
    if not setting:
        return SystemClock()
    if setting.startswith("file:"):
        return FileClock(Path(setting.removeprefix("file:")))
    return ManualClock(parse_instant(setting))

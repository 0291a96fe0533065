"""Notifiers: what plugins provide through `register_notifiers(settings)`.

A notifier delivers a rendered `Message` over one or more channels ("email", "sms",
"push") and answers with its delivery id. The message's `id` is the id of the event
that caused it: a notifier passes it on as the Message-ID or idempotency key, so a
message the relay delivers twice is recognisably one message. Raising means "not sent":
the relay retries with backoff.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Protocol

import pluggy

from jifen.collaborators import Collaborators
from jifen.config import Settings
from jifen.errors import JifenError
from jifen.i18n import N_
from jifen.registry import PluginFailed, Registry

CHANNELS = ("email", "sms", "push")


@dataclass(frozen=True)
class Message:
    """One message to one member. `to` is personal data: never log it (see `mask`)."""

    id: uuid.UUID
    channel: str
    to: str
    sender: str  # the merchant's name, as the member knows it
    subject: str
    body: str
    locale: str


class Notifier(Protocol):
    name: str
    stand_in: bool  # sends nothing real (the log notifier): any other wins its channels

    # Read-only, so that a class attribute such as `channels = ("email",)` fits.
    @property
    def channels(self) -> tuple[str, ...]: ...

    def send(self, message: Message) -> str: ...


class UnknownNotifier(JifenError):
    code = "unknown_notifier"
    status = 500
    message = N_("No installed plugin provides this notifier.")


class Notifiers:
    """The notifiers the installed plugins offer under these settings (a `Registry`:
    names unique across plugins), and which serves each channel: a real one before a
    stand-in, then the first offered."""

    def __init__(self, plugins: pluggy.PluginManager, settings: Settings) -> None:
        self.registry: Registry[Notifier] = Registry(
            plugins,
            "register_notifiers",
            kind="notifier",
            unknown=UnknownNotifier,
            hook_args={"settings": settings},
        )
        self.by_channel: dict[str, Notifier] = {}
        offered = [notifier for _, notifier in self.registry.items()]
        for notifier in sorted(offered, key=lambda n: bool(getattr(n, "stand_in", False))):
            for channel in notifier.channels:
                self.by_channel.setdefault(channel, notifier)

    def for_channel(self, channel: str) -> Notifier | None:
        return self.by_channel.get(channel)

    def send(self, notifier: Notifier, message: Message) -> str:
        """`notifier.send(message)`, isolated: what it raises names its plugin, and
        comes with the member's address masked (the relay logs it and keeps its text)."""
        try:
            return str(self.registry.call(notifier.name, "send", message))
        except PluginFailed as failed:
            failed.__cause__ = _masked(failed.__cause__, message.to)
            raise


class NotSent(Exception):
    """What a notifier raised, retold with the member's address masked."""


def _masked(error: BaseException | None, address: str) -> BaseException | None:
    """`error`, or, if its text names `address` in any spelling, a `NotSent` telling it
    with the address masked, at the same place in the code (its traceback)."""
    if error is None:
        return error
    told, found = _spellings(address).subn(mask(address), str(error))
    if not found:
        return error
    return NotSent(f"{type(error).__name__}: {told}").with_traceback(error.__traceback__)


def _spellings(address: str) -> re.Pattern[str]:
    """The ways a gateway may write `address` back: an email in any case; a phone number
    with or without its country code, spaced or dashed (any run of digits that ends with
    the number's last seven, the part that names the person)."""
    digits = re.sub(r"\D", "", address)
    if "@" in address or len(digits) < 7:
        return re.compile(re.escape(address), re.IGNORECASE)
    return re.compile(r"(?:\+?\d[\d().\s-]*)?" + r"[().\s-]*".join(digits[-7:]))


def mask(address: str) -> str:
    """An address fit for a log line: `j***@example.com`, `138****5678`."""
    if "@" in address:
        local, _, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"
    if len(address) > 7:
        return f"{address[:3]}{'*' * (len(address) - 7)}{address[-4:]}"
    return "*" * len(address)


class NotifyCollaborators(Collaborators, Protocol):
    """The core's collaborators and the notifiers."""

    @property
    def notifiers(self) -> Notifiers: ...

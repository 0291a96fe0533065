"""The log notifier: writes each message to the application log instead of sending it,
with the recipient masked (personal data is never logged). For the embedded mode and
tests only: it is not offered when Redis is configured (production) unless testing."""

from __future__ import annotations

import logging

from jifen.config import Settings
from jifen.hookimpl import hookimpl
from jifen.notify import CHANNELS, Message, Notifier, mask

log = logging.getLogger("jifen.notify")


class LogNotifier:
    name = "log"
    channels = CHANNELS
    stand_in = True

    def send(self, message: Message) -> str:
        log.info(
            "notice %s by %s to %s: %s | %s",
            message.id,
            message.channel,
            mask(message.to),
            message.subject,
            message.body,
        )
        return f"log:{message.id}"


@hookimpl
def register_notifiers(settings: Settings) -> list[Notifier]:
    if settings.redis_url and not settings.testing:
        return []
    return [LogNotifier()]

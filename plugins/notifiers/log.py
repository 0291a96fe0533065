"""The log notifier: writes each message to the application log instead of sending it,
with the recipient masked (personal data is never logged). For the embedded mode and
tests only: it is not offered when Redis is configured (production) unless testing."""

from __future__ import annotations

import logging
from collections import deque

from jifen.config import Settings
from jifen.hookimpl import hookimpl
from jifen.notify import CHANNELS, Message, Notifier, mask

log = logging.getLogger("jifen.notify")


class LogNotifier:
    """Also keeps the last `KEPT` messages whole, for the embedded mode's dev mailbox
    (`/dev/mailbox`)."""

    name = "log"
    channels = CHANNELS
    stand_in = True
    KEPT = 50

    def __init__(self) -> None:
        self.recent: deque[Message] = deque(maxlen=self.KEPT)

    def send(self, message: Message) -> str:
        self.recent.appendleft(message)
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

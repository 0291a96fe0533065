"""Email through an SMTP server, configured by `JIFEN_SMTP_URL`:

    smtp://user:password@host:587?from=points@example.com   (STARTTLS when offered)
    smtps://user:password@host:465?from=points@example.com  (TLS from the start)

The server's certificate is verified against the system's CAs (`SSL_CERT_FILE` names
others). A password is sent only over TLS: to a server offering no STARTTLS, a URL with
a password sends nothing (`NotSecured`); one without a password sends in clear, as to a
relay on the same host.

The event id becomes the Message-ID, so a message delivered twice is one message to
mail systems that deduplicate. A send that fails raises, and the relay retries it."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr
from urllib.parse import parse_qs, unquote, urlsplit

from jifen.config import Settings
from jifen.hookimpl import hookimpl
from jifen.notify import Message, Notifier

TIMEOUT = 15  # seconds: a hung server fails the send, which the relay retries


class NotSecured(ConnectionError):
    """The server offered no TLS while the URL carries a password: nothing is sent (the
    relay retries, and dead-letters the message, naming this)."""


class SmtpNotifier:
    name = "smtp"
    channels = ("email",)
    stand_in = False

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("JIFEN_SMTP_URL must be smtp://... or smtps://...")
        query = parse_qs(parts.query)
        self.tls = parts.scheme == "smtps"
        self.host = parts.hostname
        self.port = parts.port or (465 if self.tls else 25)
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.sender = query.get("from", [f"noreply@{self.host}"])[0]

    def send(self, message: Message) -> str:
        email = EmailMessage()
        email["From"] = formataddr((message.sender, self.sender))
        email["To"] = message.to
        email["Subject"] = message.subject
        # The event id alone, so every send of one message has the same Message-ID
        # (make_msgid would add the time and a random part).
        email["Message-ID"] = f"<{message.id}@jifen>"
        email.set_content(message.body)
        context = ssl.create_default_context()
        if self.tls:
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                self.host, self.port, timeout=TIMEOUT, context=context
            )
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=TIMEOUT)
        with client:
            secured = self.tls
            client.ehlo()
            if not secured and client.has_extn("starttls"):
                client.starttls(context=context)
                client.ehlo()
                secured = True
            if self.user:
                if not secured:
                    raise NotSecured(
                        f"{self.host}:{self.port} offers no STARTTLS: the SMTP password is"
                        " never sent in clear (use smtps://, or a server offering STARTTLS)"
                    )
                client.login(self.user, self.password or "")
            client.send_message(email)
        return str(email["Message-ID"])


@hookimpl
def register_notifiers(settings: Settings) -> list[Notifier]:
    return [SmtpNotifier(settings.smtp_url)] if settings.smtp_url else []

"""Console users' codes, sent: the relay's `send-console-codes` subscriber emails each
code (jifen.tenants.user_codes) through the notifier serving email, in the language it
was asked for in. A code that expired or was used before the relay reached it is not
sent; a code is sent once as far as the platform can tell (a receipt is kept)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from babel.numbers import format_decimal

from jifen.i18n import N_, translate_in
from jifen.notify.notifiers import Message
from jifen.outbox import sql
from jifen.outbox.relay import Delivered
from jifen.tenants import RESET_PASSWORD, VERIFY_EMAIL, User, UserCode, UserCodeRequested

if TYPE_CHECKING:
    from jifen.notify.notifiers import NotifyCollaborators

SUBSCRIBER = "send-console-codes"
SENDER = "Jifen"

SUBJECTS = {
    VERIFY_EMAIL: N_("Your Jifen verification code"),
    RESET_PASSWORD: N_("Your Jifen password reset code"),
}
BODIES = {
    VERIFY_EMAIL: N_(
        "Your code to verify your email for the Jifen console is %(code)s. It expires in"
        " %(minutes)s minutes."
    ),
    RESET_PASSWORD: N_(
        "Your code to set a new password for the Jifen console is %(code)s. It expires in"
        " %(minutes)s minutes. If you did not ask for it, ignore this email: your password"
        " stays as it is."
    ),
}


def deliver(services: NotifyCollaborators, delivered: Delivered) -> None:
    with services.db.session() as session:
        if sql.receipt(session.connection(), SUBSCRIBER, delivered.id) is not None:
            return
    event = delivered.event
    assert isinstance(event, UserCodeRequested)
    now = services.clock.now()
    with services.db.session() as session:
        code = session.get(UserCode, event.code_id)
        user = session.get(User, code.user_id) if code is not None else None
    notifier = services.notifiers.for_channel("email")
    outcome: dict[str, str] = {"status": "no_notifier"}
    if code is None or user is None or code.used_at is not None or code.expires_at <= now:
        outcome = {"status": "expired"}
    elif notifier is not None:
        minutes = int((code.expires_at - code.created_at).total_seconds() // 60)
        values = {
            "code": services.keyring.decrypt(code.code_encrypted),
            "minutes": format_decimal(minutes, locale=code.locale),
        }
        message = Message(
            id=delivered.id,
            channel="email",
            to=user.email,
            sender=SENDER,
            subject=translate_in(code.locale, SUBJECTS[code.purpose], values),
            body=translate_in(code.locale, BODIES[code.purpose], values),
            locale=code.locale,
        )
        delivery = services.notifiers.send(notifier, message)
        outcome = {"status": "sent", "notifier": notifier.name, "delivery": str(delivery)}
    with services.db.transaction() as session:
        sql.add_receipt(session.connection(), SUBSCRIBER, delivered.id, outcome, now)

"""Sign-in codes, sent: the relay's `send-sign-in-codes` subscriber delivers each code
(jifen.members.sign_in_codes) through the notifier serving its channel, in the language
it was asked for in. A code that expired or was used before the relay reached it is not
sent; a code is sent once as far as the platform can tell (a receipt is kept)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from babel.numbers import format_decimal

from jifen.i18n import N_, translate_in
from jifen.members import SignInCode, SignInCodeRequested
from jifen.notify.notifiers import Message
from jifen.outbox import sql
from jifen.outbox.relay import Delivered
from jifen.tenants import Tenant

if TYPE_CHECKING:
    from jifen.notify.notifiers import NotifyCollaborators

SUBSCRIBER = "send-sign-in-codes"

SUBJECT = N_("Your sign-in code for %(sender)s")
BODY = N_(
    "%(sender)s: your sign-in code is %(code)s. It expires in %(minutes)s minutes."
    " Do not share it with anyone."
)


def deliver(services: NotifyCollaborators, delivered: Delivered) -> None:
    with services.db.session() as session:
        if sql.receipt(session.connection(), SUBSCRIBER, delivered.id) is not None:
            return
    event = delivered.event
    assert isinstance(event, SignInCodeRequested) and delivered.tenant_id is not None
    now = services.clock.now()
    with services.db.session(tenant_id=delivered.tenant_id) as session:
        tenant = session.get(Tenant, delivered.tenant_id)
        code = session.get(SignInCode, (delivered.tenant_id, event.code_id))
    notifier = services.notifiers.for_channel(code.channel) if code is not None else None
    outcome: dict[str, str] = {"status": "no_notifier"}
    if tenant is None or code is None or code.used_at is not None or code.expires_at <= now:
        outcome = {"status": "expired"}
    elif notifier is not None:
        minutes = int((code.expires_at - code.created_at).total_seconds() // 60)
        values = {
            "sender": tenant.name,
            "code": services.keyring.decrypt(code.code_encrypted),
            "minutes": format_decimal(minutes, locale=code.locale),
        }
        message = Message(
            id=delivered.id,
            channel=code.channel,
            to=services.keyring.decrypt(code.to_encrypted),
            sender=tenant.name,
            subject=translate_in(code.locale, SUBJECT, values),
            body=translate_in(code.locale, BODY, values),
            locale=code.locale,
        )
        delivery = services.notifiers.send(notifier, message)
        outcome = {"status": "sent", "notifier": notifier.name, "delivery": str(delivery)}
    with services.db.transaction() as session:
        sql.add_receipt(session.connection(), SUBSCRIBER, delivered.id, outcome, now)

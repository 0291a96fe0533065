"""Notices to members, rendered in the merchant's language and sent through the
notifier serving the member's channel. The relay's `notify-members` subscriber.

Their texts are message ids in the catalogs (`jifen.i18n`), rendered for the tenant's
locale (English for a language no catalog speaks), numbers and dates formatted for it.

A notice is sent at most once per event as far as the platform can tell: a receipt is
kept after a send, and a redelivered event with a receipt sends nothing. (A crash
between the send and the receipt sends again, with the same Message-ID.) A member with
no address on a served channel gets no notice, nor does one who turned these reminders
off (jifen.members.notices); the receipt says which.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from babel.dates import format_date
from babel.numbers import format_decimal
from sqlalchemy import select

from jifen.i18n import N_, translate_in
from jifen.ledger import PointsExpiring
from jifen.members import EXPIRY_REMINDERS, Member, wants
from jifen.notify.notifiers import Message
from jifen.outbox import sql
from jifen.outbox.relay import Delivered
from jifen.tenants import Tenant

if TYPE_CHECKING:
    from jifen.notify.notifiers import NotifyCollaborators

SUBSCRIBER = "notify-members"

SUBJECT = N_("%(points)s of your points expire soon")
BODY = N_("%(sender)s: %(points)s of your points expire after %(last_day)s. Use them before then.")


def _render(event: PointsExpiring, locale: str, sender: str) -> tuple[str, str]:
    values = {
        "sender": sender,
        "points": format_decimal(event.points, locale=locale),
        "last_day": format_date(event.last_day, format="long", locale=locale),
    }
    return translate_in(locale, SUBJECT, values), translate_in(locale, BODY, values)


def deliver(services: NotifyCollaborators, delivered: Delivered) -> None:
    """Send the member the notice this event calls for (see the module's docstring)."""
    with services.db.session() as session:
        if sql.receipt(session.connection(), SUBSCRIBER, delivered.id) is not None:
            return
    event = delivered.event
    assert isinstance(event, PointsExpiring) and delivered.tenant_id is not None
    with services.db.session(tenant_id=delivered.tenant_id) as session:
        tenant = session.get(Tenant, delivered.tenant_id)
        member = session.scalar(select(Member).where(Member.id == event.member_id))
        wanted = wants(session.connection(), delivered.tenant_id, event.member_id, EXPIRY_REMINDERS)
    outcome: dict[str, str] = {"status": "no_address" if wanted else "declined"}
    if tenant is not None and member is not None and member.status == "active" and wanted:
        addresses = {"email": member.email_encrypted, "sms": member.phone_encrypted}
        for channel, sealed in addresses.items():
            notifier = services.notifiers.for_channel(channel)
            if sealed is None or notifier is None:
                continue
            locale = member.locale or tenant.locale
            subject, body = _render(event, locale, tenant.name)
            message = Message(
                id=delivered.id,
                channel=channel,
                to=services.keyring.decrypt(sealed),
                sender=tenant.name,
                subject=subject,
                body=body,
                locale=locale,
            )
            delivery = services.notifiers.send(notifier, message)
            outcome = {"status": "sent", "notifier": notifier.name, "channel": channel}
            outcome["delivery"] = str(delivery)
            break
    with services.db.transaction() as session:
        sql.add_receipt(
            session.connection(), SUBSCRIBER, delivered.id, outcome, services.clock.now()
        )

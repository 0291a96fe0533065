"""Staff invitations, sent: the relay's `send-staff-invitations` subscriber emails each
invitation's link (jifen.tenants.invitations) through the notifier serving email, in
the language it was made in. An invitation accepted, revoked or expired before the
relay reached it is not sent; one is sent once as far as the platform can tell (a
receipt is kept)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from babel.numbers import format_decimal

from jifen.i18n import N_, translate_in
from jifen.notify.notifiers import Message
from jifen.outbox import sql
from jifen.outbox.relay import Delivered
from jifen.tenants import ROLE_NAMES, StaffInvitation, StaffInvited, Tenant, join_path

if TYPE_CHECKING:
    from jifen.notify.notifiers import NotifyCollaborators

SUBSCRIBER = "send-staff-invitations"
SENDER = "Jifen"

SUBJECT = N_("You are invited to the Jifen console of %(mall)s")
BODY = N_(
    "You are invited to join the staff of %(mall)s on the Jifen merchant console as"
    " %(role)s. Open this link to accept within %(days)s days:\n\n%(link)s\n\nIf you did"
    " not expect it, ignore this email."
)


def deliver(services: NotifyCollaborators, delivered: Delivered) -> None:
    with services.db.session() as session:
        if sql.receipt(session.connection(), SUBSCRIBER, delivered.id) is not None:
            return
    event = delivered.event
    assert isinstance(event, StaffInvited) and delivered.tenant_id is not None
    now = services.clock.now()
    with services.db.session(tenant_id=delivered.tenant_id) as session:
        tenant = session.get(Tenant, delivered.tenant_id)
        invitation = session.get(StaffInvitation, (delivered.tenant_id, event.invitation_id))
    notifier = services.notifiers.for_channel("email")
    outcome: dict[str, str] = {"status": "no_notifier"}
    if (
        tenant is None
        or invitation is None
        or invitation.accepted_at is not None
        or invitation.revoked_at is not None
        or invitation.expires_at <= now
    ):
        outcome = {"status": "expired"}
    elif notifier is not None:
        token = services.keyring.decrypt(invitation.token_encrypted)
        days = int((invitation.expires_at - invitation.created_at).total_seconds() // 86400)
        values = {
            "mall": tenant.name,
            "role": translate_in(invitation.locale, ROLE_NAMES[invitation.role]),
            "days": format_decimal(days, locale=invitation.locale),
            "link": invitation.console_url + join_path(tenant.slug, token),
        }
        message = Message(
            id=delivered.id,
            channel="email",
            to=invitation.email,
            sender=SENDER,
            subject=translate_in(invitation.locale, SUBJECT, values),
            body=translate_in(invitation.locale, BODY, values),
            locale=invitation.locale,
        )
        delivery = services.notifiers.send(notifier, message)
        outcome = {"status": "sent", "notifier": notifier.name, "delivery": str(delivery)}
    with services.db.transaction() as session:
        sql.add_receipt(session.connection(), SUBSCRIBER, delivered.id, outcome, now)

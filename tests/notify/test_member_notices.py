"""Notices to members: the expiry reminders reach them through the notifiers, after
commit, once, with the event id as the message's id."""

from __future__ import annotations

import email
import socket
import threading
import uuid
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from conftest import sqlite_only
from sqlalchemy import select

from jifen.audit import SYSTEM
from jifen.config import Settings
from jifen.hookimpl import hookimpl
from jifen.ledger import expiry
from jifen.ledger import service as ledger
from jifen.members import service as members
from jifen.members.models import Member
from jifen.notify.notifiers import Message, Notifiers, mask
from jifen.outbox import relay as relays
from jifen.outbox.models import OutboxEvent, RelayReceipt
from jifen_plugins.notifiers.smtp import SmtpNotifier

PHONE = "13912345678"


def member_with_expiring_points(svc, tenant_id, *, phone=PHONE, email_address=None, points=100):
    """A member whose points (100) expire in ten days (inside the 30-day notice window)."""
    data = {"external_id": f"m-{uuid.uuid4().hex[:8]}", "phone": phone}
    if email_address:
        data["email"] = email_address
    with svc.db.transaction(tenant_id=tenant_id) as session:
        member = members.create_member(
            session, tenant_id, data, actor=SYSTEM, clock=svc.clock, keyring=svc.keyring
        )
        expires = svc.clock.now() + timedelta(days=10)
        ledger.earn(session, member.id, points, actor=SYSTEM, clock=svc.clock, expires_at=expires)
    return member.id


def reminder_ids(svc):
    with svc.relay.reading() as connection:
        query = select(OutboxEvent.id).where(OutboxEvent.type == "member.points_expiring")
        return list(connection.execute(query.order_by(OutboxEvent.seq)).scalars())


def receipts(svc):
    with svc.relay.reading() as connection:
        rows = connection.execute(select(RelayReceipt).order_by(RelayReceipt.created_at))
        return {row.event_id: row.outcome for row in rows}


class FakeSms:
    """A fake SMS gateway: the external boundary. It fails as told, then records."""

    name = "fake_sms"
    channels = ("sms",)
    stand_in = False

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.attempts: list[Message] = []
        self.sent: list[Message] = []

    def send(self, message: Message) -> str:
        self.attempts.append(message)
        if self.failures:
            self.failures -= 1
            raise ConnectionError("the SMS gateway is down")
        self.sent.append(message)
        return f"sms-{len(self.sent)}"


class SmsPlugin:
    def __init__(self, gateway: FakeSms) -> None:
        self.gateway = gateway

    @hookimpl
    def register_notifiers(self, settings):
        return [self.gateway]


@sqlite_only
def test_an_expiry_reminder_reaches_the_member_through_the_log_notifier_masked(svc, tenant, caplog):
    member_with_expiring_points(svc, tenant.tenant_id)
    caplog.set_level("INFO", logger="jifen.notify")

    assert expiry.remind(svc) == 1
    assert svc.jobs.wait_idle()

    (event_id,) = reminder_ids(svc)
    notice = next(r.getMessage() for r in caplog.records if r.name == "jifen.notify")
    assert str(event_id) in notice
    assert "139****5678" in notice and PHONE not in notice
    assert "100" in notice and "积分" in notice  # the demo tenant speaks Chinese
    assert receipts(svc)[event_id]["status"] == "sent"


@sqlite_only
def test_hook_register_notifiers(svc, tenant, clock):
    gateway = FakeSms(failures=2)
    svc.plugins.register(SmsPlugin(gateway), name="fake-sms")
    member_with_expiring_points(svc, tenant.tenant_id)

    expiry.remind(svc)
    svc.jobs.wait_idle()
    assert gateway.sent == [] and len(gateway.attempts) == 1
    for attempt in (1, 2):
        clock.set(clock.now() + relays.backoff(attempt))
        svc.relay.drain()

    (event_id,) = reminder_ids(svc)
    (sent,) = gateway.sent
    assert (sent.id, sent.channel, sent.to) == (event_id, "sms", PHONE)
    # Every attempt was the same message: the event id is its idempotency key.
    assert {m.id for m in gateway.attempts} == {event_id} and len(gateway.attempts) == 3
    assert receipts(svc)[event_id] == {
        "status": "sent",
        "notifier": "fake_sms",
        "channel": "sms",
        "delivery": "sms-1",
    }
    # Delivered again (a relay that died before moving its cursor): nothing is re-sent.
    svc.relay.subscriber("notify-members").deliver(svc, _redelivery(svc, event_id))
    assert len(gateway.sent) == 1


@sqlite_only
@pytest.mark.parametrize(
    ("locale", "subject", "body"),
    [
        (
            "zh_CN",
            "您有 1,500 积分即将过期",
            "Teahouse：您有 1,500 积分将于 2026年3月11日 后过期，请尽快使用。",
        ),
        (
            "en",
            "1,500 of your points expire soon",
            "Teahouse: 1,500 of your points expire after March 11, 2026. Use them before then.",
        ),
    ],
)
def test_a_notice_is_in_the_tenants_language(svc, make_tenant, locale, subject, body):
    gateway = FakeSms()
    svc.plugins.register(SmsPlugin(gateway), name="fake-sms")
    shop = make_tenant("teahouse", locale=locale)
    member_with_expiring_points(svc, shop.tenant_id, points=1_500)

    expiry.remind(svc)
    svc.jobs.wait_idle()

    (sent,) = gateway.sent
    assert (sent.locale, sent.subject, sent.body) == (locale, subject, body)


@sqlite_only
def test_a_notice_speaks_the_language_the_member_chose(svc, make_tenant):
    gateway = FakeSms()
    svc.plugins.register(SmsPlugin(gateway), name="fake-sms")
    shop = make_tenant("teahouse", locale="zh_CN")
    member_id = member_with_expiring_points(svc, shop.tenant_id, points=1_500)
    with svc.db.transaction(tenant_id=shop.tenant_id) as session:
        session.get(Member, (shop.tenant_id, member_id)).locale = "en"  # chosen in the mall

    expiry.remind(svc)
    svc.jobs.wait_idle()

    (sent,) = gateway.sent
    assert (sent.locale, sent.subject) == ("en", "1,500 of your points expire soon")


def _redelivery(svc, event_id):
    from jifen.ledger.domain_events import PointsExpiring

    with svc.relay.reading() as connection:
        row = connection.execute(select(OutboxEvent).where(OutboxEvent.id == event_id)).one()
    return relays._delivered(row, PointsExpiring)


@sqlite_only
def test_a_member_with_no_address_on_a_served_channel_gets_no_notice(svc, tenant, caplog):
    member_with_expiring_points(svc, tenant.tenant_id, phone=None)
    caplog.set_level("INFO", logger="jifen.notify")

    expiry.remind(svc)
    svc.jobs.wait_idle()

    (event_id,) = reminder_ids(svc)
    assert receipts(svc)[event_id] == {"status": "no_address"}
    assert not [r for r in caplog.records if r.name == "jifen.notify"]


@sqlite_only
def test_the_log_notifier_is_not_offered_in_production(svc, tmp_path):
    production = Settings.from_env({}, instance_path=tmp_path, redis_url="redis://x")
    embedded = Settings.from_env({}, instance_path=tmp_path)
    assert Notifiers(svc.plugins, production).for_channel("sms") is None
    assert Notifiers(svc.plugins, embedded).for_channel("sms").name == "log"


@pytest.mark.parametrize(
    ("address", "masked"),
    [("alice@example.com", "a***@example.com"), ("13912345678", "139****5678"), ("12", "**")],
)
def test_addresses_are_masked_for_the_log(address, masked):
    assert mask(address) == masked


# --- SMTP ----------------------------------------------------------------------------


class Inbox:
    """A fake mail server's handler (aiosmtpd): the external boundary."""

    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []
        self.arrived = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content))
        self.arrived.set()
        return "250 OK"


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, f"smtp://127.0.0.1:{port}?from=points@shop.example"
    controller.stop()


@sqlite_only
def test_the_smtp_notifier_sends_the_reminder_with_the_event_id_as_message_id(
    svc, tenant, smtp_server
):
    inbox, url = smtp_server
    svc.settings = Settings.from_env({}, instance_path=svc.settings.instance_path, smtp_url=url)
    member_with_expiring_points(svc, tenant.tenant_id, email_address="li.na@example.com")

    expiry.remind(svc)
    svc.jobs.wait_idle()

    (event_id,) = reminder_ids(svc)
    (mail,) = inbox.messages
    assert mail["To"] == "li.na@example.com"
    assert mail["From"].endswith("<points@shop.example>")
    assert str(event_id) in mail["Message-ID"]
    assert "100" in mail.get_payload(decode=True).decode()
    assert receipts(svc)[event_id]["notifier"] == "smtp"


def test_an_smtp_url_must_name_a_server():
    with pytest.raises(ValueError, match="JIFEN_SMTP_URL"):
        SmtpNotifier("http://example.com")


def test_a_message_sent_twice_by_smtp_carries_the_same_message_id(smtp_server):
    inbox, url = smtp_server
    message = Message(
        id=uuid.uuid4(),
        channel="email",
        to="li.na@example.com",
        sender="Tea House",
        subject="Your points",
        body="100 points expire soon",
        locale="en",
    )
    notifier = SmtpNotifier(url)
    first, second = notifier.send(message), notifier.send(message)
    assert first == second == f"<{message.id}@jifen>"
    assert [mail["Message-ID"] for mail in inbox.messages] == [first, first]

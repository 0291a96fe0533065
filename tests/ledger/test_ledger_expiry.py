"""The expiry sweep and the reminders before it."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from jifen.ledger import expiry, holds, service
from jifen.ledger.models import Entry
from jifen.outbox.models import OutboxEvent

MARCH_END = datetime(2026, 3, 31, 16, 0, tzinfo=UTC)  # midnight, 1 April, in Shanghai
JUNE_END = datetime(2026, 6, 30, 16, 0, tzinfo=UTC)


def entries_of_kind(books, kind):
    with books.svc.db.session(tenant_id=books.tenant_id) as session:
        return list(session.scalars(select(Entry).where(Entry.kind == kind)))


def messages(books):
    """The reminders in the event log, in the order they were written."""
    with books.svc.db.session(tenant_id=books.tenant_id) as session:
        query = select(OutboxEvent).where(OutboxEvent.type == "member.points_expiring")
        return list(session.scalars(query.order_by(OutboxEvent.seq)))


def test_the_sweep_expires_due_points_in_batches_and_a_second_run_changes_nothing(books, clock):
    members = [books.member() for _ in range(5)]
    for member in members:
        books.run(service.earn, member, 100, expires_at=MARCH_END)
        books.run(service.earn, member, 40, expires_at=JUNE_END)
    clock.set(MARCH_END)

    expired = expiry.sweep_tenant(books.svc, books.tenant_id, batch=2)

    assert expired == 500
    assert [books.wallet(m).balance for m in members] == [40] * 5
    assert len(entries_of_kind(books, "expire")) == 5
    assert expiry.sweep_tenant(books.svc, books.tenant_id, batch=2) == 0
    assert len(entries_of_kind(books, "expire")) == 5
    books.verify()


def test_the_sweep_leaves_points_a_hold_keeps_until_the_hold_gives_them_back(books, clock):
    alice = books.member()
    books.run(service.earn, alice, 100, expires_at=MARCH_END)
    hold = books.run(holds.reserve, alice, 30, timeout=timedelta(days=60))
    clock.set(MARCH_END + timedelta(hours=1))

    assert expiry.sweep(books.svc) == 70
    assert books.wallet(alice) == books.wallet(alice).__class__(balance=0, held=30, debt=0)
    books.run(holds.release, hold.id)

    assert books.wallet(alice).balance == 0
    assert [lot.remaining for lot in books.lots(alice)] == [0]
    books.verify()


def test_points_not_yet_due_are_left_alone(books, clock):
    alice = books.member()
    books.run(service.earn, alice, 100, expires_at=MARCH_END)
    clock.set(MARCH_END - timedelta(seconds=1))

    assert expiry.sweep(books.svc) == 0
    assert books.wallet(alice).balance == 100


def test_members_with_expiring_points_get_one_reminder_per_window(books, clock):
    books.policy(notice_days=[30, 7])
    soon, later, never = books.member(), books.member(), books.member()
    books.run(service.earn, soon, 100, expires_at=MARCH_END)  # 30 days and a bit away
    books.run(service.earn, later, 50, expires_at=JUNE_END)
    books.run(service.earn, never, 10)

    clock.set(MARCH_END - timedelta(days=20))
    assert expiry.remind(books.svc) == 1
    assert expiry.remind(books.svc) == 0  # a repeated round writes nothing new
    clock.set(MARCH_END - timedelta(days=5))
    assert expiry.remind(books.svc) == 1

    sent = messages(books)
    assert [(m.aggregate_id, m.payload["notice_days"]) for m in sent] == [(soon, 30), (soon, 7)]
    assert sent[0].payload == {
        "member_id": str(soon),
        "points": 100,
        "expires_at": MARCH_END.isoformat(),
        "last_day": "2026-03-31",
        "notice_days": 30,
    }


def test_a_member_first_seen_inside_the_narrow_window_gets_only_that_notice(books, clock):
    books.policy(notice_days=[30, 7])
    alice = books.member()
    books.run(service.earn, alice, 100, expires_at=MARCH_END)
    clock.set(MARCH_END - timedelta(days=3))

    assert expiry.remind(books.svc) == 1
    assert [m.payload["notice_days"] for m in messages(books)] == [7]


def test_no_reminders_when_the_tenant_wants_none(books, clock):
    books.policy(notice_days=[])
    alice = books.member()
    books.run(service.earn, alice, 100, expires_at=MARCH_END)
    clock.set(MARCH_END - timedelta(days=3))

    assert expiry.remind(books.svc) == 0

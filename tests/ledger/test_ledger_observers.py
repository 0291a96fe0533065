"""Observers of the ledger: plugins told of every posted entry after it commits, each
plugin on its own, so one that raises is retried and dead-lettered alone, by name."""

from __future__ import annotations

from jifen.hookimpl import hookimpl
from jifen.ledger import service
from jifen.outbox import relay as relays
from jifen.outbox import sql
from jifen.outbox.relay import Relay
from jifen.subscriptions import subscribers


class Recorder:
    def __init__(self) -> None:
        self.entries = []

    @hookimpl
    def ledger_entry_posted(self, entry):
        self.entries.append(entry)


class Broken:
    @hookimpl
    def ledger_entry_posted(self, entry):
        raise RuntimeError("the analytics endpoint is down")


def observe(svc, **plugins) -> None:
    for name, plugin in plugins.items():
        svc.plugins.register(plugin, name=name)
    svc.relay = Relay(svc, subscribers(svc.plugins))


def test_hook_ledger_entry_posted(books, svc):
    recorder = Recorder()
    observe(svc, recorder=recorder)
    books.policy(transfers_enabled=True)
    alice, bob = books.member(), books.member()

    earned = books.run(service.earn, alice, 100, memo="welcome")
    books.run(service.transfer, alice, bob, 30)
    svc.jobs.wait_idle()

    first, second = recorder.entries
    assert (first.id, first.kind, first.memo) == (earned.id, "earn", "welcome")
    assert [(c.member_id, c.amount, c.running_total) for c in first.changes] == [(alice, 100, 100)]
    assert second.kind == "transfer"
    assert {(c.member_id, c.amount) for c in second.changes} == {(alice, -30), (bob, 30)}


def test_an_observer_that_raises_is_isolated_and_named(books, svc, clock):
    recorder = Recorder()
    observe(svc, recorder=recorder, broken=Broken())
    alice = books.member()

    books.run(service.earn, alice, 100)
    svc.jobs.wait_idle()
    for _ in range(relays.MAX_ATTEMPTS):
        clock.advance(hours=1)
        svc.relay.drain()

    assert [e.kind for e in recorder.entries] == ["earn"]  # told once, despite the other
    failing = {c["subscriber"] for c in svc.relay.status() if c["last_error"]}
    with svc.relay.reading() as connection:
        (letter,) = sql.dead_letters(connection)
    assert letter.subscriber == "ledger_entry_posted@broken"
    assert "the analytics endpoint is down" in letter.error
    assert failing <= {"ledger_entry_posted@broken"}
    books.verify()  # the books are untouched by a failing observer

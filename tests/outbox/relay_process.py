"""A relay in a process of its own, for the fault tests: `python relay_process.py LAST`
with the app's JIFEN_* settings in the environment. It delivers `Counted` events to the
`applier` database subscriber, printing "applied N" after each; after event LAST it
stops dead, before it can move its cursor, and waits to be killed."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests folder

from jifen.app import create_app
from jifen.outbox.relay import Relay, Subscriber
from outbox.events import Counted, applier


def main(last: int) -> None:
    services = create_app().extensions["jifen.services"]
    inner = applier()

    def deliver_then_hang(svc, delivered):
        inner.deliver(svc, delivered)
        print(f"applied {delivered.event.n}", flush=True)
        if delivered.event.n == last:
            threading.Event().wait()

    relay = Relay(services, [Subscriber(inner.name, (Counted,), deliver_then_hang)])
    relay.run("interactive")


if __name__ == "__main__":
    main(int(sys.argv[1]))

"""The network as a test sets it up, for proving custom domains (jifen.tenants.ownership
asks the real one): the probe the app's services hold, faked at that edge."""

from __future__ import annotations

from jifen.tenants import ownership


class FakeNetwork:
    """The network as a test sets it up: TXT records by name, files by address; and the
    questions asked, to show when they were asked."""

    def __init__(self) -> None:
        self.records: dict[str, list[str]] = {}
        self.files: dict[str, bytes] = {}
        self.private: set[str] = set()
        self.asked: list[str] = []
        self.on_ask = lambda: None

    def txt_records(self, name: str) -> list[str]:
        self.asked.append(name)
        self.on_ask()
        if name.endswith("down.example.com"):
            raise ownership.Unreachable(name)
        return self.records.get(name, [])

    def fetch(self, url: str) -> bytes:
        self.asked.append(url)
        if any(f"//{host}/" in url for host in self.private):
            raise ownership.Refused(url)
        if url not in self.files:
            raise ownership.Unreachable(url)
        return self.files[url]


def installed(svc) -> FakeNetwork:
    """A fake network, put where the app's services ask the real one."""
    fake = FakeNetwork()
    svc.ownership_probe = fake
    return fake

"""Proving that a merchant owns a host, two ways: a DNS TXT record at
`_jifen-verify.<host>` holding the claim's token, or the token served at
`http://<host>/.well-known/jifen-verify.txt`.

Both ask the network, so they run outside any database transaction (the caller reads
the claim, closes its transaction, asks, then records what was found). `Probe` is that
boundary: `NetworkProbe` asks the network, tests give a fake.

The served file is fetched from a host the merchant names, so the fetch is kept from
reaching inside our own network: the host must resolve only to public addresses, no
proxy is used, redirects are followed only to the same host, and at most a kilobyte of
the answer is read. Nothing of the answer is shown, only whether it held the token.
"""

from __future__ import annotations

import ipaddress
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.client import HTTPException
from typing import Any, Protocol
from urllib.parse import urlsplit

from jifen.tenants import dns_txt

TXT_LABEL = "_jifen-verify"
PROOF_FILE = "/.well-known/jifen-verify.txt"
FETCH_TIMEOUT = 5.0
MAX_BODY = 1024
MAX_REDIRECTS = 3

# What a check found, each way.
FOUND = "found"  # the token is there
MISSING = "missing"  # an answer came, without the token
UNREACHABLE = "unreachable"  # no answer (no such name, no server, an error status)
REFUSED = "refused"  # the host resolves to an address we do not fetch from


class Unreachable(Exception):
    """The network gave no answer."""


class Refused(Exception):
    """The host resolves to a private, loopback or otherwise non-public address."""


class Probe(Protocol):
    """What proving ownership asks of the network."""

    def txt_records(self, name: str) -> list[str]:
        """The TXT records' texts at `name` (none if it has none); `Unreachable` if no
        name server answers."""
        ...

    def fetch(self, url: str) -> bytes:
        """The start of the body an http(s) address answers with (200 only);
        `Unreachable` otherwise, `Refused` for a host we do not fetch from."""
        ...


@dataclass(frozen=True)
class Proof:
    """What a check found by DNS and by the served file."""

    dns: str
    http: str

    @property
    def proved(self) -> bool:
        return FOUND in (self.dns, self.http)


def txt_name(host: str) -> str:
    """Where the TXT record goes."""
    return f"{TXT_LABEL}.{host}"


def token_url(host: str) -> str:
    """Where the token is served."""
    return f"http://{host}{PROOF_FILE}"


def prove(probe: Probe, host: str, token: str) -> Proof:
    """Look for `token` both ways (network I/O: never inside a transaction)."""
    return Proof(dns=_by_dns(probe, host, token), http=_by_http(probe, host, token))


def _by_dns(probe: Probe, host: str, token: str) -> str:
    try:
        records = probe.txt_records(txt_name(host))
    except Unreachable:
        return UNREACHABLE
    return FOUND if any(record.strip() == token for record in records) else MISSING


def _by_http(probe: Probe, host: str, token: str) -> str:
    try:
        body = probe.fetch(token_url(host))
    except Refused:
        return REFUSED
    except Unreachable:
        return UNREACHABLE
    lines = body.decode("utf-8", errors="replace").split()
    return FOUND if token in lines else MISSING


class NetworkProbe:
    """Asks the network: the system's name servers and the host itself."""

    def __init__(self, *, public_only: bool = True) -> None:
        # Tests of the fetch itself serve the file on the loopback address.
        self.public_only = public_only

    def txt_records(self, name: str) -> list[str]:
        try:
            return dns_txt.txt_records(name)
        except dns_txt.LookupFailed as failed:
            raise Unreachable(str(failed)) from None

    def fetch(self, url: str) -> bytes:
        host = urlsplit(url).hostname or ""
        self._check_addresses(host)
        opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), _SameHostRedirects(host)
        )
        try:
            with opener.open(url, timeout=FETCH_TIMEOUT) as answer:
                if answer.status != 200:
                    raise Unreachable(f"status {answer.status}")
                body: bytes = answer.read(MAX_BODY)
                return body
        except (urllib.error.URLError, HTTPException, OSError, ValueError) as failed:
            raise Unreachable(str(failed)) from None

    def _check_addresses(self, host: str) -> None:
        try:
            found = socket.getaddrinfo(host, 80, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as failed:
            raise Unreachable(str(failed)) from None
        addresses = {ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found}
        if self.public_only and not all(address.is_global for address in addresses):
            raise Refused(host)


class _SameHostRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to the same host (http to https, another path)."""

    max_redirections = MAX_REDIRECTS

    def __init__(self, host: str) -> None:
        self.host = host

    def redirect_request(
        self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> urllib.request.Request | None:
        target = urlsplit(newurl)
        if target.hostname != self.host or target.scheme not in ("http", "https"):
            raise Unreachable(f"redirected away to {target.hostname}")
        redirected: urllib.request.Request | None = super().redirect_request(
            req, fp, code, msg, headers, newurl
        )
        return redirected

"""A DNS TXT lookup with the standard library: one question to the system's resolver.

The standard library resolves addresses only, and proving a custom domain needs its TXT
records (jifen.tenants.ownership), so this asks the name servers `/etc/resolv.conf`
lists, over UDP (RFC 1035), and again over TCP when the answer comes back truncated.
Each server is asked in turn until one answers. Only what a TXT lookup needs is read:
the header, and the answers' types and data (a name in an answer is skipped, pointers
and all).
"""

from __future__ import annotations

import secrets
import socket
import struct
from collections.abc import Sequence
from pathlib import Path

TXT = 16
IN = 1
PORT = 53
TIMEOUT = 3.0  # seconds per server and transport
MAX_UDP = 4096
RESOLV_CONF = Path("/etc/resolv.conf")
NO_ERROR, NAME_ERROR = 0, 3

Server = tuple[str, int]


class LookupFailed(Exception):
    """No server gave an answer (none listed, none reachable, or each refused)."""


def system_servers(path: Path = RESOLV_CONF) -> list[Server]:
    """The name servers the system's resolver asks, in its order."""
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return []
    found = []
    for line in lines:
        words = line.split()
        if len(words) >= 2 and words[0] == "nameserver":
            found.append((words[1].split("%")[0], PORT))
    return found


def txt_records(
    name: str, servers: Sequence[Server] | None = None, *, timeout: float = TIMEOUT
) -> list[str]:
    """The texts of `name`'s TXT records (each record's strings joined), none when the
    name does not exist; `LookupFailed` when no server answers. `name` is ASCII (an
    internationalised name already in its `xn--` form)."""
    servers = system_servers() if servers is None else servers
    if not servers:
        raise LookupFailed("no name server")
    question_id = secrets.randbits(16)
    query = build_query(name, question_id)
    for server in servers:
        try:
            answer = _ask_udp(server, query, timeout)
            if _truncated(answer):
                answer = _ask_tcp(server, query, timeout)
            return parse_answer(answer, question_id)
        except (OSError, LookupFailed, struct.error, IndexError):
            continue
    raise LookupFailed(f"no answer for {name}")


def build_query(name: str, question_id: int) -> bytes:
    """A recursive query for `name`'s TXT records."""
    labels = name.rstrip(".").split(".")
    if any(not label or len(label) > 63 for label in labels):
        raise LookupFailed(f"not a domain name: {name!r}")
    qname = b"".join(bytes([len(label)]) + label.encode("ascii") for label in labels) + b"\0"
    header = struct.pack("!HHHHHH", question_id, 0x0100, 1, 0, 0, 0)  # RD set, one question
    return header + qname + struct.pack("!HH", TXT, IN)


def parse_answer(message: bytes, question_id: int) -> list[str]:
    """The TXT texts in a response to the query `question_id`."""
    (answer_id, flags, questions, answers) = struct.unpack("!HHHH", message[:8])
    if answer_id != question_id or not flags & 0x8000:
        raise LookupFailed("not the answer to our question")
    rcode = flags & 0x000F
    if rcode == NAME_ERROR:
        return []
    if rcode != NO_ERROR:
        raise LookupFailed(f"server refused: rcode {rcode}")
    offset = 12
    for _ in range(questions):
        offset = _skip_name(message, offset) + 4
    texts = []
    for _ in range(answers):
        offset = _skip_name(message, offset)
        kind, klass, _ttl, length = struct.unpack("!HHIH", message[offset : offset + 10])
        offset += 10
        data = message[offset : offset + length]
        if len(data) != length:
            raise LookupFailed("answer cut short")
        offset += length
        if kind == TXT and klass == IN:
            texts.append(_strings(data))
    return texts


def _skip_name(message: bytes, offset: int) -> int:
    """The offset after the name at `offset` (labels, ended by a zero or a pointer)."""
    while True:
        length = message[offset]
        if length == 0:
            return offset + 1
        if length & 0xC0 == 0xC0:
            return offset + 2
        offset += 1 + length


def _strings(data: bytes) -> str:
    """A TXT record's character-strings, joined as one text."""
    parts, offset = [], 0
    while offset < len(data):
        length = data[offset]
        parts.append(data[offset + 1 : offset + 1 + length])
        offset += 1 + length
    return b"".join(parts).decode("utf-8", errors="replace")


def _truncated(message: bytes) -> bool:
    return len(message) >= 4 and bool(message[2] & 0x02)


def _ask_udp(server: Server, query: bytes, timeout: float) -> bytes:
    family = socket.AF_INET6 if ":" in server[0] else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as udp:
        udp.settimeout(timeout)
        udp.connect(server)
        udp.send(query)
        return udp.recv(MAX_UDP)


def _ask_tcp(server: Server, query: bytes, timeout: float) -> bytes:
    with socket.create_connection(server, timeout=timeout) as tcp:
        tcp.sendall(struct.pack("!H", len(query)) + query)
        length = struct.unpack("!H", _read(tcp, 2))[0]
        return _read(tcp, length)


def _read(connection: socket.socket, size: int) -> bytes:
    received = b""
    while len(received) < size:
        chunk = connection.recv(size - len(received))
        if not chunk:
            raise LookupFailed("connection closed mid-answer")
        received += chunk
    return received

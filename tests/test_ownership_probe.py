"""The network side of proving a custom domain, against servers on the loopback address:
the standard library's DNS TXT lookup (UDP, and TCP when the answer is truncated), and
the served file's fetch, which reaches only public addresses and follows redirects only
on the same host."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from jifen.tenants import dns_txt, ownership

NAME = "_jifen-verify.shop.example.com"


def txt_rdata(*strings: bytes) -> bytes:
    return b"".join(bytes([len(s)]) + s for s in strings)


def answer_to(query: bytes, records: list[bytes], *, rcode: int = 0, truncated: bool = False):
    """A server's answer to `query`: its question again, then each TXT record, named by
    a pointer to the question's name (as servers compress them)."""
    question_id = struct.unpack("!H", query[:2])[0]
    flags = 0x8180 | rcode | (0x0200 if truncated else 0)
    header = struct.pack("!HHHHHH", question_id, flags, 1, len(records), 0, 0)
    answers = b"".join(struct.pack("!HHHIH", 0xC00C, 16, 1, 300, len(r)) + r for r in records)
    return header + query[12:] + answers


def free_pair() -> tuple[socket.socket, socket.socket, int]:
    """A UDP and a TCP socket on one free loopback port (another process may hold the
    TCP port of a free UDP one, and the other way round: try again)."""
    for _ in range(50):
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.bind(("127.0.0.1", 0))
        port = tcp.getsockname()[1]
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            udp.bind(("127.0.0.1", port))
        except OSError:
            udp.close()
            tcp.close()
            continue
        tcp.listen(1)
        return udp, tcp, port
    raise RuntimeError("no free loopback port for both UDP and TCP")


@pytest.fixture
def name_server() -> Iterator[Callable[..., tuple[str, int]]]:
    """Starts a one-question UDP (and TCP) name server answering as the test says."""
    sockets: list[socket.socket] = []

    def start(records: list[bytes], *, rcode: int = 0, truncate_udp: bool = False):
        udp, tcp, port = free_pair()
        sockets.extend([udp, tcp])

        def serve_udp() -> None:
            query, client = udp.recvfrom(512)
            udp.sendto(answer_to(query, records, rcode=rcode, truncated=truncate_udp), client)

        def serve_tcp() -> None:
            connection, _ = tcp.accept()
            with connection:
                length = struct.unpack("!H", connection.recv(2))[0]
                answer = answer_to(connection.recv(length), records, rcode=rcode)
                connection.sendall(struct.pack("!H", len(answer)) + answer)

        threading.Thread(target=serve_udp, daemon=True).start()
        if truncate_udp:
            threading.Thread(target=serve_tcp, daemon=True).start()
        return ("127.0.0.1", port)

    yield start
    for opened in sockets:
        opened.close()


def test_txt_records_are_read_from_the_name_server(name_server):
    server = name_server([txt_rdata(b"jifen-abc"), txt_rdata(b"v=spf1 ", b"-all")])
    assert dns_txt.txt_records(NAME, [server]) == ["jifen-abc", "v=spf1 -all"]


def test_a_truncated_answer_is_asked_again_over_tcp(name_server):
    server = name_server([txt_rdata(b"x" * 200, b"y" * 200)], truncate_udp=True)
    assert dns_txt.txt_records(NAME, [server]) == ["x" * 200 + "y" * 200]


def test_a_name_that_does_not_exist_has_no_records(name_server):
    assert dns_txt.txt_records(NAME, [name_server([], rcode=3)]) == []


def test_no_answer_from_any_server_fails_the_lookup(name_server):
    refusing = name_server([], rcode=5)
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    with silent, pytest.raises(dns_txt.LookupFailed):
        dns_txt.txt_records(NAME, [silent.getsockname(), refusing], timeout=0.3)
    with pytest.raises(dns_txt.LookupFailed):
        dns_txt.txt_records(NAME, [])


def test_an_answer_to_another_question_is_not_taken():
    query = dns_txt.build_query(NAME, 1)
    with pytest.raises(dns_txt.LookupFailed):
        dns_txt.parse_answer(answer_to(query, [txt_rdata(b"jifen-abc")]), 2)


def test_the_system_resolvers_servers_are_read_from_resolv_conf(tmp_path):
    conf = tmp_path / "resolv.conf"
    conf.write_text("# comment\nsearch lan\nnameserver 10.0.0.2\nnameserver fe80::1%eth0\n")
    assert dns_txt.system_servers(conf) == [("10.0.0.2", 53), ("fe80::1", 53)]
    assert dns_txt.system_servers(tmp_path / "missing") == []


class Site(BaseHTTPRequestHandler):
    """/.well-known/jifen-verify.txt holds a token; /moved redirects there, /away to
    another host."""

    def do_GET(self) -> None:
        port = self.server.server_address[1]
        if self.path == "/.well-known/jifen-verify.txt":
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"jifen-abc\n" + b"z" * 5000)
        elif self.path == "/moved":
            self.send_response(301)
            self.send_header("Location", f"http://127.0.0.1:{port}/.well-known/jifen-verify.txt")
            self.end_headers()
        elif self.path == "/away":
            self.send_response(302)
            self.send_header("Location", f"http://localhost:{port}/.well-known/jifen-verify.txt")
            self.end_headers()
        else:
            self.send_response(404)
            self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_served_file_is_fetched_a_kilobyte_at_most(site):
    probe = ownership.NetworkProbe(public_only=False)
    body = probe.fetch(f"{site}/.well-known/jifen-verify.txt")
    assert body.startswith(b"jifen-abc\n") and len(body) == ownership.MAX_BODY
    assert probe.fetch(f"{site}/moved").startswith(b"jifen-abc")


def test_a_fetch_goes_to_no_other_host_and_no_missing_page(site):
    probe = ownership.NetworkProbe(public_only=False)
    with pytest.raises(ownership.Unreachable):
        probe.fetch(f"{site}/away")
    with pytest.raises(ownership.Unreachable):
        probe.fetch(f"{site}/nothing-here")


def test_a_host_on_a_private_address_is_not_fetched(site):
    with pytest.raises(ownership.Refused):
        ownership.NetworkProbe().fetch(f"{site}/.well-known/jifen-verify.txt")

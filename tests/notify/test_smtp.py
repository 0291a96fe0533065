"""The SMTP notifier's transport: a password goes only over TLS, and the server's
certificate is verified. The mail server is aiosmtpd (a fake at the external boundary),
its certificate from a throwaway CA (trustme)."""

from __future__ import annotations

import socket
import ssl
import uuid

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from jifen.notify import Message
from jifen_plugins.notifiers.smtp import NotSecured, SmtpNotifier

MESSAGE = Message(
    id=uuid.uuid4(),
    channel="email",
    to="li.na@example.com",
    sender="Tea House",
    subject="Your points",
    body="100 points expire soon",
    locale="en",
)


class Server:
    """What the mail server saw: sign-ins (and whether over TLS) and messages."""

    def __init__(self) -> None:
        self.logins: list[tuple[str, bool]] = []
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content)
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        self.logins.append((auth_data.login.decode(), session.ssl is not None))
        return AuthResult(success=auth_data.password == b"s3cret")


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


def serve(server: Server, **tls) -> tuple[Controller, int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(
        server,
        hostname="127.0.0.1",
        port=port,
        authenticator=server.authenticate,
        auth_require_tls=False,  # the server would take a password in clear: we must not
        **tls,
    )
    controller.start()
    return controller, port


def starttls_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return context


def test_a_password_is_never_sent_to_a_server_offering_no_tls():
    server = Server()
    controller, port = serve(server)
    try:
        notifier = SmtpNotifier(f"smtp://points:s3cret@127.0.0.1:{port}?from=p@shop.example")
        with pytest.raises(NotSecured, match="STARTTLS"):
            notifier.send(MESSAGE)
    finally:
        controller.stop()

    assert (server.logins, server.messages) == ([], [])


def test_a_server_offering_starttls_gets_the_password_and_the_message_over_tls(
    ca, tmp_path, monkeypatch
):
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))  # the system's CAs, and this one
    server = Server()
    controller, port = serve(server, tls_context=starttls_context(ca))
    try:
        notifier = SmtpNotifier(f"smtp://points:s3cret@127.0.0.1:{port}?from=p@shop.example")
        notifier.send(MESSAGE)
    finally:
        controller.stop()

    assert server.logins == [("points", True)]
    assert len(server.messages) == 1 and b"100 points expire soon" in server.messages[0]


def test_a_server_whose_certificate_does_not_verify_gets_nothing(ca):
    server = Server()
    controller, port = serve(server, tls_context=starttls_context(ca))
    try:
        notifier = SmtpNotifier(f"smtp://points:s3cret@127.0.0.1:{port}?from=p@shop.example")
        with pytest.raises(ssl.SSLCertVerificationError):
            notifier.send(MESSAGE)
    finally:
        controller.stop()

    assert (server.logins, server.messages) == ([], [])


def test_without_a_password_a_server_offering_no_tls_gets_the_message():
    server = Server()
    controller, port = serve(server)
    try:
        SmtpNotifier(f"smtp://127.0.0.1:{port}?from=p@shop.example").send(MESSAGE)
    finally:
        controller.stop()

    assert server.logins == [] and len(server.messages) == 1

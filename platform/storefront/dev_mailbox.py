"""The embedded mode's dev mailbox: what the log notifier "sent" (sign-in codes, expiry
reminders), whole, at `/dev/mailbox`, so that a developer can sign in with a code with
no SMS gateway. Only in the embedded mode, and only to a browser on the same machine:
the messages hold sign-in codes."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, render_template, request

from jifen.web import services

bp = Blueprint("dev_mailbox", __name__)
LOOPBACK = ("127.0.0.1", "::1")


@bp.route("/dev/mailbox")
def mailbox() -> str:
    if request.remote_addr not in LOOPBACK:
        abort(404)
    registry = services().notifiers.registry
    notifier = registry.get("log") if "log" in registry else None
    messages = list(getattr(notifier, "recent", ()))
    return render_template("dev_mailbox.html", messages=messages)


def init_app(app: Flask, *, embedded: bool) -> None:
    if embedded:
        app.register_blueprint(bp)

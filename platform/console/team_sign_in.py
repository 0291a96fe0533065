"""The second step of signing in, for users with two-factor sign-in on: after their
password (or a password reset by email), the code their authenticator app shows, or one
of their recovery codes.

Who passed the first step is kept in Flask's signed session (`auth.SECOND_STEP`) for
`WAIT`; the browser is signed in only once the code is right. Codes are tried under
the sign-in throttle (jifen.tenants.throttle), counted per account and per address.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from flask import flash, redirect, request, session, url_for
from werkzeug import Response

from jifen.console.access import public
from jifen.console.auth import SECOND_STEP, start_session
from jifen.console.pages import bp, render
from jifen.errors import JifenError
from jifen.i18n import N_, translate
from jifen.tenants import throttle, two_factor
from jifen.tenants.models import User
from jifen.web import db_session, keep_when_refused, services

WAIT = timedelta(minutes=5)
SCOPE = "console-two-factor"
MAX_CODE = 32


def _waiting() -> tuple[User, str] | None:
    """The user who passed the password and the page they were going to, while the
    second step may still be taken."""
    pending: Any = session.get(SECOND_STEP)
    if not isinstance(pending, dict):
        return None
    try:
        user_id = uuid.UUID(str(pending["user"]))
        at = float(pending["at"])
        then = str(pending["then"])
    except (KeyError, TypeError, ValueError):
        return None
    if services().clock.now().timestamp() - at > WAIT.total_seconds():
        return None
    user = db_session().get(User, user_id)
    if user is None or not two_factor.enrolled(user):
        return None
    return user, then


def check_code(user: User, typed: str) -> JifenError | None:
    """Try a second-factor code of `user` under the throttle: why not, or None when it
    is right (a wrong one's try is kept, whatever the caller answers)."""
    svc, db = services(), db_session()
    attempt = throttle.Attempt(email=user.email, address=request.remote_addr, scope=SCOPE)
    now = svc.clock.now()
    try:
        throttle.check(db, attempt, now)
        two_factor.verify(db, user, typed[:MAX_CODE], clock=svc.clock, keyring=svc.keyring)
    except throttle.TooManySignIns as refused:
        keep_when_refused()
        return refused
    except JifenError as refused:
        throttle.record_failure(db, attempt, now)
        keep_when_refused()  # the try counts, though the answer is a refusal
        return refused
    throttle.record_success(db, attempt)
    return None


@bp.route("/login/code", methods=["GET", "POST"])
@public
def sign_in_code() -> tuple[str, int, dict[str, str]] | Response:
    """The code of the authenticator app, or a recovery code, after the password."""
    waiting = _waiting()
    if waiting is None:
        session.pop(SECOND_STEP, None)
        if request.method == "POST":
            flash(translate(N_("Signing in took too long. Sign in again.")))
        return redirect(url_for("console.login"), 303)
    user, then = waiting
    refused = None
    if request.method == "POST":
        refused = check_code(user, request.form.get("code", ""))
        if refused is None:
            return start_session(user.id, then, second_factor=True)
    page = render("console/team_sign_in_code.html", problem=refused and refused.translated())
    if isinstance(refused, throttle.TooManySignIns):
        return page, refused.status, {"Retry-After": str(refused.retry_after)}
    return page, refused.status if refused else 200, {}

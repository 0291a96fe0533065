"""Self-serve sign-up: an email and a password make a console user, who proves the email
is theirs with a code sent to it before doing anything else; and a forgotten password
reset by a code sent the same way.

Signing up and asking for codes are throttled per email and per client address
(jifen.tenants.throttle), with counts every worker shares. Asking to reset a password
answers the same whether or not the email has an account, so the form tells a stranger
nothing.
"""

from __future__ import annotations

import uuid

from flask import redirect, request, url_for
from werkzeug import Response

from jifen.console.access import current, public, user_page
from jifen.console.auth import start_session
from jifen.console.forms import problems_of
from jifen.console.pages import bp, page_language, render
from jifen.errors import Conflict, JifenError, ValidationFailed
from jifen.tenants import throttle, user_codes, users
from jifen.types import new_id
from jifen.web import db_session, keep_when_refused, services

CODE_SCOPE = "console-code"
SIGN_UP_SCOPE = "console-sign-up"


def _throttled(email: str, scope: str) -> throttle.TooManySignIns | None:
    """Count this request against the email's and the client's limits: the refusal, if
    either is spent."""
    attempt = throttle.Attempt(email=email, address=request.remote_addr, scope=scope)
    now = services().clock.now()
    try:
        throttle.check(db_session(), attempt, now)
    except throttle.TooManySignIns as refused:
        keep_when_refused()
        return refused
    throttle.record_failure(db_session(), attempt, now)  # every request counts
    return None


@bp.route("/signup", methods=["GET", "POST"])
@public
def signup() -> tuple[str, int] | Response:
    values = {"email": "", "name": ""}
    problems: dict[str, str] = {}
    if request.method == "POST":
        values = {key: request.form.get(key, "").strip()[:254] for key in values}
        password = request.form.get("password", "")
        refused = _throttled(values["email"].lower(), SIGN_UP_SCOPE)
        if refused is not None:
            return render(
                "console/signup.html", values=values, problems={}, error=refused.translated()
            ), 429
        svc, session = services(), db_session()
        try:
            user = users.create_user(
                session,
                email=values["email"],
                name=values["name"] or values["email"].split("@")[0],
                password=password,
                clock=svc.clock,
                verified=False,
            )
        except (ValidationFailed, Conflict) as refused_input:
            problems = problems_of(refused_input, default_field="email")
        else:
            user_codes.request_code(
                session,
                user,
                user_codes.VERIFY_EMAIL,
                locale=page_language(),
                clock=svc.clock,
                keyring=svc.keyring,
            )
            return start_session(user.id, url_for("console.verify_email"))
    status = 422 if problems else 200
    return render("console/signup.html", values=values, problems=problems, error=None), status


@bp.route("/verify", methods=["GET", "POST"])
@user_page(verified=False)
def verify_email() -> tuple[str, int] | Response:
    """The code sent to a new user's email, typed in."""
    staff, svc, session = current(), services(), db_session()
    if staff.user.email_verified_at is not None:
        return redirect(url_for("console.home"))
    problem = None
    if request.method == "POST":
        code_id = user_codes.latest(session, staff.user.id, user_codes.VERIFY_EMAIL)
        try:
            if code_id is None:
                raise user_codes.CodeRefused()
            user_codes.check_code(
                session,
                code_id,
                request.form.get("code", "")[:32],
                purpose=user_codes.VERIFY_EMAIL,
                clock=svc.clock,
                keyring=svc.keyring,
            )
        except JifenError as refused:
            keep_when_refused()  # the try counts, though the answer is a refusal
            problem = refused.translated()
        else:
            staff.user.email_verified_at = svc.clock.now()
            return redirect(url_for("console.home"), 303)
    status = 422 if problem else 200
    return render("console/verify.html", email=staff.user.email, problem=problem), status


@bp.route("/verify/resend", methods=["POST"])
@user_page(verified=False)
def resend_code() -> tuple[str, int] | Response:
    staff, svc = current(), services()
    if staff.user.email_verified_at is not None:
        return redirect(url_for("console.home"))
    refused = _throttled(staff.user.email, CODE_SCOPE)
    if refused is not None:
        return render(
            "console/verify.html", email=staff.user.email, problem=refused.translated()
        ), 429
    user_codes.request_code(
        db_session(),
        staff.user,
        user_codes.VERIFY_EMAIL,
        locale=page_language(),
        clock=svc.clock,
        keyring=svc.keyring,
    )
    return redirect(url_for("console.verify_email", sent=1), 303)


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
def forgot_password() -> tuple[str, int] | Response:
    email = request.form.get("email", "").strip()[:254]
    if request.method == "POST":
        refused = _throttled(email.lower(), CODE_SCOPE)
        if refused is not None:
            return render("console/forgot.html", email=email, problem=refused.translated()), 429
        svc, session = services(), db_session()
        user = users.by_email(session, email)
        # An email with no account gets a code id that opens nothing, and the same page.
        code_id = new_id()
        if user is not None:
            code_id = user_codes.request_code(
                session,
                user,
                user_codes.RESET_PASSWORD,
                locale=page_language(),
                clock=svc.clock,
                keyring=svc.keyring,
            )
        return redirect(url_for("console.reset_password", code_id=code_id), 303)
    return render("console/forgot.html", email=email, problem=None), 200


@bp.route("/password/reset/<uuid:code_id>", methods=["GET", "POST"])
@public
def reset_password(code_id: uuid.UUID) -> tuple[str, int] | Response:
    problems: dict[str, str] = {}
    if request.method == "POST":
        svc, session = services(), db_session()
        password = request.form.get("password", "")
        try:
            users.check_password(password)
        except ValidationFailed as weak:
            problems = problems_of(weak, default_field="password")
        else:
            try:
                user = user_codes.check_code(
                    session,
                    code_id,
                    request.form.get("code", "")[:32],
                    purpose=user_codes.RESET_PASSWORD,
                    clock=svc.clock,
                    keyring=svc.keyring,
                )
            except JifenError as refused:
                keep_when_refused()  # the try counts, though the answer is a refusal
                problems = {"code": refused.translated()}
            else:
                users.set_password(session, user, password, clock=svc.clock)
                # The code came to the address: it is theirs.
                user.email_verified_at = user.email_verified_at or svc.clock.now()
                return start_session(user.id, url_for("console.home"))
    status = 422 if problems else 200
    return render("console/reset.html", code_id=code_id, problems=problems), status

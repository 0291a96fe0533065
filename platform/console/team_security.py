"""A console user's own sign-in security: two-factor sign-in set up with an authenticator
app (its QR code drawn here, by segno: no outside service sees the secret), confirmed
with a code, turned off with a code or the password, and recovery codes, shown once.

These are the user's pages, whichever tenant they work in: a tenant that requires
two-factor sign-in sends its staff here until they have set it up (jifen.console.access).
"""

from __future__ import annotations

import segno
from flask import flash, redirect, request, url_for
from werkzeug import Response

from jifen.audit import Actor
from jifen.console.access import current, user_page, working_in
from jifen.console.pages import bp, render
from jifen.console.team_sign_in import MAX_CODE, SCOPE, check_code
from jifen.errors import JifenError
from jifen.i18n import N_, translate
from jifen.tenants import throttle, two_factor, users
from jifen.web import db_session, keep_when_refused, request_actor, services


def _actor() -> Actor:
    return request_actor("user", str(current().user.id))


def _with_tenant() -> None:
    """Show the menu of the tenant the user works in, as their other pages do."""
    staff = current()
    found = working_in(staff)
    if found is not None:
        staff.tenant, staff.role = found


def _requiring() -> list[str]:
    """The names of the user's tenants that require two-factor sign-in."""
    memberships = users.tenants_of(db_session(), current().user.id)
    return [tenant.name for tenant, _role in memberships if tenant.two_factor_required]


def _page(
    status: int = 200, *, problems: dict[str, str] | None = None, codes: list[str] | None = None
) -> tuple[str, int]:
    """The security page; `codes`: recovery codes just made, shown this once."""
    _with_tenant()
    user = current().user
    on = two_factor.enrolled(user)
    return render(
        "console/team_security.html",
        on=on,
        left=two_factor.recovery_codes_left(db_session(), user.id) if on else 0,
        requiring=_requiring(),
        problems=problems or {},
        codes=codes,
    ), status


@bp.route("/security")
@user_page()
def security() -> tuple[str, int]:
    """Whether the user signs in with a second factor, and the ways to change it."""
    return _page()


@bp.route("/security/start", methods=["POST"])
@user_page()
def security_start() -> Response:
    """Begin setting up two-factor sign-in: a new secret for the app."""
    user, svc = current().user, services()
    if not two_factor.enrolled(user):
        two_factor.start(db_session(), user, keyring=svc.keyring)
    return redirect(url_for("console.security_enrol"), 303)


@bp.route("/security/enrol", methods=["GET", "POST"])
@user_page()
def security_enrol() -> tuple[str, int] | Response:
    """The QR code for the app, and the code it shows, typed in to confirm."""
    user, svc, session = current().user, services(), db_session()
    secret = two_factor.pending_secret(user, keyring=svc.keyring)
    if secret is None:
        return redirect(url_for("console.security"), 303)
    problem = None
    if request.method == "POST":
        try:
            codes = two_factor.confirm(
                session,
                user,
                request.form.get("code", "")[:MAX_CODE],
                actor=_actor(),
                clock=svc.clock,
                keyring=svc.keyring,
            )
        except JifenError as refused:
            problem = refused.translated()
        else:
            return _page(codes=codes)
    _with_tenant()
    uri = two_factor.provisioning_uri(user, secret)
    return render(
        "console/team_security_enrol.html",
        qr=segno.make(uri, error="m").svg_data_uri(scale=5, border=2),
        secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        problem=problem,
    ), (422 if problem else 200)


def _code_or_password() -> dict[str, str]:
    """Check the code or the password the form gave (throttled like signing in): the
    problems, by field, or none."""
    user, svc, session = current().user, services(), db_session()
    code = request.form.get("code", "").strip()
    password = request.form.get("password", "")
    if code:
        refused = check_code(user, code)
        return {} if refused is None else {"code": refused.translated()}
    if not password:
        return {"code": translate(N_("Give a code from your app, or your password."))}
    attempt = throttle.Attempt(email=user.email, address=request.remote_addr, scope=SCOPE)
    now = svc.clock.now()
    try:
        throttle.check(session, attempt, now)
    except throttle.TooManySignIns as refused:
        keep_when_refused()
        return {"password": refused.translated()}
    if not users.password_matches(user, password[: users.MAX_PASSWORD]):
        throttle.record_failure(session, attempt, now)
        keep_when_refused()
        return {"password": translate(N_("That is not your password."))}
    throttle.record_success(session, attempt)
    return {}


@bp.route("/security/disable", methods=["POST"])
@user_page()
def security_disable() -> tuple[str, int] | Response:
    """Turn two-factor sign-in off, with a code or the password."""
    user, svc = current().user, services()
    if not two_factor.enrolled(user):
        return redirect(url_for("console.security"), 303)
    problems = _code_or_password()
    if problems:
        return _page(422, problems=problems)
    two_factor.disable(db_session(), user, actor=_actor(), clock=svc.clock)
    flash(translate(N_("Two-factor sign-in is off.")))
    return redirect(url_for("console.security"), 303)


@bp.route("/security/recovery-codes", methods=["POST"])
@user_page()
def security_recovery_codes() -> tuple[str, int] | Response:
    """New recovery codes in place of the old ones, with a code from the app."""
    user, svc = current().user, services()
    if not two_factor.enrolled(user):
        return redirect(url_for("console.security"), 303)
    refused = check_code(user, request.form.get("renew_code", ""))
    if refused is not None:
        return _page(422, problems={"renew_code": refused.translated()})
    codes = two_factor.renew_recovery_codes(
        db_session(), user, actor=_actor(), clock=svc.clock, keyring=svc.keyring
    )
    return _page(codes=codes)

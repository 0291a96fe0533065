"""Signing in to the console and out, choosing the tenant to work in, and the language."""

from __future__ import annotations

import uuid

from flask import abort, redirect, request, session, url_for
from flask_wtf import FlaskForm
from werkzeug import Response
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from jifen import session_cookies
from jifen.console.access import current, public, signed_in, user_page
from jifen.console.pages import LANGUAGE_KEY, bp, render
from jifen.errors import JifenError
from jifen.i18n import LOCALES, N_
from jifen.tenants import two_factor, users
from jifen.tenants.models import User
from jifen.tenants.throttle import TooManySignIns
from jifen.web import db_session, services, set_chosen_locale

# Who passed the password and still owes a second-factor code, in Flask's signed session.
SECOND_STEP = "console_second_step"


class LoginForm(FlaskForm):
    email = EmailField(N_("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(N_("Password"), validators=[DataRequired(), Length(max=1024)])


def _next_page() -> str:
    """Where to go once signed in: a console page the visitor was sent here from."""
    wanted = request.args.get("next", "")
    if wanted.startswith("/console/") and not wanted.startswith("//"):
        return wanted
    return url_for("console.home")


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> tuple[str, int, dict[str, str]] | Response:
    form = LoginForm()
    error: JifenError | None = None
    if form.validate_on_submit():
        outcome = attempt_sign_in(form.email.data or "", form.password.data or "")
        if not isinstance(outcome, JifenError):
            return start_session(outcome, _next_page())
        error = outcome
    page = render("console/login.html", form=form, error=error and error.translated())
    if isinstance(error, TooManySignIns):
        return page, error.status, {"Retry-After": str(error.retry_after)}
    return page, error.status if error else 200, {}


def start_session(user_id: uuid.UUID, then: str, *, second_factor: bool = False) -> Response:
    """Sign this browser in as the user and send it to `then`. A user with two-factor
    sign-in on is sent to give a code first (jifen.console.team_sign_in), unless
    `second_factor` says they just did."""
    chosen = session.get(LANGUAGE_KEY)
    session.clear()  # a new CSRF secret for the signed-in pages
    if chosen:
        session[LANGUAGE_KEY] = chosen
    if not second_factor and two_factor.enrolled(db_session().get_one(User, user_id)):
        at = services().clock.now().timestamp()
        session[SECOND_STEP] = {"user": str(user_id), "then": then, "at": at}
        return redirect(url_for("console.sign_in_code"))
    response = redirect(then)
    session_cookies.sign_in(response, session_cookies.console(), user_id)
    return response


def attempt_sign_in(email: str, password: str) -> uuid.UUID | JifenError:
    """The user's id, or why not. Its own transaction, committed even when the sign-in
    fails: a wrong password must count towards the throttle."""
    svc = services()
    with svc.db.transaction() as attempt:
        try:
            user = users.sign_in(
                attempt,
                email=email,
                password=password,
                address=request.remote_addr,
                clock=svc.clock,
            )
        except (users.LoginFailed, TooManySignIns) as refused:
            return refused
        return user.id


@bp.route("/logout", methods=["POST"])
@public
def logout() -> Response:
    session.clear()
    response = redirect(url_for("console.login"))
    session_cookies.sign_out(response, session_cookies.console())
    return response


@bp.route("/language", methods=["POST"])
@public
def language() -> Response:
    """Show the console in another language: kept on the user's account once signed in,
    in this browser before."""
    chosen = request.form.get("locale", "")
    if chosen not in LOCALES:
        abort(400)
    session[LANGUAGE_KEY] = chosen
    staff = signed_in()
    if staff is not None:
        staff.user.locale = chosen
    set_chosen_locale(chosen)
    back = request.form.get("back", "")
    return redirect(back if back.startswith("/console/") else url_for("console.home"), 303)


@bp.route("/tenants/<slug>", methods=["POST"])
@user_page()
def choose_tenant(slug: str) -> Response:
    """Work in one of the signed-in user's tenants; others are simply not there."""
    staff = current()
    for tenant, _role in users.tenants_of(db_session(), staff.user.id):
        if tenant.slug == slug:
            staff.web_session.tenant_id = tenant.id
            return redirect(url_for("console.home"))
    abort(404)

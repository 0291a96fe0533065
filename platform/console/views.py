"""The merchant console: sign in, choose a tenant, and (in later issues) run the mall."""

from __future__ import annotations

import uuid

from flask import (
    Blueprint,
    Flask,
    abort,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFProtect
from werkzeug import Response
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from jifen import session_cookies
from jifen.db import set_tenant
from jifen.errors import JifenError
from jifen.tenants import users
from jifen.tenants.models import User, WebSession
from jifen.tenants.throttle import TooManySignIns
from jifen.web import db_session, services

bp = Blueprint("console", __name__, url_prefix="/console")
# Console pages only: the API authenticates by key, not by cookie, so it needs no token.
csrf = CSRFProtect()


@bp.before_request
def check_csrf() -> None:
    csrf.protect()


def init_app(app: Flask) -> None:
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf.init_app(app)
    app.register_blueprint(bp)


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])


def signed_in() -> tuple[WebSession, User] | None:
    """This browser's console session and its user, if it is signed in."""
    found = session_cookies.current(session_cookies.console())
    user = None if found is None else db_session().get(User, found.subject_id)
    return None if found is None or user is None else (found, user)


@bp.route("/login", methods=["GET", "POST"])
def login() -> tuple[str, int, dict[str, str]] | Response:
    form = LoginForm()
    error: JifenError | None = None
    if form.validate_on_submit():
        outcome = attempt_sign_in(form.email.data or "", form.password.data or "")
        if not isinstance(outcome, JifenError):
            session.clear()  # a new CSRF secret for the signed-in pages
            response = redirect(url_for("console.home"))
            session_cookies.sign_in(response, session_cookies.console(), outcome)
            return response
        error = outcome
    page = render_template("console/login.html", form=form, error=error and error.translated())
    if isinstance(error, TooManySignIns):
        return page, error.status, {"Retry-After": str(error.retry_after)}
    return page, error.status if error else 200, {}


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
def logout() -> Response:
    session.clear()
    response = redirect(url_for("console.login"))
    session_cookies.sign_out(response, session_cookies.console())
    return response


@bp.route("/")
def home() -> str | Response:
    found = signed_in()
    if found is None:
        return redirect(url_for("console.login"))
    web_session, user = found
    memberships = users.tenants_of(db_session(), user.id)
    current = next(((t, r) for t, r in memberships if t.id == web_session.tenant_id), None)
    if current is not None:
        set_tenant(db_session(), current[0].id)
    return render_template("console/home.html", user=user, memberships=memberships, current=current)


@bp.route("/tenants/<slug>", methods=["POST"])
def choose_tenant(slug: str) -> Response:
    """Work in one of the signed-in user's tenants; others are simply not there."""
    found = signed_in()
    if found is None:
        return redirect(url_for("console.login"))
    web_session, user = found
    for tenant, _role in users.tenants_of(db_session(), user.id):
        if tenant.slug == slug:
            web_session.tenant_id = tenant.id
            return redirect(url_for("console.home"))
    abort(404)

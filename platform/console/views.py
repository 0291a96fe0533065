"""The merchant console: sign in, choose a tenant, and (in later issues) run the mall."""

from __future__ import annotations

import uuid

from flask import Blueprint, Flask, abort, redirect, render_template, session, url_for
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFProtect
from werkzeug import Response
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from jifen.db import set_tenant
from jifen.tenants import users
from jifen.tenants.models import User
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


def signed_in_user() -> User | None:
    user_id = session.get("user_id")
    if not user_id:
        return None
    try:
        return db_session().get(User, uuid.UUID(user_id))
    except ValueError:
        return None


@bp.route("/login", methods=["GET", "POST"])
def login() -> tuple[str, int] | Response:
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        try:
            user = users.authenticate(
                db_session(),
                email=form.email.data or "",
                password=form.password.data or "",
                clock=services().clock,
            )
        except users.LoginFailed as failed:
            error = failed.translated()
        else:
            session.clear()
            session["user_id"] = str(user.id)
            session.permanent = True
            return redirect(url_for("console.home"))
    status = 401 if error else 200
    return render_template("console/login.html", form=form, error=error), status


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    session.clear()
    return redirect(url_for("console.login"))


@bp.route("/")
def home() -> str | Response:
    user = signed_in_user()
    if user is None:
        return redirect(url_for("console.login"))
    memberships = users.tenants_of(db_session(), user.id)
    chosen = session.get("tenant_id")
    current = next(((t, r) for t, r in memberships if str(t.id) == chosen), None)
    if current is not None:
        set_tenant(db_session(), current[0].id)
    return render_template("console/home.html", user=user, memberships=memberships, current=current)


@bp.route("/tenants/<slug>", methods=["POST"])
def choose_tenant(slug: str) -> Response:
    """Work in one of the signed-in user's tenants; others are simply not there."""
    user = signed_in_user()
    if user is None:
        return redirect(url_for("console.login"))
    for tenant, _role in users.tenants_of(db_session(), user.id):
        if tenant.slug == slug:
            session["tenant_id"] = str(tenant.id)
            return redirect(url_for("console.home"))
    abort(404)

"""The console's home: the tenant the user works in (what is left of its set-up, its
mall), and the others they may switch to or a new one to make."""

from __future__ import annotations

from flask import redirect, url_for
from werkzeug import Response

from jifen.console.access import current, user_page, working_in
from jifen.console.pages import bp, render
from jifen.console.setup import STEPS, step_url
from jifen.db import set_tenant
from jifen.tenants import users
from jifen.web import db_session


@bp.route("/")
@user_page()
def home() -> str | Response:
    staff = current()
    session = db_session()
    memberships = users.tenants_of(session, staff.user.id)
    if not memberships:
        return redirect(url_for("console.setup_mall"))
    found = working_in(staff)
    if found is not None:
        staff.tenant, staff.role = found
        set_tenant(session, found[0].id)
    tenant = staff.tenant
    next_step = tenant.setup_step if tenant is not None and tenant.setup_step in STEPS else None
    return render(
        "console/home.html",
        memberships=memberships,
        next_step=next_step,
        next_step_url=step_url(next_step) if next_step else None,
        steps=STEPS,
    )

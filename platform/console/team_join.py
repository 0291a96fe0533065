"""Accepting an invitation to a tenant's staff, from the link emailed to the invited
address (jifen.tenants.invitations).

Whoever opens the link proves the address is theirs. Someone new to Jifen chooses a
name and a password there and is signed in, their email verified; the user who has
that email already signs in first (their second factor too) and then joins. A browser
signed in as someone else is told whose the invitation is. An unknown link and one
expired, used or withdrawn are refused alike.
"""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from sqlalchemy import select
from werkzeug import Response

from jifen.console.access import public, signed_in
from jifen.console.auth import start_session
from jifen.console.forms import problems_of
from jifen.console.pages import bp, render
from jifen.console.team import printable
from jifen.db import set_tenant
from jifen.errors import Conflict, ValidationFailed
from jifen.i18n import N_, translate
from jifen.tenants import invitations, users
from jifen.tenants.models import Tenant
from jifen.tenants.service import SLUG
from jifen.web import db_session, request_actor, services, set_tenant_locale


@bp.route("/join/<slug>/<token>", methods=["GET", "POST"])
@public
def join(slug: str, token: str) -> tuple[str, int] | Response:
    """The invitation: join the staff as its role, signing up or in as its email."""
    svc, session = services(), db_session()
    tenant = None
    if SLUG.match(slug):
        tenant = session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        raise invitations.InvitationRefused()
    set_tenant(session, tenant.id)
    set_tenant_locale(tenant.locale)
    invitation = invitations.open_invitation(
        session, tenant.id, token, clock=svc.clock, keyring=svc.keyring
    )
    who = signed_in()
    existing = users.by_email(session, invitation.email)
    problems: dict[str, str] = {}
    name = ""
    if request.method == "POST" and who is not None:
        actor = request_actor("user", str(who.user.id))
        invitations.accept(session, invitation, who.user, actor=actor, clock=svc.clock)
        who.web_session.tenant_id = tenant.id
        flash(translate(N_("Welcome to the team of %(mall)s."), {"mall": tenant.name}))
        return redirect(url_for("console.home"), 303)
    if request.method == "POST" and existing is None:
        name = printable(request.form.get("name", ""), 100)
        try:
            user = users.create_user(
                session,
                email=invitation.email,
                name=name or invitation.email.split("@")[0],
                password=request.form.get("password", ""),
                clock=svc.clock,
            )
        except (ValidationFailed, Conflict) as refused:
            problems = problems_of(refused, default_field="password")
        else:
            actor = request_actor("user", str(user.id))
            invitations.accept(session, invitation, user, actor=actor, clock=svc.clock)
            response = start_session(user.id, url_for("console.home"))
            flash(translate(N_("Welcome to the team of %(mall)s."), {"mall": tenant.name}))
            return response
    return render(
        "console/team_join.html",
        tenant=tenant,
        invitation=invitation,
        who=who,
        existing=existing is not None,
        name=name,
        problems=problems,
    ), (422 if problems else 200)

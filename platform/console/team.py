"""The team: a tenant's staff and their roles, the invitations not yet accepted, and
whether every member of staff must sign in with a second factor.

Every role sees the team; only those who manage it (owners) invite, change roles,
remove staff, withdraw invitations and require two-factor sign-in. A tenant always
keeps an owner (jifen.tenants.staff).
"""

from __future__ import annotations

import uuid

from flask import flash, redirect, request, url_for
from werkzeug import Response

from jifen.audit import Actor
from jifen.console.access import current, staff_page
from jifen.console.forms import problems_of
from jifen.console.pages import bp, page_language, render
from jifen.errors import JifenError, ValidationFailed
from jifen.i18n import N_, translate
from jifen.pagination import MAX_CURSOR, InvalidCursor
from jifen.tenants import invitations, roles, staff, two_factor
from jifen.tenants.models import ROLES, Tenant
from jifen.web import db_session, request_actor, services

PAGE = 50


def printable(text: str, most: int) -> str:
    """A form's text stripped, without characters no one types (NUL, controls: some
    cannot be stored), and cut to `most` characters."""
    return "".join(ch for ch in text if ch.isprintable()).strip()[:most]


def _actor() -> Actor:
    return request_actor("user", str(current().user.id))


def _tenant() -> Tenant:
    tenant = current().tenant
    assert tenant is not None
    return tenant


def _page(
    status: int = 200,
    *,
    values: dict[str, str] | None = None,
    problems: dict[str, str] | None = None,
) -> tuple[str, int]:
    """The team page, with the invitation form's values and problems."""
    tenant, session = _tenant(), db_session()
    cursor = request.args.get("after") or None
    try:
        members, following = staff.team(
            session, tenant.id, limit=PAGE, cursor=cursor and cursor[:MAX_CURSOR]
        )
    except InvalidCursor:
        members, following = staff.team(session, tenant.id, limit=PAGE, cursor=None)
    invited, _ = invitations.open_invitations(session, tenant.id, limit=PAGE, cursor=None)
    return render(
        "console/team.html",
        members=members,
        following=following,
        invited=invited,
        now=services().clock.now(),
        roles=ROLES,
        values=values or {"email": "", "role": "operator"},
        problems=problems or {},
        manages=current().can(roles.MANAGE),
        required=tenant.two_factor_required,
        me=current().user,
    ), status


@bp.route("/team")
@staff_page(roles.VIEW)
def team() -> tuple[str, int]:
    """Who is on the staff, with which role, and who is invited."""
    return _page()


@bp.route("/team/invite", methods=["POST"])
@staff_page(roles.MANAGE)
def team_invite() -> tuple[str, int] | Response:
    """Invite an email to the staff with a role; the link is emailed after commit."""
    values = {key: request.form.get(key, "").strip()[:254] for key in ("email", "role")}
    svc = services()
    try:
        invitations.invite(
            db_session(),
            _tenant().id,
            email=values["email"],
            role=values["role"],
            invited_by=current().user.id,
            console_url=request.host_url,
            locale=page_language(),
            actor=_actor(),
            clock=svc.clock,
            keyring=svc.keyring,
        )
    except JifenError as refused:
        return _page(422, values=values, problems=problems_of(refused, default_field="email"))
    flash(translate(N_("Invitation sent to %(email)s."), {"email": values["email"].lower()}))
    return redirect(url_for("console.team"), 303)


@bp.route("/team/<uuid:user_id>/role", methods=["POST"])
@staff_page(roles.MANAGE)
def team_role(user_id: uuid.UUID) -> tuple[str, int] | Response:
    """Give a member of staff another role."""
    try:
        staff.change_role(
            db_session(),
            _tenant().id,
            user_id,
            request.form.get("role", "")[:16],
            actor=_actor(),
            clock=services().clock,
        )
    except staff.LastOwner as refused:
        return _page(422, problems={f"role-{user_id}": refused.translated()})
    except ValidationFailed:
        return _page(422, problems={f"role-{user_id}": translate(N_("Choose one."))})
    flash(translate(N_("Role changed.")))
    return redirect(url_for("console.team"), 303)


@bp.route("/team/<uuid:user_id>/remove", methods=["POST"])
@staff_page(roles.MANAGE)
def team_remove(user_id: uuid.UUID) -> tuple[str, int] | Response:
    """Take someone off the staff."""
    try:
        staff.remove(db_session(), _tenant().id, user_id, actor=_actor(), clock=services().clock)
    except staff.LastOwner as refused:
        return _page(422, problems={f"role-{user_id}": refused.translated()})
    flash(translate(N_("Removed from the team.")))
    if user_id == current().user.id:
        return redirect(url_for("console.home"), 303)
    return redirect(url_for("console.team"), 303)


@bp.route("/team/invitations/<uuid:invitation_id>/revoke", methods=["POST"])
@staff_page(roles.MANAGE)
def team_revoke_invitation(invitation_id: uuid.UUID) -> tuple[str, int] | Response:
    """Withdraw an invitation: its link opens nothing from now on."""
    invitations.revoke(
        db_session(), _tenant().id, invitation_id, actor=_actor(), clock=services().clock
    )
    flash(translate(N_("Invitation withdrawn.")))
    return redirect(url_for("console.team"), 303)


@bp.route("/team/two-factor", methods=["POST"])
@staff_page(roles.MANAGE)
def team_two_factor() -> tuple[str, int] | Response:
    """Require (or stop requiring) two-factor sign-in of every member of staff."""
    required = request.form.get("required") == "on"
    try:
        two_factor.require(
            db_session(),
            _tenant().id,
            required,
            by=current().user,
            actor=_actor(),
            clock=services().clock,
        )
    except two_factor.EnrolFirst as refused:
        return _page(422, problems={"required": refused.translated()})
    flash(
        translate(N_("Every member of staff must now sign in with a second factor."))
        if required
        else translate(N_("Two-factor sign-in is each member of staff's choice again."))
    )
    return redirect(url_for("console.team"), 303)

"""Inviting friends: a member's invite link and its QR code, and the page the link
opens, which remembers in this browser who invited it. A member the mall then creates
for this browser (a sign-in link of a user the merchant has not registered, where the
tenant allows it) is recorded as that member's invitee: a `referral` event, whose rule
pays (jifen.rules.kinds.referral)."""

from __future__ import annotations

import logging
import uuid

from flask import abort, request, url_for
from werkzeug import Response

from jifen import session_cookies
from jifen.errors import JifenError
from jifen.members import active_inviter, code_for
from jifen.members.models import Member
from jifen.rules import recording
from jifen.rules.events import EventIn
from jifen.storefront.card import qr_svg
from jifen.storefront.mall import bp, half_hidden, mall, member_here, render, signed_in_member
from jifen.web import db_session, request_actor, services

log = logging.getLogger(__name__)

REMEMBERED = 30 * 24 * 3600  # seconds a browser remembers who invited it


@bp.route("/account/invite")
def invite() -> str:
    """The member's invite link, to copy or to show as a QR code."""
    member = member_here()
    code = code_for(services().keyring, mall().id, member.id)
    link = url_for(".invited", code=code, _external=True)
    return render("invite.html", link=link, qr=qr_svg(link))


@bp.route("/invite/<code>")
def invited(code: str) -> Response:
    """The page an invite link opens: who invited this browser, and how to join; the
    mall's 404 page for a code that is not one of this mall's members'."""
    inviter = _inviter(code)
    if inviter is None:
        abort(404)
    # Whoever holds the link sees who sent it: by the first letter of their name only.
    shown = half_hidden(inviter.name) if inviter.name else None
    html = render("invited.html", inviter_name=shown, member=signed_in_member())
    response = Response(html, mimetype="text/html")
    if signed_in_member() is None:
        surface = session_cookies.mall(mall())
        session_cookies.keep_beside(response, surface, _cookie(), code, REMEMBERED)
    return response


def record_invitee(response: Response, member_id: uuid.UUID) -> None:
    """A member the mall has just created for this browser: recorded as the invitee of
    the member whose link the browser opened, if it did (the `registered` stage of a
    referral, which the tenant's referral rule may pay); the browser forgets the link."""
    code = request.cookies.get(_cookie())
    if code is None:
        return
    session_cookies.drop_beside(response, session_cookies.mall(mall()), _cookie())
    inviter = _inviter(code)
    if inviter is None or inviter.id == member_id:
        return
    svc = services()
    event = EventIn(
        event_id=f"invited:{member_id}",
        kind="referral",
        member_id=member_id,
        data={"inviter_id": str(inviter.id), "stage": "registered"},
    )
    try:
        recording.record(
            db_session(),
            event,
            rule_types=svc.rule_types,
            actor=request_actor("member", str(member_id)),
            clock=svc.clock,
            keyring=svc.keyring,
        )
    except JifenError as refused:  # invited by someone already: the first one stands
        log.info("tenant %s: invitee %s not recorded: %s", mall().slug, member_id, refused.code)


def _inviter(code: str) -> Member | None:
    return active_inviter(db_session(), services().keyring, mall().id, code)


def _cookie() -> str:
    return f"jifen_invite_{mall().id.hex}"

"""Signing a member in by a link from the merchant's app."""

from __future__ import annotations

from flask import redirect, request, url_for
from werkzeug import Response

from jifen import session_cookies
from jifen.members.sign_in_links import Link, SignInLinkRefused, open_link
from jifen.storefront.invites import record_invitee
from jifen.storefront.mall import bp, mall, render, writes
from jifen.web import db_session, services


@bp.route("/sign-in")
@writes
def sign_in() -> tuple[str, int] | Response:
    """A sign-in link from the merchant's app: the member signed in and sent to the
    mall's home (303, so that the link leaves the address bar), or a page saying the
    link cannot be used (403, the same page whatever its fault)."""
    tenant = mall()
    link = Link(**{name: request.args.get(name, "") for name in Link.__dataclass_fields__})
    svc = services()
    try:
        if "link" not in tenant.sign_in_methods:
            raise SignInLinkRefused()
        member, created = open_link(
            db_session(), tenant, link, clock=svc.clock, keyring=svc.keyring
        )
    except SignInLinkRefused as refused:
        return render("sign_in_refused.html", message=refused.translated()), 403
    response = redirect(url_for(".home"), 303)
    session_cookies.sign_in(response, session_cookies.mall(tenant), member.id)
    if created:
        record_invitee(response, member.id)
    return response

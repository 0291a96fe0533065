"""Signing in with a one-time code (jifen.members.sign_in_codes), for members who open
the mall directly rather than from the merchant's app: where the tenant allows it
(`sign_in_methods` holds "code"). Asking for codes is throttled per phone or email and
per client address, with counts in the database that every worker shares
(jifen.tenants.throttle); each code allows a few tries. Where the tenant makes members
of addresses that are nobody's (`code_sign_in_creates_members`), the visitor's correct
code makes them one: registered as any new member is (the welcome rule pays), and the
invitee of whoever's invite link this browser opened."""

from __future__ import annotations

import uuid

from flask import abort, g, redirect, request, url_for
from werkzeug import Response

from jifen import session_cookies
from jifen.errors import JifenError, ValidationFailed
from jifen.i18n import N_, translate
from jifen.members import sign_in_codes
from jifen.rules import recording
from jifen.storefront.invites import record_invitee
from jifen.storefront.mall import bp, check_form, mall, reader_language_code, render
from jifen.tenants import throttle
from jifen.web import db_session, request_actor, services

MAX_ADDRESS = 254  # the longest email address


def _allowed() -> None:
    if "code" not in mall().sign_in_methods:
        abort(404)


@bp.route("/sign-in/code")
def ask_for_code() -> str:
    _allowed()
    return render("code_ask.html", address="", problem=None)


@bp.post("/sign-in/code")
def send_code() -> tuple[str, int] | Response:
    _allowed()
    check_form()
    svc, session = services(), db_session()
    address = request.form.get("address", "").strip()
    try:
        if len(address) > MAX_ADDRESS:
            raise ValidationFailed()
        channel, normalised = sign_in_codes.channel_of(address)
    except ValidationFailed:
        shown = address[:MAX_ADDRESS]
        return render("code_ask.html", address=shown, problem=_not_an_address()), 422
    now = svc.clock.now()
    attempt = throttle.Attempt(
        email=svc.keyring.lookup_hash(normalised).hex(),
        address=request.remote_addr,
        scope=f"code:{mall().id}",
    )
    try:
        throttle.check(session, attempt, now)
    except throttle.TooManySignIns as refused:
        return render("code_ask.html", address=address, problem=refused.translated()), 429
    throttle.record_failure(session, attempt, now)  # every code sent counts
    code_id = sign_in_codes.request_code(
        session,
        channel,
        normalised,
        locale=reader_language_code(),
        clock=svc.clock,
        keyring=svc.keyring,
    )
    return redirect(url_for(".enter_code", code_id=code_id), 303)


def _not_an_address() -> str:
    return translate(N_("Give a mobile phone number or an email address."))


@bp.route("/sign-in/code/<uuid:code_id>")
def enter_code(code_id: uuid.UUID) -> str:
    _allowed()
    return render("code_enter.html", code_id=code_id, problem=None)


@bp.post("/sign-in/code/<uuid:code_id>")
def check_code(code_id: uuid.UUID) -> tuple[str, int] | Response:
    _allowed()
    check_form()
    svc, session = services(), db_session()
    try:
        member, created = sign_in_codes.check_code(
            session,
            code_id,
            request.form.get("code", ""),
            creates=mall().code_sign_in_creates_members,
            clock=svc.clock,
            keyring=svc.keyring,
        )
    except sign_in_codes.WrongSignInCode as wrong:
        session.commit()  # the try counts, though the answer is a refusal
        return render("code_enter.html", code_id=code_id, problem=wrong.translated()), 422
    except JifenError as refused:
        session.commit()  # a code used or spent stays so
        page = render("code_enter.html", code_id=code_id, problem=refused.translated(), spent=True)
        return page, refused.status
    response = redirect(url_for(".home"), 303)
    session_cookies.sign_in(response, session_cookies.mall(mall()), member.id)
    g.pop("mall_member", None)
    if created:
        recording.emit_registered(
            session,
            member.id,
            rule_types=svc.rule_types,
            actor=request_actor("member", str(member.id)),
            clock=svc.clock,
        )
        record_invitee(response, member.id)
    return response

"""A member gives points to another member of the mall, where the merchant allows it
(its points policy: `transfers_enabled`, `transfer_max`, `transfer_daily_max`). The
friend is named by the phone number or email the merchant keeps for them; a step shows
who that is (their name half hidden) and what the member has left before anything
moves. The points keep their expiry (jifen.ledger.service.transfer), and a double
submit gives once."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_babel import format_number
from werkzeug import Response

from jifen import idempotency
from jifen.errors import JifenError, ValidationFailed
from jifen.i18n import N_, translate
from jifen.ledger.policy import Policy, policy_of
from jifen.ledger.service import transfer
from jifen.members.models import Member
from jifen.members.sign_in_codes import active_by_contact, channel_of
from jifen.notify import mask
from jifen.storefront.mall import (
    balance_of,
    bp,
    check_form,
    claim_once,
    form_key,
    half_hidden,
    half_hidden_phone,
    mall,
    member_here,
    new_form_key,
    render,
    whole_number,
)
from jifen.tenants import throttle
from jifen.types import MAX_SAFE_INTEGER
from jifen.web import db_session, keep_when_refused, request_actor, services

MAX_ADDRESS = 254  # the longest phone number or email a friend is named by
# A member is allowed a few look-ups that find no one friend (jifen.tenants.throttle,
# per member), so that no one learns who is a member by trying phone numbers.


@bp.route("/account/transfer")
def transfer_form() -> tuple[str, int] | str:
    member = member_here()
    policy = _allowed()
    return render("transfer.html", **_context(member, policy, {}, {}))


@bp.post("/account/transfer")
def transfer_check() -> tuple[str, int] | str:
    """The form sent: the friend and the amount checked, and shown to confirm."""
    member = member_here()
    policy = _allowed()
    check_form()
    given = {name: request.form.get(name, "").strip()[:MAX_ADDRESS] for name in ("to", "amount")}
    session, now = db_session(), services().clock.now()
    looking = throttle.Attempt(email=str(member.id), address=None, scope=f"transfer:{mall().id}")
    try:
        throttle.check(session, looking, now)
    except throttle.TooManySignIns as refused:
        minutes = math.ceil((refused.retry_after or 0) / 60)
        problem = translate(
            N_("Too many look-ups. Try again in %(minutes)s min."), {"minutes": minutes}
        )
        return render("transfer.html", **_context(member, policy, given, {"": problem})), 429
    checked = _checked(member, given, policy)
    if checked.friend is None:
        if checked.missed:  # counted towards the throttle
            throttle.record_failure(session, looking, now)
            keep_when_refused()
        return render("transfer.html", **_context(member, policy, given, checked.problems)), 422
    friend, amount = checked.friend, checked.amount
    return render(
        "transfer_confirm.html",
        friend=_half_hidden(friend, given["to"]),
        to=given["to"],
        amount=amount,
        after=balance_of(member) - amount,
        key=new_form_key(),
        friend_id=friend.id,
    )


@bp.post("/account/transfer/confirm")
def transfer_confirm() -> tuple[str, int] | Response | str:
    """The member confirmed: the points move, once, and the history shows them gone."""
    member = member_here()
    policy = _allowed()
    check_form()
    given = {name: request.form.get(name, "").strip()[:MAX_ADDRESS] for name in ("to", "amount")}
    key = form_key(request.form.get("key", ""))
    checked = _checked(member, given, policy)
    if checked.friend is None:
        return render("transfer.html", **_context(member, policy, given, checked.problems)), 422
    friend, amount = checked.friend, checked.amount
    if str(friend.id) != request.form.get("friend_id"):  # not the friend confirmed
        problems = {"to": translate(N_("Check who this is again."))}
        return render("transfer.html", **_context(member, policy, given, problems)), 409
    svc, session = services(), db_session()
    try:
        claimed, stored = claim_once("transfer", member.id, key, [str(friend.id), amount])
        if stored is not None:  # a double submit: given once already
            return redirect(url_for(".points_history"), 303)
        with session.begin_nested():
            transfer(
                session,
                member.id,
                friend.id,
                amount,
                actor=request_actor("member", str(member.id)),
                clock=svc.clock,
                reference=claimed,
            )
    except JifenError as refused:  # over a limit, or more than the member has
        problems = {"": refused.translated()}
        return render("transfer.html", **_context(member, policy, given, problems)), refused.status
    idempotency.complete(session, claimed, 303, {"to": str(friend.id)})
    flash(
        translate(
            N_("Sent %(points)s %(points_name)s to %(friend)s."),
            {
                "points": format_number(amount),
                "points_name": mall().points_name,
                "friend": _half_hidden(friend, given["to"]),
            },
        )
    )
    return redirect(url_for(".points_history"), 303)


def transfers_allowed() -> bool:
    """Whether this mall's members may give points to each other."""
    return policy_of(db_session(), mall().id).transfers_enabled


def _allowed() -> Policy:
    policy = policy_of(db_session(), mall().id)
    if not policy.transfers_enabled:
        abort(404)  # no such page in a mall that does not allow transfers
    return policy


@dataclass(frozen=True)
class Checked:
    """What the form names: the friend and the amount, or what is wrong by field
    (`friend` None); `missed` when the phone or email named no one friend."""

    friend: Member | None
    amount: int
    problems: dict[str, str]
    missed: bool = False


def _checked(member: Member, given: dict[str, str], policy: Policy) -> Checked:
    problems: dict[str, str] = {}
    amount = whole_number(given["amount"], MAX_SAFE_INTEGER) or 0
    if not amount:
        problems["amount"] = translate(N_("Give a whole number of points, 1 or more."))
    elif policy.transfer_max is not None and amount > policy.transfer_max:
        problems["amount"] = translate(
            N_("At most %(points)s at a time."), {"points": format_number(policy.transfer_max)}
        )
    elif amount > (balance := balance_of(member)):
        problems["amount"] = translate(
            N_("You have %(points)s to give."), {"points": format_number(balance)}
        )
    friend, missed = None, False
    try:
        channel, normalised = channel_of(given["to"])
    except ValidationFailed:
        problems["to"] = translate(N_("Give a mobile phone number or an email address."))
    else:
        found = active_by_contact(db_session(), channel, normalised, services().keyring, most=2)
        friend = db_session().get(Member, (mall().id, found[0])) if len(found) == 1 else None
        missed = friend is None
        if len(found) > 1:  # a family's shared phone: which one is meant cannot be told
            problems["to"] = translate(N_("More than one member has this: ask for another."))
        elif friend is None:
            problems["to"] = translate(N_("No member of this mall has this phone number or email."))
        elif friend.id == member.id:
            problems["to"] = translate(N_("That is you: name a friend."))
    if problems:
        return Checked(None, amount, problems, missed)
    return Checked(friend, amount, problems)


def _half_hidden(friend: Member, to: str) -> str:
    """How the confirmation names the friend: enough to recognise them, not to learn
    their name from their phone number (张*, 138****8000, a***@example.com)."""
    if friend.name:
        return half_hidden(friend.name)
    return mask(to) if "@" in to else half_hidden_phone(to)


def _context(
    member: Member, policy: Policy, given: dict[str, str], problems: dict[str, str]
) -> dict[str, Any]:
    return {
        "given": given,
        "problems": problems,
        "balance": balance_of(member),
        "transfer_max": policy.transfer_max,
        "transfer_daily_max": policy.transfer_daily_max,
    }

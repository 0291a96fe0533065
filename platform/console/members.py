"""The console's members area: finding members, a member's profile, and what staff do
to one.

- Finding: by the merchant's user id, phone or email (found by their keyed hash, so
  exactly as written), or by part of a name; and by tag, tier and status. A page at a
  time, newest members first.
- A member's profile: their points (available, pending, held, owed), what expires soon,
  their history with each line's reason in the reader's language, and their latest
  orders.
- Adjusting their points (a reason is required, and a form acts once however often it is
  sent), and freezing or unfreezing them; each audited by the service that does it.

Imports and exports of members have their own modules (`members_import`,
`members_export`).
"""

from __future__ import annotations

import json
import re
import secrets
import uuid
from typing import Any

from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import format_date, format_datetime, format_number
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate
from sqlalchemy import select
from werkzeug import Response

from jifen import idempotency
from jifen.console.access import current, staff_page
from jifen.console.forms import problems_of
from jifen.console.pages import bp, render
from jifen.errors import JifenError, ValidationFailed
from jifen.field_messages import field_messages
from jifen.i18n import N_, Message, translate
from jifen.ledger import history
from jifen.ledger import service as ledger
from jifen.ledger.errors import InsufficientPoints
from jifen.mall import orders
from jifen.mall.models import Product
from jifen.members import service as members
from jifen.members import tiers_of
from jifen.members.models import STATUSES, Member
from jifen.pagination import MAX_CURSOR
from jifen.tenants import roles
from jifen.types import Text, refuse_unstorable_text
from jifen.web import db_session, request_actor, services

PAGE = 50
HISTORY_PAGE = 20
ORDERS = 5
SEARCH_BY = ("external_id", "phone", "email", "name")
# A staff adjustment's largest amount: a typed extra zero should not issue a fortune.
MOST_ADJUSTED = 100_000_000
MAX_REASON = 200
_FORM_KEY = re.compile(r"[A-Za-z0-9_-]{22}")


def formats() -> dict[str, Any]:
    """What the members' pages write numbers and times with: as the reader writes them,
    times in the tenant's zone."""
    return {"number": format_number, "when": format_datetime, "day": format_date}


def actor() -> Any:
    return request_actor("user", str(current().user.id))


# -- finding members --------------------------------------------------------------------


class SearchForm(Schema):
    """The members page's filters, as its form sends them."""

    class Meta:
        unknown = EXCLUDE

    q = Text(max_length=254)
    by = fields.String(validate=validate.OneOf(SEARCH_BY))
    tag = Text(max_length=32)
    tier = Text(max_length=32)
    status = fields.String(validate=validate.OneOf(STATUSES))
    cursor = Text(max_length=MAX_CURSOR)


FILTERS = tuple(SearchForm().fields)


def search_filters() -> tuple[dict[str, str], dict[str, Any], dict[str, str]]:
    """The filters the request gives: as given (to show them again), as
    `search_members` takes them, and what is wrong with them, by field."""
    given = {name: request.args.get(name, "").strip() for name in FILTERS}
    given = {name: value for name, value in given.items() if value}
    try:
        loaded = SearchForm().load(given)
    except ValidationError as error:
        refused = ValidationFailed(details=field_messages(error.messages))
        return given, {}, problems_of(refused, default_field="q")
    filters: dict[str, Any] = {}
    if loaded.get("q"):
        filters[loaded.get("by", "external_id")] = loaded["q"]
    for name in ("tag", "tier", "status"):
        if loaded.get(name):
            filters[name] = loaded[name]
    return given, filters, {}


def find(
    filters: dict[str, Any], cursor: str | None, limit: int
) -> tuple[list[Member], str | None]:
    """A page of the members matching `filters`; refused (ValidationFailed, by the
    form's fields) when a phone or email cannot be one."""
    try:
        return members.search_members(
            db_session(), keyring=services().keyring, cursor=cursor, limit=limit, **filters
        )
    except ValidationFailed as refused:
        said = [message for messages in refused.details.values() for message in messages]
        raise ValidationFailed(details={"q": said}) from None


@bp.route("/members")
@staff_page(roles.VIEW)
def members_list() -> tuple[str, int]:
    """Members matching the filters, a page at a time."""
    return list_page()


def list_page() -> tuple[str, int]:
    """The members page for the request's filters (422 with what is wrong with them)."""
    session, staff = db_session(), current()
    assert staff.tenant is not None
    given, filters, problems = search_filters()
    tiers = tiers_of(session, staff.tenant.id)
    if filters.get("tier") and filters["tier"] not in {tier.code for tier in tiers}:
        problems["tier"] = translate(N_("Choose one."))
    found: list[Member] = []
    next_cursor = None
    if not problems:
        try:
            found, next_cursor = find(filters, given.get("cursor"), PAGE)
        except JifenError as refused:
            problems = problems_of(refused, default_field="q")
    wallets = history.wallets_now(session, [m.id for m in found], clock=services().clock)
    without_cursor: dict[str, Any] = {k: v for k, v in given.items() if k != "cursor"}
    return render(
        "console/members.html",
        given=given,
        problems=problems,
        found=found,
        wallets=wallets,
        tier_names={tier.code: tier.name for tier in tiers},
        tiers=tiers,
        statuses=STATUSES,
        search_by=SEARCH_BY,
        next_url=url_for("console.members_list", **without_cursor, cursor=next_cursor)
        if next_cursor
        else None,
        export_url=url_for("console.members_export", **without_cursor),
        can_configure=staff.can(roles.CONFIGURE),
        **formats(),
    ), (422 if problems else 200)


# -- a member ---------------------------------------------------------------------------


def _orders_url(member_id: uuid.UUID) -> str | None:
    """The orders area's list of this member's orders, where the console has one."""
    if "console.orders" not in current_app.view_functions:
        return None
    return url_for("console.orders", member_id=member_id)


def _profile(
    member: Member,
    *,
    values: dict[str, str] | None = None,
    problems: dict[str, str] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    session, svc, staff = db_session(), services(), current()
    assert staff.tenant is not None
    points = history.summary(session, member.id, clock=svc.clock)
    lines, older = history.page(
        session, member.id, cursor=request.args.get("cursor"), limit=HISTORY_PAGE
    )
    latest, _ = orders.search_orders(session, member_id=member.id, limit=ORDERS)
    named = select(Product.id, Product.name).where(Product.id.in_({o.product_id for o in latest}))
    tier_names = {tier.code: tier.name for tier in tiers_of(session, staff.tenant.id)}
    return render(
        "console/member.html",
        member=members.view(member, svc.keyring),
        points=points,
        lines=[(line, _reason(line.memo)) for line in lines],
        older_url=url_for("console.member", member_id=member.id, cursor=older) if older else None,
        orders=latest,
        product_names={product_id: name for product_id, name in session.execute(named)},
        orders_url=_orders_url(member.id),
        tier_name=tier_names.get(member.tier or "", member.tier),
        values=values or {"direction": "credit", "amount": "", "reason": ""},
        problems=problems or {},
        form_key=secrets.token_urlsafe(16),
        can_operate=staff.can(roles.OPERATE),
        most_adjusted=MOST_ADJUSTED,
        **formats(),
    ), status


def _reason(memo: str | None) -> str | None:
    """A history line's reason in the reader's language: the platform's own translated,
    what staff or the merchant's systems wrote as written."""
    return memo.translated() if isinstance(memo, Message) else memo


@bp.route("/members/<uuid:member_id>")
@staff_page(roles.VIEW)
def member(member_id: uuid.UUID) -> tuple[str, int]:
    return _profile(members.get_member(db_session(), member_id))


def _whole(text: str) -> int | None:
    """A whole number of points from 1 to MOST_ADJUSTED as typed (ASCII digits), else None."""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MOST_ADJUSTED)):
        return None
    number = int(text)
    return number if 1 <= number <= MOST_ADJUSTED else None


def _adjust_problems(values: dict[str, str]) -> dict[str, str]:
    problems = {}
    if values["direction"] not in ("credit", "debit"):
        problems["direction"] = translate(N_("Choose one."))
    if _whole(values["amount"]) is None:
        problems["amount"] = translate(
            N_("A whole number of points from 1 to %(most)s."),
            {"most": format_number(MOST_ADJUSTED)},
        )
    try:
        refuse_unstorable_text(values["reason"])
    except ValidationError:
        problems["reason"] = translate(N_("Contains a character that is not allowed."))
    if not values["reason"]:
        problems["reason"] = translate(N_("A reason is required."))
    elif len(values["reason"]) > MAX_REASON:
        problems["reason"] = translate(N_("At most %(length)s characters."), {"length": MAX_REASON})
    return problems


@bp.route("/members/<uuid:member_id>/adjust", methods=["POST"])
@staff_page(roles.OPERATE)
def member_adjust(member_id: uuid.UUID) -> tuple[str, int] | Response:
    """Add points to a member or take some away, with the reason staff give."""
    session, svc, staff = db_session(), services(), current()
    assert staff.tenant is not None
    found = members.get_member(session, member_id)
    values = {
        name: request.form.get(name, "").strip()[: MAX_REASON + 1]
        for name in ("direction", "amount", "reason")
    }
    key = request.form.get("key", "")
    if not _FORM_KEY.fullmatch(key):
        abort(400)  # not a form this page rendered
    problems = _adjust_problems(values)
    if problems:
        return _profile(found, values=values, problems=problems, status=422)
    amount = int(values["amount"]) * (1 if values["direction"] == "credit" else -1)
    claimed = f"console-adjust:{member_id}:{key}"
    stored = idempotency.claim(
        session,
        tenant_id=staff.tenant.id,
        key=claimed,
        method="POST",
        route=request.path,
        fingerprint=idempotency.request_hash(
            "POST", request.path, json.dumps([amount, values["reason"]]).encode()
        ),
        now=svc.clock.now(),
        wait=svc.settings.idempotency_wait,
    )
    if stored is not None:  # sent twice: done once already
        return redirect(url_for("console.member", member_id=member_id), 303)
    try:
        with session.begin_nested():  # a refusal leaves the page to read what was there
            ledger.adjust(
                session, member_id, amount, reason=values["reason"], actor=actor(), clock=svc.clock
            )
    except InsufficientPoints as refused:
        problems["amount"] = translate(
            N_("Only %(available)s points are available: no more can be taken away."),
            {"available": format_number(refused.details["available"])},
        )
    except JifenError as refused:
        problems = problems_of(refused, default_field="adjust")
    if problems:
        return _profile(found, values=values, problems=problems, status=422)
    idempotency.complete(session, claimed, 303, {"amount": amount})
    said = N_("Added %(points)s points.") if amount > 0 else N_("Took away %(points)s points.")
    flash(translate(said, {"points": format_number(abs(amount))}))
    return redirect(url_for("console.member", member_id=member_id), 303)


@bp.route("/members/<uuid:member_id>/status", methods=["POST"])
@staff_page(roles.OPERATE)
def member_status(member_id: uuid.UUID) -> tuple[str, int] | Response:
    """Freeze a member (their points cannot move, in the mall or through the API) or
    unfreeze them."""
    session, svc = db_session(), services()
    found = members.get_member(session, member_id)
    wanted = request.form.get("status", "")
    if wanted not in ("active", "frozen"):
        return _profile(found, problems={"status": translate(N_("Choose one."))}, status=422)
    try:
        members.update_member(
            session,
            member_id,
            {"status": wanted},
            actor=actor(),
            clock=svc.clock,
            keyring=svc.keyring,
        )
    except JifenError as refused:  # erased, or merged into another
        return _profile(found, problems={"status": refused.translated()}, status=refused.status)
    if wanted == "frozen":
        flash(translate(N_("Frozen: their points cannot move until you unfreeze them.")))
    else:
        flash(translate(N_("Unfrozen: their points can move again.")))
    return redirect(url_for("console.member", member_id=member_id), 303)

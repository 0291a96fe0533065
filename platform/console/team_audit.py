"""The audit log: every change made to the tenant, by whom (a member of staff, an API
key, a member, a job or the platform), to what, from where; newest first, a page at a
time, narrowed by who, what kind of action, which object and which days.

Admins and owners read it: it shows staff's network addresses.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import request
from sqlalchemy import select
from sqlalchemy.orm import Session

from jifen import audit
from jifen.console.access import current, staff_page
from jifen.console.pages import bp, render
from jifen.console.team import printable
from jifen.i18n import N_, translate
from jifen.pagination import MAX_CURSOR, InvalidCursor
from jifen.tenants import apikeys, roles, staff
from jifen.tenants.models import ApiKey, Tenant, User
from jifen.web import db_session

PAGE = 50
# Who may act, as the log names them; the rest are told apart by their ids.
ACTOR_KINDS = ("user", "api_key", "member", "job", "system")
ACTOR_NAMES = {
    "user": N_("Staff"),
    "api_key": N_("API key"),
    "member": N_("Member"),
    "job": N_("Scheduled job"),
    "system": N_("The platform"),
}
FIELDS = ("actor", "action", "object_type", "object_id", "from", "to")
_SHOWN_CHANGE = 300
_SHOWN_ID = 12


def _tenant() -> Tenant:
    tenant = current().tenant
    assert tenant is not None
    return tenant


# The days a search may name: any later and the day after it cannot be written.
_FIRST_DAY, _LAST_DAY = date(1970, 1, 1), date(9998, 12, 31)


def _day(text: str) -> date | None:
    """A day written YYYY-MM-DD, within the days a search may name."""
    if len(text) != 10:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return day if _FIRST_DAY <= day <= _LAST_DAY else None


def _search(values: dict[str, str], zone: ZoneInfo) -> tuple[audit.Search, dict[str, str]]:
    """The search the filter form asks for, and its problems by field."""
    problems: dict[str, str] = {}
    kind, _, actor_id = values["actor"].partition(":")
    if kind and (kind not in ACTOR_KINDS or len(actor_id) > 64):
        problems["actor"] = translate(N_("Choose one."))
    days: dict[str, date | None] = {}
    for field in ("from", "to"):
        days[field] = _day(values[field]) if values[field] else None
        if values[field] and days[field] is None:
            problems[field] = translate(N_("A date is written YYYY-MM-DD."))
    first, last = days["from"], days["to"]
    if first and last and first > last:
        problems["to"] = translate(N_("The last day comes after the first."))
    if problems:
        return audit.Search(), problems
    return audit.Search(
        actor_kind=kind or None,
        actor_id=actor_id or None,
        action=values["action"] or None,
        object_type=values["object_type"] or None,
        object_id=values["object_id"] or None,
        since=_midnight(first, zone) if first else None,
        until=_midnight(last + timedelta(days=1), zone) if last else None,
    ), {}


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    """The instant a day starts in the tenant's time zone."""
    return datetime.combine(day, time(), tzinfo=zone)


@bp.route("/audit")
@staff_page(roles.CONFIGURE)
def audit_log() -> tuple[str, int]:
    """The tenant's audit log, filtered by the form's fields."""
    tenant, session = _tenant(), db_session()
    values = {field: printable(request.args.get(field, ""), 100) for field in FIELDS}
    search, problems = _search(values, ZoneInfo(tenant.timezone))
    events: list[audit.AuditEvent] = []
    following = None
    if not problems:
        cursor = (request.args.get("after") or "")[:MAX_CURSOR] or None
        try:
            events, following = audit.search(session, search, limit=PAGE, cursor=cursor)
        except InvalidCursor:
            events, following = audit.search(session, search, limit=PAGE, cursor=None)
    names = _names(session, tenant, events)
    members, _ = staff.team(session, tenant.id, limit=100, cursor=None)
    keys, _ = apikeys.page_of_keys(session, tenant.id, limit=100, cursor=None)
    actors = [(f"user:{m.user_id}", f"{m.name} <{m.email}>") for m in members]
    actors += [(f"api_key:{k.id}", f"{translate(ACTOR_NAMES['api_key'])}: {k.name}") for k in keys]
    actors += [(kind, translate(ACTOR_NAMES[kind])) for kind in ("member", "job", "system")]
    return render(
        "console/team_audit.html",
        events=[_shown(event, names) for event in events],
        following=following,
        values=values,
        problems=problems,
        actors=actors,
        query={field: value for field, value in values.items() if value},
    ), (422 if problems else 200)


def _names(session: Session, tenant: Tenant, events: list[audit.AuditEvent]) -> dict[str, str]:
    """The names of the staff and the keys who acted on the page ("kind:id"), read in two
    queries."""
    ids: dict[str, set[uuid.UUID]] = {"user": set(), "api_key": set()}
    for event in events:
        if event.actor_kind in ids and event.actor_id:
            try:
                ids[event.actor_kind].add(uuid.UUID(event.actor_id))
            except ValueError:
                continue
    names: dict[str, str] = {}
    if ids["user"]:
        for user in session.scalars(select(User).where(User.id.in_(ids["user"]))):
            names[f"user:{user.id}"] = f"{user.name} <{user.email}>"
    if ids["api_key"]:
        keys = select(ApiKey).where(ApiKey.tenant_id == tenant.id, ApiKey.id.in_(ids["api_key"]))
        for key in session.scalars(keys):
            names[f"api_key:{key.id}"] = f"{translate(ACTOR_NAMES['api_key'])}: {key.name}"
    return names


def _shown(event: audit.AuditEvent, names: dict[str, str]) -> dict[str, Any]:
    """An event as the log's table shows it."""
    who = f"{event.actor_kind}:{event.actor_id}" if event.actor_id else event.actor_kind
    kind = ACTOR_NAMES.get(event.actor_kind)
    return {
        "at": event.created_at,
        "actor": names.get(who) or (translate(kind) if kind else event.actor_kind),
        "actor_id": event.actor_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_short": _short(event.object_id),
        "before": _change(event.before),
        "after": _change(event.after),
        "ip": event.ip,
    }


def _short(object_id: str | None) -> str:
    """An id as the table shows it: a long one by its end (time-ordered ids made at
    the same moment share their start), the whole in its title."""
    if object_id is None or len(object_id) <= _SHOWN_ID:
        return object_id or ""
    return "…" + object_id[-_SHOWN_ID:]


def _change(values: dict[str, Any] | None) -> str:
    if not values:
        return ""
    text = json.dumps(values, ensure_ascii=False, sort_keys=True, default=str)
    return text if len(text) <= _SHOWN_CHANGE else text[: _SHOWN_CHANGE - 1] + "…"

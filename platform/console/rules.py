"""The console's earn rules: the tenant's rules listed with their type, status, priority,
audience and active window, and enabled, disabled, archived or given another priority
from the list.

A rule's form is in `rules_form`; trying rules before they apply (the simulator and the
backtest) in `rules_trials`. What those pages show of a rule (its type's title, its
audience and window in words) is here.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import flash, redirect, request, url_for
from flask_babel import format_datetime
from werkzeug import Response

from jifen.audit import Actor
from jifen.console.access import current, staff_page
from jifen.console.pages import bp, render
from jifen.errors import JifenError
from jifen.i18n import N_, Message, translate
from jifen.members import TierView, tiers_of
from jifen.rules import management
from jifen.rules.models import EarnRule
from jifen.rules.registry import RuleTypes
from jifen.tenants import roles
from jifen.web import db_session, request_actor, services

PAGE_SIZE = 50
# The list's filters, by the word in its address: the rules in use (all but the archived)
# first, then each status alone.
FILTERS: Mapping[str, str | tuple[str, ...]] = {
    "in_use": ("active", "disabled", "draft"),
    "active": "active",
    "draft": "draft",
    "disabled": "disabled",
    "archived": "archived",
}
FILTER_LABELS = {
    "in_use": N_("In use"),
    "active": N_("Enabled"),
    "draft": N_("Drafts"),
    "disabled": N_("Disabled"),
    "archived": N_("Archived"),
}
STATUS_LABELS = {
    "draft": N_("Draft"),
    "active": N_("Enabled"),
    "disabled": N_("Disabled"),
    "archived": N_("Archived"),
}
# What each action is called on its button, and the notice once it is done.
ACTIONS = {
    "enable": (N_("Enable"), N_("“%(name)s” is active.")),
    "disable": (N_("Disable"), N_("“%(name)s” is disabled.")),
    "archive": (N_("Archive"), N_("“%(name)s” is archived.")),
}
PRIORITY_RANGE = (-1000, 1000)
_INTEGER = re.compile(r"[+-]?[0-9]{1,9}")


def actor() -> Actor:
    """The signed-in staff member, as the services audit them."""
    return request_actor("user", str(current().user.id))


def type_title(rule_types: RuleTypes, name: str) -> str:
    """A rule type's title in the reader's language (a plugin's words the catalogs lack
    read as written); a type no installed plugin provides, by its name."""
    found = rule_types.find(name)
    if found is None:
        return translate(N_("%(type)s (not installed)"), {"type": name})
    return translate(str(found.title))


def audience_text(audience: Mapping[str, Any] | None, ladder: Sequence[TierView]) -> str:
    """Who a rule applies to, in words: everyone, some tiers (by their names), some tags,
    or a share of members."""
    if not audience:
        return translate(N_("Everyone"))
    if audience.get("tiers"):
        names = {tier.code: tier.name for tier in ladder}
        tiers = ", ".join(names.get(code, code) for code in audience["tiers"])
        return translate(N_("Tiers: %(tiers)s"), {"tiers": tiers})
    if audience.get("tags"):
        return translate(N_("Tags: %(tags)s"), {"tags": ", ".join(audience["tags"])})
    return translate(N_("%(share)s%% of members (an A/B test)"), {"share": audience.get("share")})


def window_text(starts_at: datetime | None, ends_at: datetime | None) -> str:
    """When a rule applies, in the tenant's time zone."""
    if starts_at and ends_at:
        return translate(
            N_("%(start)s to %(end)s"),
            {
                "start": format_datetime(starts_at, "short"),
                "end": format_datetime(ends_at, "short"),
            },
        )
    if starts_at:
        return translate(N_("From %(start)s"), {"start": format_datetime(starts_at, "short")})
    if ends_at:
        return translate(N_("Until %(end)s"), {"end": format_datetime(ends_at, "short")})
    return translate(N_("Always"))


def status_label(status: str) -> str:
    return translate(STATUS_LABELS.get(status, status))


@dataclass(frozen=True)
class RuleRow:
    """A rule as the list shows it."""

    id: uuid.UUID
    name: str
    type_title: str
    status: str
    status_label: str
    priority: int
    audience: str
    window: str
    # The actions its status allows: (action, button label).
    actions: tuple[tuple[str, str], ...]


def rule_row(rule: EarnRule, rule_types: RuleTypes, ladder: Sequence[TierView]) -> RuleRow:
    actions = tuple(
        (action, translate(label))
        for action, (label, _) in ACTIONS.items()
        if rule.status in management.TRANSITIONS[action][1]
    )
    return RuleRow(
        id=rule.id,
        name=rule.name,
        type_title=type_title(rule_types, rule.type),
        status=rule.status,
        status_label=status_label(rule.status),
        priority=rule.priority,
        audience=audience_text(rule.audience, ladder),
        window=window_text(rule.starts_at, rule.ends_at),
        actions=actions,
    )


def _filter_of(name: str | None) -> str:
    return name if name is not None and name in FILTERS else "in_use"


@bp.route("/rules")
@staff_page(roles.VIEW)
def rules() -> str:
    """The tenant's rules, a page at a time."""
    return _listing(_filter_of(request.args.get("status")), request.args.get("cursor"))


def _listing(
    shown: str, cursor: str | None, problems: Mapping[uuid.UUID, str] | None = None
) -> str:
    staff, session, svc = current(), db_session(), services()
    assert staff.tenant is not None
    found, next_cursor = management.list_rules(
        session, FILTERS[shown], limit=PAGE_SIZE, cursor=cursor[:200] if cursor else None
    )
    ladder = tiers_of(session, staff.tenant.id)
    return render(
        "console/rules.html",
        rows=[rule_row(rule, svc.rule_types, ladder) for rule in found],
        shown=shown,
        filters=[(name, translate(label)) for name, label in FILTER_LABELS.items()],
        next_cursor=next_cursor,
        problems=problems or {},
        can_configure=staff.can(roles.CONFIGURE),
        priority_range=PRIORITY_RANGE,
    )


@bp.route("/rules/<uuid:rule_id>/status", methods=["POST"])
@staff_page(roles.CONFIGURE)
def rule_status(rule_id: uuid.UUID) -> Response | tuple[str, int]:
    """Enable, disable or archive a rule."""
    shown = _filter_of(request.form.get("status"))
    action = request.form.get("action", "")
    session, svc = db_session(), services()
    management.get_rule(session, rule_id)  # another tenant's rule: 404
    if action not in ACTIONS:
        choose = Message(N_("One of %(choices)s."), {"choices": ", ".join(ACTIONS)})
        return _listing(shown, None, {rule_id: choose.translated()}), 422
    try:
        rule = management.change_status(
            session, rule_id, action, rule_types=svc.rule_types, actor=actor(), clock=svc.clock
        )
    except JifenError as refused:
        return _refused(shown, rule_id, refused)
    flash(translate(ACTIONS[action][1], {"name": rule.name}))
    return redirect(url_for("console.rules", status=shown), 303)


@bp.route("/rules/<uuid:rule_id>/priority", methods=["POST"])
@staff_page(roles.CONFIGURE)
def rule_priority(rule_id: uuid.UUID) -> Response | tuple[str, int]:
    """Give a rule another priority (within a phase, the higher runs first)."""
    shown = _filter_of(request.form.get("status"))
    session, svc = db_session(), services()
    management.get_rule(session, rule_id)
    given = request.form.get("priority", "").strip()
    low, high = PRIORITY_RANGE
    if not _INTEGER.fullmatch(given):
        return _listing(shown, None, {rule_id: translate(N_("Not a valid integer."))}), 422
    if not low <= int(given) <= high:
        out_of_range = N_(
            "Must be greater than or equal to %(min)s and less than or equal to %(max)s."
        )
        return _listing(
            shown, None, {rule_id: translate(out_of_range, {"min": low, "max": high})}
        ), 422
    try:
        rule = management.update_rule(
            session,
            rule_id,
            {"priority": int(given)},
            rule_types=svc.rule_types,
            actor=actor(),
            clock=svc.clock,
        )
    except JifenError as refused:
        return _refused(shown, rule_id, refused)
    flash(
        translate(
            N_("“%(name)s” now has priority %(priority)s."),
            {"name": rule.name, "priority": rule.priority},
        )
    )
    return redirect(url_for("console.rules", status=shown), 303)


def _refused(shown: str, rule_id: uuid.UUID, refused: JifenError) -> tuple[str, int]:
    """The list again, the refusal beside the rule; nothing of it is kept. A plugin's
    failure (named in its message) is answered like a refusal: the page still works."""
    db_session().rollback()
    message = refused.translated()
    other = refused.details.get("name") if isinstance(refused.details, dict) else None
    if other:
        message = translate(N_("%(message)s (“%(rule)s”)"), {"message": message, "rule": other})
    return _listing(
        shown, None, {rule_id: message}
    ), refused.status if refused.status < 500 else 422

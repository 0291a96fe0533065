"""The simulator: what one event would earn, under the rules in force or a draft rule set
(`rules_sets`), for a member or for a newcomer described by a tier, tags and a birthday;
each award shown with its rule and its reason. Nothing is posted: it runs the service
behind `POST /api/v1/rules:simulate`.

The form is asked for with GET (`?run=1` once submitted): a simulation only reads, so
it takes no write lock and its address can be shared.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask import request
from flask_babel import format_number
from werkzeug.datastructures import MultiDict

from jifen.console.access import current, staff_page
from jifen.console.forms import problems_of
from jifen.console.pages import bp, render
from jifen.console.rules_sets import offered, ticked_ids
from jifen.console.schema_fields import Money
from jifen.errors import JifenError, NotFound
from jifen.i18n import N_, Message, translate
from jifen.members import TierView, tiers_of
from jifen.rules import management, simulation
from jifen.rules.events import EventIn
from jifen.rules.kinds import catalog
from jifen.tenants import roles
from jifen.web import db_session, services

# The kinds the simulator offers: those a merchant's systems send without naming a
# second member (a referral names its inviter: the API simulates it), and the birthday
# gift's; then the tenant's own kinds.
KINDS = {
    "purchase": N_("A purchase"),
    "checkin": N_("A check-in"),
    "task": N_("A task done"),
    "birthday": N_("A birthday"),
    "registered": N_("A registration"),
    "profile_completed": N_("A profile completed"),
    "review": N_("A review"),
    "share": N_("A share"),
}
PHASES = {
    "earn": N_("Earn"),
    "multiply": N_("Multiply"),
    "bonus": N_("Bonus"),
    "cap": N_("Cap"),
}
CUSTOM_KINDS = 100  # a tenant defines a few: the first this many are offered
MOST_MINOR = 10**12  # a purchase's amount, in minor units: more is no purchase
_AMOUNT = re.compile(r"[0-9]{1,15}(?:\.[0-9]{1,6})?")
_TAG_SEPARATORS = re.compile(r"[,，、\s]+")
_LONGEST = 1000


@dataclass
class Asked:
    """The simulator's inputs as typed."""

    rules: str = "current"
    kind: str = "purchase"
    amount: str = ""
    task: str = ""
    when: str = ""
    who: str = "member"
    member: str = ""
    tier: str = ""
    tags: str = ""
    birthday: str = ""
    problems: dict[str, str] = field(default_factory=dict)


def _asked(args: MultiDict[str, str], submitted: bool) -> Asked:
    def text(name: str, default: str = "") -> str:
        return args.get(name, default)[:_LONGEST] if submitted else default

    return Asked(
        rules=text("rules", "set" if args.getlist("rule") else "current"),
        kind=text("kind", "purchase"),
        amount=text("amount"),
        task=text("task"),
        when=text("when"),
        who=text("who", "member"),
        member=text("member"),
        tier=text("tier"),
        tags=text("tags"),
        birthday=text("birthday"),
    )


@bp.route("/rules/simulate")
@staff_page(roles.VIEW)
def rules_simulate() -> tuple[str, int]:
    """The simulator's form and, once submitted, what the event would earn."""
    tenant = current().tenant
    assert tenant is not None
    session = db_session()
    submitted = request.args.get("run") == "1"
    asked = _asked(request.args, submitted)
    rule_set = offered(request.args, submitted=submitted)
    ladder = tiers_of(session, tenant.id)
    kinds = [(kind, translate(label)) for kind, label in KINDS.items()]
    listed, _ = management.event_kinds(session, limit=len(catalog.BUILT_IN) + CUSTOM_KINDS)
    kinds += [(k["kind"], k["title"]) for k in listed if not k["built_in"]]
    result = None
    if submitted:
        result = _simulated(asked, rule_set, dict(kinds), ladder)
    return render(
        "console/rules_simulate.html",
        asked=asked,
        rule_set=rule_set,
        kinds=kinds,
        tiers=ladder,
        result=result,
        currency=tenant.currency,
    ), (422 if asked.problems else 200)


def _simulated(
    asked: Asked, rule_set: Any, kinds: dict[str, str], ladder: list[TierView]
) -> dict[str, Any] | None:
    """The simulation's answer as the page shows it; None, with `asked.problems` set,
    when the inputs or the service refused it."""
    tenant = current().tenant
    assert tenant is not None
    zone = ZoneInfo(tenant.timezone)
    problems = asked.problems
    rule_ids: list[uuid.UUID] | None = None
    if asked.rules == "set":
        rule_ids, problem = ticked_ids(rule_set)
        if problem:
            problems["rules"] = problem.translated()
    elif asked.rules != "current":
        problems["rules"] = _one_of(("current", "set"))
    if asked.kind not in kinds:
        problems["kind"] = _one_of(tuple(kinds))
    data = _data(asked, tenant.currency, problems)
    occurred_at = _when(asked.when, zone, problems)
    member_id, external_id, newcomer = _who(asked, ladder, problems)
    if problems:
        return None
    event = EventIn(
        event_id="console-simulation",
        kind=asked.kind,
        data=data,
        member_id=member_id,
        external_id=external_id,
        occurred_at=occurred_at,
    )
    svc = services()
    try:
        answer = simulation.simulate(
            db_session(),
            event,
            None,
            rule_types=svc.rule_types,
            clock=svc.clock,
            rule_ids=rule_ids,
            newcomer=newcomer,
        )
    except NotFound:
        raise  # a ticked rule that is not the tenant's: as missing
    except JifenError as refused:
        problems.update(_refusal(refused, asked.kind))
        return None
    return _shown(answer)


def _one_of(choices: tuple[str, ...]) -> str:
    return Message(N_("One of %(choices)s."), {"choices": ", ".join(choices)}).translated()


def _data(asked: Asked, currency: str, problems: dict[str, str]) -> dict[str, Any]:
    """The event's payload for its kind."""
    if asked.kind == "purchase":
        amount = asked.amount.strip()
        if not amount:
            problems["amount"] = translate(N_("Required."))
            return {}
        money = Money(currency)
        minor = money.minor(Decimal(amount)) if _AMOUNT.fullmatch(amount) else None
        if minor is None:
            problems["amount"] = translate(N_("Not a valid number."))
        elif minor != minor.to_integral_value():
            problems["amount"] = translate(
                N_("%(currency)s amounts have at most %(places)s decimal places."),
                {"currency": currency, "places": money.places},
            )
        elif minor > MOST_MINOR:
            problems["amount"] = translate(
                N_("Must be less than or equal to %(max)s."), {"max": money.major(MOST_MINOR)}
            )
        else:
            return {"amount": int(minor), "currency": currency}
        return {}
    if asked.kind == "task":
        task = asked.task.strip()
        if not task:
            problems["task"] = translate(N_("Required."))
        elif len(task) > 64:
            problems["task"] = translate(N_("At most %(length)s characters."), {"length": 64})
        return {"task": task}
    return {}


def _when(text: str, zone: ZoneInfo, problems: dict[str, str]) -> datetime | None:
    """When the event happened: blank for now, else a `datetime-local` in the tenant's
    zone."""
    text = text.strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text) if len(text) <= 64 else None
    except ValueError:
        moment = None
    if moment is None:
        problems["when"] = translate(N_("Not a valid datetime."))
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def _who(
    asked: Asked, ladder: list[TierView], problems: dict[str, str]
) -> tuple[uuid.UUID | None, str | None, simulation.Newcomer | None]:
    """The member the event names (by our id or the merchant's), or a newcomer."""
    if asked.who == "member":
        given = asked.member.strip()
        if not given:
            problems["member"] = translate(N_("Required."))
            return None, None, None
        if len(given) > 128:
            problems["member"] = translate(N_("At most %(length)s characters."), {"length": 128})
            return None, None, None
        try:
            return uuid.UUID(given), None, None
        except ValueError:
            return None, given, None
    if asked.who != "newcomer":
        problems["who"] = _one_of(("member", "newcomer"))
        return None, None, None
    codes = {tier.code for tier in ladder}
    if asked.tier and asked.tier not in codes:
        problems["tier"] = _one_of(tuple(sorted(codes)))
    tags = [tag for tag in _TAG_SEPARATORS.split(asked.tags) if tag]
    if len(tags) > 20 or any(len(tag) > 32 for tag in tags):
        problems["tags"] = translate(N_("At most 20 tags, each of at most 32 characters."))
    birthday = None
    if asked.birthday.strip():
        try:
            birthday = date.fromisoformat(asked.birthday.strip())
        except ValueError:
            problems["birthday"] = translate(N_("Not a valid date."))
    newcomer = simulation.Newcomer(tier=asked.tier or None, tags=frozenset(tags), birthday=birthday)
    return None, None, newcomer


def _refusal(refused: JifenError, kind: str) -> dict[str, str]:
    """The service's refusal beside the input it is about."""
    if refused.code == "unknown_member":
        return {"member": refused.translated()}
    default = {"purchase": "amount", "task": "task"}.get(kind, "kind")
    found = problems_of(refused, default_field=default)
    inputs = {"occurred_at": "when", "tier": "tier", "data": default}
    placed: dict[str, str] = {}
    for name, message in found.items():
        key = inputs.get(name, name if name in ("rules", "kind") else default)
        placed[key] = f"{placed[key]} {message}" if key in placed else message
    if refused.code == "event_in_future":
        placed = {"when": refused.translated()}
    return placed


def _shown(answer: dict[str, Any]) -> dict[str, Any]:
    """The awards in the reader's language."""
    awards = []
    for award in answer["awards"]:
        message = award.get("message")
        awards.append(
            {
                "rule": award["rule_name"] or "",
                "phase": translate(PHASES.get(award["phase"], award["phase"])),
                "points": format_number(award["points"]),
                "reason": Message.read(message).translated() if message else award["reason"],
            }
        )
    notes = [note.translated() if isinstance(note, Message) else note for note in answer["notes"]]
    return {"points": format_number(answer["points"]), "awards": awards, "notes": notes}

"""A rule's own inputs in its console form, beside its type's parameters: its name,
priority, whether it is exclusive, its audience (everyone, some tiers, some tags, or a
share of members), its active window and, for a new rule, draft or active.

`posted` reads them from a post as typed, `checked` checks them as the API checks a
rule (`jifen.rules.schemas.RuleIn`) and gives what the rule services take, or the
problems by input name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from jifen.field_messages import field_messages, rendered
from jifen.i18n import N_, Message
from jifen.rules.models import EarnRule
from jifen.rules.schemas import RuleIn

AUDIENCES = ("everyone", "tiers", "tags", "share")
STATUSES = ("draft", "active")
# The inputs this module reads; a problem about anything else is the form's.
INPUTS = (
    "name",
    "priority",
    "exclusive",
    "audience",
    "tiers",
    "tags",
    "share",
    "starts_at",
    "ends_at",
    "status",
)
FORM = "form"
# What `checked` gives, as RuleIn loaded it.
SAVED = ("name", "priority", "exclusive", "audience", "starts_at", "ends_at", "status")
# Tags are typed in one box, separated by commas (also the Chinese one) or spaces.
_TAG_SEPARATORS = re.compile(r"[,，、\s]+")
_INTEGER = re.compile(r"[+-]?[0-9]{1,9}")
_LONGEST = 1000  # characters read of any one input: none of ours takes more
_TIME = 64


@dataclass
class OwnValues:
    """What the rule's own inputs hold, as typed."""

    name: str = ""
    priority: str = "0"
    exclusive: bool = False
    audience: str = "everyone"
    tiers: list[str] = field(default_factory=list)
    tags: str = ""
    share: str = ""
    starts_at: str = ""
    ends_at: str = ""
    status: str = "draft"


def values_of(rule: EarnRule, zone: tzinfo) -> OwnValues:
    """A saved rule's inputs; its window in the tenant's wall-clock time."""
    audience = rule.audience or {}
    kind = next((k for k in ("tiers", "tags", "share") if k in audience), "everyone")
    return OwnValues(
        name=rule.name,
        priority=str(rule.priority),
        exclusive=rule.exclusive,
        audience=kind,
        tiers=list(audience.get("tiers") or []),
        tags=", ".join(audience.get("tags") or []),
        share=str(audience["share"]) if "share" in audience else "",
        starts_at=_local(rule.starts_at, zone),
        ends_at=_local(rule.ends_at, zone),
        status=rule.status,
    )


def _local(moment: datetime | None, zone: tzinfo) -> str:
    """An instant as a `datetime-local` input holds it."""
    return (
        moment.astimezone(zone).replace(tzinfo=None).isoformat(timespec="minutes") if moment else ""
    )


def posted(form: MultiDict[str, str]) -> OwnValues:
    """The inputs of a post, as typed (each cut to a length no input of ours needs)."""

    def text(name: str) -> str:
        return form.get(name, "")[:_LONGEST]

    return OwnValues(
        name=text("name"),
        priority=text("priority"),
        exclusive="exclusive" in form,
        audience=text("audience"),
        tiers=[tier[:_LONGEST] for tier in form.getlist("tiers")[:100]],
        tags=text("tags"),
        share=text("share"),
        starts_at=text("starts_at"),
        ends_at=text("ends_at"),
        status=text("status"),
    )


def checked(
    values: OwnValues, type_name: str, zone: tzinfo, *, new: bool, salt: str | None = None
) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """The rule's fields as the rule services take them (name, priority, exclusive,
    audience, starts_at, ends_at and, for a `new` rule, its status), or None and the
    problems by input name. `salt` keeps a share's arms as they were when the rule
    already had one."""
    problems: dict[str, list[str]] = {}
    data: dict[str, Any] = {"name": values.name.strip(), "type": type_name, "params": {}}
    if not data["name"]:
        problems["name"] = [Message(N_("Required."))]
    priority = values.priority.strip() or "0"
    if _INTEGER.fullmatch(priority):
        data["priority"] = int(priority)
    else:
        problems["priority"] = [Message(N_("Not a valid integer."))]
    data["exclusive"] = values.exclusive
    data["audience"] = _audience(values, problems, salt)
    for name in ("starts_at", "ends_at"):
        moment = _instant(getattr(values, name), zone)
        if isinstance(moment, Message):
            problems[name] = [moment]
        else:
            data[name] = moment
    starts_at, ends_at = data.get("starts_at"), data.get("ends_at")
    if (
        starts_at
        and ends_at
        and datetime.fromisoformat(ends_at) <= datetime.fromisoformat(starts_at)
    ):
        problems["ends_at"] = [Message(N_("Must be after the start."))]
    # A saved rule's status changes by its own actions (enable, disable, archive).
    if new and values.status not in STATUSES:
        problems["status"] = [_one_of(STATUSES)]
    elif new:
        data["status"] = values.status
    try:
        loaded: dict[str, Any] = RuleIn().load(data)
    except ValidationError as error:
        messages = error.messages
        _place(problems, messages if isinstance(messages, dict) else {FORM: messages})
        loaded = {}
    if problems:
        return None, {name: " ".join(rendered(found)) for name, found in problems.items()}
    return {key: loaded[key] for key in SAVED if new or key != "status"}, {}


def _one_of(choices: tuple[str, ...]) -> Message:
    return Message(N_("One of %(choices)s."), {"choices": ", ".join(choices)})


def _audience(
    values: OwnValues, problems: dict[str, list[str]], salt: str | None
) -> dict[str, Any] | None:
    required = Message(N_("Required."))
    if values.audience == "everyone":
        return None
    if values.audience == "tiers":
        tiers = list(dict.fromkeys(t.strip() for t in values.tiers if t.strip()))
        if not tiers:
            problems["tiers"] = [required]
        return {"tiers": tiers}
    if values.audience == "tags":
        tags = list(dict.fromkeys(t for t in _TAG_SEPARATORS.split(values.tags) if t))
        if not tags:
            problems["tags"] = [required]
        return {"tags": tags}
    if values.audience == "share":
        share = values.share.strip()
        if not share:
            problems["share"] = [required]
        elif not _INTEGER.fullmatch(share):
            problems["share"] = [Message(N_("Not a valid integer."))]
        else:
            return {"share": int(share)} | ({"salt": salt} if salt else {})
        return None
    problems["audience"] = [_one_of(AUDIENCES)]
    return None


def _instant(text: str, zone: tzinfo) -> str | Message | None:
    """A `datetime-local` input's time read in the tenant's zone, as the API takes an
    instant; None when blank; a problem when it is no time."""
    text = text.strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text) if len(text) <= _TIME else None
    except ValueError:
        moment = None
    if moment is None:
        return Message(N_("Not a valid datetime."))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.isoformat()


def _place(problems: dict[str, list[str]], messages: Mapping[str, Any]) -> None:
    """RuleIn's messages by input (the audience's by its kind's input), where our own
    checks found nothing already."""
    found: dict[str, list[str]] = {}
    for key, said in field_messages(messages).items():
        if key == "audience" and isinstance(said, dict):
            for inner, about in said.items():
                _add(found, inner if inner in ("tiers", "tags", "share") else "audience", about)
        else:
            _add(found, key if key in INPUTS else FORM, said)
    for name, messages_found in found.items():
        problems.setdefault(name, messages_found)


def _add(problems: dict[str, list[str]], name: str, said: Any) -> None:
    """Every message in `said` (at any depth: a list's messages are by row) under `name`."""
    pending = [said]
    while pending:
        item = pending.pop(0)
        if isinstance(item, str):
            if item not in problems.setdefault(name, []):
                problems[name].append(item)
        elif isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)

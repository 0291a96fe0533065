"""The rules a simulation or a backtest tries, as the console chooses them: the rules in
force, or a draft rule set made of the tenant's saved rules (any status but archived: a
saved draft is tried as if it were enabled), ticked in a list.

The list offers the tenant's first `SET_LIMIT` rules in use, as the API takes at most
that many draft rules at once; the set starts as the active rules and the drafts, plus
any rule the page was opened for (`?rule=<id>`, from a rule's form).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from werkzeug.datastructures import MultiDict

from jifen.console.rules import status_label, type_title
from jifen.i18n import N_, Message
from jifen.rules import management
from jifen.web import db_session, services

SET_LIMIT = 100
IN_USE = ("active", "disabled", "draft")


@dataclass(frozen=True)
class Choice:
    """A rule that may be ticked."""

    id: str
    name: str
    type_title: str
    status: str
    status_label: str
    installed: bool


@dataclass
class RuleSet:
    """The rules offered, those ticked, and whether there were more than offered."""

    choices: list[Choice]
    ticked: set[str]
    more: bool


def offered(args: MultiDict[str, str], *, submitted: bool) -> RuleSet:
    """The rules offered, ticked as the query says once the form was submitted, else as
    the set starts (see the module's docstring)."""
    rule_types = services().rule_types
    rules, next_cursor = management.list_rules(db_session(), IN_USE, limit=SET_LIMIT)
    choices = [
        Choice(
            id=str(rule.id),
            name=rule.name,
            type_title=type_title(rule_types, rule.type),
            status=rule.status,
            status_label=status_label(rule.status),
            installed=rule.type in rule_types,
        )
        for rule in rules
    ]
    asked = set(args.getlist("rule")[:SET_LIMIT])
    if submitted:
        ticked = asked
    else:
        ticked = {c.id for c in choices if c.installed and c.status in ("active", "draft")}
        ticked |= asked
    return RuleSet(choices, ticked, next_cursor is not None)


def ticked_ids(rule_set: RuleSet) -> tuple[list[uuid.UUID], Message | None]:
    """The ticked rules' ids, or a problem: none ticked, or a tick that is no id (a
    rule that is no longer the tenant's is the service's to refuse: 404)."""
    if not rule_set.ticked:
        return [], Message(N_("Tick at least one rule."))
    ids = []
    for given in sorted(rule_set.ticked):
        try:
            ids.append(uuid.UUID(given))
        except ValueError:
            return [], Message(N_("Not a valid UUID."))
    return ids, None

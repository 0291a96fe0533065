"""Making and changing an earn rule: its type is chosen first, then one form holds the
rule's own fields (`rules_fields`) and its type's parameters, generated from the type's
`Params` schema (`jifen.console.schema_forms`, inputs named `params-...`), so that a
plugin's rule type gets its form for free.

Calls into the type's schema are the plugin's code, isolated as every plugin call is: a
plugin that raises is named on the page, which still answers, and nothing is saved.
"""

from __future__ import annotations

import uuid
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, request, url_for
from werkzeug import Response

from jifen.console.access import current, staff_page
from jifen.console.form_values import Values
from jifen.console.forms import problems_of
from jifen.console.pages import bp, render
from jifen.console.rules import actor, status_label, type_title
from jifen.console.rules_fields import (
    AUDIENCES,
    FORM,
    INPUTS,
    OwnValues,
    checked,
    posted,
    values_of,
)
from jifen.console.schema_forms import FORM as PARAMS_FORM
from jifen.console.schema_forms import RuleForm
from jifen.errors import JifenError
from jifen.i18n import N_, translate
from jifen.members import tiers_of
from jifen.registry import PluginFailed
from jifen.rules import management
from jifen.rules.errors import RuleConflict, RuleNotEditable, UnknownRules, UnknownRuleType
from jifen.rules.models import EarnRule
from jifen.tenants import roles
from jifen.web import db_session, services

AUDIENCE_LABELS = {
    "everyone": N_("Everyone"),
    "tiers": N_("Members of some tiers"),
    "tags": N_("Members with some tags"),
    "share": N_("A share of members (an A/B test)"),
}
STATUS_HELP = {
    "draft": N_("Saved, not applied: simulate and backtest it first."),
    "active": N_("Applies to events from now on."),
}


@bp.route("/rules/new", methods=["GET", "POST"])
@staff_page(roles.CONFIGURE)
def rule_new() -> tuple[str, int] | Response:
    """A new rule: its type first (`?type=`), then its form."""
    rule_types = services().rule_types
    name = request.args.get("type", "")
    if not name:
        kinds = [(found, type_title(rule_types, found)) for found in rule_types.names()]
        return render("console/rules_new.html", kinds=kinds), 200
    if name not in rule_types:
        abort(404)
    return _form_page(name, None)


@bp.route("/rules/<uuid:rule_id>", methods=["GET", "POST"])
@staff_page(roles.CONFIGURE)
def rule_edit(rule_id: uuid.UUID) -> tuple[str, int] | Response:
    """A saved rule's form; every save is a new version of the rule."""
    rule = management.get_rule(db_session(), rule_id)
    return _form_page(rule.type, rule)


def _form_page(type_name: str, rule: EarnRule | None) -> tuple[str, int] | Response:
    tenant = current().tenant
    assert tenant is not None
    zone = ZoneInfo(tenant.timezone)
    rule_types = services().rule_types
    posting = request.method == "POST"
    page: dict[str, Any] = {
        "rule": rule,
        "type_name": type_name,
        "type_title": type_title(rule_types, type_name),
        "own": values_of(rule, zone) if rule is not None else OwnValues(),
        "problems": {},
        "rule_form": None,
    }
    refused_status = 422
    if rule is not None and rule.status == "archived":
        page["locked"] = RuleNotEditable().translated()
        refused_status = RuleNotEditable.status
    if type_name not in rule_types:  # a saved rule whose plugin was removed
        page["problems"][FORM] = UnknownRuleType().translated()
        return _rendered(page), refused_status if posting else 200
    try:
        form = rule_types.isolate(
            type_name,
            "Params",
            lambda: RuleForm(
                rule_types.get(type_name).Params, tenant.currency, zone=zone, prefix="params"
            ),
        )
    except PluginFailed as failed:
        page["problems"][FORM] = failed.translated()
        return _rendered(page), 422 if posting else 200
    stored = rule.params if rule is not None else None
    if not posting:
        return _rendered(page, form, form.values_from(stored)), 200
    page["own"] = own = posted(request.form)
    try:
        parsed = rule_types.isolate(type_name, "Params.load", form.parse, request.form)
    except PluginFailed as failed:
        page["problems"][FORM] = failed.translated()
        return _rendered(page, form, form.values_from(stored)), 422
    if parsed.params is None and not parsed.errors:  # a row added or removed: not saved
        return _rendered(page, form, parsed.values), 200
    salt = _salt(rule)
    data, page["problems"] = checked(own, type_name, zone, new=rule is None, salt=salt)
    if data is None or parsed.params is None or "locked" in page:
        if "locked" in page:
            page["problems"].setdefault(FORM, page["locked"])
        return _rendered(page, form, parsed.values, parsed.errors), refused_status
    try:
        saved = _save(type_name, rule, data, parsed.params)
    except JifenError as refused:
        db_session().rollback()  # nothing of a refused save is kept
        errors, page["problems"] = _placed(refused, form, parsed.values)
        status = refused.status if refused.status < 500 else 422
        return _rendered(page, form, parsed.values, errors), status
    flash(translate(N_("“%(name)s” is saved."), {"name": saved.name}))
    return redirect(url_for("console.rules", status=_listed_under(saved.status)), 303)


def _listed_under(status: str) -> str:
    return "archived" if status == "archived" else "in_use"


def _salt(rule: EarnRule | None) -> str | None:
    """A saved share's salt: kept, so that its members stay in their arms."""
    audience = rule.audience if rule is not None else None
    return (
        str(audience["salt"]) if audience and "share" in audience and audience.get("salt") else None
    )


def _save(
    type_name: str, rule: EarnRule | None, data: dict[str, Any], params: dict[str, Any]
) -> EarnRule:
    svc, session = services(), db_session()
    stored = svc.rule_types.stored_params(type_name, params)
    if rule is None:
        return management.create_rule(
            session,
            data | {"type": type_name, "params": stored},
            rule_types=svc.rule_types,
            actor=actor(),
            clock=svc.clock,
        )
    changes = {key: data[key] for key in management.EDITABLE if key in data}
    return management.update_rule(
        session,
        rule.id,
        changes | {"params": stored},
        rule_types=svc.rule_types,
        actor=actor(),
        clock=svc.clock,
    )


def _placed(
    refused: JifenError, form: RuleForm, values: Values
) -> tuple[dict[str, list[str]], dict[str, str]]:
    """A service's refusal of the save, beside what it is about: the parameters' inputs
    (the type's schema, the rules a cap names), the rule's own inputs, or the form."""
    details = refused.details if isinstance(refused.details, dict) else {}
    if "params" in details:
        return form.errors_from(details["params"], values), {}
    if isinstance(refused, UnknownRules):
        named = ", ".join(str(rule_id) for rule_id in details.get("rule_ids", []))
        return form.errors_from({PARAMS_FORM: [f"{refused.translated()} {named}"]}, values), {}
    if isinstance(refused, RuleConflict):
        said = {"message": refused.translated(), "rule": details.get("name", "")}
        return {}, {"exclusive": translate(N_("%(message)s (“%(rule)s”)"), said)}
    if isinstance(refused, PluginFailed):
        return {}, {FORM: refused.translated()}
    found = problems_of(refused, default_field=FORM)
    placed: dict[str, str] = {}
    for name, message in found.items():
        key = name if name in INPUTS else FORM
        placed[key] = f"{placed[key]} {message}" if key in placed else message
    return {}, placed


def _rendered(
    page: dict[str, Any],
    form: RuleForm | None = None,
    values: Values | None = None,
    errors: dict[str, list[str]] | None = None,
) -> str:
    tenant = current().tenant
    assert tenant is not None
    rule: EarnRule | None = page["rule"]
    context = form.render_context(values, errors) if form is not None else {}
    heading = (
        translate(N_("New rule: %(type)s"), {"type": page["type_title"]})
        if rule is None
        else rule.name
    )
    return render(
        "console/rules_form.html",
        **(page | context),
        heading=heading,
        action=(
            url_for("console.rule_new", type=page["type_name"])
            if rule is None
            else url_for("console.rule_edit", rule_id=rule.id)
        ),
        status_text=status_label(rule.status) if rule is not None else "",
        tiers=tiers_of(db_session(), tenant.id),
        audiences=[(name, translate(label)) for name, label in AUDIENCE_LABELS.items()],
        statuses=[(name, status_label(name), translate(STATUS_HELP[name])) for name in STATUS_HELP],
        own_problems=[
            (name, message) for name, message in page["problems"].items() if name != FORM
        ],
        labels=_labels(),
        audience_choices=AUDIENCES,
    )


def _labels() -> dict[str, str]:
    """The rule's own inputs' labels, for the error summary."""
    return {
        "name": translate(N_("Name")),
        "priority": translate(N_("Priority")),
        "exclusive": translate(N_("Exclusive")),
        "audience": translate(N_("Audience")),
        "tiers": translate(N_("Tiers")),
        "tags": translate(N_("Tags")),
        "share": translate(N_("Share of members")),
        "starts_at": translate(N_("Starts")),
        "ends_at": translate(N_("Ends")),
        "status": translate(N_("Status")),
    }

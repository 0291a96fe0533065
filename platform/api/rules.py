"""/api/v1/rules: the merchant's earn rules (versioned, audited), the installed rule
types, simulation and backtests, A/B reports; /api/v1/tiers."""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app
from flask.views import MethodView
from marshmallow import ValidationError

from jifen.api.auth import READ_DOC, WRITE_DOC, actor, require_scope, secured_blueprint, tenant
from jifen.errors import ValidationFailed
from jifen.field_messages import field_messages
from jifen.members import tiers
from jifen.members.schemas import TierLadder
from jifen.pagination import PageQuery, page, page_in_memory
from jifen.rules import events, management, schemas, simulation
from jifen.rules.schemas import EventIn
from jifen.web import db_session, services

blp = secured_blueprint("rules", __name__, url_prefix="/api/v1", description="Earn rules.")
READ, WRITE = require_scope("rules:read"), require_scope("rules:write")


def _view(rule: Any) -> dict[str, Any]:
    return management.view(rule, services().rule_types)


def _common() -> dict[str, Any]:
    svc = services()
    return {"rule_types": svc.rule_types, "actor": actor(), "clock": svc.clock}


@blp.route("/rules")
class Rules(MethodView):
    @blp.doc(**READ_DOC)
    @blp.arguments(schemas.RuleQuery(), location="query")
    @blp.response(200, schemas.RulePage())
    @READ
    def get(self, query: dict[str, Any]) -> Any:
        """The merchant's rules, oldest first; `status=` filters."""
        rows, next_cursor = management.list_rules(db_session(), **query)
        return {"items": [_view(r) for r in rows], "next_cursor": next_cursor}

    @blp.doc(**WRITE_DOC)
    @blp.arguments(schemas.RuleIn())
    @blp.response(201, schemas.RuleOut())
    @WRITE
    def post(self, data: dict[str, Any]) -> Any:
        """Create a rule of an installed type; its params are checked by the type."""
        return _view(management.create_rule(db_session(), data, **_common()))


@blp.route("/rules/<uuid:rule_id>")
class Rule(MethodView):
    @blp.doc(**READ_DOC)
    @blp.response(200, schemas.RuleOut())
    @READ
    def get(self, rule_id: uuid.UUID) -> Any:
        """One rule."""
        return _view(management.get_rule(db_session(), rule_id))

    @blp.doc(**WRITE_DOC)
    @blp.arguments(schemas.RuleChange())
    @blp.response(200, schemas.RuleOut())
    @WRITE
    def patch(self, changes: dict[str, Any], rule_id: uuid.UUID) -> Any:
        """Change a rule: a new version, audited."""
        return _view(management.update_rule(db_session(), rule_id, changes, **_common()))


def _status_route(action: str) -> None:
    class StatusChange(MethodView):
        @blp.doc(**WRITE_DOC)
        @blp.response(200, schemas.RuleOut())
        @WRITE
        def post(self, rule_id: uuid.UUID) -> Any:
            return _view(management.change_status(db_session(), rule_id, action, **_common()))

    StatusChange.post.__doc__ = {
        "enable": "Start applying a draft or disabled rule.",
        "disable": "Stop applying a rule; it can be enabled again.",
        "archive": "Retire a rule for good; it stays readable with its versions.",
    }[action]
    StatusChange.__name__ = f"Rule{action.title()}"
    blp.route(f"/rules/<uuid:rule_id>:{action}")(StatusChange)


for _action in management.TRANSITIONS:
    _status_route(_action)


@blp.route("/rules/<uuid:rule_id>/versions")
class RuleVersions(MethodView):
    @blp.doc(**READ_DOC)
    @blp.arguments(PageQuery(), location="query")
    @blp.response(200, schemas.RuleVersionPage())
    @READ
    def get(self, query: dict[str, Any], rule_id: uuid.UUID) -> Any:
        """Every version of a rule, with who made it, first first."""
        return page(*management.versions(db_session(), rule_id, **query))


@blp.route("/rules/<uuid:rule_id>/report")
class RuleReport(MethodView):
    @blp.doc(**READ_DOC)
    @blp.response(200, schemas.RuleReport())
    @READ
    def get(self, rule_id: uuid.UUID) -> Any:
        """Members, events and points per arm of a rule shown to a share of members."""
        return simulation.arm_report(db_session(), rule_id)


@blp.route("/rule-types")
class RuleTypes(MethodView):
    @blp.doc(**READ_DOC)
    @blp.arguments(PageQuery(), location="query")
    @blp.response(200, schemas.RuleTypePage())
    @READ
    def get(self, query: dict[str, Any]) -> Any:
        """The rule types installed plugins provide, by name, each parameter described
        (type, bounds, description, unit, example, default): enough to build a form."""
        api = current_app.extensions["jifen.api"]
        types = []
        for name, title, params in management.describe_types(services().rule_types):
            described = _inline(api.ma_plugin.converter.schema2jsonschema(params), api)
            item = {"name": name, "title": title, "params": described["properties"]}
            types.append(item | {"required": described.get("required", [])})
        types.sort(key=lambda rule_type: rule_type["name"])
        return page(*page_in_memory(types, query["limit"], query.get("cursor"), _named, str))


def _named(rule_type: dict[str, Any]) -> tuple[str]:
    return (rule_type["name"],)


def document_rule_types(api: Any, rule_types: Any) -> None:
    """Each installed rule type's parameters as the OpenAPI schema `RuleParams.<type>`."""
    for name, _title, params in management.describe_types(rule_types):
        api.spec.components.schema(f"RuleParams.{name}", schema=params)


def _inline(value: Any, api: Any) -> Any:
    """`value` with its references to the document's schemas (a nested schema's) replaced
    by those schemas, so that a client reads each parameter whole."""
    if isinstance(value, list):
        return [_inline(item, api) for item in value]
    if not isinstance(value, dict):
        return value
    if "$ref" in value:
        return _inline(api.spec.components.schemas[value["$ref"].rsplit("/", 1)[1]], api)
    return {key: _inline(item, api) for key, item in value.items()}


@blp.route("/rules:simulate")
class Simulate(MethodView):
    @blp.doc(**READ_DOC)
    @blp.arguments(schemas.Simulate())
    @blp.response(200, schemas.SimulationOut())
    @READ
    def post(self, data: dict[str, Any]) -> Any:
        """What an event would earn, under the current rules or draft ones; nothing is
        posted."""
        event = events.EventIn.loaded(_load_event(data["event"]))
        svc = services()
        return simulation.simulate(
            db_session(), event, data["rules"], rule_types=svc.rule_types, clock=svc.clock
        )


def _load_event(raw: dict[str, Any]) -> dict[str, Any]:
    try:
        loaded: dict[str, Any] = EventIn().load(raw)
        return loaded
    except ValidationError as error:
        raise ValidationFailed(details={"event": field_messages(error.messages)}) from None


@blp.route("/rules:backtest")
class Backtest(MethodView):
    @blp.doc(**READ_DOC)
    @blp.arguments(schemas.Backtest())
    @blp.response(200, schemas.BacktestOut())
    @READ
    def post(self, data: dict[str, Any]) -> Any:
        """Replay a period's events under draft rules: what they would have issued, per
        rule, against what was issued."""
        svc = services()
        return simulation.backtest(
            db_session(),
            data["start"],
            data["end"],
            data["rules"],
            rule_types=svc.rule_types,
            clock=svc.clock,
        )


@blp.route("/tiers")
class Tiers(MethodView):
    @blp.doc(**READ_DOC)
    @blp.response(200, TierLadder())
    @READ
    def get(self) -> Any:
        """The merchant's tiers, lowest first, with their benefits."""
        return {"tiers": tiers.tiers_of(db_session(), tenant().id)}

    @blp.doc(**WRITE_DOC)
    @blp.arguments(TierLadder())
    @blp.response(200, TierLadder())
    @WRITE
    def put(self, data: dict[str, Any]) -> Any:
        """Replace the tiers. Members are re-evaluated by the periodic job; upgrades also
        happen as they earn."""
        svc = services()
        return {
            "tiers": tiers.set_ladder(
                db_session(), tenant().id, data["tiers"], actor=actor(), clock=svc.clock
            )
        }

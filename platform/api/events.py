"""/api/v1/events: events in (one, or a batch of up to 10,000), explained awards out;
the merchant's custom event kinds."""

from __future__ import annotations

import uuid
from typing import Any

from flask import g
from flask.views import MethodView
from marshmallow import ValidationError

from jifen.api.auth import READ_DOC, WRITE_DOC, actor, require_scope, secured_blueprint
from jifen.api.errors import answered
from jifen.errors import ValidationFailed
from jifen.field_messages import field_messages
from jifen.i18n import N_
from jifen.pagination import PageQuery, page
from jifen.rules import management, outcomes, recording, schemas
from jifen.rules.events import EventIn
from jifen.web import db_session, services

blp = secured_blueprint("events", __name__, url_prefix="/api/v1", description="Events.")
WRITE = require_scope("events:write")
_EVENT = schemas.EventIn()
# An event's own id makes it idempotent: no Idempotency-Key needed.
EVENT_DOC = {key: WRITE_DOC[key] for key in ("security", "responses")}


def _record(items: list[EventIn]) -> list[recording.Outcome]:
    svc = services()
    return recording.record_batch(
        db_session(),
        items,
        rule_types=svc.rule_types,
        actor=actor(),
        clock=svc.clock,
        keyring=svc.keyring,
    )


@blp.route("/events")
class Events(MethodView):
    @blp.doc(**EVENT_DOC)
    @blp.arguments(_EVENT)
    @blp.response(201, schemas.EventResult())
    @blp.alt_response(200, schema=schemas.EventResult(), description="A repeat: the first result.")
    @WRITE
    def post(self, data: dict[str, Any]) -> Any:
        """Record an event: the merchant's rules evaluate it and the points are posted.
        The answer explains every award."""
        (outcome,) = _record([EventIn.loaded(data)])
        if outcome.error is not None:
            raise outcome.error
        if outcome.replayed:
            g.idempotent_replay = True
            return outcome.result, 200
        return outcome.result


@blp.route("/events/<uuid:event_id>")
class EventById(MethodView):
    @blp.doc(**READ_DOC)
    @blp.response(200, schemas.EventOutcome())
    @require_scope("rules:read")
    def get(self, event_id: uuid.UUID) -> Any:
        """An event by the id its answer gave (`id`): what it earned, every award with its
        reason, and the events that followed from it (refunds, a referral's later stage
        paying the inviter). Another merchant's event is 404 `not_found` like a missing
        one."""
        return outcomes.event_outcome(db_session(), event_id)


@blp.route("/events:batch")
class EventBatch(MethodView):
    @blp.doc(**EVENT_DOC)
    @blp.arguments(schemas.EventBatch())
    @blp.response(200, schemas.BatchResult())
    @WRITE
    def post(self, data: dict[str, Any]) -> Any:
        """Record up to 10,000 events in order. Each item is answered on its own: a
        refused item posts nothing, and the others go on."""
        items: list[dict[str, Any]] = [{"index": i} for i in range(len(data["events"]))]
        accepted: list[tuple[int, EventIn]] = []
        for index, raw in enumerate(data["events"]):
            try:
                accepted.append((index, EventIn.loaded(_EVENT.load(raw))))
            except ValidationError as error:
                refused = ValidationFailed(
                    N_("The event is not valid."), details=field_messages(error.messages)
                )
                items[index] |= {"status": "failed", "error": answered(refused).to_dict()}
        outcomes = _record([given for _, given in accepted])
        for (index, _), outcome in zip(accepted, outcomes, strict=True):
            if outcome.error is not None:
                items[index] |= {"status": "failed", "error": answered(outcome.error).to_dict()}
            else:
                status = "replayed" if outcome.replayed else "recorded"
                items[index] |= {"status": status, "result": outcome.result}
        counts = {
            s: sum(1 for i in items if i["status"] == s) for s in ("recorded", "replayed", "failed")
        }
        return {**counts, "items": items}


@blp.route("/event-kinds")
class EventKinds(MethodView):
    @blp.doc(**READ_DOC)
    @blp.arguments(PageQuery(), location="query")
    @blp.response(200, schemas.EventKindPage())
    @require_scope("rules:read")
    def get(self, query: dict[str, Any]) -> Any:
        """The event kinds this merchant can send: the built-in ones, then its own."""
        return page(*management.event_kinds(db_session(), **query))

    @blp.doc(**WRITE_DOC)
    @blp.arguments(schemas.EventKindIn())
    @blp.response(201, schemas.EventKindOut())
    @require_scope("rules:write")
    def post(self, data: dict[str, Any]) -> Any:
        """Define a custom event kind; its events carry any JSON object as data."""
        return management.add_kind(
            db_session(), data["kind"], data["title"], actor=actor(), clock=services().clock
        )

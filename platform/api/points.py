"""/api/v1 points: earn, redeem, adjust, transfer, extend; holds; entries and reversals;
a member's points and history; the tenant's liability and points policy."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from flask.views import MethodView

from jifen.api.auth import READ_DOC, WRITE_DOC, actor, require_scope, secured_blueprint, tenant
from jifen.ledger import history, holds, reversal, schemas
from jifen.ledger import policy as policies
from jifen.ledger import service as ledger
from jifen.web import db_session, services

blp = secured_blueprint("points", __name__, url_prefix="/api/v1", description="Points.")
READ, WRITE = require_scope("points:read"), require_scope("points:write")


def _call(operation: Any, *args: Any, **kwargs: Any) -> Any:
    """A ledger operation in this request's transaction, as this API key."""
    return operation(db_session(), *args, actor=actor(), clock=services().clock, **kwargs)


@blp.route("/points/earn")
class Earn(MethodView):
    @blp.doc(**WRITE_DOC)
    @blp.arguments(schemas.Earn())
    @blp.response(201, schemas.Entry())
    @WRITE
    def post(self, data: dict[str, Any]) -> Any:
        """Credit a member; the expiry follows the merchant's policy unless given."""
        return _call(ledger.earn, data.pop("member_id"), data.pop("amount"), **data)


@blp.route("/points/pending")
class EarnPending(MethodView):
    @blp.doc(**WRITE_DOC)
    @blp.arguments(schemas.EarnPending())
    @blp.response(201, schemas.Hold())
    @WRITE
    def post(self, data: dict[str, Any]) -> Any:
        """Record points the member gets once a return window closes (a pending hold)."""
        return _call(holds.earn_pending, data.pop("member_id"), data.pop("amount"), **data)


@blp.route("/points/redeem")
class Redeem(MethodView):
    @blp.doc(**WRITE_DOC)
    @blp.arguments(schemas.Redeem())
    @blp.response(201, schemas.Entry())
    @WRITE
    def post(self, data: dict[str, Any]) -> Any:
        """Spend a member's available points, soonest-expiring first."""
        return _call(ledger.redeem, data.pop("member_id"), data.pop("amount"), **data)


@blp.route("/points/adjust")
class Adjust(MethodView):
    @blp.doc(**WRITE_DOC)
    @blp.arguments(schemas.Adjust())
    @blp.response(201, schemas.Entry())
    @WRITE
    def post(self, data: dict[str, Any]) -> Any:
        """A staff correction, with its reason."""
        return _call(ledger.adjust, data.pop("member_id"), data.pop("amount"), **data)


@blp.route("/points/transfer")
class Transfer(MethodView):
    @blp.doc(**WRITE_DOC)
    @blp.arguments(schemas.Transfer())
    @blp.response(201, schemas.Entry())
    @WRITE
    def post(self, data: dict[str, Any]) -> Any:
        """Give points to another member, within the merchant's limits."""
        return _call(
            ledger.transfer,
            data.pop("from_member_id"),
            data.pop("to_member_id"),
            data.pop("amount"),
            **data,
        )


@blp.route("/points/extend")
class Extend(MethodView):
    @blp.doc(**WRITE_DOC)
    @blp.arguments(schemas.Extend())
    @blp.response(200, schemas.Extended())
    @WRITE
    def post(self, data: dict[str, Any]) -> Any:
        """Move a member's points' expiry later."""
        points = _call(ledger.extend, data.pop("member_id"), data.pop("until"), **data)
        return {"points": points}


@blp.route("/points/liability")
class Liability(MethodView):
    @blp.doc(**READ_DOC)
    @blp.response(200, schemas.Liability())
    @READ
    def get(self) -> Any:
        """The merchant's outstanding points."""
        return history.liability(db_session(), clock=services().clock)


@blp.route("/points/policy")
class Policy(MethodView):
    @blp.doc(**READ_DOC)
    @blp.response(200, schemas.Policy())
    @READ
    def get(self) -> Any:
        """How the merchant's points expire, and its other points rules."""
        return policies.policy_of(db_session(), tenant().id)

    @blp.doc(**WRITE_DOC)
    @blp.arguments(schemas.Policy())
    @blp.response(200, schemas.Policy())
    @WRITE
    def patch(self, changes: dict[str, Any]) -> Any:
        """Change some of the points rules; the result is checked as a whole."""
        return policies.set_policy(
            db_session(), tenant().id, changes, actor=actor(), clock=services().clock
        )


@blp.route("/members/<uuid:member_id>/points")
class MemberPoints(MethodView):
    @blp.doc(**READ_DOC)
    @blp.response(200, schemas.Summary())
    @READ
    def get(self, member_id: uuid.UUID) -> Any:
        """A member's points: available, held, pending, debt, and what expires next."""
        return history.summary(db_session(), member_id, clock=services().clock)


@blp.route("/members/<uuid:member_id>/points/history")
class MemberHistory(MethodView):
    @blp.doc(**READ_DOC)
    @blp.arguments(schemas.HistoryQuery(), location="query")
    @blp.response(200, schemas.HistoryPage())
    @READ
    def get(self, query: dict[str, Any], member_id: uuid.UUID) -> Any:
        """A member's points history (积分明细), newest first, with running totals."""
        lines, next_cursor = history.page(
            db_session(), member_id, kinds=query.pop("kind", None), **query
        )
        return {"items": lines, "next_cursor": next_cursor}


@blp.route("/holds")
class Holds(MethodView):
    @blp.doc(**WRITE_DOC)
    @blp.arguments(schemas.HoldCreate())
    @blp.response(201, schemas.Hold())
    @WRITE
    def post(self, data: dict[str, Any]) -> Any:
        """Reserve points for a purchase (two-phase), or freeze them during a dispute."""
        member_id = data.pop("member_id")
        if data.pop("kind") == "freeze":
            return _call(
                holds.freeze, member_id, reason=data.get("memo") or "", amount=data.get("amount")
            )
        minutes = data.pop("timeout_minutes", None)
        return _call(
            holds.reserve,
            member_id,
            data.pop("amount"),
            timeout=None if minutes is None else timedelta(minutes=minutes),
            **data,
        )


@blp.route("/holds/<uuid:hold_id>")
class HoldById(MethodView):
    @blp.doc(**READ_DOC)
    @blp.response(200, schemas.Hold())
    @READ
    def get(self, hold_id: uuid.UUID) -> Any:
        """A hold."""
        return holds.get_hold(db_session(), hold_id)


@blp.route("/holds/<uuid:hold_id>/capture")
class HoldCapture(MethodView):
    @blp.doc(**WRITE_DOC)
    @blp.arguments(schemas.HoldCapture())
    @blp.response(200, schemas.Entry())
    @WRITE
    def post(self, data: dict[str, Any], hold_id: uuid.UUID) -> Any:
        """Spend a reservation (or part of it), or make a pending earn the member's."""
        return _call(holds.settle, hold_id, "capture", **data)


@blp.route("/holds/<uuid:hold_id>/release")
class HoldRelease(MethodView):
    @blp.doc(**WRITE_DOC)
    @blp.response(200, schemas.Hold())
    @WRITE
    def post(self, hold_id: uuid.UUID) -> Any:
        """Release a reservation or a freeze, or void a pending earn."""
        return _call(holds.settle, hold_id, "release")


@blp.route("/entries/<uuid:entry_id>")
class EntryById(MethodView):
    @blp.doc(**READ_DOC)
    @blp.response(200, schemas.Entry())
    @READ
    def get(self, entry_id: uuid.UUID) -> Any:
        """A ledger entry and what it did to each wallet."""
        return ledger.get_entry(db_session(), entry_id, clock=services().clock)


@blp.route("/entries/<uuid:entry_id>/reversal")
class EntryReversal(MethodView):
    @blp.doc(**WRITE_DOC)
    @blp.arguments(schemas.Reversal())
    @blp.response(201, schemas.Entry())
    @WRITE
    def post(self, data: dict[str, Any], entry_id: uuid.UUID) -> Any:
        """Reverse an entry, wholly or in part: a refund, a clawback or a transfer back."""
        return _call(reversal.reverse, entry_id, **data)

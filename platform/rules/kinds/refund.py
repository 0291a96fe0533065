"""`refund`: money returned on an earlier purchase, as an amount or by line. It takes
back what the refunded part earned, read from the ledger with the breakdown the purchase
posted (see `rules.breakdown`): in proportion to the amount, or by what the refunded
lines earned; the last refund takes the rest. The awards it takes back share it by what
each rule gave, and are counted in the purchase's period, so caps there free up again."""

from __future__ import annotations

import uuid
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from jifen import ledger
from jifen.errors import Unknown
from jifen.i18n import N_, Message
from jifen.rules import sql
from jifen.rules.breakdown import Breakdown, shares
from jifen.rules.errors import RefundExceedsOrder
from jifen.rules.events import CheckedEvent, ledger_reference
from jifen.rules.history import AwardRow
from jifen.rules.kinds.base import Kind
from jifen.rules.kinds.purchase import MAX_LINES
from jifen.types import StrictInteger, Text, new_id


class RefundLine(Schema):
    index = StrictInteger(maximum=MAX_LINES - 1, required=True)
    amount = StrictInteger(minimum=1, required=True)


class RefundData(Schema):
    """Money returned on an earlier purchase, as an amount or by line (index, amount)."""

    order_id = Text(max_length=128, min_length=1, required=True)
    amount = StrictInteger(minimum=1, load_default=None)
    lines = fields.List(
        fields.Nested(RefundLine), load_default=None, validate=validate.Length(min=1)
    )

    @validates_schema
    def _one_of(self, data: dict[str, Any], **_: Any) -> None:
        if (data["amount"] is None) == (data["lines"] is None):
            raise ValidationError(N_("Give either amount or lines."), "amount")


class Refund(Kind):
    schema = RefundData()
    backtested = False

    def record(self, item: CheckedEvent, fingerprint: bytes) -> dict[str, Any]:
        assert item.member_id is not None
        batch = self.batch
        connection, tenant_id = batch.connection, batch.tenant_id
        order_id = item.data["order_id"]
        batch.flush()  # the purchase may be earlier in this batch
        purchase = sql.purchase(connection, tenant_id, order_id)
        if purchase is None or purchase.member_id != item.member_id:
            raise Unknown("order", N_("No purchase event with this order id."), order_id=order_id)
        money_back, points_back = sql.refunded(connection, tenant_id, order_id)
        lines = purchase.data.get("lines") or []
        asked: dict[int, int] = {}  # money back per line index
        lines_back: dict[int, int] = {}  # what earlier refunds returned of those lines
        if item.data["lines"] is not None:
            for line in item.data["lines"]:
                asked[line["index"]] = asked.get(line["index"], 0) + line["amount"]
            lines_back = sql.refunded_lines(connection, tenant_id, order_id)
            for index, back in asked.items():
                if index >= len(lines) or lines_back.get(index, 0) + back > lines[index]["amount"]:
                    raise RefundExceedsOrder(details={"line": index})
            amount = sum(asked.values())
        else:
            amount = item.data["amount"]
        left = purchase.amount - money_back
        if amount > left:
            raise RefundExceedsOrder(details={"left": left, "requested": amount})
        earning = ledger.earnings_of(
            batch.session, ledger_reference("purchase", order_id), purchase.id
        ).get(item.member_id)
        earned = earning.points if earning is not None else 0
        breakdown = Breakdown.read(earning.data) if earning is not None else Breakdown()
        still = earned - points_back
        if amount == left:
            take = still
        elif item.data["lines"] is not None and breakdown.lines:
            # Counted on what each line has returned so far, so that refunding a line in
            # parts takes back exactly what it earned.
            take = 0
            for index, back in asked.items():
                earned_by_line = breakdown.lines.get(index, 0)
                before, cost = lines_back.get(index, 0), lines[index]["amount"]
                take += earned_by_line * (before + back) // cost - earned_by_line * before // cost
        else:
            take = earned * amount // purchase.amount if purchase.amount else 0
        take = max(0, min(take, still))
        event_id = new_id()
        postings = []
        if take and earning is not None:
            postings.append(self._take_back(item, purchase, earning, take))
        result: dict[str, Any] = {
            "id": str(event_id),
            "event_id": item.given.event_id,
            "kind": "refund",
            "member_id": str(item.member_id),
            "occurred_at": item.occurred_at.isoformat(),
            "points": -take,
            "status": "posted" if take else "none",
            "postings": postings,
            "awards": [],
            "notes": [f"refund of {amount} on order {order_id}: {take} of {earned} points back"],
        }
        award_rows = self._award_rows(item, purchase, breakdown, event_id, take, result["awards"])
        batch.keep_event(
            item,
            event_id,
            fingerprint,
            result,
            order_id=order_id,
            amount=-amount,
            data=item.given.data,
        )
        batch.award_rows.extend(award_rows)
        batch.count(item.member_id, item.occurred_at, 0, -amount)
        for row in award_rows:
            batch.count(row["member_id"], row["occurred_at"], row["points"], 0)
        batch.history.add(
            [
                AwardRow(
                    event_id,
                    row["member_id"],
                    row["rule_id"],
                    row["points"],
                    row["cap_scope"],
                    row["occurred_at"],
                )
                for row in award_rows
            ]
        )
        batch.flush()
        return result

    def _award_rows(
        self,
        item: CheckedEvent,
        purchase: Any,
        breakdown: Breakdown,
        event_id: uuid.UUID,
        take: int,
        shown_awards: list[dict[str, Any]],
    ) -> list[dict[str, Any]]:
        """The rules that gave the member the purchase's points, each taking back its
        share of `take`; the answer's awards (`shown_awards`) are appended as they go."""
        parts = shares(list(enumerate(a.points for a in breakdown.awards)), take)
        order_id = item.data["order_id"]
        rows = []
        for seq, (source_index, points) in enumerate(parts):
            source = breakdown.awards[source_index]
            reason = Message(N_("refund on order %(order)s"), {"order": order_id})
            shown_awards.append(
                {
                    "rule_id": str(source.rule_id) if source.rule_id else None,
                    "rule_name": source.rule_name,
                    "rule_type": source.rule_type,
                    "phase": "refund",
                    "member_id": str(item.member_id),
                    "points": -points,
                    "reason": str(reason),
                    "message": reason.data(),
                    "arm": source.arm,
                }
            )
            rows.append(
                {
                    "tenant_id": self.batch.tenant_id,
                    "event_id": event_id,
                    "seq": seq,
                    "member_id": item.member_id,
                    "rule_id": source.rule_id,
                    "rule_type": source.rule_type,
                    "points": -points,
                    "reason": str(reason)[:200],
                    "arm": source.arm,
                    "cap_scope": source.cap_scope,
                    "occurred_at": purchase.occurred_at,
                }
            )
        return rows

    def _take_back(
        self, item: CheckedEvent, purchase: Any, earning: ledger.Earning, take: int
    ) -> dict[str, Any]:
        """Take `take` points of the purchase's earning back; the answer's posting."""
        batch = self.batch
        taken = ledger.take_back(
            batch.session,
            earning,
            actor=batch.actor,
            clock=batch.clock,
            amount=take,
            reference=f"refund:{item.given.event_id}"[:128],
            memo=Message(N_("refund on order %(order)s"), {"order": purchase.event_id}),
        )
        batch.renew_journal()
        pending = taken.pending
        until = pending["expires_at"] if pending is not None else None
        return {
            "member_id": str(item.member_id),
            "points": -take,
            "entry_id": str(taken.entry_id) if taken.entry_id else None,
            "hold_id": str(pending["id"]) if pending is not None else None,
            "pending_until": until.isoformat() if until else None,
            "repaid_debt": 0,
            "incurred_debt": taken.incurred_debt,
            "absorbed": taken.absorbed,
            "lapsed": taken.lapsed,
        }

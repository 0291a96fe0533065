"""`referral`: an invitee's stage reached (registered, then a first purchase), which the
referral rule may pay to the invitee and to their inviter. The `registered` stage
records who invited whom; the first purchase is paid once."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import Connection

from jifen.errors import Unknown
from jifen.i18n import N_
from jifen.members import Referral as ReferralRow
from jifen.rules import sql
from jifen.rules.errors import AlreadyReferred, ReferralStageDone, SelfReferral
from jifen.rules.events import CheckedEvent
from jifen.rules.kinds.base import FindMember, Kind
from jifen.types import Text

if TYPE_CHECKING:
    from jifen.rules.batch import Batch

STAGES = ("registered", "first_purchase")


class ReferralData(Schema):
    inviter_id = fields.UUID(load_default=None)
    inviter_external_id = Text(max_length=128, min_length=1, load_default=None)
    stage = fields.String(required=True, validate=validate.OneOf(STAGES))

    @validates_schema
    def _one_inviter(self, data: dict[str, Any], **_: Any) -> None:
        if (data["inviter_id"] is None) == (data["inviter_external_id"] is None):
            raise ValidationError(
                N_("Give either inviter_id or inviter_external_id."), "inviter_id"
            )


class Referral(Kind):
    schema = ReferralData()

    def __init__(self, batch: Batch) -> None:
        super().__init__(batch)
        # Referrals as the batch has left them, by invitee: the inviter, and when the
        # first purchase was made.
        self.known: dict[uuid.UUID, tuple[uuid.UUID, datetime | None]] = {}
        self.rows: list[dict[str, Any]] = []
        self.first_purchases: list[tuple[uuid.UUID, datetime]] = []

    @classmethod
    def members_named(cls, data: dict[str, Any]) -> tuple[list[uuid.UUID], list[str]]:
        ids = [data["inviter_id"]] if data.get("inviter_id") else []
        externals = [data["inviter_external_id"]] if data.get("inviter_external_id") else []
        return ids, externals

    @classmethod
    def resolve(cls, item: CheckedEvent, find: FindMember) -> None:
        item.inviter_id = find(
            item.data["inviter_id"], item.data["inviter_external_id"], create=False
        )
        # Rules, the stored event and backtests read the inviter by our id.
        item.data = {**item.data, "inviter_id": item.inviter_id, "inviter_external_id": None}

    def stored_data(self, item: CheckedEvent) -> dict[str, Any]:
        """As sent, with the inviter by our id however it was named (only one of the two
        may be given when the stored event is read back)."""
        if item.inviter_id is None:
            return item.given.data
        return item.given.data | {"inviter_id": str(item.inviter_id), "inviter_external_id": None}

    def check(self, item: CheckedEvent) -> None:
        assert item.member_id is not None and item.inviter_id is not None
        if item.inviter_id == item.member_id:
            raise SelfReferral()
        known = self.known.get(item.member_id)
        if known is None:
            row = sql.referral_of(self.batch.connection, self.batch.tenant_id, item.member_id)
            if row is not None:
                known = (row.inviter_id, row.first_purchase_at)
        if item.data["stage"] == "registered":
            if known is not None:
                raise AlreadyReferred(details={"invitee_id": str(item.member_id)})
            self.known[item.member_id] = (item.inviter_id, None)
            self.rows.append(
                {
                    "tenant_id": self.batch.tenant_id,
                    "invitee_id": item.member_id,
                    "inviter_id": item.inviter_id,
                    "registered_at": item.occurred_at,
                    "first_purchase_at": None,
                }
            )
            return
        if known is None or known[0] != item.inviter_id:
            raise Unknown(
                "referral",
                N_("No such referral: the invitee was not registered as referred by this inviter."),
                invitee_id=str(item.member_id),
            )
        if known[1] is not None:
            raise ReferralStageDone(details={"stage": "first_purchase"})
        self.known[item.member_id] = (item.inviter_id, item.occurred_at)
        self.first_purchases.append((item.member_id, item.occurred_at))

    def flush(self, connection: Connection) -> None:
        tenant_id = self.batch.tenant_id
        sql.insert_rows(connection, ReferralRow.__table__, self.rows)
        for invitee_id, at in self.first_purchases:
            sql.reach_first_purchase(connection, tenant_id, invitee_id, at)
        self.rows = []
        self.first_purchases = []

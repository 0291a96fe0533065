"""Referrals: points for the inviter and the invitee when the invitee registers and when
they first buy. The event belongs to the invitee; the inviter is named in its data."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from marshmallow import Schema

from jifen.hookimpl import hookimpl
from jifen.i18n import N_, Message
from jifen.rules import Award, Context, EventView, MemberProfile, Offer, RuleType
from jifen.types import StrictInteger

# What each stage pays for, as the inviter and the invitee read it.
STAGES = {
    "registered": (N_("friend joined"), N_("joined with a friend's invitation")),
    "first_purchase": (
        N_("friend's first purchase"),
        N_("first purchase with a friend's invitation"),
    ),
}


class ReferralRule:
    name = "referral"
    title = N_("Referral reward")

    class Params(Schema):
        inviter_registered = StrictInteger(
            load_default=0,
            metadata={
                "description": "To the inviter when the friend registers.",
                "x-unit": "points",
                "example": 100,
            },
        )
        invitee_registered = StrictInteger(
            load_default=0,
            metadata={
                "description": "To the friend on registering with an invitation.",
                "x-unit": "points",
                "example": 50,
            },
        )
        inviter_first_purchase = StrictInteger(
            load_default=0,
            metadata={
                "description": "To the inviter on the friend's first purchase.",
                "x-unit": "points",
                "example": 200,
            },
        )
        invitee_first_purchase = StrictInteger(
            load_default=0,
            metadata={
                "description": "To the friend on their first purchase.",
                "x-unit": "points",
                "example": 0,
            },
        )
        inviter_monthly_limit = StrictInteger(
            minimum=1,
            load_default=None,
            metadata={
                "description": "Rewarded referrals per inviter a month; none: no limit.",
                "x-unit": "referrals",
                "example": 10,
            },
        )

    def phase(self, params: Mapping[str, Any]) -> str:
        return "earn"

    def offer(self, params: Mapping[str, Any]) -> Offer:
        """The inviter's points for a friend who joins and buys (a limit on friends is
        not shown as progress: one friend's two events count apart)."""
        points = params["inviter_registered"] + params["inviter_first_purchase"]
        return Offer(Message(N_("Invite a friend")), points, "referral")

    def evaluate(
        self, event: EventView, member: MemberProfile, params: Mapping[str, Any], ctx: Context
    ) -> list[Award]:
        stage = event.data.get("stage")
        if event.kind != "referral" or stage not in STAGES:
            return []
        inviter_reason, invitee_reason = STAGES[stage]
        inviter_points = params[f"inviter_{stage}"]
        invitee_points = params[f"invitee_{stage}"]
        inviter = event.data["inviter_id"]
        inviter = inviter if isinstance(inviter, uuid.UUID) else uuid.UUID(str(inviter))
        awards = []
        if inviter_points and inviter != event.member_id:
            limit = params["inviter_monthly_limit"]
            if limit is not None and ctx.times(ctx.rule.id, "month", member_id=inviter) >= limit:
                reason = Message(
                    N_("referral: monthly limit of %(limit)s reached"), {"limit": limit}
                )
                awards.append(Award(0, reason, member_id=inviter))
            else:
                awards.append(Award(inviter_points, Message(inviter_reason), member_id=inviter))
        if invitee_points:
            awards.append(Award(invitee_points, Message(invitee_reason)))
        return awards


@hookimpl
def register_earn_rules() -> list[RuleType]:
    return [ReferralRule()]

"""Members: the merchant's customers, identified by the merchant's own user id.

The members' public module: the other domains and the plugins import from here, never
from the modules below it (an import-linter contract in pyproject.toml says so).
"""

from jifen.members.addresses import seal, unseal
from jifen.members.checkins import Month, month_of, streak_on
from jifen.members.domain_events import MergedIntoMember
from jifen.members.invites import active_inviter, code_for
from jifen.members.models import Checkin, Member, MemberDay, MemberTag, Referral, SignInCode, Tier
from jifen.members.notices import EXPIRY_REMINDERS, wants
from jifen.members.schemas import Address, MemberCreate
from jifen.members.service import check_new_member, create_member
from jifen.members.sign_in_codes import SignInCodeRequested
from jifen.members.sql import add_to_days
from jifen.members.tiers import Progress, Standings, TierView, ladder, progress, tiers_of
from jifen.members.tiers import move as move_tier

__all__ = [
    "EXPIRY_REMINDERS",
    "Address",
    "Checkin",
    "Member",
    "MemberCreate",
    "MemberDay",
    "MemberTag",
    "MergedIntoMember",
    "Month",
    "Progress",
    "Referral",
    "SignInCode",
    "SignInCodeRequested",
    "Standings",
    "Tier",
    "TierView",
    "active_inviter",
    "add_to_days",
    "check_new_member",
    "code_for",
    "create_member",
    "ladder",
    "month_of",
    "move_tier",
    "progress",
    "seal",
    "streak_on",
    "tiers_of",
    "unseal",
    "wants",
]

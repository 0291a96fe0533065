"""The ledger: accounts, entries, postings, lots, holds, reversals, expiry, history.

The ledger's public module: the other domains and the plugins import from here, never
from the modules below it (an import-linter contract in pyproject.toml says so).
`EntryView` is what the `ledger_entry_posted` hook is handed. Three names are qualified
here, where the flat namespace would leave them unclear: `earnings_of` (the module
`earnings` keeps its name), `load_policy` and `policy_from_row`.
"""

from jifen.ledger.domain_events import PointsExpiring
from jifen.ledger.earnings import Earning, take_back
from jifen.ledger.earnings import earnings as earnings_of
from jifen.ledger.errors import HoldNotOpen, MemberNotActive
from jifen.ledger.holds import capture, get_hold, open_pending, release, reserve
from jifen.ledger.journal import Journal
from jifen.ledger.models import PointsPolicy
from jifen.ledger.policy import Policy, policy_of
from jifen.ledger.policy import from_row as policy_from_row
from jifen.ledger.policy import load as load_policy
from jifen.ledger.results import EntryView
from jifen.ledger.reversal import reverse
from jifen.ledger.service import earn, open_journal, redeem

__all__ = [
    "Earning",
    "EntryView",
    "HoldNotOpen",
    "Journal",
    "MemberNotActive",
    "PointsExpiring",
    "PointsPolicy",
    "Policy",
    "capture",
    "earn",
    "earnings_of",
    "get_hold",
    "load_policy",
    "open_journal",
    "open_pending",
    "policy_from_row",
    "policy_of",
    "redeem",
    "release",
    "reserve",
    "reverse",
    "take_back",
]

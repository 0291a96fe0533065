"""A tenant's revision: a number that every change to what its mall shows on every page
(its tiers, its categories, its own templates) raises, in the change's transaction.

A page reads the tenant row first anyway; what it reads of those things a process keeps
under the tenant's id and the revision that row had, so the next page of that revision
reads none of them again, and a change is seen by the first page after it commits:
nothing kept is ever stale for the revision it is kept under.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import update
from sqlalchemy.orm import Session

from jifen.tenants.models import Tenant

T = TypeVar("T")

KEPT = 4_096  # readings a process keeps, the least recently used going first

_kept: OrderedDict[tuple[uuid.UUID, int, str], Any] = OrderedDict()
_lock = threading.Lock()


def bump(session: Session, tenant_id: uuid.UUID) -> None:
    """Mark a change to what every page of the tenant's mall shows (in the caller's
    transaction: it commits with the change, or neither does)."""
    session.execute(
        update(Tenant).where(Tenant.id == tenant_id).values(revision=Tenant.revision + 1),
        execution_options={"synchronize_session": False},
    )


def kept(tenant: Tenant, what: str, read: Callable[[], T]) -> T:
    """`read()`'s value, read once for the tenant's revision: `what` names it, and the
    value must not be changed by the caller (it is shared by every later page)."""
    key = (tenant.id, tenant.revision, what)
    with _lock:
        if key in _kept:
            _kept.move_to_end(key)
            value: T = _kept[key]
            return value
    value = read()
    with _lock:
        _kept[key] = value
        while len(_kept) > KEPT:
            _kept.popitem(last=False)
    return value

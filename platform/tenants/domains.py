"""Custom domains: a merchant's own host name for its mall (points.example.com).

The merchant names a host (`claim`) and gets a token; the host is used (a row of
`tenant_domains`, which finds the mall by the Host a request names) only once the
merchant proves it owns it, by a DNS TXT record or a served file holding the token
(jifen.tenants.ownership). A check is asked for in a request (`request_check`) and made
after it commits, by a job (`check_claim`) that reads the claim, asks the network with
no transaction open, and records what it found in a transaction of its own
(`record_check`). A claim is `pending` until checked, then `verified` or `failed`
(checked again at will). A host another mall uses already fails as `taken`.
"""

from __future__ import annotations

import re
import secrets
import uuid
from typing import Protocol
from urllib.parse import urlsplit

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from jifen import audit, jobs
from jifen.audit import Actor
from jifen.clock import Clock
from jifen.collaborators import Collaborators
from jifen.errors import Conflict, NotFound, ValidationFailed
from jifen.i18n import N_, Message
from jifen.tenants import lookups, ownership
from jifen.tenants.models import DomainClaim, TenantDomain

PENDING, VERIFIED, FAILED = "pending", "verified", "failed"
TAKEN = "taken"  # the finding, both ways, when another mall uses the host
MAX_CLAIMS = 5
# Who records a check's outcome, in the audit log (the staff who asked for it is
# recorded when they ask).
CHECK = Actor(kind="job", id="domain check")

_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
# Two labels at least, the last beginning with a letter: no IP address, no bare name.
HOST = re.compile(rf"(?:{_LABEL}\.)+[a-z](?:[a-z0-9-]{{0,61}}[a-z0-9])?")
# Names that never reach the internet at large: no proof could mean anything there.
_PRIVATE_SUFFIXES = (".localhost", ".local", ".internal", ".test", ".invalid", ".example")


class DomainCollaborators(Collaborators, Protocol):
    """The core's collaborators and the probe that asks the network for proofs."""

    @property
    def ownership_probe(self) -> ownership.Probe: ...


class TooManyDomains(Conflict):
    code = "too_many_domains"
    message = N_("A mall may name at most %(most)s domains: remove one first.")


class DomainClaimed(Conflict):
    code = "domain_claimed"
    message = N_("This mall has named this domain already.")


class DomainTaken(Conflict):
    code = "domain_taken"
    message = N_("Another mall uses this domain.")


def normalized_host(text: str) -> str:
    """The host name in what a merchant typed (a name, or an address with one), lower
    case, in its ASCII form; `ValidationFailed` on `host` if it is no public name."""
    text = text.strip()
    if "://" in text:
        text = urlsplit(text).hostname or ""
    text = text.split("/", 1)[0].rstrip(".").lower()
    try:
        host = text.encode("idna").decode("ascii")
    except UnicodeError:
        host = ""
    if len(host) > 253 or not HOST.fullmatch(host) or host.endswith(_PRIVATE_SUFFIXES):
        raise ValidationFailed(
            details={"host": [Message(N_("Give a domain name such as points.example.com."))]}
        )
    return host


def claims(session: Session, tenant_id: uuid.UUID) -> list[DomainClaim]:
    """The tenant's claims (at most `MAX_CLAIMS`), in the order they were made."""
    return list(
        session.scalars(
            select(DomainClaim)
            .where(DomainClaim.tenant_id == tenant_id)
            .order_by(DomainClaim.created_at, DomainClaim.host)
            .limit(MAX_CLAIMS)
        )
    )


def claim_of(session: Session, tenant_id: uuid.UUID, host: str) -> DomainClaim:
    """The tenant's claim of `host`; NotFound if it has none (another tenant's too)."""
    found = session.get(DomainClaim, (tenant_id, host))
    if found is None:
        raise NotFound("domain", host)
    return found


def claim(
    session: Session, tenant_id: uuid.UUID, text: str, *, actor: Actor, clock: Clock
) -> DomainClaim:
    """Name a host for the tenant's mall: a pending claim with a new token to prove it."""
    host = normalized_host(text)
    if session.get(DomainClaim, (tenant_id, host)) is not None:
        raise DomainClaimed(details={"host": host})
    count = session.scalar(
        select(func.count()).select_from(DomainClaim).where(DomainClaim.tenant_id == tenant_id)
    )
    if (count or 0) >= MAX_CLAIMS:
        raise TooManyDomains(params={"most": MAX_CLAIMS})
    if _owner(session, host) not in (None, tenant_id):
        raise DomainTaken(details={"host": host})
    now = clock.now()
    found = DomainClaim(
        tenant_id=tenant_id,
        host=host,
        token=f"jifen-{secrets.token_urlsafe(24)}",
        status=PENDING,
        created_at=now,
    )
    session.add(found)
    session.flush()
    audit.record(
        session,
        tenant_id=tenant_id,
        actor=actor,
        action="domain.claim",
        object_type="domain",
        object_id=host,
        now=now,
    )
    return found


def checking(found: DomainClaim) -> bool:
    """Whether a check was asked for and is not made yet."""
    asked = found.check_requested_at
    return asked is not None and (found.checked_at is None or found.checked_at < asked)


def request_check(
    session: Session, tenant_id: uuid.UUID, host: str, *, actor: Actor, clock: Clock
) -> DomainClaim:
    """Ask for the claim to be checked, by a job once this transaction commits. A proved
    claim is not checked again: its host stays in use until the claim is removed."""
    found = claim_of(session, tenant_id, host)
    if found.status == VERIFIED:
        return found
    found.check_requested_at = clock.now()
    audit.record(
        session,
        tenant_id=tenant_id,
        actor=actor,
        action="domain.check",
        object_type="domain",
        object_id=host,
        now=found.check_requested_at,
    )
    jobs.enqueue(session, check_claim, str(tenant_id), host)
    return found


def check_claim(services: DomainCollaborators, tenant_id: str, host: str) -> None:
    """Job: check a claim. The claim is read, the network asked with no transaction
    open, and the outcome recorded in a transaction of its own."""
    tenant = uuid.UUID(tenant_id)
    with services.db.transaction(tenant_id=tenant, write=False) as session:
        found = session.get(DomainClaim, (tenant, host))
        token = None if found is None or found.status == VERIFIED else found.token
    if token is None:
        return  # removed since, or proved already
    proof = ownership.prove(services.ownership_probe, host, token)
    with services.db.transaction(tenant_id=tenant) as session:
        record_check(session, tenant, host, token, proof, clock=services.clock)


def record_check(
    session: Session,
    tenant_id: uuid.UUID,
    host: str,
    token: str,
    proof: ownership.Proof,
    *,
    clock: Clock,
) -> DomainClaim | None:
    """Record what a check of the claim with `token` found: a proved host is used for
    the mall unless another mall uses it. Nothing is recorded for a claim removed (or
    made again with another token) since the check began."""
    found = session.get(DomainClaim, (tenant_id, host))
    if found is None or found.token != token:
        return None
    now = clock.now()
    before = found.status
    found.dns_finding, found.http_finding = proof.dns, proof.http
    found.checked_at = now
    if not proof.proved:
        found.status = FAILED
    elif _use(session, tenant_id, host):
        found.status = VERIFIED
        found.verified_at = found.verified_at or now
    else:
        found.status = FAILED
        found.dns_finding = found.http_finding = TAKEN
    audit.record(
        session,
        tenant_id=tenant_id,
        actor=CHECK,
        action="domain.checked",
        object_type="domain",
        object_id=host,
        before={"status": before},
        after={"status": found.status, "dns": found.dns_finding, "http": found.http_finding},
        now=now,
    )
    return found


def remove(
    session: Session, tenant_id: uuid.UUID, host: str, *, actor: Actor, clock: Clock
) -> None:
    """Forget the claim; its host, if it was used, no longer finds the mall."""
    found = claim_of(session, tenant_id, host)
    session.execute(
        delete(TenantDomain).where(TenantDomain.tenant_id == tenant_id, TenantDomain.domain == host)
    )
    before = {"status": found.status}
    session.delete(found)
    audit.record(
        session,
        tenant_id=tenant_id,
        actor=actor,
        action="domain.remove",
        object_type="domain",
        object_id=host,
        before=before,
        now=clock.now(),
    )


def _owner(session: Session, host: str) -> uuid.UUID | None:
    """The tenant whose mall the host finds, if any (read past row-level security by
    the lookup made for it)."""
    dialect = session.get_bind().dialect.name
    owner: uuid.UUID | None = session.scalar(lookups.host_tenant(dialect), {"host": host})
    return owner


def _use(session: Session, tenant_id: uuid.UUID, host: str) -> bool:
    """Make the host find the tenant's mall; False if another mall has it."""
    owner = _owner(session, host)
    if owner is not None:
        return owner == tenant_id
    try:
        with session.begin_nested():
            session.add(TenantDomain(domain=host, tenant_id=tenant_id))
    except IntegrityError:  # another mall's, made since we looked
        return False
    return True

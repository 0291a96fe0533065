"""Member imports: a merchant's file of members and their opening balances, from upload
to report (the file's format is jifen.ledger.member_files').

1. `check_upload` reads and checks the file as it is uploaded, against the members
   registered already too, and keeps it, sealed (it holds phone numbers and emails),
   with what the check found. Nothing is imported yet.
2. `start` records the merchant's choice and queues the job, `run_import`:
   - "valid" (the sound lines only): the members whose lines are all sound go in, in
     batches, each batch a transaction of its own that also records how far the import
     has come. A member refused meanwhile (registered through the API since the check)
     is rolled back alone, to a savepoint, and reported.
   - "all" (all or nothing): the job checks the file again against the members
     registered since the upload, in batches that record their progress, then saves
     every member in one transaction, or none: a member refused there rolls back all
     of them. That last step shows as one step: no other transaction could record
     progress while it holds SQLite's write lock.
3. The report: each refused line with its number and why, and the members and points
   imported. The file itself is forgotten once it has run or is discarded.

Imported members are registered as `create_member` registers them (audited, with their
domain event), without the welcome gift of a new member's `registered` event: they are
not new, and their points come with them. Opening balances are `earn` entries whose
lots keep their dates (jifen.ledger.openings).
"""

from __future__ import annotations

import logging
import string
import uuid
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import select, update
from sqlalchemy.orm import Session, defer

from jifen import audit, jobs
from jifen.audit import Actor
from jifen.clock import Clock
from jifen.db import tenant_of
from jifen.errors import Conflict, JifenError, NotFound, ValidationFailed
from jifen.i18n import N_, Message
from jifen.keyring import Keyring
from jifen.ledger import member_files, openings
from jifen.ledger import policy as policies
from jifen.ledger.member_files import MemberLines, Problem, Reading
from jifen.ledger.models import IMPORT_MODES, MemberImport
from jifen.members import Member, create_member
from jifen.pagination import read_page
from jifen.types import new_id

if TYPE_CHECKING:
    from jifen.collaborators import Collaborators

log = logging.getLogger(__name__)
T = TypeVar("T")

KEPT = 1_000  # problems a report keeps, the first by line (it says how many there were)
BATCH = 100  # members a "valid" import saves per transaction
CHECK_BATCH = 500  # members an "all" import checks per progress step
LOOKUP = 500  # external ids looked up per statement


class ImportNotWaiting(Conflict):
    code = "import_not_waiting"
    message = N_("This import has started already, or was discarded.")


class _NothingSaved(Exception):
    """An all-or-nothing import refused a member: everything is rolled back."""


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _registered(session: Session, external_ids: list[str]) -> set[str]:
    """Which of these user ids the tenant's members have already."""
    found: set[str] = set()
    for chunk in _chunks(external_ids, LOOKUP):
        query = select(Member.external_id).where(Member.external_id.in_(chunk))
        found.update(external_id for external_id in session.scalars(query) if external_id)
    return found


def _already(member: MemberLines) -> list[Problem]:
    message = Message(N_("A member with this user id exists already."))
    return [Problem(line, "external_id", message) for line in member.lines]


def _without_registered(session: Session, reading: Reading) -> Reading:
    """The reading with the members registered already moved to its problems."""
    taken = _registered(session, [member.external_id for member in reading.members])
    if not taken:
        return reading
    problems = list(reading.problems)
    sound = []
    for member in reading.members:
        if member.external_id in taken:
            problems += _already(member)
        else:
            sound.append(member)
    return Reading(reading.rows, sound, sorted(problems, key=lambda p: (p.line, p.column or "")))


def _report(problems: list[Problem]) -> list[dict[str, Any]]:
    ordered = sorted(problems, key=lambda p: (p.line, p.column or ""))
    return [problem.data() for problem in ordered[:KEPT]]


def _file_name(name: str) -> str:
    """The uploaded file's name as shown: printable characters only."""
    shown = "".join(char for char in name if char.isprintable() or char in string.whitespace)
    return " ".join(shown.split())[:255] or "members.csv"


def check_upload(
    session: Session,
    *,
    filename: str,
    content: bytes,
    actor: Actor,
    clock: Clock,
    keyring: Keyring,
) -> MemberImport:
    """Read and check an uploaded file and keep it, with what the check found, for the
    merchant to choose how to run it. Raises FileRefused (nothing kept) for a file that
    cannot be read as a whole."""
    tenant_id = tenant_of(session)
    now = clock.now()
    text = member_files.decode(content)
    policy = policies.policy_of(session, tenant_id)
    reading = _without_registered(session, member_files.read(text, now=now, policy=policy))
    row = MemberImport(
        tenant_id=tenant_id,
        id=new_id(),
        filename=_file_name(filename),
        content_encrypted=keyring.encrypt(text),
        status="checked",
        mode=None,
        rows=reading.rows,
        valid_rows=reading.valid_rows,
        valid_members=len(reading.members),
        phase=None,
        rows_done=0,
        rows_total=0,
        imported_members=0,
        imported_points=0,
        problems=_report(reading.problems),
        problem_count=len(reading.problems),
        created_by=actor.id or actor.kind,
        started_by=None,
        created_at=now,
        updated_at=now,
        finished_at=None,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        tenant_id=tenant_id,
        actor=actor,
        action="member_import.check",
        object_type="member_import",
        object_id=row.id,
        after={"filename": row.filename, "rows": row.rows, "problems": row.problem_count},
        now=now,
    )
    return row


def get_import(session: Session, import_id: uuid.UUID) -> MemberImport:
    """An import of the session's tenant; another tenant's is simply not found."""
    row = session.get(MemberImport, (tenant_of(session), import_id))
    if row is None:
        raise NotFound("member_import", import_id)
    return row


def problems_of(row: MemberImport) -> list[Problem]:
    """The problems an import's report keeps, in line order."""
    return [Problem.read(data) for data in row.problems]


def recent(
    session: Session, *, cursor: str | None = None, limit: int = 20
) -> tuple[list[MemberImport], str | None]:
    """The tenant's imports, newest first (without their files), and the next page's
    cursor."""
    query = select(MemberImport).options(
        defer(MemberImport.content_encrypted), defer(MemberImport.problems)
    )
    return read_page(
        session.scalars, query, [MemberImport.id], [uuid.UUID], limit, cursor, descending=True
    )


def _move(session: Session, row: MemberImport, now: Any, **values: Any) -> None:
    """Move a checked import on (queued, discarded), once: two clicks, or two staff,
    cannot both move it."""
    moved = session.execute(
        update(MemberImport)
        .where(MemberImport.id == row.id, MemberImport.status == "checked")
        .values(updated_at=now, **values)
        .execution_options(synchronize_session="fetch")
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise ImportNotWaiting()


def start(
    session: Session, import_id: uuid.UUID, mode: str, *, actor: Actor, clock: Clock
) -> MemberImport:
    """Run a checked import as the merchant chose (`mode` "all" or "valid"), as a job
    queued to run once this transaction commits."""
    row = get_import(session, import_id)
    if mode not in IMPORT_MODES:
        raise ValidationFailed(details={"mode": [Message(N_("Choose one."))]})
    if row.status != "checked":
        raise ImportNotWaiting()
    if not row.valid_members:
        message = N_("No line can be imported: fix the file and upload it again.")
        raise ValidationFailed(details={"mode": [Message(message)]})
    if mode == "all" and row.problem_count:
        message = N_(
            "Some lines have problems, so all or nothing would import nothing: fix them"
            " and upload the file again, or import the sound lines only."
        )
        raise ValidationFailed(details={"mode": [Message(message)]})
    now = clock.now()
    _move(session, row, now, status="queued", mode=mode, started_by=actor.id or actor.kind)
    jobs.enqueue(session, run_import, str(row.tenant_id), str(row.id))
    audit.record(
        session,
        tenant_id=row.tenant_id,
        actor=actor,
        action="member_import.start",
        object_type="member_import",
        object_id=row.id,
        after={"mode": mode},
        now=now,
    )
    return row


def discard(session: Session, import_id: uuid.UUID, *, actor: Actor, clock: Clock) -> None:
    """Drop a checked import without running it, and forget its file."""
    row = get_import(session, import_id)
    now = clock.now()
    _move(session, row, now, status="discarded", content_encrypted=None, finished_at=now)
    audit.record(
        session,
        tenant_id=row.tenant_id,
        actor=actor,
        action="member_import.discard",
        object_type="member_import",
        object_id=row.id,
        now=now,
    )


def run_import(services: Collaborators, tenant_id: str, import_id: str) -> None:
    """Job: run an import its merchant started (see the module's docstring), once."""
    tenant, key = uuid.UUID(tenant_id), uuid.UUID(import_id)
    with services.db.transaction(tenant_id=tenant) as session:
        row = session.get(MemberImport, (tenant, key))
        if row is None or row.status != "queued" or row.content_encrypted is None:
            return
        row.status = "running"
        row.updated_at = services.clock.now()
        text = services.keyring.decrypt(row.content_encrypted)
        mode = row.mode
        actor = Actor(kind="user", id=row.started_by, request_id=f"member-import-{key}")
        policy = policies.policy_of(session, tenant)
    run = _Run(services, tenant, key, actor)
    try:
        # Read again: points that expired since the check are refused now.
        reading = member_files.read(text, now=services.clock.now(), policy=policy)
        if mode == "valid":
            run.sound_lines(reading)
        else:
            run.all_or_nothing(reading)
    except Exception:
        log.exception("member import %s stopped", key)
        run.stopped()


class _Run:
    """An import running: what it has saved and refused so far."""

    def __init__(
        self, services: Collaborators, tenant_id: uuid.UUID, import_id: uuid.UUID, actor: Actor
    ) -> None:
        self.services = services
        self.tenant_id = tenant_id
        self.import_id = import_id
        self.actor = actor
        self.problems: list[Problem] = []
        self.members = self.points = 0  # committed

    def _transaction(self) -> Any:
        return self.services.db.transaction(tenant_id=self.tenant_id)

    def _record(self, session: Session, **values: Any) -> None:
        session.execute(
            update(MemberImport)
            .where(MemberImport.id == self.import_id)
            .values(updated_at=self.services.clock.now(), **values)
            .execution_options(synchronize_session=False)
        )

    def sound_lines(self, reading: Reading) -> None:
        self.problems = list(reading.problems)
        with self._transaction() as session:
            self._record(session, phase="saving", rows_done=0, rows_total=reading.valid_rows)
        done = 0
        for batch in _chunks(reading.members, BATCH):
            with self._transaction() as session:
                members, points = self._save(session, batch)
                done += sum(len(member.lines) for member in batch)
                self._record(
                    session,
                    rows_done=done,
                    imported_members=self.members + members,
                    imported_points=self.points + points,
                )
            self.members, self.points = self.members + members, self.points + points
        with self._transaction() as session:
            self._finish(session)

    def all_or_nothing(self, reading: Reading) -> None:
        self.problems = list(reading.problems)
        with self._transaction() as session:
            self._record(session, phase="checking", rows_done=0, rows_total=reading.valid_rows)
        done = 0
        for batch in _chunks(reading.members, CHECK_BATCH):
            with self._transaction() as session:
                taken = _registered(session, [member.external_id for member in batch])
                for member in batch:
                    if member.external_id in taken:
                        self.problems += _already(member)
                done += sum(len(member.lines) for member in batch)
                self._record(session, rows_done=done)
        if not self.problems:
            with self._transaction() as session:
                self._record(session, phase="saving")
            try:
                with self._transaction() as session:
                    members, points = self._save(session, reading.members)
                    if self.problems:
                        raise _NothingSaved()
                    self.members, self.points = members, points
                    self._finish(session)
                    return
            except _NothingSaved:
                pass
        with self._transaction() as session:
            self._finish(session)

    def _save(self, session: Session, members: Sequence[MemberLines]) -> tuple[int, int]:
        """Register the members and credit their opening balances, each to a savepoint
        of its own; the members and points saved. Those refused join the problems."""
        taken = _registered(session, [member.external_id for member in members])
        saved = points = 0
        for member in members:
            if member.external_id in taken:
                self.problems += _already(member)
                continue
            try:
                with session.begin_nested():
                    self._bring_in(session, member)
            except JifenError as refused:
                message = Message(refused.message_id, refused.params)
                self.problems += [Problem(line, None, message) for line in member.lines]
            else:
                saved += 1
                points += member.points
        return saved, points

    def _bring_in(self, session: Session, member: MemberLines) -> None:
        svc = self.services
        registered = create_member(
            session,
            self.tenant_id,
            member.member,
            actor=self.actor,
            clock=svc.clock,
            keyring=svc.keyring,
        )
        if member.openings:
            # The entries name the import by their request id (the actor's).
            openings.bring_over(
                session, registered.id, member.openings, actor=self.actor, clock=svc.clock
            )

    def _finish(self, session: Session) -> None:
        now = self.services.clock.now()
        self._record(
            session,
            status="done",
            phase=None,
            content_encrypted=None,
            imported_members=self.members,
            imported_points=self.points,
            problems=_report(self.problems),
            problem_count=len(self.problems),
            finished_at=now,
        )
        audit.record(
            session,
            tenant_id=self.tenant_id,
            actor=self.actor,
            action="member_import.finish",
            object_type="member_import",
            object_id=self.import_id,
            after={
                "members": self.members,
                "points": self.points,
                "problems": len(self.problems),
            },
            now=now,
        )

    def stopped(self) -> None:
        """The import stopped on an error of ours: what was committed stands (and the
        report says how much), the file is forgotten."""
        with self._transaction() as session:
            self._record(
                session,
                status="failed",
                phase=None,
                content_encrypted=None,
                imported_members=self.members,
                imported_points=self.points,
                problems=_report(self.problems),
                problem_count=len(self.problems),
                finished_at=self.services.clock.now(),
            )

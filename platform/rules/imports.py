"""Importing historical events (a merchant's past orders and refunds) from a file.

A file is CSV (a header row naming the columns) or JSON lines (one event per line, in the
shape `POST /api/v1/events` takes). Events go through the same checks and the same
`record_batch` as the API, in batches of their own transactions, oldest line first: a
refused line is reported with its line number and the others go on, and since an event
is idempotent by its own id, running an import again after an interruption replays what
was done and records only the rest.

CSV columns: `id`, `kind` (default `purchase`), `member_id` or `external_id`,
`occurred_at` (ISO 8601 with an offset), and the kind's data as columns of the same names
(`amount`, `currency`, `shipping`, `store`, `channel`, `paid_at` for a purchase;
`order_id` and `amount` for a refund; `task`; `inviter_id` or `inviter_external_id` and
`stage` for a referral). A `data` column may hold a JSON object (purchase lines, a custom
kind's payload); the other columns are added to it. Empty cells are left out.

Historical events must say when they happened: an event without `occurred_at` is
refused rather than dated today.
"""

from __future__ import annotations

import csv
import json
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from marshmallow import ValidationError

from jifen.audit import Actor
from jifen.errors import JifenError, ValidationFailed
from jifen.field_messages import field_messages
from jifen.i18n import N_, Message
from jifen.rules import recording, schemas
from jifen.rules.events import EventIn
from jifen.rules.registry import EarnCollaborators

FORMATS = ("csv", "jsonl")
BATCH = 1_000
_ENVELOPE = ("id", "kind", "member_id", "external_id", "occurred_at")
_INTEGER_COLUMNS = frozenset({"amount", "shipping"})
_INTEGER = re.compile(r"^-?\d+$")
_SCHEMA = schemas.EventIn()


@dataclass(frozen=True)
class Line:
    """One event of the file: its line number, and what it says or why it cannot be read."""

    number: int
    raw: dict[str, Any] | None
    error: JifenError | None = None
    event_id: str | None = None  # of an unreadable CSV row, when its id cell is readable


@dataclass
class Failure:
    line: int
    event_id: str | None
    error: JifenError

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "id": self.event_id, **self.error.to_dict()}


@dataclass
class Summary:
    recorded: int = 0
    replayed: int = 0
    failures: list[Failure] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return len(self.failures)


def read_lines(stream: IO[bytes], fmt: str, consumed: Callable[[int], None]) -> Iterator[Line]:
    """The file's events in order; `consumed(n)` is told of every n bytes read."""
    text = _decoded(stream, consumed)
    if fmt == "jsonl":
        yield from _jsonl(text)
    elif fmt == "csv":
        yield from _csv(text)
    else:
        raise ValueError(f"unknown format {fmt!r}")


def _decoded(stream: IO[bytes], consumed: Callable[[int], None]) -> Iterator[str]:
    # Bytes that are not UTF-8 become lone surrogates, which no decoded text contains:
    # the parsers below refuse their lines.
    for number, raw in enumerate(stream, 1):
        consumed(len(raw))
        yield raw.decode("utf-8-sig" if number == 1 else "utf-8", errors="surrogateescape")


def _undecodable(text: str) -> bool:
    return any("\udc80" <= char <= "\udcff" for char in text)


def _unreadable(number: int, reason: str, event_id: str | None = None) -> Line:
    error = ValidationFailed(N_("The line cannot be read."), details={"line": reason})
    return Line(number, None, error, event_id)


def _jsonl(text: Iterable[str]) -> Iterator[Line]:
    for number, line in enumerate(text, 1):
        if not line.strip():
            continue
        if _undecodable(line):
            yield _unreadable(number, "not UTF-8")
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as error:
            yield _unreadable(number, f"not JSON: {error.msg}")
            continue
        if not isinstance(raw, dict):
            yield _unreadable(number, "not a JSON object")
            continue
        yield Line(number, raw)


def _csv(text: Iterable[str]) -> Iterator[Line]:
    reader = csv.DictReader(text, strict=True)
    try:
        for row in reader:
            # The header is line 1; a quoted cell may span lines, so ask the reader.
            number = reader.line_num
            if None in row or any(value is None for value in row.values()):
                yield _unreadable(number, "the number of cells differs from the header")
                continue
            try:
                yield Line(number, _csv_event(row))
            except ValueError as error:
                yield _unreadable(number, str(error), (row.get("id") or "").strip() or None)
    except csv.Error as error:
        yield _unreadable(reader.line_num, f"not CSV: {error}")


def _csv_event(row: dict[str, str]) -> dict[str, Any]:
    cells = {name.strip(): value.strip() for name, value in row.items() if value.strip()}
    if _undecodable("".join(cells.values())):
        raise ValueError("not UTF-8")
    data: dict[str, Any] = {}
    if "data" in cells:
        loaded = json.loads(cells.pop("data"))
        if not isinstance(loaded, dict):
            raise ValueError("the data column must hold a JSON object")
        data = loaded
    event: dict[str, Any] = {"kind": "purchase"}
    for name, value in cells.items():
        if name in _ENVELOPE:
            event[name] = value
        elif name in _INTEGER_COLUMNS:
            if not _INTEGER.match(value):
                raise ValueError(f"{name} must be a whole number of minor units, not {value!r}")
            data[name] = int(value)
        else:
            data[name] = value
    event["data"] = data
    return event


def import_events(
    services: EarnCollaborators,
    tenant_id: uuid.UUID,
    lines: Iterable[Line],
    *,
    actor: Actor,
    batch: int = BATCH,
) -> Summary:
    """Record the lines' events for the tenant, `batch` per transaction."""
    summary = Summary()
    pending: list[tuple[int, EventIn]] = []

    def flush() -> None:
        if not pending:
            return
        with services.db.transaction(tenant_id=tenant_id) as session:
            outcomes = recording.record_batch(
                session,
                [given for _, given in pending],
                rule_types=services.rule_types,
                actor=actor,
                clock=services.clock,
                keyring=services.keyring,
            )
        for (number, given), outcome in zip(pending, outcomes, strict=True):
            if outcome.error is not None:
                summary.failures.append(Failure(number, given.event_id, outcome.error))
            elif outcome.replayed:
                summary.replayed += 1
            else:
                summary.recorded += 1
        pending.clear()

    for line in lines:
        event_id = line.raw.get("id") if line.raw else line.event_id
        try:
            if line.error is not None:
                raise line.error
            pending.append((line.number, _checked(line.raw or {})))
        except JifenError as error:
            summary.failures.append(
                Failure(line.number, event_id if isinstance(event_id, str) else None, error)
            )
        if len(pending) >= batch:
            flush()
    flush()
    summary.failures.sort(key=lambda failure: failure.line)
    return summary


def _checked(raw: dict[str, Any]) -> EventIn:
    try:
        data = _SCHEMA.load(raw)
    except ValidationError as error:
        raise ValidationFailed(
            N_("The event is not valid."), details=field_messages(error.messages)
        ) from None
    if data["occurred_at"] is None:
        raise ValidationFailed(
            N_("A historical event must say when it happened."),
            details={"occurred_at": [Message(N_("Required when importing."))]},
        )
    return EventIn.loaded(data)

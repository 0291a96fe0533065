"""Reading a file of members and their opening balances, and checking it line by line
without touching the database (jifen.ledger.member_imports keeps and runs it).

The file is CSV with a header row naming its columns, in any order; only `external_id`
is required:

  external_id  the merchant's own user id for the member
  name, phone, email, birthday (a day), tags (separated by ";")
  points       an opening balance: whole points
  earned_at    when those points were earned
  expires_at   when they expire; left blank, when the merchant's expiry policy says,
               counted from `earned_at`

A day is written 2024-03-01 (or 2024/3/1, as spreadsheets in China write it) and is a
day of the merchant's time zone: points earned on a day were earned as it began, points
that expire on a day can be used through it. A time is written 2024-03-01 09:30, in the
merchant's time zone, or with its offset (2024-03-01T09:30:00+08:00).

A member with points of several dates has a line for each: their own columns are read
from their first line, and may be left blank on the others. A member is imported whole
or not at all: a problem on any of their lines keeps all of them out.

Files are UTF-8 (with or without the mark spreadsheets put first) or, as Excel saves
CSV in Chinese, GB18030.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from marshmallow import ValidationError

from jifen.errors import ValidationFailed
from jifen.field_messages import field_messages
from jifen.i18n import N_, Message
from jifen.ledger.openings import Opening, check_opening
from jifen.ledger.policy import Policy
from jifen.members import MemberCreate, check_new_member
from jifen.types import MAX_SAFE_INTEGER

COLUMNS = (
    "external_id",
    "name",
    "phone",
    "email",
    "birthday",
    "tags",
    "points",
    "earned_at",
    "expires_at",
)
MEMBER_COLUMNS = ("name", "phone", "email", "birthday", "tags")
MAX_BYTES = 1_000_000  # "1 MB", as the pages say
MAX_ROWS = 10_000
_TAGS = re.compile(r"[;；|]")
_POINTS = re.compile(r"^(\d+|\d{1,3}(,\d{3})+)$")
_DAY = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_LOCAL_TIME = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$")
# The years a date may name: room either side of any real one, and far from the limits
# of Python's dates, which a day's end or a time zone would step over.
_FIRST_YEAR, _LAST_YEAR = 1900, 9000
_WORKBOOKS = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")  # .xlsx (a zip), .xls
_DATE_WRITTEN = N_("Write a day as 2024-03-01, a time as 2024-03-01 09:30.")
_TOO_MANY_POINTS = N_("More points than a member can hold.")


class FileRefused(ValidationFailed):
    """The file as a whole cannot be read: nothing of it is checked or kept."""

    code = "file_refused"
    message = N_("The file cannot be read.")


@dataclass(frozen=True)
class Problem:
    """Why a line of the file is not imported: the line's number, the column at fault
    (None: the line as a whole) and what is wrong, in the reader's language when read."""

    line: int
    column: str | None
    message: Message

    def data(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "message": self.message.data()}

    @classmethod
    def read(cls, data: dict[str, Any]) -> Problem:
        return cls(data["line"], data["column"], Message.read(data["message"]))


@dataclass
class MemberLines:
    """A member of the file: the lines naming them, the member as `create_member` takes
    them, and their opening balances."""

    external_id: str
    lines: list[int]
    member: dict[str, Any]
    openings: list[Opening] = field(default_factory=list)

    @property
    def points(self) -> int:
        return sum(opening.points for opening in self.openings)


@dataclass
class Reading:
    """What the check found: how many lines name members, the members all of whose lines
    are sound (in the file's order), and the problems (in line order)."""

    rows: int
    members: list[MemberLines]
    problems: list[Problem]

    @property
    def valid_rows(self) -> int:
        return sum(len(member.lines) for member in self.members)


def decode(content: bytes) -> str:
    """The file's text; refused if it is too large, empty, or not text we can read."""
    if len(content) > MAX_BYTES:
        raise FileRefused(
            N_("The file is larger than %(most)s: split it into smaller files."),
            params={"most": "1 MB"},
        )
    if not content.strip():
        raise FileRefused(N_("The file is empty."))
    if content.startswith(_WORKBOOKS):
        raise FileRefused(
            N_("This is a spreadsheet workbook, not CSV: save it as CSV (UTF-8) and upload that.")
        )
    if b"\x00" in content:
        raise FileRefused(N_("This is not a CSV file: save it as CSV (UTF-8) and upload that."))
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileRefused(N_("The file is neither UTF-8 nor GB18030 text: save it as CSV (UTF-8)."))


def read(text: str, *, now: datetime, policy: Policy) -> Reading:
    """Check every line of the file's text as of `now`, under the tenant's `policy`
    (its time zone and expiry). Refuses the file (FileRefused) when its header is not
    one we read, it has more than MAX_ROWS lines of members, or is not CSV."""
    lines = _lines(text)
    columns = _columns(next(lines, (1, []))[1])
    members: dict[str, _Member] = {}
    problems: list[Problem] = []
    rows = 0
    for number, cells in lines:
        rows += 1
        if rows > MAX_ROWS:
            raise FileRefused(
                N_("The file has more than %(most)s members' lines: split it into smaller files."),
                params={"most": f"{MAX_ROWS:,}"},
            )
        problems += _read_line(number, cells, columns, members, now, policy)
    if not rows:
        raise FileRefused(N_("The file has a header but no members."))
    problems += _whole_members(members.values(), problems)
    sound = [m.lines_read for m in members.values() if not m.refused]
    return Reading(rows, sound, sorted(problems, key=lambda p: (p.line, p.column or "")))


@dataclass
class _Member:
    lines_read: MemberLines
    values: dict[str, str]  # the member's own columns, as their first line gives them
    refused: int | None = None  # the first line with a problem


def _lines(text: str) -> Iterator[tuple[int, list[str]]]:
    """The file's rows that hold anything, each with the number of the line it ends on
    (a quoted cell may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise FileRefused(
                N_("Line %(line)s cannot be read as CSV (%(reason)s)."),
                params={"line": reader.line_num, "reason": str(error)},
            ) from None
        if any(cell.strip() for cell in cells):
            yield reader.line_num, cells


def _columns(header: list[str]) -> list[str]:
    columns = [name.strip().lower() for name in header]
    if not any(columns):
        raise FileRefused(N_("The first line must name the columns."))
    for index, name in enumerate(columns):
        if name and name not in COLUMNS:
            raise FileRefused(
                N_("Unknown column “%(column)s”: the columns are %(columns)s."),
                params={"column": header[index].strip()[:40], "columns": ", ".join(COLUMNS)},
            )
        if name and name in columns[:index]:
            raise FileRefused(
                N_("The column “%(column)s” is there twice."), params={"column": name}
            )
    if "external_id" not in columns:
        raise FileRefused(N_("The file needs an external_id column: your user id for each member."))
    if "points" in columns and "earned_at" not in columns:
        raise FileRefused(N_("A points column needs an earned_at column: when they were earned."))
    return columns


def _read_line(
    number: int,
    cells: list[str],
    columns: list[str],
    members: dict[str, _Member],
    now: datetime,
    policy: Policy,
) -> list[Problem]:
    """Check a line, adding it to its member's lines; its problems."""
    if len(cells) != len(columns):
        message = Message(
            N_("This line has %(cells)s cells where the header names %(columns)s."),
            {"cells": len(cells), "columns": len(columns)},
        )
        return [Problem(number, None, message)]
    values = {name: cell.strip() for name, cell in zip(columns, cells, strict=True) if name}
    if any(cell.strip() for name, cell in zip(columns, cells, strict=True) if not name):
        return [Problem(number, None, Message(N_("A cell under a column with no name.")))]
    external_id = values.get("external_id", "")
    if not external_id:
        return [Problem(number, "external_id", Message(N_("Required.")))]
    found: list[tuple[str | None, Message]] = []
    member = members.get(external_id)
    if member is None:
        checked, found = _member_of(values)
        member = members[external_id] = _Member(
            MemberLines(external_id, [], checked),
            {name: values.get(name, "") for name in MEMBER_COLUMNS},
        )
    else:
        found = [
            (
                name,
                Message(
                    N_("Line %(line)s gives this member another %(column)s."),
                    {"line": member.lines_read.lines[0], "column": name},
                ),
            )
            for name in MEMBER_COLUMNS
            if values.get(name) and values[name] != member.values[name]
        ]
    opening, about_points = _opening_of(values, now, policy)
    found += about_points
    member.lines_read.lines.append(number)
    if opening is not None:
        member.lines_read.openings.append(opening)
    if found and member.refused is None:
        member.refused = number
    return [Problem(number, column, message) for column, message in found]


def _whole_members(members: Iterable[_Member], problems: list[Problem]) -> list[Problem]:
    """The lines kept out with their member's other lines, and members given more points
    than a wallet holds."""
    with_problems = {problem.line for problem in problems}
    kept_out = []
    for member in members:
        lines = member.lines_read
        if member.refused is None and lines.points > MAX_SAFE_INTEGER:
            member.refused = lines.lines[0]
            with_problems.add(member.refused)
            kept_out.append(Problem(member.refused, "points", Message(_TOO_MANY_POINTS)))
        if member.refused is None:
            continue
        for line in lines.lines:
            if line not in with_problems:
                message = Message(
                    N_("Not imported: line %(line)s of this member has a problem."),
                    {"line": member.refused},
                )
                kept_out.append(Problem(line, None, message))
    return kept_out


def _member_of(values: dict[str, str]) -> tuple[dict[str, Any], list[tuple[str | None, Message]]]:
    """The member a first line gives, checked as registration checks it; its problems."""
    given: dict[str, Any] = {"external_id": values["external_id"]}
    found: list[tuple[str | None, Message]] = []
    for name in ("name", "phone", "email"):
        if values.get(name):
            given[name] = values[name]
    if values.get("birthday"):
        day = _day(values["birthday"])
        if day is None:
            found.append(("birthday", Message(_DATE_WRITTEN)))
        else:
            given["birthday"] = day.isoformat()
    if values.get("tags"):
        given["tags"] = [tag.strip() for tag in _TAGS.split(values["tags"]) if tag.strip()]
    try:
        loaded = MemberCreate().load(given)
        return check_new_member(loaded), found
    except ValidationError as error:
        found += _messages(field_messages(error.messages))
    except ValidationFailed as refused:
        found += _messages(refused.details)
    return {}, found


def _messages(details: Any, column: str | None = None) -> list[tuple[str | None, Message]]:
    """Each message of an error's details with the column it is about (the first, where
    they nest: a list's items under its column)."""
    if isinstance(details, Message):
        return [(column, details)]
    if isinstance(details, dict):
        return [
            found
            for key, value in details.items()
            for found in _messages(value, column or str(key))
        ]
    if isinstance(details, list | tuple):
        return [found for value in details for found in _messages(value, column)]
    return [(column, Message(str(details)))] if isinstance(details, str) else []


def _opening_of(
    values: dict[str, str], now: datetime, policy: Policy
) -> tuple[Opening | None, list[tuple[str | None, Message]]]:
    """The opening balance a line gives (None: no points), and its problems."""
    points_text = values.get("points", "")
    if not points_text:
        if values.get("earned_at") or values.get("expires_at"):
            return None, [("points", Message(N_("Give the points these dates are for.")))]
        return None, []
    if not _POINTS.match(points_text):
        return None, [("points", Message(N_("Points are a whole number, such as 1200.")))]
    points = int(points_text.replace(",", ""))
    if points == 0:
        return None, []
    found: list[tuple[str | None, Message]] = []
    earned_at = expires_at = None
    if not values.get("earned_at"):
        found.append(("earned_at", Message(N_("Required with points: when they were earned."))))
    else:
        earned_at = _instant(values["earned_at"], policy, end_of_day=False)
        if earned_at is None:
            found.append(("earned_at", Message(_DATE_WRITTEN)))
    if values.get("expires_at"):
        expires_at = _instant(values["expires_at"], policy, end_of_day=True)
        if expires_at is None:
            found.append(("expires_at", Message(_DATE_WRITTEN)))
    elif earned_at is not None:
        expires_at = policy.expiry_for(earned_at)
        if expires_at is not None and expires_at <= now:
            last_day = (expires_at - timedelta(microseconds=1)).astimezone(policy.zone).date()
            message = Message(
                N_("Under your expiry policy these points expired on %(day)s."),
                {"day": last_day.isoformat()},
            )
            return None, [*found, ("expires_at", message)]
    if found or earned_at is None:
        return None, found
    opening = Opening(points, earned_at, expires_at)
    try:
        check_opening(opening, now)
    except ValidationFailed as refused:
        about = _messages(refused.details)
        if refused.code == "invalid_amount":
            about = [("points", Message(_TOO_MANY_POINTS))]
        return None, about
    return opening, []


def _day(text: str) -> date | None:
    found = _DAY.match(text)
    if found is None:
        return None
    year, month, day = (int(part) for part in found.groups())
    if not _FIRST_YEAR <= year <= _LAST_YEAR:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _instant(text: str, policy: Policy, *, end_of_day: bool) -> datetime | None:
    """An instant as the file writes it: a day of the merchant's (its start, or with
    `end_of_day` its end), a time there, or a time with its offset."""
    day = _day(text)
    if day is not None:
        return policy.end_of_local_day(day) if end_of_day else policy.start_of_local_day(day)
    found = _LOCAL_TIME.match(text)
    try:
        if found is not None:
            year, month, day_of, hour, minute, second = (int(p or 0) for p in found.groups())
            instant = datetime(year, month, day_of, hour, minute, second, tzinfo=policy.zone)
        else:
            instant = datetime.fromisoformat(text)
            if instant.tzinfo is None:
                instant = instant.replace(tzinfo=policy.zone)
    except ValueError:
        return None
    if not _FIRST_YEAR <= instant.year <= _LAST_YEAR:
        return None
    return instant.astimezone(UTC)

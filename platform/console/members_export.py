"""The members as a CSV file: those the members page's filters find, streamed a page at a
time (never the whole table in memory), for a spreadsheet.

It holds personal data, so taking it is audited, and cells a spreadsheet would run as a
formula are written as text.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, stream_with_context

from jifen import audit
from jifen.console.access import current, staff_page
from jifen.console.members import actor, find, list_page, search_filters
from jifen.console.pages import bp
from jifen.errors import JifenError
from jifen.ledger import history
from jifen.members import service as members
from jifen.members.models import Member
from jifen.tenants import roles
from jifen.web import services

PAGE = 500
COLUMNS = (
    "external_id",
    "name",
    "phone",
    "email",
    "birthday",
    "tags",
    "tier",
    "status",
    "balance",
    "held",
    "debt",
    "joined_at",
)
# A cell starting with one of these is a formula to a spreadsheet (CSV injection); a
# phone number written +86... is left as it is.
_FORMULA = re.compile(r"^[=+\-@\t\r]")
_PHONE = re.compile(r"^\+?[0-9]+$")


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if _FORMULA.match(text) and not _PHONE.match(text) else text


def _line(cells: list[Any]) -> str:
    out = io.StringIO()
    csv.writer(out).writerow([_cell(cell) for cell in cells])
    return out.getvalue()


@bp.route("/members/export.csv")
@staff_page(roles.CONFIGURE)
def members_export() -> Response | tuple[str, int]:
    """The members the filters find, as CSV (UTF-8 with the mark Excel looks for)."""
    staff, svc = current(), services()
    assert staff.tenant is not None
    _, filters, problems = search_filters()
    try:
        find(filters, None, 1)  # a phone or email that cannot be one, refused before a byte
    except JifenError:
        problems = {"q": ""}
    if problems:
        return list_page()  # the members page says what is wrong with the filters
    tenant_id, zone = staff.tenant.id, ZoneInfo(staff.tenant.timezone)
    # Recorded before the first byte leaves: a file half taken was taken. The filters
    # are kept but the searched-for text, which may be a phone number or an email.
    with svc.db.transaction(tenant_id=tenant_id) as session:
        audit.record(
            session,
            tenant_id=tenant_id,
            actor=actor(),
            action="members.export",
            object_type="member",
            after={name: value for name, value in filters.items() if name in FILTERED},
            now=svc.clock.now(),
        )

    def lines() -> Iterator[str]:
        yield "\ufeff" + _line(list(COLUMNS))
        # The request's session is closed once the response starts: the file is read
        # in a session of its own, a page at a time.
        with svc.db.session(tenant_id=tenant_id) as session:
            cursor = None
            while True:
                page, cursor = members.search_members(
                    session, keyring=svc.keyring, cursor=cursor, limit=PAGE, **filters
                )
                wallets = history.wallets_now(session, [m.id for m in page], clock=svc.clock)
                for member in page:
                    yield _line(_row(member, wallets.get(member.id, (0, 0, 0)), svc, zone))
                session.expunge_all()
                if cursor is None:
                    return

    day = svc.clock.now().astimezone(zone).date().isoformat()
    return Response(
        stream_with_context(lines()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="members-{day}.csv"'},
    )


FILTERED = ("tag", "tier", "status")


def _row(member: Member, wallet: tuple[int, int, int], svc: Any, zone: ZoneInfo) -> list[Any]:
    shown = members.view(member, svc.keyring)
    joined: datetime = shown.created_at
    return [
        shown.external_id,
        shown.name,
        shown.phone,
        shown.email,
        shown.birthday.isoformat() if shown.birthday else None,
        ";".join(shown.tags),
        shown.tier,
        shown.status,
        *wallet,
        joined.astimezone(zone).isoformat(timespec="seconds"),
    ]

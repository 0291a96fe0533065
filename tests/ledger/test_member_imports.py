"""Importing members with their opening balances: a file checked line by line, each
balance keeping the dates it was earned and expires on, run as the merchant chooses
(all or nothing, or the sound lines only) without losing or half-writing a member."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from jifen.errors import ValidationFailed
from jifen.ledger import member_files, member_imports, openings
from jifen.ledger import policy as policies
from jifen.ledger.history import page as history_page
from jifen.ledger.models import Entry, MemberImport
from jifen.members import Member, create_member
from ledger.conftest import STAFF

HEADER = "external_id,name,phone,email,birthday,tags,points,earned_at,expires_at\n"
NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)  # the suite's clock; 17:30 in Shanghai
SHANGHAI = policies.Policy(timezone="Asia/Shanghai")


def read(text: str, policy: policies.Policy = SHANGHAI) -> member_files.Reading:
    return member_files.read(text, now=NOW, policy=policy)


def problems(reading) -> list[tuple[int, str | None, str]]:
    return [(p.line, p.column, str(p.message)) for p in reading.problems]


def upload(books, text: str) -> MemberImport:
    with books.svc.db.transaction(tenant_id=books.tenant_id) as session:
        row = member_imports.check_upload(
            session,
            filename="members.csv",
            content=text.encode(),
            actor=STAFF,
            clock=books.clock,
            keyring=books.svc.keyring,
        )
        session.expunge(row)
    return row


def run(books, import_id: uuid.UUID, mode: str) -> MemberImport:
    with books.svc.db.transaction(tenant_id=books.tenant_id) as session:
        member_imports.start(session, import_id, mode, actor=STAFF, clock=books.clock)
    assert books.svc.jobs.wait_idle()
    return reread(books, import_id)


def reread(books, import_id: uuid.UUID) -> MemberImport:
    with books.svc.db.session(tenant_id=books.tenant_id) as session:
        row = member_imports.get_import(session, import_id)
        session.expunge(row)
    return row


def external_ids(books) -> list[str]:
    with books.svc.db.session(tenant_id=books.tenant_id) as session:
        return sorted(session.scalars(select(Member.external_id)))


def member_id(books, external_id: str) -> uuid.UUID:
    with books.svc.db.session(tenant_id=books.tenant_id) as session:
        return session.scalar(select(Member.id).where(Member.external_id == external_id))


def register(books, external_id: str) -> None:
    with books.svc.db.transaction(tenant_id=books.tenant_id) as session:
        create_member(
            session,
            books.tenant_id,
            {"external_id": external_id},
            actor=STAFF,
            clock=books.clock,
            keyring=books.svc.keyring,
        )


# --- opening balances ----------------------------------------------------------------


def test_an_opening_balance_keeps_each_lots_earning_and_expiry_dates(books):
    alice = books.member()
    march = datetime(2026, 3, 31, 16, 0, tzinfo=UTC)
    given = [
        openings.Opening(300, datetime(2025, 3, 1, tzinfo=UTC), march),
        openings.Opening(200, datetime(2025, 9, 1, tzinfo=UTC), None),
    ]

    books.run(openings.bring_over, alice, given, reference="move")

    assert books.wallet(alice).balance == 500
    assert [(lot.amount, lot.expires_at) for lot in books.lots(alice)] == [
        (300, march),
        (200, None),
    ]
    with books.svc.db.session(tenant_id=books.tenant_id) as session:
        lines, _ = history_page(session, alice)
    assert {(line.kind, line.memo) for line in lines} == {("earn", "Opening balance brought over")}
    books.verify()


@pytest.mark.parametrize(
    ("earned_at", "expires_at", "field"),
    [
        (datetime(2026, 4, 1, tzinfo=UTC), None, "earned_at"),
        (datetime(2025, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC), "expires_at"),
    ],
)
def test_an_opening_balance_earned_in_the_future_or_expired_posts_nothing(
    books, earned_at, expires_at, field
):
    alice = books.member()
    before = books.snapshot()
    sound = openings.Opening(50, datetime(2025, 1, 1, tzinfo=UTC), None)

    with pytest.raises(ValidationFailed) as refused:
        books.run(openings.bring_over, alice, [sound, openings.Opening(10, earned_at, expires_at)])

    assert field in refused.value.details
    assert books.snapshot() == before


# --- reading a file ------------------------------------------------------------------


def test_each_problem_names_its_line_and_column():
    reading = read(
        HEADER
        + "u1,Ann,13800138000,ann@example.com,1990-05-01,vip;tea,1200,2025-06-01,2026-12-31\n"
        + "u2,Bob,not a phone,,,,,,\n"
        + "u3,Cai,,cai@,,,12.5,2025-06-01,\n"
        + ",Dan,,,,,,,\n"
        + "u5,Eve,,,,,100,2025/6/1,2026/1/31\n"
        + "u6,Fay,,,,,100,yesterday,\n"
    )

    assert reading.rows == 6
    assert [m.external_id for m in reading.members] == ["u1"]
    assert problems(reading) == [
        (3, "phone", "Not a phone number."),
        (4, "email", "Not an email address."),
        (4, "points", "Points are a whole number, such as 1200."),
        (5, "external_id", "Required."),
        (6, "expires_at", "These points have expired already."),
        (7, "earned_at", "Write a day as 2024-03-01, a time as 2024-03-01 09:30."),
    ]
    (ann,) = reading.members
    assert ann.member == {
        "external_id": "u1",
        "name": "Ann",
        "phone": "13800138000",
        "email": "ann@example.com",
        "birthday": datetime(1990, 5, 1).date(),
        "tags": ["vip", "tea"],
    }
    # Days are the merchant's: earned as 1 June began in Shanghai, usable through 31 December.
    assert ann.openings == [
        openings.Opening(
            1200,
            datetime(2025, 5, 31, 16, 0, tzinfo=UTC),
            datetime(2026, 12, 31, 16, 0, tzinfo=UTC),
        )
    ]


def test_a_member_with_points_of_several_dates_has_a_line_for_each():
    reading = read(
        HEADER
        + "u1,Ann,,,,,100,2025-06-01,2026-06-30\n"
        + "u1,,,,,,50,2025-09-01,2026-09-30\n"
        + "u2,Bob,,,,,10,2025-06-01,\n"
        + "u2,Robert,,,,,20,2025-07-01,\n"
    )

    (ann,) = reading.members
    assert (ann.lines, ann.points) == ([2, 3], 150)
    assert problems(reading) == [
        (4, None, "Not imported: line 5 of this member has a problem."),
        (5, "name", "Line 4 gives this member another name."),
    ]


def test_a_balance_without_an_expiry_expires_as_the_policy_counts_from_its_earning():
    yearly = policies.Policy(expiry="rolling", rolling_months=12, timezone="Asia/Shanghai")

    reading = read("external_id,points,earned_at\nu1,100,2025-06-01\nu2,100,2025-02-01\n", yearly)

    (kept,) = reading.members
    assert kept.openings[0].expires_at == datetime(2026, 6, 1, 16, 0, tzinfo=UTC)
    assert problems(reading) == [
        (3, "expires_at", "Under your expiry policy these points expired on 2026-02-01.")
    ]


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"", "The file is empty."),
        (b"PK\x03\x04rest of a workbook", "This is a spreadsheet workbook"),
        (b"name,phone\nAnn,1\n", "The file needs an external_id column"),
        (b"external_id,nickname\nu1,A\n", "Unknown column \u201cnickname\u201d"),
        (b"external_id,points\nu1,5\n", "A points column needs an earned_at column"),
        (b"external_id\n", "The file has a header but no members."),
        (b"external_id\n" + b"u\n" * 10_001, "more than 10,000 members' lines"),
        (b"external_id\n" + b"x" * 1_000_000, "larger than 1 MB"),
    ],
)
def test_a_file_that_cannot_be_read_as_a_whole_is_refused_with_the_reason(content, says):
    with pytest.raises(member_files.FileRefused) as refused:
        read(member_files.decode(content))

    assert says in refused.value.message


def test_a_file_saved_by_excel_in_chinese_reads_as_gb18030():
    text = member_files.decode("external_id,name\nu1,张三\n".encode("gb18030"))

    (member,) = read(text).members
    assert member.member["name"] == "张三"


# --- running an import ---------------------------------------------------------------


FILE = (
    HEADER
    + "u1,Ann,13800138000,,,,1200,2025-06-01,2026-12-31\n"
    + "u2,Bob,not a phone,,,,,,\n"
    + "u3,Cai,,,,,300,2025-06-01,\n"
    + "u3,,,,,,200,2025-07-01,2027-01-31\n"
)


def test_the_sound_lines_go_in_and_the_report_names_the_others(books):
    checked = upload(books, FILE)
    assert (checked.rows, checked.valid_rows, checked.problem_count) == (4, 3, 1)

    done = run(books, checked.id, "valid")

    assert (done.status, done.imported_members, done.imported_points) == ("done", 2, 1700)
    assert [(p.line, p.column) for p in member_imports.problems_of(done)] == [(3, "phone")]
    assert done.content_encrypted is None  # the file is forgotten once run
    assert external_ids(books) == ["u1", "u3"]
    cai = member_id(books, "u3")
    assert [lot.amount for lot in books.lots(cai)] == [200, 300]  # soonest-expiring first
    books.verify()


def test_a_member_registered_since_the_check_is_reported_and_the_others_go_in(books):
    checked = upload(books, FILE)
    register(books, "u3")

    done = run(books, checked.id, "valid")

    assert done.imported_members == 1
    assert [(p.line, p.column) for p in member_imports.problems_of(done)] == [
        (3, "phone"),
        (4, "external_id"),
        (5, "external_id"),
    ]
    assert books.wallet(member_id(books, "u3")).balance == 0


def test_all_or_nothing_imports_nothing_when_a_member_is_refused_while_it_runs(books):
    checked = upload(books, FILE.replace("u2,Bob,not a phone", "u2,Bob,13900139000"))
    register(books, "u2")
    entries = books.count(Entry)

    done = run(books, checked.id, "all")

    assert (done.status, done.imported_members, done.imported_points) == ("done", 0, 0)
    assert [(p.line, str(p.message)) for p in member_imports.problems_of(done)] == [
        (3, "A member with this user id exists already.")
    ]
    assert external_ids(books) == ["u2"]
    assert books.count(Entry) == entries


def test_all_or_nothing_with_a_sound_file_imports_everyone(books):
    checked = upload(books, FILE.replace("u2,Bob,not a phone", "u2,Bob,13900139000"))

    done = run(books, checked.id, "all")

    assert (done.imported_members, done.imported_points, done.problem_count) == (3, 1700, 0)
    assert external_ids(books) == ["u1", "u2", "u3"]
    books.verify()


def test_all_or_nothing_is_refused_for_a_file_with_problems_and_nothing_runs(books):
    checked = upload(books, FILE)

    with pytest.raises(ValidationFailed) as refused:
        run(books, checked.id, "all")

    assert "mode" in refused.value.details
    assert reread(books, checked.id).status == "checked"
    assert external_ids(books) == []


def test_an_import_runs_once_and_a_discarded_one_forgets_its_file(books):
    first, second = upload(books, FILE), upload(books, FILE)
    run(books, first.id, "valid")

    with pytest.raises(member_imports.ImportNotWaiting):
        run(books, first.id, "valid")
    with books.svc.db.transaction(tenant_id=books.tenant_id) as session:
        member_imports.discard(session, second.id, actor=STAFF, clock=books.clock)
    with pytest.raises(member_imports.ImportNotWaiting):
        run(books, second.id, "valid")

    dropped = reread(books, second.id)
    assert (dropped.status, dropped.content_encrypted) == ("discarded", None)
    assert books.count(Member) == 2


def test_the_job_records_its_progress_batch_by_batch(books, monkeypatch):
    seen = []
    record = member_imports._Run._record

    def spy(self, session, **values):
        if "rows_done" in values:
            seen.append((values.get("phase"), values["rows_done"]))
        record(self, session, **values)

    monkeypatch.setattr(member_imports, "BATCH", 2)
    monkeypatch.setattr(member_imports._Run, "_record", spy)
    lines = "".join(f"u{n},,,,,,10,2025-06-01,\n" for n in range(5))
    checked = upload(books, HEADER + lines)

    run(books, checked.id, "valid")

    assert seen == [("saving", 0), (None, 2), (None, 4), (None, 5)]


def test_the_file_is_kept_sealed_until_it_runs(books):
    checked = upload(books, FILE)

    with books.svc.db.session(tenant_id=books.tenant_id) as session:
        stored = session.scalar(select(MemberImport.content_encrypted))
        count = session.scalar(select(func.count()).select_from(MemberImport))
    assert count == 1 and "13800138000" not in stored
    assert books.svc.keyring.decrypt(stored) == FILE
    assert checked.status == "checked"

"""The console's members area: staff find members, read a member's points and history,
adjust their points with a reason and freeze them; admins import members with their
opening balances from a file (checked first, run as a job, every refused line reported
by its number) and export them as CSV. In English and in Chinese."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import timedelta

import pytest
from conftest import sqlite_only
from mall.shop import ADDRESS, give, placed, product
from rules.api import call
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from console.console_pages import CHINESE, ENGLISH, form_fields, page, signed_in_as, text
from jifen.audit import AuditEvent
from jifen.console import members as members_pages
from jifen.console import members_export
from jifen.ledger.models import Entry, MemberImport
from jifen.members.models import Member

pytestmark = sqlite_only

HEADER = "external_id,name,phone,email,birthday,tags,points,earned_at,expires_at\n"
FILE = (
    HEADER
    + "u1,Ann,13800138000,,,,1200,2025-06-01,2026-12-31\n"
    + "u2,Bob,not a phone,,,,,,\n"
    + "u3,Cai,,,,,300,2025-06-01,\n"
    + "u3,,,,,,200,2025-07-01,2027-01-31\n"
    + "u4,<b>Dan</b>,,,,,12.5,2025-06-01,\n"
)


def register(client, tenant, external_id: str, **fields) -> str:
    body = {"external_id": external_id, **fields}
    return call(client, tenant, "POST", "/members", body, 201).json["id"]


def problem(html: str, field: str) -> str:
    found = re.search(rf'<span class="problem" id="{field}-problem">(.*?)</span>', html, re.S)
    assert found, f"no problem beside {field}"
    return text(found[1])


def balance(client, tenant, member_id: str) -> int:
    return call(client, tenant, "GET", f"/members/{member_id}/points", None, 200).json["balance"]


def adjust(client, member_id: str, headers=ENGLISH, **data):
    """Post the profile's adjust form (credit 100 for goodwill, unless `data` says else)."""
    form = {"direction": "credit", "amount": "100", "reason": "Goodwill"} | data
    url = f"/console/members/{member_id}"
    return post_to(client, url, f"{url}/adjust", form, headers)


def post_to(client, page_url: str, action: str, data: dict, headers=ENGLISH):
    """Post a form of the page at `page_url` to `action`, with the page's hidden fields
    (its CSRF token, the adjust form's key)."""
    hidden = form_fields(page(client, page_url, headers))
    return client.post(action, data=hidden | data, headers=headers)


def upload(client, content: bytes | str, headers=ENGLISH, name: str = "members.csv"):
    """Upload a file to the import form, as a browser would."""
    content = content.encode() if isinstance(content, str) else content
    hidden = form_fields(page(client, "/console/members/import", headers))
    # Encoded here, in memory: the test client spools a large body to a temporary file
    # it leaves open when the app refuses the body unread.
    file = FileStorage(io.BytesIO(content), filename=name, content_type="text/csv")
    boundary, body = encode_multipart(hidden | {"file": file})
    return client.post(
        "/console/members/import",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
        headers=headers,
    )


def import_id_of(response) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return response.headers["Location"].rsplit("/", 1)[1]


# --- finding members -----------------------------------------------------------------


def test_staff_find_members_by_user_id_phone_email_name_tag_tier_and_status(client, svc, tenant):
    basic = {
        "code": "basic",
        "name": "Basic",
        "rank": 1,
        "basis": "lifetime_points",
        "threshold": 0,
    }
    gold = {"code": "gold", "name": "Gold", "rank": 2, "basis": "lifetime_points", "threshold": 9}
    call(client, tenant, "PUT", "/tiers", {"tiers": [basic, gold]}, 200)
    ann = register(
        client,
        tenant,
        "u1",
        name="Ann Lee",
        phone="13800138000",
        email="ann@example.com",
        tags=["vip"],
    )
    bob = register(client, tenant, "u2", name="Bob")
    call(client, tenant, "PATCH", f"/members/{bob}", {"status": "frozen"}, 200)
    signed_in_as(client, svc, tenant, "viewer")

    def found(query: str) -> list[str]:
        html = page(client, f"/console/members?{query}")
        return re.findall(r'href="/console/members/([0-9a-f-]{36})"', html)

    assert found("") == [bob, ann]  # newest first
    assert found("by=external_id&q=u1") == [ann]
    assert found("by=phone&q=138+0013+8000") == [ann]
    assert found("by=email&q=ANN%40example.com") == [ann]
    assert found("by=name&q=lee") == [ann]
    assert found("tag=vip") == [ann]
    assert found("tier=basic") == [bob, ann]
    assert found("tier=gold") == []
    assert found("status=frozen") == [bob]
    listed = text(page(client, "/console/members?status=frozen"))
    assert "Bob" in listed and "Frozen" in listed and "Basic" in listed


def test_the_members_page_speaks_chinese(client, svc, tenant):
    register(client, tenant, "u1", name="张三")
    signed_in_as(client, svc, tenant, "viewer", CHINESE)

    html = page(client, "/console/members", CHINESE)

    assert '<html lang="zh-CN">' in html
    assert "张三" in text(html) and "查找" in text(html)
    assert "会员" in text(html) and "用户 ID" in text(html)


def test_a_search_that_cannot_be_run_says_why_beside_its_field(client, svc, tenant):
    signed_in_as(client, svc, tenant, "viewer")

    for query, field, says in (
        ("by=phone&q=call+me", "q", "Not a phone number."),
        ("by=email&q=nobody", "q", "Not an email address."),
        ("by=somewhere&q=u1", "by", "Must be one of"),
        ("tier=platinum", "tier", "Choose one."),
        ("status=sleeping", "status", "Must be one of"),
        ("cursor=not-a-cursor", "q", "The cursor is not one this API returned."),
    ):
        response = client.get(f"/console/members?{query}")
        assert response.status_code == 422, query
        assert says in problem(response.get_data(as_text=True), field), query


def test_members_come_a_page_at_a_time(client, svc, tenant, monkeypatch):
    monkeypatch.setattr(members_pages, "PAGE", 2)
    ids = [register(client, tenant, f"u{n}") for n in range(5)]
    signed_in_as(client, svc, tenant, "viewer")

    seen, url = [], "/console/members?tag="
    while url:
        html = page(client, url)
        seen += re.findall(r'href="/console/members/([0-9a-f-]{36})"', html)
        more = re.search(r'<a class="button secondary" href="([^"]+)" rel="next">', html)
        url = more[1].replace("&amp;", "&") if more else None

    assert seen == ids[::-1]


# --- a member ------------------------------------------------------------------------


def test_a_profile_shows_points_what_expires_the_history_with_reasons_and_orders(
    client, svc, tenant, clock
):
    alice = register(client, tenant, "u1", name="Alice", phone="13800138000")
    give(client, tenant, alice, 300, expires_at=(clock.now() + timedelta(days=2)).isoformat())
    give(client, tenant, alice, 500)
    tote = product(client, tenant, name="Tote bag", points_price=200)
    placed(client, tenant, alice, tote["id"], address=ADDRESS)
    clock.advance(days=3)  # what the order left of the 300 expires
    signed_in_as(client, svc, tenant, "operator")
    taken = adjust(client, alice, direction="debit", amount="50", reason="Damaged card")
    assert taken.status_code == 303

    html = page(client, f"/console/members/{alice}")

    shown = text(html)
    assert "Alice" in shown and "13800138000" in shown
    assert re.search(r"Available now\s*</dt><dd>450<", html)
    history = text(re.search(r'data-testid="history">(.*?)</table>', html, re.S)[1])
    assert "Adjusted · Damaged card -50 450" in history
    assert "Expired · points expired -100 500" in history
    orders = text(re.search(r'data-testid="orders">(.*?)</table>', html, re.S)[1])
    assert "Tote bag 200" in orders

    chinese = text(page(client, f"/console/members/{alice}", CHINESE))
    assert "过期 · 积分过期" in chinese  # the platform's reason, in the reader's language
    assert "调整 · Damaged card" in chinese  # staff's, as they wrote it


def test_points_soon_to_expire_are_listed_by_their_last_day(client, svc, tenant, clock):
    alice = register(client, tenant, "u1")
    give(client, tenant, alice, 120, expires_at="2026-04-01T00:00:00+08:00")
    signed_in_as(client, svc, tenant, "viewer")

    shown = text(page(client, f"/console/members/{alice}"))

    assert "120 points can be used until Mar 31, 2026" in shown


def test_staff_add_and_take_away_points_with_a_reason_kept_and_audited(client, svc, tenant):
    alice = register(client, tenant, "u1")
    signed_in_as(client, svc, tenant, "operator")

    added = adjust(client, alice, amount="250", reason="Lost receipt")
    assert added.status_code == 303
    assert "Added 250 points." in text(page(client, added.headers["Location"]))
    taken = adjust(client, alice, direction="debit", amount="50", reason="Duplicate order")
    assert taken.status_code == 303

    assert balance(client, tenant, alice) == 200
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        entries = session.execute(select(Entry.kind, Entry.memo).order_by(Entry.id)).all()
        audited = session.execute(
            select(AuditEvent.actor_kind, AuditEvent.after)
            .where(AuditEvent.action == "points.adjust")
            .order_by(AuditEvent.id)
        ).all()
    assert entries == [("adjust", "Lost receipt"), ("adjust", "Duplicate order")]
    assert [(kind, after["amount"], after["reason"]) for kind, after in audited] == [
        ("user", 250, "Lost receipt"),
        ("user", -50, "Duplicate order"),
    ]


def test_a_debit_beyond_the_balance_is_refused_clearly_and_changes_nothing(client, svc, tenant):
    alice = register(client, tenant, "u1")
    give(client, tenant, alice, 100)
    signed_in_as(client, svc, tenant, "operator")

    refused = adjust(client, alice, direction="debit", amount="150")

    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert problem(html, "amount") == ("Only 100 points are available: no more can be taken away.")
    assert 'value="150"' in html and 'value="debit" checked' in html
    assert balance(client, tenant, alice) == 100

    chinese = adjust(client, alice, CHINESE, direction="debit", amount="150")
    assert "100" in problem(chinese.get_data(as_text=True), "amount")


@pytest.mark.parametrize(
    ("data", "field", "says"),
    [
        ({"amount": "12.5"}, "amount", "A whole number of points from 1 to 100,000,000."),
        ({"amount": "٣"}, "amount", "A whole number of points"),
        ({"amount": "0"}, "amount", "A whole number of points"),
        ({"amount": "1000000000"}, "amount", "A whole number of points"),
        ({"reason": ""}, "reason", "A reason is required."),
        ({"reason": "x" * 201}, "reason", "At most 200 characters."),
        ({"reason": "tab\x00nul"}, "reason", "Contains a character that is not allowed."),
        ({"direction": "sideways"}, "direction", "Choose one."),
    ],
)
def test_an_adjustment_that_is_not_one_says_why_beside_its_field(
    client, svc, tenant, data, field, says
):
    alice = register(client, tenant, "u1")
    signed_in_as(client, svc, tenant, "operator")

    refused = adjust(client, alice, **data)

    assert refused.status_code == 422
    assert says in problem(refused.get_data(as_text=True), field)
    assert balance(client, tenant, alice) == 0


def test_what_staff_type_is_shown_escaped(client, svc, tenant):
    alice = register(client, tenant, "u1", name="<script>alert(1)</script>")
    signed_in_as(client, svc, tenant, "operator")
    refused = adjust(client, alice, amount="x", reason="<img src=x onerror=alert(1)>")

    html = refused.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'value="&lt;img src=x onerror=alert(1)&gt;"' in html


def test_an_adjustment_sent_twice_acts_once(client, svc, tenant):
    alice = register(client, tenant, "u1")
    signed_in_as(client, svc, tenant, "operator")
    form = form_fields(page(client, f"/console/members/{alice}"))
    body = form | {"direction": "credit", "amount": "70", "reason": "Goodwill"}

    first = client.post(f"/console/members/{alice}/adjust", data=body)
    again = client.post(f"/console/members/{alice}/adjust", data=body)

    assert (first.status_code, again.status_code) == (303, 303)
    assert balance(client, tenant, alice) == 70
    without_key = client.post(f"/console/members/{alice}/adjust", data=body | {"key": "made-up"})
    assert without_key.status_code == 400


def test_staff_freeze_a_member_whose_points_then_cannot_move_and_unfreeze_them(client, svc, tenant):
    alice = register(client, tenant, "u1")
    signed_in_as(client, svc, tenant, "operator")
    url = f"/console/members/{alice}"

    frozen = post_to(client, url, f"{url}/status", {"status": "frozen"})
    assert frozen.status_code == 303
    assert "Frozen: their points cannot move" in text(page(client, url))
    earn = {"member_id": alice, "amount": 10}
    call(client, tenant, "POST", "/points/earn", earn, 409)

    assert post_to(client, url, f"{url}/status", {"status": "active"}).status_code == 303
    call(client, tenant, "POST", "/points/earn", earn, 201)
    refused = post_to(client, url, f"{url}/status", {"status": "erased"})
    assert refused.status_code == 422 and problem(refused.get_data(as_text=True), "status")
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        actions = list(
            session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.action == "member.update")
                .order_by(AuditEvent.id)
            )
        )
    assert actions == ["member.update", "member.update"]


def test_a_viewer_reads_a_member_but_the_server_refuses_them_any_change(client, svc, tenant):
    alice = register(client, tenant, "u1")
    signed_in_as(client, svc, tenant, "viewer")
    url = f"/console/members/{alice}"

    html = page(client, url)

    assert "Adjust points" not in html and "Freeze this member" not in html
    token = form_fields(page(client, "/console/members"))["csrf_token"]
    for action, data in (
        (f"{url}/adjust", {"amount": "5"}),
        (f"{url}/status", {"status": "frozen"}),
    ):
        assert client.post(action, data={"csrf_token": token, **data}).status_code == 403
    assert client.get("/console/members/export.csv").status_code == 403
    assert client.get("/console/members/import").status_code == 403


def test_another_merchants_member_is_not_found(client, svc, tenant, make_tenant):
    other = make_tenant("other")
    theirs = register(client, other, "u1")
    signed_in_as(client, svc, tenant, "owner")
    token = form_fields(page(client, "/console/members"))["csrf_token"]

    assert client.get(f"/console/members/{theirs}").status_code == 404
    assert client.get(f"/console/members/{uuid.uuid4()}").status_code == 404
    for action in ("adjust", "status"):
        answer = client.post(f"/console/members/{theirs}/{action}", data={"csrf_token": token})
        assert answer.status_code == 404
    assert balance(client, other, theirs) == 0


# --- exporting -----------------------------------------------------------------------


def test_the_export_streams_the_members_found_with_their_points(client, svc, tenant, monkeypatch):
    monkeypatch.setattr(members_export, "PAGE", 2)
    for n in range(4):
        register(client, tenant, f"u{n}", tags=["vip"] if n % 2 else [])
    formula = register(client, tenant, "u9", name='=HYPERLINK("x")', phone="+8613800138000")
    give(client, tenant, formula, 40)
    signed_in_as(client, svc, tenant, "admin")

    response = client.get("/console/members/export.csv")

    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "text/csv"
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeffexternal_id,name,phone")
    rows = list(csv.DictReader(io.StringIO(body.removeprefix("\ufeff"))))
    assert [row["external_id"] for row in rows] == ["u9", "u3", "u2", "u1", "u0"]
    assert rows[0]["name"] == '\'=HYPERLINK("x")'  # text, not a formula
    assert (rows[0]["phone"], rows[0]["balance"]) == ("+8613800138000", "40")
    vip = client.get("/console/members/export.csv?tag=vip").get_data(as_text=True)
    assert [row["external_id"] for row in csv.DictReader(io.StringIO(vip[1:]))] == ["u3", "u1"]
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        exports = list(
            session.scalars(select(AuditEvent.after).where(AuditEvent.action == "members.export"))
        )
    assert exports == [{}, {"tag": "vip"}]


def test_an_export_with_filters_that_are_not_ones_shows_the_page_saying_why(client, svc, tenant):
    signed_in_as(client, svc, tenant, "admin")

    refused = client.get("/console/members/export.csv?by=phone&q=nope")

    assert refused.status_code == 422
    assert problem(refused.get_data(as_text=True), "q") == "Not a phone number."


# --- importing -----------------------------------------------------------------------


def test_an_import_reports_its_bad_lines_by_number_and_imports_the_sound_ones(client, svc, tenant):
    signed_in_as(client, svc, tenant, "admin")

    checked = upload(client, FILE)
    url = f"/console/members/import/{import_id_of(checked)}"
    html = page(client, url)
    problems = text(re.search(r'data-testid="problems">(.*?)</table>', html, re.S)[1])
    assert "3 phone Not a phone number." in problems
    assert "6 points Points are a whole number, such as 1200." in problems
    assert "&lt;b&gt;Dan&lt;/b&gt;" not in html or "<b>Dan</b>" not in html
    assert 'value="all" disabled' in html
    assert external_ids(svc, tenant) == []  # nothing until the merchant chooses

    run = post_to(client, url, f"{url}/run", {"mode": "valid"})
    assert run.status_code == 303
    svc.jobs.wait_idle()

    done = text(page(client, url))
    assert "Imported 2 members with 1,700 points." in done
    assert "Lines not imported" in done and "3 phone Not a phone number." in done
    assert external_ids(svc, tenant) == ["u1", "u3"]
    listed = text(page(client, "/console/members/import"))
    assert "members.csv" in listed and "Done" in listed


def test_an_import_in_chinese_names_its_bad_lines_in_chinese(client, svc, tenant):
    signed_in_as(client, svc, tenant, "admin", CHINESE)

    url = f"/console/members/import/{import_id_of(upload(client, FILE, CHINESE))}"

    shown = text(page(client, url, CHINESE))
    assert "3 phone 不是有效的手机号码。" in shown
    assert "有问题的行" in shown


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"", "The file is empty."),
        (b"PK\x03\x04workbook", "This is a spreadsheet workbook, not CSV"),
        (b"external_id,nickname\nu1,A\n", "Unknown column \u201cnickname\u201d"),
        (b"external_id\n" + b"x" * 1_000_000, "The file is larger than 1 MB"),
        (b"external_id\n" + b"u\n" * 10_001, "more than 10,000 members' lines"),
        (b'external_id,name\nu1,"never closed\n', "Line 2 cannot be read as CSV"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_beside_the_field_and_nothing_is_kept(
    client, svc, tenant, content, says
):
    signed_in_as(client, svc, tenant, "admin")

    refused = upload(client, content)

    assert refused.status_code == 422
    assert says in problem(refused.get_data(as_text=True), "file")
    assert imports_of(svc, tenant) == 0


def test_an_upload_without_a_file_asks_for_one(client, svc, tenant):
    signed_in_as(client, svc, tenant, "admin")

    refused = post_to(client, "/console/members/import", "/console/members/import", {})

    assert refused.status_code == 422
    assert problem(refused.get_data(as_text=True), "file") == "Choose a CSV file."


def test_a_body_larger_than_the_console_takes_is_refused_saying_the_limit(client, svc, tenant):
    signed_in_as(client, svc, tenant, "admin")

    refused = upload(client, b"external_id\n" + b"x" * 1_100_000)

    assert refused.status_code == 413
    assert "The file is larger than 1 MB, the most the console takes." in text(
        refused.get_data(as_text=True)
    )


def test_all_or_nothing_is_refused_beside_the_choice_while_lines_have_problems(client, svc, tenant):
    signed_in_as(client, svc, tenant, "admin")
    url = f"/console/members/import/{import_id_of(upload(client, FILE))}"

    refused = post_to(client, url, f"{url}/run", {"mode": "all"})

    assert refused.status_code == 422
    assert "all or nothing would import nothing" in problem(refused.get_data(as_text=True), "mode")
    assert external_ids(svc, tenant) == []


def test_all_or_nothing_imports_every_member_of_a_sound_file(client, svc, tenant):
    signed_in_as(client, svc, tenant, "admin")
    sound = HEADER + "u1,Ann,,,,,100,2025-06-01,\nu2,Bob,,,,,,,\n"
    url = f"/console/members/import/{import_id_of(upload(client, sound))}"

    assert post_to(client, url, f"{url}/run", {"mode": "all"}).status_code == 303
    svc.jobs.wait_idle()

    assert "Imported 2 members with 100 points." in text(page(client, url))
    assert external_ids(svc, tenant) == ["u1", "u2"]


def test_a_second_click_on_run_lands_on_the_running_import(client, svc, tenant):
    signed_in_as(client, svc, tenant, "admin")
    url = f"/console/members/import/{import_id_of(upload(client, FILE))}"
    token = form_fields(page(client, url))["csrf_token"]

    client.post(f"{url}/run", data={"csrf_token": token, "mode": "valid"})
    again = client.post(f"{url}/run", data={"csrf_token": token, "mode": "valid"})
    svc.jobs.wait_idle()

    assert again.status_code == 303
    assert "This import has started already" in text(page(client, url))
    assert external_ids(svc, tenant) == ["u1", "u3"]


def test_a_discarded_import_imports_nothing_and_forgets_its_file(client, svc, tenant):
    signed_in_as(client, svc, tenant, "admin")
    url = f"/console/members/import/{import_id_of(upload(client, FILE))}"

    discarded = post_to(client, url, f"{url}/discard", {})

    assert discarded.status_code == 303
    assert "Import discarded" in text(page(client, discarded.headers["Location"]))
    assert "This import was discarded" in text(page(client, url))
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        assert session.scalar(select(MemberImport.content_encrypted)) is None


def test_the_progress_keeps_polling_while_the_job_runs_and_stops_when_it_is_done(
    client, svc, tenant
):
    signed_in_as(client, svc, tenant, "admin")
    import_id = import_id_of(upload(client, FILE))
    progress = f"/console/members/import/{import_id}/progress"

    def moved(**values) -> str:
        with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
            row = session.get(MemberImport, (tenant.tenant_id, uuid.UUID(import_id)))
            for name, value in values.items():
                setattr(row, name, value)
        return page(client, progress)

    running = moved(status="running", mode="valid", phase="saving", rows_done=1, rows_total=3)
    assert 'hx-trigger="every 1s"' in running
    assert '<progress class="import-progress" value="1" max="3"' in running
    assert "Imported 1 of 3 lines" in text(running)
    later = moved(rows_done=2)
    assert 'value="2" max="3"' in later
    saving = moved(mode="all", phase="saving")
    assert "Saving all 3 lines together" in text(saving) and 'hx-trigger="every 1s"' in saving
    done = moved(status="done", phase=None, imported_members=2, imported_points=1700)
    assert "hx-trigger" not in done
    assert "Imported 2 members with 1,700 points." in text(done)


def test_the_sample_file_is_one_the_import_reads(client, svc, tenant):
    signed_in_as(client, svc, tenant, "admin")
    sample = client.get("/console/members/import/sample.csv")
    assert sample.status_code == 200 and sample.mimetype == "text/csv"

    url = f"/console/members/import/{import_id_of(upload(client, sample.data))}"

    assert "Problems" in text(page(client, url))
    assert re.search(r"Problems\s*</dt><dd>0<", page(client, url))


def test_another_merchants_import_is_not_found(app, client, svc, tenant, make_tenant):
    other = make_tenant("other")
    signed_in_as(client, svc, other, "owner")
    theirs = import_id_of(upload(client, FILE))
    mine = app.test_client()
    signed_in_as(mine, svc, tenant, "owner")
    token = form_fields(page(mine, "/console/members"))["csrf_token"]

    for url in (f"/console/members/import/{theirs}", f"/console/members/import/{theirs}/progress"):
        assert mine.get(url).status_code == 404
    for action in ("run", "discard"):
        answer = mine.post(
            f"/console/members/import/{theirs}/{action}",
            data={"csrf_token": token, "mode": "valid"},
        )
        assert answer.status_code == 404
    assert external_ids(svc, other) == []


# --- bad input -----------------------------------------------------------------------


WEIRD = ["", " ", "\x00", "x" * 5000, "١٢٣", "-1", "1e3", "<b>", "%s%n", "' OR 1=1 --"]


def test_nothing_posted_to_the_members_area_makes_a_server_error(client, svc, tenant):
    alice = register(client, tenant, "u1")
    signed_in_as(client, svc, tenant, "owner")
    import_id = import_id_of(upload(client, FILE))
    token = form_fields(page(client, "/console/members"))["csrf_token"]
    key = form_fields(page(client, f"/console/members/{alice}"))["key"]
    adjusting = {"csrf_token": token, "key": key, "direction": "debit", "amount": "1"}
    member, run = f"/console/members/{alice}", f"/console/members/import/{import_id}/run"
    answers = set()
    for weird in WEIRD:
        for name in ("q", "by", "tag", "tier", "status", "cursor"):
            for url in ("/console/members", "/console/members/export.csv"):
                answers.add(client.get(url, query_string={name: weird}).status_code)
        answers.add(client.get(member, query_string={"cursor": weird}).status_code)
        for name in ("direction", "amount", "reason", "key"):
            data = adjusting | {"reason": "r", name: weird}
            answers.add(client.post(f"{member}/adjust", data=data).status_code)
        status = {"csrf_token": token, "status": weird}
        answers.add(client.post(f"{member}/status", data=status).status_code)
        answers.add(client.post(run, data={"csrf_token": token, "mode": weird}).status_code)
        weird_file = f"external_id,name\n{weird},{weird}\n"
        answers.add(upload(client, weird_file, name=weird or "x").status_code)
    # Bytes that are not UTF-8, as a client may send them.
    answers.add(client.get("/console/members?by=name&q=%FF%FE").status_code)
    form = f"csrf_token={token}&key={key}&direction=credit&amount=1&reason=%FF".encode()
    urlencoded = "application/x-www-form-urlencoded"
    answers.add(client.post(f"{member}/adjust", data=form, content_type=urlencoded).status_code)
    answers.add(upload(client, b"external_id,name\nu\xff,\xfe\xff\n").status_code)
    assert all(status < 500 for status in answers), answers


def external_ids(svc, tenant) -> list[str]:
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        return sorted(session.scalars(select(Member.external_id)))


def imports_of(svc, tenant) -> int:
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        return len(list(session.scalars(select(MemberImport.id))))

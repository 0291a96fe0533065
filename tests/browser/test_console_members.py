"""The console's members area in Chromium, on a laptop and on a phone, in Chinese and in
English: an admin signs in, finds members, imports a file with bad lines (the check
names them by line, the job's progress is shown until its report), and opens a
member's profile to adjust their points. Each page fits the phone's width, axe-core
finds nothing serious or critical on it, and each is saved as a screenshot."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from conftest import sqlite_only
from console.console_pages import staff_member
from mall.shop import give
from playwright.sync_api import Page, expect
from rules.api import call

from jifen.audit import SYSTEM
from jifen.ledger import member_imports
from jifen.ledger.models import MemberImport
from jifen.testing.browser import accessibility_violations, overflow

pytestmark = sqlite_only

WORDS = {
    "zh-CN": {
        "email": "邮箱",
        "password": "密码",
        "sign_in": "登录",
        "members": "会员",
        "import": "从文件导入",
        "file": "CSV 文件",
        "check": "上传并检查",
        "problems": "有问题的行",
        "sound": "只导入无误的行",
        "run": "导入",
        "imported": "已导入 2 位会员，共 1,700 积分。",
        "not_imported": "未导入的行",
        "phone_problem": "不是有效的手机号码。",
        "points_problem": "积分须为整数，例如 1200。",
        "see": "查看会员",
        "adjust": "调整积分",
        "take_away": "扣减积分",
        "amount": "积分",
        "reason": "原因",
        "refused": "该会员只有 1,200 可用积分，不能扣减更多。",
    },
    "en-US": {
        "email": "Email",
        "password": "Password",
        "sign_in": "Sign in",
        "members": "Members",
        "import": "Import from a file",
        "file": "CSV file",
        "check": "Upload and check",
        "problems": "Lines with problems",
        "sound": "The sound lines only",
        "run": "Import",
        "imported": "Imported 2 members with 1,700 points.",
        "not_imported": "Lines not imported",
        "phone_problem": "Not a phone number.",
        "points_problem": "Points are a whole number, such as 1200.",
        "see": "See your members",
        "adjust": "Adjust points",
        "take_away": "Take points away",
        "amount": "Points",
        "reason": "Reason",
        "refused": "Only 1,200 points are available: no more can be taken away.",
    },
}
FILE = (
    "external_id,name,phone,email,birthday,tags,points,earned_at,expires_at\n"
    "wx-1001,李雷,13800138000,lilei@example.com,1990-05-01,vip,1200,2025-06-01,2026-12-31\n"
    "wx-1002,韩梅梅,not a phone,,,,,,\n"
    "wx-1003,Lucy,,,,,300,2025-06-01,\n"
    "wx-1003,,,,,,200,2025-07-01,2027-01-31\n"
    "wx-1004,<b>Lily</b>,,,,,12.5,2025-06-01,\n"
)


def looks_right(page: Page, *, phone: bool = False) -> None:
    assert accessibility_violations(page) == []
    if phone:
        assert overflow(page) == 0


def sign_in(page: Page, live_server: str, svc, tenant, words: dict[str, str]) -> None:
    admin = staff_member(svc, tenant, "admin")
    page.goto(f"{live_server}/console/login")
    page.get_by_label(words["email"]).fill(admin.email)
    page.get_by_label(words["password"]).fill(admin.password)
    page.get_by_role("button", name=words["sign_in"]).click()
    page.wait_for_load_state()


@pytest.fixture
def world(svc, client, make_tenant, live_server, language, screenshot, tmp_path):
    """What a walk through the members area uses."""
    return SimpleNamespace(
        svc=svc,
        client=client,
        make_tenant=make_tenant,
        live_server=live_server,
        language=language,
        screenshot=screenshot,
        tmp_path=tmp_path,
    )


def walk_through(page: Page, world: SimpleNamespace, *, phone: bool) -> None:
    svc, client, screenshot = world.svc, world.client, world.screenshot
    words = WORDS[world.language]
    device = "phone" if phone else "desk"
    shop = world.make_tenant(f"console-{device}-{world.language.lower()}")
    for n, name in enumerate(("王芳", "Zhang Wei", "陈静")):
        member = call(client, shop, "POST", "/members", {"external_id": f"u{n}", "name": name}, 201)
        give(client, shop, member.json["id"], 100 * (n + 1))
    sign_in(page, world.live_server, svc, shop, words)

    page.get_by_role("link", name=words["members"], exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(words["members"])
    expect(page.get_by_test_id("members")).to_contain_text("王芳")
    screenshot(page, f"console-members-{device}")
    looks_right(page, phone=phone)

    page.get_by_role("link", name=words["import"]).click()
    screenshot(page, f"console-members-import-{device}")
    looks_right(page, phone=phone)
    upload = world.tmp_path / "members.csv"
    upload.write_text(FILE, encoding="utf-8")
    page.get_by_label(words["file"]).set_input_files(upload)
    page.get_by_role("button", name=words["check"]).click()

    expect(page.get_by_role("heading", name=words["problems"])).to_be_visible()
    problems = page.get_by_test_id("problems")
    expect(problems.locator("tr", has_text=words["phone_problem"])).to_contain_text("3")
    expect(problems.locator("tr", has_text=words["points_problem"])).to_contain_text("6")
    expect(page.get_by_text("<b>Lily</b>", exact=False)).to_have_count(0)
    screenshot(page, f"console-members-import-check-{device}")
    looks_right(page, phone=phone)

    page.get_by_label(words["sound"]).check()
    page.get_by_role("button", name=words["run"], exact=True).click()
    # The page polls the job's progress until its report comes.
    expect(page.get_by_test_id("import-result")).to_contain_text(words["imported"], timeout=20_000)
    expect(page.get_by_role("heading", name=words["not_imported"])).to_be_visible()
    lines = page.get_by_test_id("problems").locator("tbody tr td:first-child").all_inner_texts()
    assert lines == ["3", "6"]
    screenshot(page, f"console-members-import-report-{device}")
    looks_right(page, phone=phone)

    page.get_by_role("link", name=words["see"]).click()
    page.get_by_role("link", name="wx-1001").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("李雷")
    expect(page.get_by_test_id("points")).to_contain_text("1,200")
    page.get_by_label(words["take_away"]).check()
    page.get_by_role("textbox", name=words["amount"], exact=True).fill("5000")
    page.get_by_label(words["reason"]).fill("测试")
    page.get_by_role("button", name=words["adjust"]).click()
    expect(page.locator("#amount-problem")).to_have_text(words["refused"])
    screenshot(page, f"console-member-{device}")
    looks_right(page, phone=phone)


def test_the_progress_bar_moves_while_an_import_runs_until_its_report(
    svc, make_tenant, live_server, desk, language, screenshot
):
    """The job's progress as the page polls it: the import is moved along here, in the
    database, as the job would move it."""
    shop = make_tenant(f"console-progress-{language.lower()}")
    with svc.db.transaction(tenant_id=shop.tenant_id) as session:
        row = member_imports.check_upload(
            session,
            filename="members.csv",
            content=FILE.encode(),
            actor=SYSTEM,
            clock=svc.clock,
            keyring=svc.keyring,
        )
        import_id = row.id

    def moved(**values) -> None:
        with svc.db.transaction(tenant_id=shop.tenant_id) as session:
            found = session.get(MemberImport, (shop.tenant_id, import_id))
            for name, value in values.items():
                setattr(found, name, value)

    moved(status="running", mode="valid", phase="saving", rows_done=1200, rows_total=4000)
    sign_in(desk, live_server, svc, shop, WORDS[language])
    desk.goto(f"{live_server}/console/members/import/{import_id}")
    bar = desk.locator("progress.import-progress")
    expect(bar).to_have_attribute("value", "1200")
    screenshot(desk, "console-members-import-progress-desk")
    looks_right(desk)

    moved(rows_done=2800)
    expect(bar).to_have_attribute("value", "2800", timeout=5_000)
    moved(status="done", phase=None, imported_members=2, imported_points=1700)
    expect(desk.get_by_test_id("import-result")).to_contain_text(WORDS[language]["imported"])
    expect(desk.locator("[hx-trigger]")).to_have_count(0)  # no more polling


def test_an_admin_imports_members_with_bad_lines_on_a_laptop(desk, world):
    walk_through(desk, world, phone=False)


def test_an_admin_imports_members_with_bad_lines_on_a_phone(phone, world):
    walk_through(phone, world, phone=True)

"""A console user's sign-in security: two-factor sign-in set up from a QR code drawn
here, asked for after the password (throttled, for a few minutes), recovery codes good
once, turned off with a code or the password; and a tenant that requires it of its
staff."""

from __future__ import annotations

import re

import pyotp
from conftest import sqlite_only

from console.console_pages import (
    CHINESE,
    ENGLISH,
    PASSWORD,
    emailed_code,
    form_fields,
    page,
    post,
    signed_in_as,
    staff_member,
    text,
)
from jifen.tenants import throttle
from jifen.tenants.models import Tenant, User

pytestmark = sqlite_only


def submit(client, form_page: str, action: str, data: dict, headers=ENGLISH):
    """Post a form shown on `form_page` to `action`, with the page's CSRF token."""
    token = form_fields(page(client, form_page, headers))["csrf_token"]
    return client.post(action, data={"csrf_token": token} | data, headers=headers)


def enrol(client, clock) -> tuple[pyotp.TOTP, list[str]]:
    """Set up two-factor sign-in in `client`: the app, and the recovery codes shown."""
    started = submit(client, "/console/security", "/console/security/start", {})
    assert started.status_code == 303
    shown = page(client, "/console/security/enrol")
    secret = re.search(r'data-testid="totp-secret">([^<]+)<', shown)[1].replace(" ", "")
    app = pyotp.TOTP(secret)
    done = post(client, "/console/security/enrol", {"code": app.at(clock.now())})
    assert done.status_code == 200, done.get_data(as_text=True)[:2000]
    codes = re.findall(r'<li class="secret">([a-z0-9-]+)</li>', done.get_data(as_text=True))
    clock.advance(seconds=30)  # the next code is a new one
    return app, codes


def password_step(client, email: str, password: str = PASSWORD):
    return post(client, "/console/login", {"email": email, "password": password})


def sign_out(client) -> None:
    assert submit(client, "/console/security", "/console/logout", {}).status_code == 302


def test_the_security_page_offers_two_factor_in_both_languages(client, svc, tenant):
    signed_in_as(client, svc, tenant, "viewer")
    english = text(page(client, "/console/security", ENGLISH))
    assert "Off." in english and "Set up two-factor sign-in" in english
    chinese = page(client, "/console/security", CHINESE)
    assert 'lang="zh-CN"' in chinese and "首页" in text(chinese)


def test_setting_it_up_takes_a_code_of_the_app_and_shows_recovery_codes_once(
    client, svc, clock, tenant
):
    signed_in_as(client, svc, tenant, "operator")
    # Nothing to confirm before it is started.
    assert client.get("/console/security/enrol").status_code == 303
    submit(client, "/console/security", "/console/security/start", {})
    shown = page(client, "/console/security/enrol", CHINESE)
    assert 'src="data:image/svg+xml' in shown and 'lang="zh-CN"' in shown
    wrong = post(client, "/console/security/enrol", {"code": "000000"})
    assert wrong.status_code == 422 and 'id="code-problem"' in wrong.get_data(as_text=True)
    app, codes = enrol(client, clock)
    assert len(codes) == 10
    later = text(page(client, "/console/security"))
    assert "On." in later and "Recovery codes left: 10" in later
    assert codes[0] not in later
    with svc.db.session() as session:
        user = session.query(User).filter_by(email="operator@acme.example").one()
        assert user.two_factor_since is not None and app.secret not in user.totp_secret_encrypted


def test_signing_in_asks_for_the_apps_code_after_the_password(app, client, svc, clock, tenant):
    staff = signed_in_as(client, svc, tenant, "owner")
    totp, _ = enrol(client, clock)
    sign_out(client)
    first = password_step(client, staff.email)
    assert first.status_code == 302 and first.headers["Location"].endswith("/console/login/code")
    # Not signed in yet.
    assert client.get("/console/team").status_code == 302
    asked = page(client, "/console/login/code", CHINESE)
    assert 'lang="zh-CN"' in asked
    wrong = post(client, "/console/login/code", {"code": "123456"})
    assert wrong.status_code == 422 and 'id="code-problem"' in wrong.get_data(as_text=True)
    right = post(client, "/console/login/code", {"code": totp.at(clock.now())})
    assert right.status_code == 302 and right.headers["Location"].endswith("/console/")
    assert client.get("/console/team").status_code == 200
    # The step is over: its page sends to sign in.
    assert client.get("/console/login/code").status_code == 303


def test_a_recovery_code_signs_in_once(client, svc, clock, tenant):
    staff = signed_in_as(client, svc, tenant, "admin")
    _, codes = enrol(client, clock)
    sign_out(client)
    password_step(client, staff.email)
    assert post(client, "/console/login/code", {"code": codes[0].upper()}).status_code == 302
    sign_out(client)
    password_step(client, staff.email)
    used = post(client, "/console/login/code", {"code": codes[0]})
    assert used.status_code == 422
    assert post(client, "/console/login/code", {"code": codes[1]}).status_code == 302
    assert "Recovery codes left: 8" in text(page(client, "/console/security"))


def test_codes_are_throttled_like_passwords(client, svc, clock, tenant):
    staff = signed_in_as(client, svc, tenant, "owner")
    totp, _ = enrol(client, clock)
    sign_out(client)
    password_step(client, staff.email)
    for _ in range(throttle.ACCOUNT_FAILURES):
        assert post(client, "/console/login/code", {"code": "000000"}).status_code == 422
    blocked = post(client, "/console/login/code", {"code": totp.at(clock.now())})
    assert blocked.status_code == 429 and blocked.headers["Retry-After"] == "900"
    assert client.get("/console/team").status_code == 302


def test_the_second_step_waits_five_minutes_at_most(client, svc, clock, tenant):
    staff = signed_in_as(client, svc, tenant, "owner")
    totp, _ = enrol(client, clock)
    sign_out(client)
    password_step(client, staff.email)
    clock.advance(minutes=6)
    late = submit(client, "/console/login", "/console/login/code", {"code": totp.at(clock.now())})
    assert late.status_code == 303 and late.headers["Location"].endswith("/console/login")
    assert "took too long" in text(page(client, "/console/login"))
    assert client.get("/console/team").status_code == 302


def test_a_password_reset_does_not_skip_the_second_step(app, client, svc, clock, tenant):
    staff = signed_in_as(client, svc, tenant, "owner")
    enrol(client, clock)
    stranger = app.test_client()
    asked = post(stranger, "/console/password/forgot", {"email": staff.email})
    reset = asked.headers["Location"]
    code = emailed_code(svc, staff.email)
    done = post(stranger, reset, {"code": code, "password": "a new password 42"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/console/login/code")
    assert stranger.get("/console/team").status_code == 302


def test_turning_it_off_takes_a_code_or_the_password(client, svc, clock, tenant):
    signed_in_as(client, svc, tenant, "owner")
    totp, _ = enrol(client, clock)
    neither = submit(client, "/console/security", "/console/security/disable", {})
    assert neither.status_code == 422 and 'id="code-problem"' in neither.get_data(as_text=True)
    wrong = submit(
        client, "/console/security", "/console/security/disable", {"password": "not it at all"}
    )
    assert wrong.status_code == 422 and "not your password" in text(wrong.get_data(as_text=True))
    off = submit(client, "/console/security", "/console/security/disable", {"password": PASSWORD})
    assert off.status_code == 303
    assert "Two-factor sign-in is off." in text(page(client, "/console/security"))
    totp, _ = enrol(client, clock)
    by_code = submit(
        client, "/console/security", "/console/security/disable", {"code": totp.at(clock.now())}
    )
    assert by_code.status_code == 303
    assert "Off." in text(page(client, "/console/security"))


def test_new_recovery_codes_take_a_code_and_end_the_old_ones(client, svc, clock, tenant):
    staff = signed_in_as(client, svc, tenant, "admin")
    totp, old = enrol(client, clock)
    action = "/console/security/recovery-codes"
    refused = submit(client, "/console/security", action, {"renew_code": "1"})
    assert refused.status_code == 422
    assert 'id="renew_code-problem"' in refused.get_data(as_text=True)
    renewed = submit(client, "/console/security", action, {"renew_code": totp.at(clock.now())})
    assert renewed.status_code == 200
    new = re.findall(r'<li class="secret">([a-z0-9-]+)</li>', renewed.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    sign_out(client)
    password_step(client, staff.email)
    assert post(client, "/console/login/code", {"code": old[0]}).status_code == 422
    assert post(client, "/console/login/code", {"code": new[0]}).status_code == 302


def test_a_tenant_may_require_it_of_all_its_staff(app, client, svc, clock, tenant):
    signed_in_as(client, svc, tenant, "owner")
    refused = submit(client, "/console/team", "/console/team/two-factor", {"required": "on"})
    assert refused.status_code == 422
    assert 'id="required-problem"' in refused.get_data(as_text=True)
    enrol(client, clock)
    made = submit(client, "/console/team", "/console/team/two-factor", {"required": "on"})
    assert made.status_code == 303
    colleague = app.test_client()
    signed_in_as(colleague, svc, tenant, "operator")
    sent = colleague.get("/console/team")
    assert sent.status_code == 302 and sent.headers["Location"].endswith("/console/security")
    told = text(page(colleague, "/console/security"))
    assert "Acme asks its staff to sign in with two factors" in told
    enrol(colleague, clock)
    assert colleague.get("/console/team").status_code == 200
    with svc.db.session() as session:
        assert session.query(Tenant).filter_by(slug="acme").one().two_factor_required


def test_nothing_posted_to_the_security_forms_makes_a_500(client, svc, clock, tenant):
    signed_in_as(client, svc, tenant, "owner")
    staff_member(svc, tenant, "viewer")
    odd = [
        "",
        "\x00",
        "9" * 5000,
        "\uff11\uff12\uff13\uff14\uff15\uff16",
        "<b>1</b>",
        "abcde-fghij",
        " 12 34 56 ",
    ]
    submit(client, "/console/security", "/console/security/start", {})
    for value in odd:
        answer = post(client, "/console/security/enrol", {"code": value})
        assert answer.status_code == 422, value
        assert "<b>1</b>" not in answer.get_data(as_text=True)
    enrol(client, clock)
    for value in odd:
        for action, data in (
            ("/console/security/disable", {"code": value, "password": value}),
            ("/console/security/recovery-codes", {"renew_code": value}),
        ):
            answer = submit(client, "/console/security", action, data)
            assert answer.status_code in (422, 429), (action, value)

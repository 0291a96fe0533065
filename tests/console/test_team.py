"""The console's team: staff and invitations listed, people invited by email who join
from the link (new to Jifen, or signed in as that email's user), roles changed and
staff removed by owners only, the last owner kept."""

from __future__ import annotations

import re

from conftest import sqlite_only

from console.console_pages import (
    CHINESE,
    ENGLISH,
    PASSWORD,
    form_fields,
    page,
    post,
    signed_in_as,
    staff_member,
    text,
)
from jifen.tenants.models import StaffInvitation, StaffMembership, User

pytestmark = sqlite_only


def submit(client, form_page: str, action: str, data: dict, headers=ENGLISH):
    """Post a form shown on `form_page` to `action`, with the page's CSRF token."""
    token = form_fields(page(client, form_page, headers))["csrf_token"]
    return client.post(action, data={"csrf_token": token} | data, headers=headers)


def invite(client, email: str, role: str = "operator", headers=ENGLISH):
    return submit(
        client, "/console/team", "/console/team/invite", {"email": email, "role": role}, headers
    )


def link_sent_to(svc, email: str) -> str:
    """The path of the newest invitation link emailed to `email`."""
    svc.jobs.wait_idle()
    svc.relay.drain()
    message = next(m for m in svc.notifiers.registry.get("log").recent if m.to == email)
    return re.search(r"https?://[^/]+(/console/join/\S+)", message.body)[1]


def user_of(svc, email: str) -> User | None:
    with svc.db.session() as session:
        return session.query(User).filter_by(email=email).one_or_none()


def role_in(svc, tenant, email: str) -> str | None:
    user = user_of(svc, email)
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        found = user and session.get(StaffMembership, (tenant.tenant_id, user.id))
        return found.role if found else None


def test_the_team_page_lists_staff_and_invitations_in_both_languages(client, svc, tenant):
    signed_in_as(client, svc, tenant, "owner")
    staff_member(svc, tenant, "viewer", "look@acme.example")
    assert invite(client, "new@acme.example", "admin").status_code == 303
    english = text(page(client, "/console/team", ENGLISH))
    assert "owner@acme.example" in english and "look@acme.example" in english
    assert "new@acme.example admin" in english
    assert "Send the invitation" in english
    chinese = page(client, "/console/team", CHINESE)
    assert 'lang="zh-CN"' in chinese
    assert "所有者" in text(chinese) and "只读" in text(chinese)


def test_someone_new_joins_from_the_emailed_link_and_is_signed_in(app, client, svc, tenant):
    signed_in_as(client, svc, tenant, "owner")
    answer = invite(client, "New@Acme.example", "admin")
    assert answer.status_code == 303
    assert "Invitation sent to new@acme.example." in text(page(client, "/console/team"))
    link = link_sent_to(svc, "new@acme.example")
    newcomer = app.test_client()
    shown = text(page(newcomer, link))
    assert "Join Acme" in shown and "as admin" in shown
    joined = post(newcomer, link, {"name": "Nina", "password": PASSWORD})
    assert joined.status_code == 302 and joined.headers["Location"].endswith("/console/")
    assert role_in(svc, tenant, "new@acme.example") == "admin"
    assert user_of(svc, "new@acme.example").email_verified_at is not None
    # Signed in, working in the tenant; the link opens nothing now.
    assert "Nina" in text(page(newcomer, "/console/team"))
    assert newcomer.get(link).status_code == 404


def test_the_user_of_that_email_signs_in_then_joins(app, client, svc, tenant, make_tenant):
    elsewhere = make_tenant("elsewhere")
    existing = staff_member(svc, elsewhere, "owner", "boss@elsewhere.example")
    signed_in_as(client, svc, tenant, "owner")
    invite(client, existing.email, "viewer")
    link = link_sent_to(svc, existing.email)
    them = app.test_client()
    asked = page(them, link)
    assert "has a Jifen account already" in text(asked)
    login = f"/console/login?next={link}"
    answer = post(them, login, {"email": existing.email, "password": existing.password})
    assert answer.status_code == 302 and answer.headers["Location"] == link
    joined = post(them, link, {})
    assert joined.status_code == 303
    assert role_in(svc, tenant, existing.email) == "viewer"
    assert role_in(svc, elsewhere, existing.email) == "owner"


def test_a_browser_signed_in_as_someone_else_is_told_whose_invitation_it_is(client, svc, tenant):
    signed_in_as(client, svc, tenant, "owner")
    invite(client, "someone@acme.example", "viewer")
    link = link_sent_to(svc, "someone@acme.example")
    shown = text(page(client, link))
    assert "This invitation is for someone@acme.example" in shown
    assert post(client, link, {}).status_code == 403
    assert role_in(svc, tenant, "someone@acme.example") is None


def test_a_dead_or_unknown_link_is_refused_alike(app, client, svc, clock, tenant):
    signed_in_as(client, svc, tenant, "owner")
    invite(client, "late@acme.example")
    late = link_sent_to(svc, "late@acme.example")
    stranger = app.test_client()
    clock.advance(days=8)
    answers = [
        stranger.get(late),
        stranger.get("/console/join/acme/made-up-token"),
        stranger.get("/console/join/nobody/made-up-token"),
        stranger.get("/console/join/%00/x"),
    ]
    assert [a.status_code for a in answers] == [404] * 4
    said = {text(a.get_data(as_text=True)) for a in answers}
    assert len(said) == 1 and "cannot be used" in said.pop()


def test_refused_invitations_are_shown_beside_their_fields_and_escaped(client, svc, tenant):
    signed_in_as(client, svc, tenant, "owner")
    bad = invite(client, "<b>bold</b>", "operator")
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert 'id="email-problem"' in html and "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "<b>bold" not in html
    assert 'id="role-problem"' in invite(client, "x@acme.example", "emperor").get_data(as_text=True)
    here = invite(client, "owner@acme.example", "viewer")
    assert here.status_code == 422 and "Already on the team." in text(here.get_data(as_text=True))
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        assert session.query(StaffInvitation).count() == 0


def test_a_newcomers_refused_password_is_shown_and_nothing_is_made(app, client, svc, tenant):
    signed_in_as(client, svc, tenant, "owner")
    invite(client, "new@acme.example")
    link = link_sent_to(svc, "new@acme.example")
    newcomer = app.test_client()
    refused = post(newcomer, link, {"name": "<i>Nina</i>", "password": "short"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'id="password-problem"' in html and "&lt;i&gt;Nina&lt;/i&gt;" in html
    assert user_of(svc, "new@acme.example") is None
    assert newcomer.get(link).status_code == 200


def test_owners_change_roles_and_remove_staff_but_keep_an_owner(client, svc, tenant):
    me = signed_in_as(client, svc, tenant, "owner")
    staff_member(svc, tenant, "operator", "op@acme.example")
    operator, owner = user_of(svc, "op@acme.example"), user_of(svc, me.email)
    promoted = submit(
        client, "/console/team", f"/console/team/{operator.id}/role", {"role": "admin"}
    )
    assert promoted.status_code == 303 and role_in(svc, tenant, "op@acme.example") == "admin"
    demoted = submit(client, "/console/team", f"/console/team/{owner.id}/role", {"role": "viewer"})
    assert demoted.status_code == 422
    html = demoted.get_data(as_text=True)
    assert f'id="role-{owner.id}-problem"' in html and "at least one owner" in text(html)
    kept = submit(client, "/console/team", f"/console/team/{owner.id}/remove", {})
    assert kept.status_code == 422 and role_in(svc, tenant, me.email) == "owner"
    nonsense = submit(client, "/console/team", f"/console/team/{operator.id}/role", {"role": "x"})
    assert nonsense.status_code == 422
    removed = submit(client, "/console/team", f"/console/team/{operator.id}/remove", {})
    assert removed.status_code == 303 and role_in(svc, tenant, "op@acme.example") is None


def test_someone_removed_is_refused_at_their_next_request(app, client, svc, tenant):
    signed_in_as(client, svc, tenant, "owner")
    them = app.test_client()
    signed_in_as(them, svc, tenant, "operator")
    assert them.get("/console/team").status_code == 200
    operator = user_of(svc, "operator@acme.example")
    submit(client, "/console/team", f"/console/team/{operator.id}/remove", {})
    assert them.get("/console/team").status_code == 302


def test_only_owners_manage_the_team(app, client, svc, tenant):
    signed_in_as(client, svc, tenant, "admin")
    shown = page(client, "/console/team")
    assert "Send the invitation" not in shown and "/remove" not in shown
    refused = invite(client, "new@acme.example")
    assert refused.status_code == 403 and "does not allow" in text(refused.get_data(as_text=True))
    owner = staff_member(svc, tenant, "owner")
    owner_id = user_of(svc, owner.email).id
    demoted = submit(client, "/console/team", f"/console/team/{owner_id}/role", {"role": "viewer"})
    assert demoted.status_code == 403 and role_in(svc, tenant, owner.email) == "owner"
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        assert session.query(StaffInvitation).count() == 0


def test_another_tenants_staff_and_invitations_answer_404(app, client, svc, tenant, make_tenant):
    other = make_tenant("other")
    signed_in_as(client, svc, tenant, "owner")
    their = app.test_client()
    theirs = signed_in_as(their, svc, other, "owner")
    invite(their, "new@other.example")
    with svc.db.session(tenant_id=other.tenant_id) as session:
        invitation = session.query(StaffInvitation).one()
    owner_id = user_of(svc, theirs.email).id
    for action, data in (
        (f"/console/team/{owner_id}/role", {"role": "viewer"}),
        (f"/console/team/{owner_id}/remove", {}),
        (f"/console/team/invitations/{invitation.id}/revoke", {}),
    ):
        assert submit(client, "/console/team", action, data).status_code == 404
    assert role_in(svc, other, theirs.email) == "owner"


def test_a_withdrawn_invitation_leaves_the_list_and_its_link_opens_nothing(
    app, client, svc, tenant
):
    signed_in_as(client, svc, tenant, "owner")
    invite(client, "new@acme.example")
    link = link_sent_to(svc, "new@acme.example")
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        invitation = session.query(StaffInvitation).one()
    action = f"/console/team/invitations/{invitation.id}/revoke"
    assert submit(client, "/console/team", action, {}).status_code == 303
    assert "new@acme.example" not in text(page(client, "/console/team"))
    assert app.test_client().get(link).status_code == 404


def test_nothing_posted_to_the_team_forms_makes_a_500(app, client, svc, tenant):
    signed_in_as(client, svc, tenant, "owner")
    invite(client, "new@acme.example")
    link = link_sent_to(svc, "new@acme.example")
    odd = ["", "\x00", "a" * 5000, "é@ü", "@", "a@b@c", "<script>x</script>", "\ud7ff"]
    owner = user_of(svc, "owner@acme.example")
    for value in odd:
        for action, data in (
            ("/console/team/invite", {"email": value, "role": value}),
            (f"/console/team/{owner.id}/role", {"role": value}),
            ("/console/team/two-factor", {"required": value}),
        ):
            assert submit(client, "/console/team", action, data).status_code < 500, (action, value)
        # Too short a password to be one: the link stays good for the next value.
        answer = post(app.test_client(), link, {"name": value, "password": value[:9]})
        assert answer.status_code < 500, value

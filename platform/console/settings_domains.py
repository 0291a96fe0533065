"""The mall at the merchant's own domain: named here, used once proved theirs by a DNS
TXT record or a served file holding the claim's token (jifen.tenants.domains). A check
is made after the request that asks for it, by a job: the page says so until it is
done, and asks for itself again meanwhile."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from werkzeug import Response

from jifen.console.access import current, staff_page
from jifen.console.pages import bp
from jifen.console.settings import DOMAIN_STATES, page
from jifen.console.settings_forms import problems_of_error
from jifen.console.setup import actor
from jifen.errors import JifenError
from jifen.i18n import N_, translate
from jifen.tenants import domains, ownership, roles
from jifen.tenants.models import DomainClaim
from jifen.web import db_session, services

# What a check found, each way, as the page tells it.
FINDINGS = {
    ownership.FOUND: N_("the token is there."),
    ownership.MISSING: N_("found, but without the token."),
    ownership.UNREACHABLE: N_("nothing found there."),
    ownership.REFUSED: N_("the domain leads to a private address; we do not fetch from it."),
    domains.TAKEN: N_("another mall uses this domain."),
}


@bp.route("/settings/domains", methods=["GET", "POST"])
@staff_page(roles.CONFIGURE)
def settings_domains() -> tuple[str, int] | Response:
    """The domains the mall named, each with its state and how to prove it; a post
    names another."""
    tenant = current().tenant
    assert tenant is not None
    session = db_session()
    host = ""
    problems: dict[str, str] = {}
    if request.method == "POST":
        host = request.form.get("host", "").strip()[:300]
        try:
            made = domains.claim(session, tenant.id, host, actor=actor(), clock=services().clock)
        except JifenError as refused:
            problems = problems_of_error(refused, default_field="host")
        else:
            flash(translate(N_("%(host)s is named: now prove it is yours."), {"host": made.host}))
            return redirect(url_for("console.settings_domains"), 303)
    claims = domains.claims(session, tenant.id)
    return page(
        "console/settings_domains.html",
        claims=[_shown(found) for found in claims],
        checking=any(domains.checking(found) for found in claims),
        host=host,
        problems=problems,
        most=domains.MAX_CLAIMS,
        platform_host=request.host.split(":", 1)[0],
    ), (422 if problems else 200)


def _shown(found: DomainClaim) -> dict[str, object]:
    return {
        "host": found.host,
        "token": found.token,
        "status": found.status,
        "state": translate(DOMAIN_STATES[found.status]),
        "checking": domains.checking(found),
        "checked_at": found.checked_at,
        "dns": translate(FINDINGS[found.dns_finding]) if found.dns_finding else None,
        "http": translate(FINDINGS[found.http_finding]) if found.http_finding else None,
        "txt_name": ownership.txt_name(found.host),
        "token_url": ownership.token_url(found.host),
    }


@bp.route("/settings/domains/<host>/check", methods=["POST"])
@staff_page(roles.CONFIGURE)
def settings_domain_check(host: str) -> Response:
    """Check the claim now (after this request: the page shows when it is done)."""
    tenant = current().tenant
    assert tenant is not None
    domains.request_check(db_session(), tenant.id, host, actor=actor(), clock=services().clock)
    flash(translate(N_("Checking %(host)s…"), {"host": host}))
    return redirect(url_for("console.settings_domains"), 303)


@bp.route("/settings/domains/<host>/remove", methods=["POST"])
@staff_page(roles.CONFIGURE)
def settings_domain_remove(host: str) -> Response:
    """Forget the domain; if it was in use, it no longer opens the mall."""
    tenant = current().tenant
    assert tenant is not None
    domains.remove(db_session(), tenant.id, host, actor=actor(), clock=services().clock)
    flash(translate(N_("%(host)s is removed."), {"host": host}))
    return redirect(url_for("console.settings_domains"), 303)

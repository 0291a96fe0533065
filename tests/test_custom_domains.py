"""A merchant's own host name for its mall: named, proved by a DNS TXT record or a served
file holding the claim's token (the network faked at its edge), then used to find the
mall by Host; never used unproved, never another mall's. On both engines: PostgreSQL's
row-level security hides other tenants' hosts, which a claim must still not take."""

from __future__ import annotations

import pytest
from fake_network import FakeNetwork, installed

from jifen.audit import SYSTEM, AuditEvent
from jifen.errors import ValidationFailed
from jifen.tenants import domains, ownership
from jifen.tenants.models import TenantDomain


@pytest.fixture
def network(svc) -> FakeNetwork:
    return installed(svc)


def claim(svc, tenant, text: str):
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        made = domains.claim(session, tenant.tenant_id, text, actor=SYSTEM, clock=svc.clock)
        return made.host, made.token


def check(svc, tenant, host: str):
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        domains.request_check(session, tenant.tenant_id, host, actor=SYSTEM, clock=svc.clock)
    assert svc.jobs.wait_idle()
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        found = domains.claim_of(session, tenant.tenant_id, host)
        return found.status, found.dns_finding, found.http_finding


def mall_at(client, host: str) -> int:
    return client.get("/", headers={"Host": host}).status_code


def test_a_host_proved_by_a_txt_record_finds_the_mall(client, svc, tenant, network):
    host, token = claim(svc, tenant, "  https://Points.Acme-Shop.com/home ")
    assert host == "points.acme-shop.com" and token.startswith("jifen-")
    # Named is not proved: the host finds nothing yet.
    assert mall_at(client, host) == 302
    assert check(svc, tenant, host) == ("failed", "missing", "unreachable")
    assert mall_at(client, host) == 302

    network.records["_jifen-verify.points.acme-shop.com"] = ["v=other", f" {token} "]
    assert check(svc, tenant, host) == ("verified", "found", "unreachable")
    answer = client.get("/", headers={"Host": host})
    assert answer.status_code == 200 and "Acme" in answer.get_data(as_text=True)
    # Proved once is proved: the record may go, the host stays in use.
    network.records.clear()
    assert check(svc, tenant, host) == ("verified", "found", "unreachable")
    assert mall_at(client, host) == 200


def test_a_host_proved_by_a_served_file_finds_the_mall(client, svc, tenant, network):
    host, token = claim(svc, tenant, "shop.acme.com")
    network.files["http://shop.acme.com/.well-known/jifen-verify.txt"] = b"wrong\n"
    assert check(svc, tenant, host) == ("failed", "missing", "missing")
    network.files["http://shop.acme.com/.well-known/jifen-verify.txt"] = f"{token}\n".encode()
    assert check(svc, tenant, host) == ("verified", "missing", "found")
    assert mall_at(client, host) == 200


def test_the_network_is_asked_with_no_transaction_open(svc, tenant, network):
    host, _ = claim(svc, tenant, "shop.acme.com")
    seen = []

    def a_write_goes_through_meanwhile() -> None:
        # SQLite has one writer: a transaction held open by the check would block this.
        with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
            claim_text = "other.acme.com"
            made = domains.claim(
                session, tenant.tenant_id, claim_text, actor=SYSTEM, clock=svc.clock
            )
            seen.append(made.host)

    network.on_ask = a_write_goes_through_meanwhile
    assert check(svc, tenant, host)[0] == "failed"
    assert seen == ["other.acme.com"]


def test_another_malls_host_cannot_be_named_or_proved(svc, tenant, make_tenant, network):
    other = make_tenant("rival")
    host, token = claim(svc, tenant, "shop.acme.com")
    rival_host, rival_token = claim(svc, other, "shop.acme.com")
    network.records["_jifen-verify.shop.acme.com"] = [token, rival_token]
    assert check(svc, tenant, host)[0] == "verified"
    # The rival proved it too (both tokens are there), but the host is taken.
    assert check(svc, other, rival_host) == ("failed", "taken", "taken")
    with pytest.raises(domains.DomainTaken):
        claim(svc, make_tenant("third"), "shop.acme.com")
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        assert session.get(TenantDomain, "shop.acme.com").tenant_id == tenant.tenant_id


def test_an_unreachable_name_server_or_a_private_address_is_said(svc, tenant, network):
    host, _ = claim(svc, tenant, "shop.down.example.com")
    network.private.add(host)
    assert check(svc, tenant, host) == ("failed", "unreachable", "refused")


def test_removing_a_claim_stops_its_host_finding_the_mall(client, svc, tenant, network):
    host, token = claim(svc, tenant, "shop.acme.com")
    network.records["_jifen-verify.shop.acme.com"] = [token]
    check(svc, tenant, host)
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        domains.remove(session, tenant.tenant_id, host, actor=SYSTEM, clock=svc.clock)
    assert mall_at(client, host) == 302
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        actions = [e.action for e in session.query(AuditEvent).order_by(AuditEvent.id)]
    assert actions[-4:] == ["domain.claim", "domain.check", "domain.checked", "domain.remove"]


def test_a_check_of_a_claim_removed_meanwhile_records_nothing(svc, tenant, network):
    host, token = claim(svc, tenant, "shop.acme.com")
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        domains.remove(session, tenant.tenant_id, host, actor=SYSTEM, clock=svc.clock)
    proof = ownership.Proof(dns=ownership.FOUND, http=ownership.MISSING)
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        assert (
            domains.record_check(session, tenant.tenant_id, host, token, proof, clock=svc.clock)
            is None
        )
        assert session.get(TenantDomain, host) is None


@pytest.mark.parametrize(
    "text",
    [
        "",
        "localhost",
        "shop",
        "10.0.0.1",
        "shop.local",
        "-bad.example.com",
        "a" * 250 + ".com",
        "shop..com",
        "shop.acme.test",
        "<b>x</b>.com",
        "shop.123",
    ],
)
def test_what_is_no_public_host_name_is_refused(svc, tenant, text):
    with pytest.raises(ValidationFailed) as refused:
        claim(svc, tenant, text)
    assert list(refused.value.details) == ["host"]


def test_a_mall_names_five_hosts_at_most_and_each_once(svc, tenant):
    for number in range(domains.MAX_CLAIMS):
        claim(svc, tenant, f"shop{number}.acme.com")
    with pytest.raises(domains.TooManyDomains):
        claim(svc, tenant, "one-more.acme.com")
    with pytest.raises(domains.DomainClaimed):
        claim(svc, tenant, "SHOP1.acme.com")


def test_an_internationalised_host_is_kept_in_its_ascii_form(svc, tenant):
    assert claim(svc, tenant, "积分.例子.com")[0] == "xn--kbrv68g.xn--fsqu00a.com"

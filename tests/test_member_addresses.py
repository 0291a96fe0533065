"""A member's address book as the merchant's app uses it (GET/POST
/members/{id}/addresses, DELETE .../{address_id}) and as an order names one of it
(`address_id`): at most ten, exactly one default while any are kept, sealed like an
order's address, audited and announced without it, never another member's or tenant's,
and erased with the member. Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid

import pytest
from mall.shop import ADDRESS, balance, member, order, product
from rules.api import call
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from jifen.audit import AuditEvent
from jifen.members.addresses import MOST
from jifen.members.models import SavedAddress
from jifen.outbox.models import OutboxEvent
from jifen.types import new_id

OFFICE = {
    "name": "李雷",
    "phone": "13900139000",
    "region": "北京市 海淀区",
    "line": "中关村大街 1 号",
    "postal_code": "100080",
}


def book(client, tenant, member_id: str) -> list[dict]:
    return call(client, tenant, "GET", f"/members/{member_id}/addresses", None, 200).json["items"]


def save(client, tenant, member_id: str, address=ADDRESS, status: int = 201, **fields):
    body = {"address": address, **fields}
    return call(client, tenant, "POST", f"/members/{member_id}/addresses", body, status).json


def delete(client, tenant, member_id: str, address_id: str, status: int = 204):
    return call(
        client, tenant, "DELETE", f"/members/{member_id}/addresses/{address_id}", None, status
    )


def defaults(items: list[dict]) -> list[str | None]:
    return [item["label"] for item in items if item["is_default"]]


def test_the_first_address_saved_is_the_default_and_the_book_lists_it_first(client, tenant, clock):
    alice = member(client, tenant)
    assert book(client, tenant, alice) == []

    saved_at = clock.now()
    home = save(client, tenant, alice, label="Home")
    clock.advance(minutes=1)
    save(client, tenant, alice, OFFICE, label="Office")

    assert home["is_default"] is True and home["address"] == ADDRESS | {"postal_code": None}
    assert home["created_at"] == home["updated_at"] == saved_at.isoformat()
    assert [item["label"] for item in book(client, tenant, alice)] == ["Home", "Office"]
    assert defaults(book(client, tenant, alice)) == ["Home"]


def test_is_default_moves_the_default_and_one_stays_default(client, tenant, clock):
    alice = member(client, tenant)
    save(client, tenant, alice, label="Home")
    clock.advance(minutes=1)
    office = save(client, tenant, alice, OFFICE, label="Office", is_default=True)

    assert office["is_default"] is True
    assert [item["label"] for item in book(client, tenant, alice)] == ["Office", "Home"]
    assert defaults(book(client, tenant, alice)) == ["Office"]


def test_deleting_the_default_makes_the_newest_remaining_one_default(client, tenant, clock):
    alice = member(client, tenant)
    home = save(client, tenant, alice, label="Home")
    for label in ("Office", "Gym"):
        clock.advance(minutes=1)
        save(client, tenant, alice, OFFICE, label=label)

    delete(client, tenant, alice, home["id"])

    assert [item["label"] for item in book(client, tenant, alice)] == ["Gym", "Office"]
    assert defaults(book(client, tenant, alice)) == ["Gym"]
    for item in book(client, tenant, alice):
        delete(client, tenant, alice, item["id"])
    assert book(client, tenant, alice) == []


def test_an_eleventh_address_is_refused_and_nothing_is_kept(client, tenant):
    alice = member(client, tenant)
    for n in range(MOST):
        save(client, tenant, alice, label=f"No. {n}")

    refused = save(client, tenant, alice, label="One more", status=409)

    assert refused["code"] == "address_book_full"
    assert refused["message"] == "An address book keeps at most 10 addresses: delete one first."
    assert len(book(client, tenant, alice)) == MOST


@pytest.mark.parametrize(
    ("address", "fields", "field"),
    [
        (ADDRESS | {"name": ""}, {}, "name"),
        (ADDRESS | {"line": "号" * 301}, {}, "line"),
        ({key: ADDRESS[key] for key in ("name", "phone", "line")}, {}, "region"),
        (ADDRESS, {"label": "L" * 21}, "label"),
        (ADDRESS, {"is_default": "maybe"}, "is_default"),
    ],
)
def test_a_bad_address_is_refused_field_by_field(client, tenant, address, fields, field):
    alice = member(client, tenant)

    refused = save(client, tenant, alice, address, status=422, **fields)

    assert refused["code"] == "validation_error"
    assert field in str(refused["details"])
    assert book(client, tenant, alice) == []


def test_addresses_are_encrypted_at_rest(client, tenant, svc):
    alice = member(client, tenant)
    save(client, tenant, alice, label="Home")

    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        (sealed,) = session.scalars(select(SavedAddress.address))
    for value in ADDRESS.values():
        assert value not in sealed
    assert sealed.startswith(svc.keyring.current_key_id + ".")


def test_an_order_ships_to_a_saved_address(client, tenant):
    alice = member(client, tenant, 1_000)
    mug = product(client, tenant, name="Travel mug", points_price=300)
    office = save(client, tenant, alice, OFFICE)

    placed = order(client, tenant, alice, mug["id"], address_id=office["id"])

    assert placed.status_code == 201, placed.json
    assert placed.json["address"] == OFFICE
    assert balance(client, tenant, alice) == 700


def test_another_members_or_tenants_address_is_never_used(client, tenant, make_tenant):
    alice, bob = member(client, tenant, 1_000), member(client, tenant)
    mug = product(client, tenant, name="Travel mug", points_price=300)
    bobs = save(client, tenant, bob, OFFICE)
    other = make_tenant("other")
    theirs = save(client, other, member(client, other), OFFICE)

    for address_id in (bobs["id"], theirs["id"], str(uuid.uuid4())):
        refused = order(client, tenant, alice, mug["id"], address_id=address_id)
        assert refused.status_code == 422, refused.json
        assert refused.json["code"] == "unknown_address"
        assert refused.json["details"] == {"resource": "address", "id": address_id}
    both = order(client, tenant, alice, mug["id"], address=ADDRESS, address_id=bobs["id"])
    assert both.status_code == 422 and both.json["code"] == "validation_error"
    assert "address_id" in both.json["details"]
    assert balance(client, tenant, alice) == 1_000


def test_another_members_or_tenants_address_book_is_404(client, tenant, make_tenant):
    alice, bob = member(client, tenant), member(client, tenant)
    bobs = save(client, tenant, bob)
    other = make_tenant("other")
    carol = member(client, other)
    carols = save(client, other, carol)
    missing = delete(client, tenant, alice, str(uuid.uuid4()), status=404).json

    assert delete(client, tenant, alice, bobs["id"], status=404).json == missing
    assert delete(client, tenant, carol, carols["id"], status=404).json["code"] == "not_found"
    assert call(client, tenant, "GET", f"/members/{carol}/addresses", None, 404)
    assert save(client, tenant, carol, status=404)["code"] == "not_found"
    assert [item["id"] for item in book(client, tenant, bob)] == [bobs["id"]]
    assert [item["id"] for item in book(client, other, carol)] == [carols["id"]]


def test_erasing_a_member_deletes_their_address_book(client, tenant, svc):
    alice, bob = member(client, tenant), member(client, tenant)
    save(client, tenant, alice)
    save(client, tenant, alice, OFFICE)
    save(client, tenant, bob)

    call(client, tenant, "POST", f"/members/{alice}/erasure", None, 200)

    assert book(client, tenant, alice) == []
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        kept = session.scalars(select(SavedAddress.member_id)).all()
    assert [str(member_id) for member_id in kept] == [bob]
    assert save(client, tenant, alice, status=409)["code"] == "member_erased"


def test_changes_are_audited_and_announced_without_the_address(client, tenant, svc, clock):
    alice = member(client, tenant)
    home = save(client, tenant, alice, label="Home")
    clock.advance(minutes=1)
    office = save(client, tenant, alice, OFFICE, label="Office")
    delete(client, tenant, alice, home["id"])

    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        audited = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type == "member_address")
            .order_by(AuditEvent.id)
        ).all()
    assert [(event.action, event.object_id) for event in audited] == [
        ("member.address_added", home["id"]),
        ("member.address_added", office["id"]),
        ("member.address_deleted", home["id"]),
        ("member.address_default", office["id"]),
    ]
    assert audited[-1].after == {"member_id": alice, "label": "Office", "is_default": True}
    assert audited[0].actor_kind == "api_key"
    with svc.relay.reading() as connection:
        events = connection.execute(
            select(OutboxEvent.payload)
            .where(OutboxEvent.type == "member.address_book_changed")
            .order_by(OutboxEvent.seq)
        ).all()
    assert [payload["change"] for (payload,) in events] == ["added", "added", "deleted", "default"]
    assert {"member_id", "address_id", "change"} == set(events[0][0])
    for (payload,) in events:
        assert not set(ADDRESS.values()) & set(map(str, payload.values()))


def test_the_database_keeps_one_default_per_member(client, tenant, svc, clock):
    alice = member(client, tenant)
    save(client, tenant, alice)

    with pytest.raises(IntegrityError), svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        session.add(
            SavedAddress(
                tenant_id=tenant.tenant_id,
                id=new_id(),
                member_id=uuid.UUID(alice),
                address="sealed",
                label=None,
                is_default=True,
                created_at=clock.now(),
                updated_at=clock.now(),
            )
        )
        session.flush()
    assert len(book(client, tenant, alice)) == 1

"""Running totals stay within 2^53 - 1, the largest integer a JSON client reads exactly:
a write that would pass it is refused and posts nothing, and sums over many wallets
(the liability, verify) stay exact beyond the 64 bits of a database integer."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from jifen.db import cross_tenant
from jifen.errors import TotalTooLarge
from jifen.ledger import history, service
from jifen.ledger.models import Lot

from .conftest import Books
from .test_ledger_verify import verify_cli

LARGEST = 2**53 - 1


@pytest.fixture
def full(books):
    """A member whose wallet holds the most points a wallet may."""
    member = books.member()
    books.run(service.earn, member, LARGEST)
    return member


def test_an_earn_past_the_largest_wallet_is_refused_and_posts_nothing(books, full):
    before = books.snapshot()

    with pytest.raises(TotalTooLarge) as refused:
        books.run(service.earn, full, 1)

    assert refused.value.code == "total_too_large"
    assert books.snapshot() == before
    assert books.wallet(full).balance == LARGEST
    books.verify()


def test_a_transfer_into_a_full_wallet_is_refused_and_moves_nothing(books, full):
    books.policy(transfers_enabled=True)
    sender = books.member()
    books.run(service.earn, sender, 10)
    before = books.snapshot()

    with pytest.raises(TotalTooLarge):
        books.run(service.transfer, sender, full, 10)

    assert books.snapshot() == before
    assert (books.wallet(sender).balance, books.wallet(full).balance) == (10, LARGEST)


def test_the_liability_of_wallets_together_past_64_bits_is_exact(books):
    members = [books.member() for _ in range(1025)]
    books.run(service.earn_batch, [(member, LARGEST) for member in members])

    with books.svc.db.session(tenant_id=books.tenant_id) as session:
        owed = history.liability(session, clock=books.clock)

    assert owed.outstanding == 1025 * LARGEST
    assert owed.members_with_points == 1025
    books.verify()


def test_verify_reports_a_tenant_it_cannot_add_up_and_goes_on_to_the_next(
    app, svc, make_tenant, clock
):
    broken, honest = (Books(svc, make_tenant(slug).tenant_id, clock) for slug in ("a1", "b2"))
    for books in (broken, honest):
        member = books.member()
        books.run(service.earn, member, 10)
        books.run(service.earn, member, 10)
    # Rows written before totals were bounded: two lots whose sum no 64-bit integer holds.
    with svc.db.transaction() as session, cross_tenant(session, "test tampering"):
        lots = Lot.__table__
        session.execute(
            update(lots)
            .where(lots.c.tenant_id == broken.tenant_id)
            .values(amount=2**63 - 1, remaining=2**63 - 1)
        )

    result = verify_cli(app, "--all")

    assert result.exit_code == 1
    assert "a1: " in result.output
    assert "a1: ok" not in result.output
    assert "b2: ok" in result.output

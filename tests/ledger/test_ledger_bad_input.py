"""Worked examples of refusals: amounts that are not whole points, members who are unknown
or frozen, too few points, entries reversed twice and expiries in the past. A refused
operation posts nothing: the books and the member's wallet are as they were."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest

from jifen.errors import NotFound
from jifen.ledger import holds, reversal, service
from jifen.ledger.errors import (
    ExpiryInPast,
    InsufficientPoints,
    InvalidAmount,
    MemberNotActive,
    NotReversible,
)
from jifen.types import MAX_SAFE_INTEGER, new_id

from .conftest import Books


@contextmanager
def nothing_changes(books: Books, *members) -> Iterator[None]:
    before = (books.snapshot(), [books.wallet(member) for member in members])
    yield
    assert (books.snapshot(), [books.wallet(member) for member in members]) == before


@pytest.fixture
def alice(books):
    """A member with 100 points, and transfers allowed."""
    books.policy(transfers_enabled=True)
    member = books.member()
    books.run(service.earn, member, 100)
    return member


AMOUNTS = [
    pytest.param(0, 0, id="zero"),
    pytest.param(-5, -5, id="negative"),
    pytest.param(99.5, "99.5", id="fraction"),
    pytest.param("10", "10", id="text"),
    pytest.param(True, "True", id="boolean"),
    pytest.param(MAX_SAFE_INTEGER + 1, MAX_SAFE_INTEGER + 1, id="beyond 2^53 - 1"),
]

OPERATIONS = {
    "earn": lambda books, member, amount: books.run(service.earn, member, amount),
    "redeem": lambda books, member, amount: books.run(service.redeem, member, amount),
    "reserve": lambda books, member, amount: books.run(holds.reserve, member, amount),
    "earn pending": lambda books, member, amount: books.run(holds.earn_pending, member, amount),
    "freeze": lambda books, member, amount: books.run(
        holds.freeze, member, amount=amount, reason="dispute"
    ),
    "transfer": lambda books, member, amount: books.run(
        service.transfer, member, books.member(), amount
    ),
    "adjust": lambda books, member, amount: books.run(
        service.adjust, member, amount, reason="correction"
    ),
}


# --- amounts --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "amount", "reported"),
    [
        pytest.param(operation, *amount.values, id=f"{operation}, {amount.id}")
        for operation in OPERATIONS
        for amount in AMOUNTS
        # An adjustment may be negative: it takes points back.
        if not (operation == "adjust" and amount.id == "negative")
    ],
)
def test_an_amount_that_is_not_whole_points_is_refused(books, alice, operation, amount, reported):
    with nothing_changes(books, alice), pytest.raises(InvalidAmount) as refused:
        OPERATIONS[operation](books, alice, amount)

    assert refused.value.details == {"amount": reported}


def test_the_largest_safe_amount_is_accepted(books):
    alice = books.member()

    books.run(service.earn, alice, MAX_SAFE_INTEGER)

    assert books.wallet(alice).balance == MAX_SAFE_INTEGER
    books.verify()


@pytest.mark.parametrize("amount", [0, -MAX_SAFE_INTEGER - 1])
def test_an_adjustment_of_nothing_or_beyond_2_53_is_refused(books, alice, amount):
    with nothing_changes(books, alice), pytest.raises(InvalidAmount):
        books.run(service.adjust, alice, amount, reason="correction")


@pytest.mark.parametrize(("amount", "reported"), AMOUNTS)
def test_capturing_or_reversing_a_bad_amount_is_refused(books, alice, amount, reported):
    hold = books.run(holds.reserve, alice, 50)
    redemption = books.run(service.redeem, alice, 20)

    with nothing_changes(books, alice):
        with pytest.raises(InvalidAmount):
            books.run(holds.capture, hold.id, amount=amount)
        with pytest.raises(InvalidAmount):
            books.run(reversal.reverse, redemption.id, amount=amount)


# --- members --------------------------------------------------------------------------


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_points_of_an_unknown_member_cannot_move(books, alice, operation):
    ghost = new_id()

    with nothing_changes(books, alice), pytest.raises(NotFound, match="No such member") as refused:
        OPERATIONS[operation](books, ghost, 10)

    assert (refused.value.resource, refused.value.key) == ("member", ghost)


def test_a_transfer_to_an_unknown_member_is_refused(books, alice):
    ghost = new_id()

    with nothing_changes(books, alice), pytest.raises(NotFound, match="No such member"):
        books.run(service.transfer, alice, ghost, 10)


def test_a_member_of_another_tenant_is_unknown_here(books, alice, make_tenant, clock):
    other = Books(books.svc, make_tenant().tenant_id, clock)
    stranger = other.member()

    with nothing_changes(books, alice), pytest.raises(NotFound, match="No such member"):
        books.run(service.earn, stranger, 10)
    with nothing_changes(books, alice), pytest.raises(NotFound, match="No such member"):
        books.run(service.transfer, alice, stranger, 10)

    assert other.wallet(stranger).balance == 0


@pytest.mark.parametrize("status", ["frozen", "erased"])
@pytest.mark.parametrize("operation", ["earn", "redeem", "reserve", "earn pending"])
def test_points_of_a_member_who_is_not_active_cannot_move(books, alice, status, operation):
    member = books.member(status=status)

    with nothing_changes(books, alice, member), pytest.raises(MemberNotActive) as refused:
        OPERATIONS[operation](books, member, 10)

    assert refused.value.details == {"member_id": str(member)}


def test_a_transfer_to_a_frozen_member_is_refused(books, alice):
    frozen = books.member(status="frozen")

    with nothing_changes(books, alice, frozen), pytest.raises(MemberNotActive):
        books.run(service.transfer, alice, frozen, 10)


# --- too few points -------------------------------------------------------------------


@pytest.mark.parametrize("operation", ["redeem", "reserve", "freeze", "transfer", "adjust"])
def test_taking_more_points_than_are_available_is_refused(books, alice, operation):
    amount = -101 if operation == "adjust" else 101

    with nothing_changes(books, alice), pytest.raises(InsufficientPoints) as refused:
        OPERATIONS[operation](books, alice, amount)

    assert refused.value.details == {"available": 100, "requested": 101}


def test_reserved_points_are_not_available_to_redeem(books, alice):
    books.run(holds.reserve, alice, 60)

    with nothing_changes(books, alice), pytest.raises(InsufficientPoints) as refused:
        books.run(service.redeem, alice, 41)

    assert refused.value.details == {"available": 40, "requested": 41}


def test_a_member_without_a_wallet_has_nothing_to_redeem(books):
    bob = books.member()

    with nothing_changes(books, bob), pytest.raises(InsufficientPoints) as refused:
        books.run(service.redeem, bob, 1)

    assert refused.value.details == {"available": 0, "requested": 1}


def test_freezing_the_points_of_a_member_who_has_none_is_refused(books):
    bob = books.member()

    with nothing_changes(books, bob), pytest.raises(InsufficientPoints):
        books.run(holds.freeze, bob, reason="dispute")


# --- reversals and holds --------------------------------------------------------------


def test_an_entry_reversed_in_full_cannot_be_reversed_again(books, alice):
    redemption = books.run(service.redeem, alice, 60)
    books.run(reversal.reverse, redemption.id)

    with nothing_changes(books, alice), pytest.raises(NotReversible) as refused:
        books.run(reversal.reverse, redemption.id)

    assert refused.value.details == {"reversed": 60}


def test_a_reversal_itself_cannot_be_reversed(books, alice):
    redemption = books.run(service.redeem, alice, 60)
    refund = books.run(reversal.reverse, redemption.id)

    with nothing_changes(books, alice), pytest.raises(NotReversible) as refused:
        books.run(reversal.reverse, refund.id)

    assert refused.value.details == {"kind": "refund"}


def test_reversing_an_unknown_entry_is_refused(books, alice):
    with nothing_changes(books, alice), pytest.raises(NotFound, match="No such ledger entry"):
        books.run(reversal.reverse, new_id())


def test_settling_an_unknown_hold_is_refused(books, alice):
    with nothing_changes(books, alice):
        for operation in (holds.capture, holds.release, holds.capture_pending, holds.unfreeze):
            with pytest.raises(NotFound, match="No such hold"):
                books.run(operation, new_id())


# --- expiries -------------------------------------------------------------------------


@pytest.mark.parametrize("when", [timedelta(0), timedelta(days=-1)], ids=["now", "yesterday"])
def test_an_expiry_that_is_not_in_the_future_is_refused(books, alice, clock, when):
    past = clock.now() + when
    refusals = [
        lambda: books.run(service.earn, alice, 10, expires_at=past),
        lambda: books.run(service.adjust, alice, 10, reason="goodwill", expires_at=past),
        lambda: books.run(holds.earn_pending, alice, 10, expires_at=past),
        lambda: books.run(holds.earn_pending, alice, 10, available_at=past),
        lambda: books.run(service.extend, alice, past, reason="goodwill"),
    ]

    with nothing_changes(books, alice):
        for refusal in refusals:
            with pytest.raises(ExpiryInPast):
                refusal()

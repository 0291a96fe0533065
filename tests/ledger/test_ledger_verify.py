"""`flask jifen ledger verify` recomputes the books, and the database itself refuses
what would break them."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from jifen.db import cross_tenant
from jifen.ledger import service


@pytest.fixture
def alice(books):
    alice = books.member()
    books.run(service.earn, alice, 100)
    books.run(service.redeem, alice, 30)
    return alice


def tamper(books, statement, **params):
    with books.svc.db.transaction() as session, cross_tenant(session, "test tampering"):
        session.execute(text(statement), params)


def verify_cli(app, *args):
    return app.test_cli_runner().invoke(args=["jifen", "ledger", "verify", *args])


def test_verify_passes_on_honest_books(app, books, alice):
    result = verify_cli(app, "--all")
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith(": ok")


def test_verify_names_a_wallet_whose_balance_was_changed_behind_the_ledger(app, books, alice):
    tamper(books, "UPDATE accounts SET balance = balance + 5 WHERE kind = 'wallet'")

    result = verify_cli(app, "--all")

    assert result.exit_code == 1
    assert "wallets match postings" in result.output
    assert "balance 75" in result.output


def test_verify_names_a_lot_that_disagrees_with_its_consumptions(app, books, alice):
    tamper(books, "UPDATE lots SET amount = amount + 1")

    result = verify_cli(app, "--all")

    assert result.exit_code == 1
    assert "lots match consumptions" in result.output


def test_verify_finds_a_wallet_whose_chain_head_was_replaced(app, books, alice):
    tamper(books, "UPDATE accounts SET head_hash = :h WHERE kind = 'wallet'", h=bytes(32))

    result = verify_cli(app, "--all")

    assert result.exit_code == 1
    assert "chains" in result.output


def test_verify_needs_a_tenant_or_all(app, books):
    assert verify_cli(app).exit_code == 2
    assert verify_cli(app, "--tenant", "no-such-shop").exit_code == 1


@pytest.mark.parametrize("table", ["entries", "postings", "lot_consumptions"])
def test_the_ledgers_history_cannot_be_edited_or_deleted(books, alice, table):
    with pytest.raises(DatabaseError, match="append-only"):
        tamper(books, f"UPDATE {table} SET tenant_id = tenant_id")
    with pytest.raises(DatabaseError, match="append-only"):
        tamper(books, f"DELETE FROM {table}")
    books.verify()


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_postgres_refuses_an_entry_whose_postings_do_not_sum_to_zero(books, alice):
    with pytest.raises(DatabaseError, match="does not balance"):
        tamper(
            books,
            "INSERT INTO postings (tenant_id, id, entry_id, account_id, amount, created_at)"
            " SELECT tenant_id, gen_random_uuid(), entry_id, account_id, 1, created_at"
            " FROM postings WHERE seq IS NULL LIMIT 1",
        )
    books.verify()

"""`flask jifen events import`: a merchant's past orders from CSV or JSON lines, on both
databases. Amounts are in fen: 10_000 is 100.00 CNY."""

from __future__ import annotations

import json

from .api import balance, call, member, rule

HEADER = "id,kind,external_id,occurred_at,amount,currency,order_id\n"


def run(app, *args: str, stdin: str | None = None):
    return app.test_cli_runner().invoke(args=["jifen", "events", "import", *args], input=stdin)


def test_past_orders_earn_their_points_and_a_second_run_changes_nothing(
    app, client, tenant, tmp_path
):
    alice, bob = member(client, tenant, "alice"), member(client, tenant, "bob")
    rule(client, tenant, "spend", {"rate": "1"})
    orders = tmp_path / "orders.csv"
    orders.write_text(
        HEADER
        + "o-1,,alice,2026-02-01T10:00:00+08:00,12000,CNY,\n"
        + "o-2,purchase,bob,2026-02-02T18:30:00+08:00,5000,CNY,\n"
        + "r-1,refund,alice,2026-02-05T09:00:00+08:00,3000,,o-1\n",
        encoding="utf-8",
    )

    first = run(app, str(orders), "--tenant", tenant.slug)
    assert first.exit_code == 0, first.stderr
    assert first.stdout.splitlines()[-1] == "3 recorded, 0 already recorded, 0 refused"
    assert balance(client, tenant, alice) == 120 - 30
    assert balance(client, tenant, bob) == 50
    history = call(client, tenant, "GET", f"/members/{alice}/points/history", None, 200)
    assert [line["kind"] for line in history.json["items"]] == ["clawback", "earn"]

    again = run(app, str(orders), "--tenant", tenant.slug)
    assert again.exit_code == 0, again.stderr
    assert again.stdout.splitlines()[-1] == "0 recorded, 3 already recorded, 0 refused"
    assert balance(client, tenant, alice) == 90
    verify = app.test_cli_runner().invoke(args=["jifen", "ledger", "verify", "--all"])
    assert verify.exit_code == 0, verify.output


def test_refused_lines_are_reported_by_number_and_the_others_land(app, client, tenant, tmp_path):
    alice = member(client, tenant, "alice")
    rule(client, tenant, "spend", {"rate": "1"})
    orders = tmp_path / "orders.csv"
    orders.write_text(
        HEADER
        + "o-1,,alice,2026-02-01T10:00:00+08:00,10000,CNY,\n"
        + "o-2,,alice,2026-02-01T11:00:00+08:00,99.50,CNY,\n"  # not minor units
        + "o-3,,nobody,2026-02-01T12:00:00+08:00,10000,CNY,\n"  # unknown member
        + "o-4,,alice,,10000,CNY,\n"  # when?
        + "o-5,,alice,2026-02-01T13:00:00+08:00,10000,CNY,,extra\n"  # one cell too many
        + "r-1,refund,alice,2026-02-02T10:00:00+08:00,20000,,o-1\n"  # more than was paid
        + "o-6,,alice,2026-02-03T10:00:00+08:00,2000,CNY,\n",
        encoding="utf-8",
    )
    errors = tmp_path / "refused.jsonl"

    result = run(app, str(orders), "--tenant", tenant.slug, "--batch", "2", "--errors", str(errors))
    assert result.exit_code == 1
    assert result.stdout.splitlines()[-1] == "2 recorded, 0 already recorded, 5 refused"
    refused = [json.loads(line) for line in errors.read_text(encoding="utf-8").splitlines()]
    assert [(r["line"], r["id"], r["code"]) for r in refused] == [
        (3, "o-2", "validation_error"),
        (4, "o-3", "unknown_member"),
        (5, "o-4", "validation_error"),
        (6, None, "validation_error"),
        (7, "r-1", "refund_exceeds_order"),
    ]
    assert refused[0]["details"] == {
        "line": "amount must be a whole number of minor units, not '99.50'"
    }
    assert refused[2]["details"] == {"occurred_at": ["Required when importing."]}
    assert balance(client, tenant, alice) == 100 + 20


def test_json_lines_from_standard_input_carry_purchase_lines(app, client, tenant):
    alice = member(client, tenant, "alice")
    rule(client, tenant, "spend", {"rate": "1", "excluded_categories": ["gift_card"]})
    lines = [
        {
            "id": "o-1",
            "kind": "purchase",
            "external_id": "alice",
            "occurred_at": "2026-01-30T20:00:00+08:00",
            "data": {
                "amount": 10_000,
                "currency": "CNY",
                "lines": [
                    {"sku": "tea", "category": "food", "amount": 6_000},
                    {"sku": "card", "category": "gift_card", "amount": 4_000},
                ],
            },
        },
        {"id": "o-2", "kind": "purchase", "external_id": "alice", "data": []},
    ]
    stdin = "\n".join(json.dumps(line) for line in lines) + "\n[1, 2]\n{broken\n"

    result = run(app, "-", "--format", "jsonl", "--tenant", tenant.slug, stdin=stdin)
    assert result.exit_code == 1
    assert result.stdout.splitlines()[-1] == "1 recorded, 0 already recorded, 3 refused"
    assert balance(client, tenant, alice) == 60
    assert "line 2: validation_error" in result.stderr
    assert "line 3: validation_error: The line cannot be read. {'line': 'not a JSON object'}" in (
        result.stderr
    )
    assert "line 4: validation_error: The line cannot be read." in result.stderr


def test_an_unknown_tenant_or_format_is_refused_before_anything_is_read(app, tenant, tmp_path):
    orders = tmp_path / "orders.csv"
    orders.write_text(HEADER, encoding="utf-8")
    assert "no tenant nobody" in run(app, str(orders), "--tenant", "nobody").stderr
    unnamed = run(app, str(orders.rename(tmp_path / "orders.txt")), "--tenant", tenant.slug)
    assert unnamed.exit_code == 2
    assert "give --format csv or jsonl" in unnamed.stderr


def test_a_line_that_is_not_utf8_is_refused_and_a_replacement_character_is_not(
    app, client, tenant, tmp_path
):
    alice = member(client, tenant, "alice")
    rule(client, tenant, "spend", {"rate": "1"})
    orders = tmp_path / "orders.csv"
    orders.write_bytes(
        HEADER.encode()
        + b"o-1,,alice,2026-02-01T10:00:00+08:00,10000,CNY,\n"
        + b"o-2,,alice,2026-02-01T11:00:00+08:00,10000,\xff\xfe,\n"
    )
    stored = tmp_path / "store.jsonl"
    store = {"amount": 5_000, "currency": "CNY", "store": "\ufffd shop"}
    stored.write_text(
        json.dumps(
            {
                "id": "o-3",
                "external_id": "alice",
                "kind": "purchase",
                "occurred_at": "2026-02-02T10:00:00+08:00",
                "data": store,
            },
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )

    result = run(app, str(orders), "--tenant", tenant.slug)
    assert result.stdout.splitlines()[-1] == "1 recorded, 0 already recorded, 1 refused"
    assert "line 3: validation_error: The line cannot be read. {'line': 'not UTF-8'}" in (
        result.stderr
    )
    assert run(app, str(stored), "--tenant", tenant.slug).exit_code == 0
    assert balance(client, tenant, alice) == 100 + 50

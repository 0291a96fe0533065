"""The points API end to end: what a merchant's systems see over HTTP."""

from datetime import timedelta

import pytest
from sqlalchemy import update

from jifen.tenants.models import Tenant

MEMBERS = "/api/v1/members"


def register(client, tenant, external_id="u1"):
    response = client.post(MEMBERS, json={"external_id": external_id}, headers=tenant.headers)
    assert response.status_code == 201, response.json
    return response.json["id"]


def post(client, tenant, path, body=None, **headers):
    return client.post(f"/api/v1{path}", json=body or {}, headers={**tenant.headers, **headers})


@pytest.fixture
def alice(client, tenant):
    return register(client, tenant, "alice")


def test_earn_redeem_refund_and_read_the_history(client, tenant, alice, clock):
    earned = post(
        client, tenant, "/points/earn", {"member_id": alice, "amount": 500, "memo": "签到"}
    )
    assert earned.status_code == 201, earned.json
    assert earned.json["kind"] == "earn"
    assert earned.json["changes"] == [
        {
            "member_id": alice,
            "amount": 500,
            "running_total": 500,
            "balance": 500,
            "held": 0,
            "debt": 0,
        }
    ]
    clock.advance(minutes=1)
    spent = post(
        client, tenant, "/points/redeem", {"member_id": alice, "amount": 120, "reference": "o-1"}
    )
    assert spent.status_code == 201, spent.json
    assert spent.json["changes"][0]["balance"] == 380
    clock.advance(minutes=1)
    refund = post(client, tenant, f"/entries/{spent.json['id']}/reversal", {"amount": 20})
    assert refund.status_code == 201, refund.json
    assert refund.json["kind"] == "refund"

    summary = client.get(f"{MEMBERS}/{alice}/points", headers=tenant.headers)
    assert summary.status_code == 200
    assert summary.json | {"expiring": []} == {
        "member_id": alice,
        "balance": 400,
        "held": 0,
        "pending": 0,
        "debt": 0,
        "expiring": [],
    }
    history = client.get(f"{MEMBERS}/{alice}/points/history?limit=2", headers=tenant.headers)
    assert history.status_code == 200
    assert [
        (line["kind"], line["amount"], line["running_total"]) for line in history.json["items"]
    ] == [
        ("refund", 20, 400),
        ("redeem", -120, 380),
    ]
    rest = client.get(
        f"{MEMBERS}/{alice}/points/history?cursor={history.json['next_cursor']}",
        headers=tenant.headers,
    )
    assert [line["kind"] for line in rest.json["items"]] == ["earn"]
    assert rest.json["next_cursor"] is None
    only_refunds = client.get(
        f"{MEMBERS}/{alice}/points/history?kind=refund", headers=tenant.headers
    )
    assert [line["amount"] for line in only_refunds.json["items"]] == [20]

    entry = client.get(f"/api/v1/entries/{spent.json['id']}", headers=tenant.headers)
    assert entry.status_code == 200
    assert entry.json["reference"] == "o-1"
    assert entry.json["changes"][0]["amount"] == -120


def test_an_entry_read_back_shows_the_wallet_now_as_its_post_did(client, tenant, alice):
    earned = post(client, tenant, "/points/earn", {"member_id": alice, "amount": 100}).json
    path = f"/api/v1/entries/{earned['id']}"
    assert client.get(path, headers=tenant.headers).json == earned

    post(client, tenant, "/points/redeem", {"member_id": alice, "amount": 30})
    post(client, tenant, "/holds", {"member_id": alice, "kind": "reserve", "amount": 20})
    (change,) = client.get(path, headers=tenant.headers).json["changes"]
    wallet = client.get(f"{MEMBERS}/{alice}/points", headers=tenant.headers).json

    assert (change["amount"], change["running_total"]) == (100, 100)
    assert (change["balance"], change["held"], change["debt"]) == (50, 20, 0)
    assert (change["balance"], change["held"]) == (wallet["balance"], wallet["held"])


@pytest.mark.parametrize("cursor", ["12", "nonsense", "%21%21", "\u00b2", "\u2460"])
def test_a_history_cursor_this_api_did_not_return_is_422(client, tenant, alice, cursor):
    post(client, tenant, "/points/earn", {"member_id": alice, "amount": 5})
    response = client.get(
        f"{MEMBERS}/{alice}/points/history?cursor={cursor}", headers=tenant.headers
    )
    assert response.status_code == 422
    assert response.json["code"] == "invalid_cursor"


def test_a_repeated_redemption_with_one_idempotency_key_spends_once(client, tenant, alice):
    post(client, tenant, "/points/earn", {"member_id": alice, "amount": 100})
    body = {"member_id": alice, "amount": 60}

    first = post(client, tenant, "/points/redeem", body, **{"Idempotency-Key": "checkout-9"})
    again = post(client, tenant, "/points/redeem", body, **{"Idempotency-Key": "checkout-9"})

    assert first.status_code == again.status_code == 201
    assert again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    summary = client.get(f"{MEMBERS}/{alice}/points", headers=tenant.headers)
    assert summary.json["balance"] == 40


def test_two_phase_spending_through_holds(client, tenant, alice):
    post(client, tenant, "/points/earn", {"member_id": alice, "amount": 1000})

    hold = post(client, tenant, "/holds", {"member_id": alice, "kind": "reserve", "amount": 800})
    assert hold.status_code == 201, hold.json
    assert hold.json["status"] == "open"
    points = client.get(f"{MEMBERS}/{alice}/points", headers=tenant.headers).json
    assert (points["balance"], points["held"]) == (200, 800)

    captured = post(client, tenant, f"/holds/{hold.json['id']}/capture", {"amount": 500})
    assert captured.status_code == 200, captured.json
    assert captured.json["changes"][0]["balance"] == 500
    again = post(client, tenant, f"/holds/{hold.json['id']}/release")
    assert again.status_code == 409
    assert again.json["code"] == "hold_not_open"
    shown = client.get(f"/api/v1/holds/{hold.json['id']}", headers=tenant.headers)
    assert shown.json["status"] == "captured"


def test_pending_points_become_the_members_when_captured(client, tenant, alice):
    pending = post(client, tenant, "/points/pending", {"member_id": alice, "amount": 300})
    assert pending.status_code == 201, pending.json
    assert client.get(f"{MEMBERS}/{alice}/points", headers=tenant.headers).json["pending"] == 300

    captured = post(client, tenant, f"/holds/{pending.json['id']}/capture")

    assert captured.status_code == 200, captured.json
    points = client.get(f"{MEMBERS}/{alice}/points", headers=tenant.headers).json
    assert (points["balance"], points["pending"]) == (300, 0)


def test_a_frozen_points_hold_blocks_spending_until_released(client, tenant, alice):
    post(client, tenant, "/points/earn", {"member_id": alice, "amount": 100})
    frozen = post(
        client, tenant, "/holds", {"member_id": alice, "kind": "freeze", "memo": "dispute"}
    )
    assert frozen.status_code == 201, frozen.json
    assert frozen.json["amount"] == 100

    refused = post(client, tenant, "/points/redeem", {"member_id": alice, "amount": 1})
    assert refused.status_code == 409
    assert refused.json["code"] == "insufficient_points"
    post(client, tenant, f"/holds/{frozen.json['id']}/release")
    assert (
        post(client, tenant, "/points/redeem", {"member_id": alice, "amount": 1}).status_code == 201
    )


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        (0, "validation_error"),
        (-5, "validation_error"),
        (99.5, "validation_error"),
        ("10", "validation_error"),
        (True, "validation_error"),
        (2**53, "validation_error"),
    ],
)
def test_bad_amounts_are_refused_and_post_nothing(client, tenant, alice, amount, code):
    response = post(client, tenant, "/points/earn", {"member_id": alice, "amount": amount})
    assert response.status_code == 422
    assert response.json["code"] == code
    assert "amount" in response.json["details"]
    history = client.get(f"{MEMBERS}/{alice}/points/history", headers=tenant.headers)
    assert history.json["items"] == []


def test_refusals_have_codes(client, tenant, alice):
    unknown = "01890a5d-ac96-774b-bcce-b302099a8057"
    cases = [
        ("/points/earn", {"member_id": unknown, "amount": 5}, 422, "unknown_member"),
        ("/points/redeem", {"member_id": alice, "amount": 5}, 409, "insufficient_points"),
        (
            "/points/earn",
            {"member_id": alice, "amount": 5, "expires_at": "2020-01-01T00:00:00+00:00"},
            422,
            "expiry_in_past",
        ),
        (
            "/points/adjust",
            {"member_id": alice, "amount": 0, "reason": "x"},
            422,
            "validation_error",
        ),
        (
            "/points/transfer",
            {"from_member_id": alice, "to_member_id": alice, "amount": 1},
            409,
            "transfer_refused",
        ),
        (f"/entries/{unknown}/reversal", {}, 404, "not_found"),
        (f"/holds/{unknown}/capture", {}, 404, "not_found"),
    ]
    for path, body, status, code in cases:
        response = post(client, tenant, path, body)
        assert (response.status_code, response.json["code"]) == (status, code), (
            path,
            response.json,
        )


def test_another_tenants_members_entries_and_holds_are_not_found(
    client, make_tenant, tenant, alice
):
    post(client, tenant, "/points/earn", {"member_id": alice, "amount": 100})
    entry = post(client, tenant, "/points/redeem", {"member_id": alice, "amount": 10}).json
    hold = post(
        client, tenant, "/holds", {"member_id": alice, "kind": "reserve", "amount": 10}
    ).json
    other = make_tenant("rival")

    refused = post(client, other, "/points/redeem", {"member_id": alice, "amount": 1})
    assert (refused.status_code, refused.json["code"]) == (422, "unknown_member")
    assert client.get(f"{MEMBERS}/{alice}/points", headers=other.headers).status_code == 404
    assert client.get(f"/api/v1/entries/{entry['id']}", headers=other.headers).status_code == 404
    assert post(client, other, f"/entries/{entry['id']}/reversal").status_code == 404
    assert post(client, other, f"/holds/{hold['id']}/release").status_code == 404
    summary = client.get(f"{MEMBERS}/{alice}/points", headers=tenant.headers).json
    assert (summary["balance"], summary["held"]) == (80, 10)


def test_points_need_their_scopes(client, make_tenant):
    reader = make_tenant("reader", scopes=("members:write", "points:read"))
    member = register(client, reader)
    refused = post(client, reader, "/points/earn", {"member_id": member, "amount": 1})
    assert (refused.status_code, refused.json["code"]) == (403, "forbidden")
    assert client.get(f"{MEMBERS}/{member}/points", headers=reader.headers).status_code == 200


def test_the_points_policy_is_read_and_changed_as_a_whole(client, tenant, alice, clock):
    changed = client.patch(
        "/api/v1/points/policy",
        json={"expiry": "rolling", "rolling_months": 12, "notice_days": [30, 7]},
        headers=tenant.headers,
    )
    assert changed.status_code == 200, changed.json
    assert changed.json["rolling_months"] == 12
    refused = client.patch(
        "/api/v1/points/policy", json={"expiry": "calendar"}, headers=tenant.headers
    )
    assert refused.status_code == 422
    assert set(refused.json["details"]) == {"clear_month", "clear_day", "clear_years"}
    assert client.get("/api/v1/points/policy", headers=tenant.headers).json["expiry"] == "rolling"

    earned = post(client, tenant, "/points/earn", {"member_id": alice, "amount": 10}).json
    summary = client.get(f"{MEMBERS}/{alice}/points", headers=tenant.headers).json
    # Earned on 1 March 2026 in Shanghai: usable through 1 March 2027.
    assert summary["expiring"] == [
        {"last_day": "2027-03-01", "expires_at": "2027-03-01T16:00:00+00:00", "points": 10}
    ]
    assert earned["kind"] == "earn"


def test_the_liability_report_adds_up_the_members_points(client, tenant, alice, clock):
    bob = register(client, tenant, "bob")
    soon = (clock.now() + timedelta(days=20)).isoformat()
    post(client, tenant, "/points/earn", {"member_id": alice, "amount": 100, "expires_at": soon})
    post(client, tenant, "/points/earn", {"member_id": bob, "amount": 50})
    post(client, tenant, "/holds", {"member_id": bob, "kind": "reserve", "amount": 20})
    post(client, tenant, "/points/pending", {"member_id": bob, "amount": 7})

    report = client.get("/api/v1/points/liability", headers=tenant.headers)

    assert report.status_code == 200
    assert report.json == {
        "outstanding": 130,
        "held": 20,
        "pending": 7,
        "debt": 0,
        "incurred_debt": 0,
        "repaid_debt": 0,
        "absorbed": 0,
        "expiring_30_days": 100,
        "expiring_90_days": 100,
        "members_with_points": 2,
    }


def test_the_liability_leaves_out_points_past_their_expiry_before_the_sweep(
    client, tenant, alice, clock
):
    bob, carol = register(client, tenant, "bob"), register(client, tenant, "carol")
    soon = (clock.now() + timedelta(days=10)).isoformat()
    post(client, tenant, "/points/earn", {"member_id": carol, "amount": 300, "expires_at": soon})
    post(client, tenant, "/points/earn", {"member_id": alice, "amount": 200, "expires_at": soon})
    post(client, tenant, "/points/earn", {"member_id": alice, "amount": 200})
    post(client, tenant, "/points/earn", {"member_id": bob, "amount": 100, "expires_at": soon})
    post(client, tenant, "/points/earn", {"member_id": bob, "amount": 100})
    post(client, tenant, "/holds", {"member_id": bob, "kind": "reserve", "amount": 150})
    # Carol's 300 and alice's 200 are due, bob's stay held; no sweep has run.
    clock.advance(days=11)

    report = client.get("/api/v1/points/liability", headers=tenant.headers).json
    balances = [
        client.get(f"{MEMBERS}/{m}/points", headers=tenant.headers).json["balance"]
        for m in (alice, bob, carol)
    ]

    assert balances == [200, 50, 0]
    assert (report["outstanding"], report["held"]) == (sum(balances), 150)
    assert report["members_with_points"] == 2


def test_the_points_api_is_in_the_openapi_document(client):
    spec = client.get("/api/openapi.json").json
    earn = spec["paths"]["/api/v1/points/earn"]["post"]
    assert "Idempotency-Key" in [p["name"] for p in earn["parameters"]]
    assert earn["security"] == [{"bearerAuth": []}]
    assert {"/api/v1/holds/{hold_id}/capture", "/api/v1/entries/{entry_id}/reversal"} <= set(
        spec["paths"]
    )
    amount = spec["components"]["schemas"]["Earn"]["properties"]["amount"]
    assert (amount["type"], amount["minimum"], amount["maximum"]) == ("integer", 1, 2**53 - 1)


def test_a_suspended_merchants_points_do_not_move(client, tenant, alice, svc):
    post(client, tenant, "/points/earn", {"member_id": alice, "amount": 100})
    with svc.db.transaction() as session:
        session.execute(
            update(Tenant).where(Tenant.id == tenant.tenant_id).values(status="suspended")
        )

    refused = post(client, tenant, "/points/redeem", {"member_id": alice, "amount": 10})

    assert (refused.status_code, refused.json["code"]) == (403, "tenant_suspended")
    with svc.db.transaction() as session:
        session.execute(update(Tenant).where(Tenant.id == tenant.tenant_id).values(status="active"))
    assert client.get(f"{MEMBERS}/{alice}/points", headers=tenant.headers).json["balance"] == 100


def test_an_earn_past_the_largest_balance_is_422_and_posts_nothing(client, tenant, alice):
    largest = 2**53 - 1
    post(client, tenant, "/points/earn", {"member_id": alice, "amount": largest})
    history = f"{MEMBERS}/{alice}/points/history"
    before = client.get(history, headers=tenant.headers).json

    refused = post(client, tenant, "/points/earn", {"member_id": alice, "amount": 1})

    assert refused.status_code == 422
    assert refused.json["code"] == "total_too_large"
    assert client.get(history, headers=tenant.headers).json == before
    points = client.get(f"{MEMBERS}/{alice}/points", headers=tenant.headers).json
    assert points["balance"] == largest


# --- where points went ---------------------------------------------------------------


def owe(client, tenant, member_id, points: int) -> dict:
    """Earn `points`, spend them all, and claw the earning back: the member owes them."""
    earned = post(client, tenant, "/points/earn", {"member_id": member_id, "amount": points})
    post(client, tenant, "/points/redeem", {"member_id": member_id, "amount": points})
    clawback = post(client, tenant, f"/entries/{earned.json['id']}/reversal")
    assert clawback.status_code == 201, clawback.json
    return clawback.json


def test_a_clawback_of_spent_points_says_they_became_debt(client, tenant, alice):
    clawback = owe(client, tenant, alice, 80)

    assert clawback["kind"] == "clawback"
    assert (clawback["incurred_debt"], clawback["absorbed"]) == (80, 0)
    assert clawback["changes"][0]["debt"] == 80


def test_an_earn_that_repays_debt_says_how_much_repaid_it(client, tenant, alice):
    owe(client, tenant, alice, 80)

    first = post(client, tenant, "/points/earn", {"member_id": alice, "amount": 50})
    second = post(client, tenant, "/points/earn", {"member_id": alice, "amount": 50})

    assert first.json["repaid_debt"] == 50
    assert first.json["changes"][0] | {"member_id": None} == {
        "member_id": None,
        "amount": 50,
        "running_total": -30,
        "balance": 0,
        "held": 0,
        "debt": 30,
    }
    assert second.json["repaid_debt"] == 30
    assert (second.json["changes"][0]["balance"], second.json["changes"][0]["debt"]) == (20, 0)
    read_back = client.get(f"/api/v1/entries/{first.json['id']}", headers=tenant.headers)
    assert read_back.json["repaid_debt"] == 50
    assert read_back.json["incurred_debt"] == 0


def test_an_earn_without_debt_repays_nothing(client, tenant, alice):
    earned = post(client, tenant, "/points/earn", {"member_id": alice, "amount": 50})

    assert (earned.json["repaid_debt"], earned.json["incurred_debt"]) == (0, 0)
    assert earned.json["absorbed"] == 0


def test_a_transfer_to_a_member_in_debt_repays_it_first(client, tenant, alice):
    bob = register(client, tenant, "bob")
    owe(client, tenant, bob, 30)
    post(client, tenant, "/points/earn", {"member_id": alice, "amount": 100})
    client.patch("/api/v1/points/policy", json={"transfers_enabled": True}, headers=tenant.headers)

    sent = post(
        client,
        tenant,
        "/points/transfer",
        {"from_member_id": alice, "to_member_id": bob, "amount": 40},
    )

    assert sent.status_code == 201, sent.json
    assert sent.json["repaid_debt"] == 30
    read_back = client.get(f"/api/v1/entries/{sent.json['id']}", headers=tenant.headers).json
    assert read_back["repaid_debt"] == 30
    assert client.get(f"{MEMBERS}/{bob}/points", headers=tenant.headers).json["balance"] == 10


def test_an_absorbed_shortfall_is_in_the_answer_and_in_the_entry_read_back(client, tenant, alice):
    policy = client.patch(
        "/api/v1/points/policy", json={"shortfall": "absorb"}, headers=tenant.headers
    )
    assert policy.status_code == 200

    clawback = owe(client, tenant, alice, 80)

    assert (clawback["absorbed"], clawback["incurred_debt"]) == (80, 0)
    read_back = client.get(f"/api/v1/entries/{clawback['id']}", headers=tenant.headers).json
    assert (read_back["absorbed"], read_back["incurred_debt"]) == (80, 0)
    summary = client.get(f"{MEMBERS}/{alice}/points", headers=tenant.headers).json
    assert (summary["balance"], summary["debt"]) == (0, 0)


def test_the_liability_says_where_clawed_back_points_went(client, tenant, make_tenant, alice):
    bob = register(client, tenant, "bob")
    # Alice earns 100 and spends 80; the earning is clawed back: 20 from her balance, the
    # 80 she spent become debt. She then earns 50, which all repay it: she owes 30.
    earned = post(client, tenant, "/points/earn", {"member_id": alice, "amount": 100}).json
    post(client, tenant, "/points/redeem", {"member_id": alice, "amount": 80})
    clawback = post(client, tenant, f"/entries/{earned['id']}/reversal").json
    repaying = post(client, tenant, "/points/earn", {"member_id": alice, "amount": 50}).json
    # Bob earns 60 and spends them all; 40 of it is clawed back, and the merchant now
    # absorbs what members have spent.
    client.patch("/api/v1/points/policy", json={"shortfall": "absorb"}, headers=tenant.headers)
    bobs = post(client, tenant, "/points/earn", {"member_id": bob, "amount": 60}).json
    post(client, tenant, "/points/redeem", {"member_id": bob, "amount": 60})
    absorbing = post(client, tenant, f"/entries/{bobs['id']}/reversal", {"amount": 40}).json
    # Another merchant's debt is not this one's.
    rival = make_tenant("rival")
    owe(client, rival, register(client, rival, "carol"), 70)

    report = client.get("/api/v1/points/liability", headers=tenant.headers).json

    assert (clawback["incurred_debt"], repaying["repaid_debt"], absorbing["absorbed"]) == (
        80,
        50,
        40,
    )
    assert report == {
        "outstanding": 0,
        "held": 0,
        "pending": 0,
        "debt": 30,
        "incurred_debt": 80,
        "repaid_debt": 50,
        "absorbed": 40,
        "expiring_30_days": 0,
        "expiring_90_days": 0,
        "members_with_points": 0,
    }
    rivals = client.get("/api/v1/points/liability", headers=rival.headers).json
    assert (rivals["debt"], rivals["incurred_debt"], rivals["repaid_debt"]) == (70, 70, 0)

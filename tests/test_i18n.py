"""What clients read comes in their language: `Accept-Language`, else the tenant's locale.

The catalogs under platform/translations must translate every message the code shows
(errors, award reasons, the platform's memos, notices), and their committed .mo files
must match the .po files.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from babel import Locale
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from conftest import TenantKey, sqlite_only
from marshmallow import ValidationError, validate
from sqlalchemy import select
from sqlalchemy.orm.attributes import flag_modified

from jifen.field_messages import as_message, rendered
from jifen.i18n import CATALOGS, LOCALES
from jifen.rules.models import Event

ROOT = Path(__file__).parents[1]
ENGLISH = {"Accept-Language": "en"}
CHINESE = {"Accept-Language": "zh-CN"}
NO_PREFERENCE: dict[str, str] = {}


def used_message_ids() -> set[str]:
    """Every message id the code marks with N_, and the templates with _, as
    `make translations` extracts them."""
    found = set()
    for folder, method_map, keywords in (
        ("platform", [("**.py", "python")], {"N_": None}),
        ("plugins", [("**.py", "python")], {"N_": None}),
        ("themes", [("**/templates/**.html", "jinja2")], {"_": None}),
        ("platform", [("templates/**.html", "jinja2")], {"_": None}),
    ):
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / folder, method_map=method_map, keywords=keywords
        ):
            found.add(message)
    return found


def catalog_file(locale: str, suffix: str) -> Path:
    """A locale's catalog, in the folder Babel looks in (zh_CN's is zh_Hans_CN)."""
    return CATALOGS / str(Locale.parse(locale)) / "LC_MESSAGES" / f"messages.{suffix}"


def catalog(locale: str):
    with catalog_file(locale, "po").open("rb") as po:
        return read_po(po, locale=locale)


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_the_code_shows_is_translated(locale):
    translations = catalog(locale)
    missing = [
        message_id
        for message_id in sorted(used_message_ids())
        if message_id not in translations
        or not translations[message_id].string
        or translations[message_id].fuzzy
    ]
    assert not missing, f"{locale} lacks translations (run `make translations`): {missing}"


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_keep_their_parameters(locale):
    # A translation naming other %(parameters)s than its id would fail when rendered.
    problems = [(message.id, errors) for message, errors in catalog(locale).check()]
    assert not problems


@pytest.mark.parametrize("locale", LOCALES)
def test_the_committed_mo_files_are_compiled_from_the_po_files(locale):
    with catalog_file(locale, "mo").open("rb") as mo:
        compiled = {m.id: m.string for m in read_mo(mo) if m.id}
    written = {m.id: m.string for m in catalog(locale) if m.id and not m.fuzzy}
    assert compiled == written, "stale .mo: run `make translations`"


# --- through the API --------------------------------------------------------------------


def no_language_client(app):
    """A client that sends no Accept-Language (the suite's client asks for English)."""
    own = app.test_client()
    own.environ_base.pop("HTTP_ACCEPT_LANGUAGE", None)
    return own


def post(client, tenant: TenantKey, path: str, body: dict, language: dict[str, str]):
    return client.post(f"/api/v1{path}", json=body, headers=tenant.headers | language)


def new_member(client, tenant: TenantKey, external_id: str) -> str:
    response = post(client, tenant, "/members", {"external_id": external_id}, ENGLISH)
    assert response.status_code == 201, response.json
    return str(response.json["id"])


def self_transfer(client, tenant: TenantKey, member_id: str, language: dict[str, str]):
    body = {"from_member_id": member_id, "to_member_id": member_id, "amount": 1}
    response = post(client, tenant, "/points/transfer", body, language)
    assert response.status_code == 409, response.json
    assert response.json["code"] == "transfer_refused"
    return response.json["message"]


@pytest.mark.parametrize(
    ("language", "message"),
    [
        (ENGLISH, "A member cannot transfer points to themselves."),
        (CHINESE, "会员不能给自己转赠积分。"),
        (NO_PREFERENCE, "会员不能给自己转赠积分。"),  # the tenant's locale, zh_CN by default
    ],
)
def test_an_error_message_is_in_the_readers_language_and_its_code_stays(
    app, tenant, language, message
):
    client = no_language_client(app)
    alice = new_member(client, tenant, "alice")
    assert self_transfer(client, tenant, alice, language) == message


def test_without_a_preference_an_english_tenant_reads_english(app, make_tenant):
    client = no_language_client(app)
    london = make_tenant("london", locale="en")
    alice = new_member(client, london, "alice")

    assert self_transfer(client, london, alice, NO_PREFERENCE) == (
        "A member cannot transfer points to themselves."
    )
    assert self_transfer(client, london, alice, CHINESE) == "会员不能给自己转赠积分。"


@sqlite_only
def test_a_key_past_its_rate_limit_is_refused_in_its_tenants_language(app, make_tenant):
    client = no_language_client(app)
    london = make_tenant("london", locale="en", rate_limit=1)
    new_member(client, london, "alice")

    refused = post(client, london, "/members", {"external_id": "bob"}, NO_PREFERENCE)

    assert (refused.status_code, refused.json["code"]) == (429, "rate_limited")
    assert refused.json["message"] == (
        "This API key made too many requests; retry after Retry-After seconds."
    )


def test_an_error_message_fills_in_its_parameters_in_each_language(app, make_tenant):
    client = no_language_client(app)
    reader = make_tenant("reader", scopes=("members:read",))
    body = {"external_id": "alice"}

    english = post(client, reader, "/members", body, ENGLISH)
    chinese = post(client, reader, "/members", body, CHINESE)

    assert (english.status_code, english.json["code"]) == (403, "forbidden")
    assert (chinese.status_code, chinese.json["code"]) == (403, "forbidden")
    assert english.json["message"] == "This API key lacks the scope 'members:write'."
    assert chinese.json["message"] == "此 API 密钥缺少权限范围 'members:write'。"


def test_an_id_that_names_nothing_is_told_in_the_readers_language(app, tenant):
    client = no_language_client(app)
    nobody = "0190f5a4-5b7e-7c3d-8a2b-1234567890ab"
    headers = tenant.headers | CHINESE

    in_path = client.get(f"/api/v1/members/{nobody}", headers=headers)
    in_body = post(client, tenant, "/points/earn", {"member_id": nobody, "amount": 5}, CHINESE)

    assert (in_path.status_code, in_path.json["code"]) == (404, "not_found")
    assert (in_body.status_code, in_body.json["code"]) == (422, "unknown_member")
    assert in_path.json["message"] == in_body.json["message"] == "会员不存在。"


def test_an_http_error_of_the_framework_is_translated_too(app, tenant):
    client = no_language_client(app)
    body = {"external_id": 12}

    english = post(client, tenant, "/members", body, ENGLISH)
    default = post(client, tenant, "/members", body, NO_PREFERENCE)

    assert (english.status_code, english.json["code"]) == (422, "validation_error")
    assert (default.status_code, default.json["code"]) == (422, "validation_error")
    assert english.json["message"] == "The request is not valid."
    assert default.json["message"] == "请求无效。"


def spend_event(event_id: str, member_id: str) -> dict:
    return {
        "id": event_id,
        "kind": "purchase",
        "member_id": member_id,
        "data": {"amount": 12_800, "currency": "CNY"},
    }


@pytest.fixture
def spender(app, tenant) -> str:
    """A member of a tenant whose spend rule gives 1 point per 1.00 CNY."""
    client = no_language_client(app)
    rule = {"name": "spend", "type": "spend", "params": {"rate": "1"}, "status": "active"}
    assert post(client, tenant, "/rules", rule, ENGLISH).status_code == 201
    return new_member(client, tenant, "alice")


def reasons(response) -> list[str]:
    assert response.status_code in (200, 201), response.json
    return [award["reason"] for award in response.json["awards"]]


@pytest.mark.parametrize(
    ("language", "reason"),
    [
        (ENGLISH, "1 point per 1.00 CNY on 128.00 CNY"),
        (CHINESE, "消费 128.00 CNY，每 1.00 CNY 得 1 积分"),
        (NO_PREFERENCE, "消费 128.00 CNY，每 1.00 CNY 得 1 积分"),
    ],
)
def test_an_award_reason_is_in_the_readers_language(app, tenant, spender, language, reason):
    client = no_language_client(app)
    answer = post(client, tenant, "/events", spend_event("order-1", spender), language)
    assert reasons(answer) == [reason]
    assert answer.json["points"] == 128


def test_an_award_is_kept_as_data_and_read_back_in_another_language(app, tenant, spender):
    client = no_language_client(app)
    event = spend_event("order-1", spender)
    post(client, tenant, "/events", event, ENGLISH)

    replayed = post(client, tenant, "/events", event, CHINESE)

    assert replayed.status_code == 200
    assert reasons(replayed) == ["消费 128.00 CNY，每 1.00 CNY 得 1 积分"]


def test_an_award_recorded_before_reasons_were_translated_keeps_its_text(app, svc, tenant, spender):
    client = no_language_client(app)
    event = spend_event("order-1", spender)
    post(client, tenant, "/events", event, ENGLISH)
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        # As the engine stored an award before it kept message ids: the English text only.
        row = session.scalars(select(Event).where(Event.event_id == "order-1")).one()
        for award in row.result["awards"]:
            del award["message"]
            award["reason"] = "1 point per 1.00 CNY on 128.00 CNY (old wording)"
        flag_modified(row, "result")

    for language in (ENGLISH, CHINESE, NO_PREFERENCE):
        replayed = post(client, tenant, "/events", event, language)
        assert reasons(replayed) == ["1 point per 1.00 CNY on 128.00 CNY (old wording)"]


@sqlite_only
def test_every_refused_item_of_an_event_batch_reads_in_the_readers_language(app, tenant):
    client = no_language_client(app)
    alice = new_member(client, tenant, "alice")
    data = {"amount": 100, "currency": "CNY"}
    invalid = {"id": "e1", "member_id": alice, "data": data}  # no kind
    unknown = {"id": "e2", "kind": "purchase", "member_id": str(uuid.uuid4()), "data": data}
    answer = post(client, tenant, "/events:batch", {"events": [invalid, unknown]}, CHINESE)

    assert answer.status_code == 200, answer.json
    errors = [item["error"] for item in answer.json["items"]]
    assert [e["code"] for e in errors] == ["validation_error", "unknown_member"]
    assert errors[0]["message"] == "事件无效。"
    assert all(not e["message"].isascii() for e in errors)


@sqlite_only
def test_chinese_answers_are_sent_as_utf8_not_escaped(client, tenant):
    created = client.post(
        "/api/v1/members",
        json={"external_id": "u-zh", "name": "王小明"},
        headers={**tenant.headers, "Accept-Language": "zh-CN"},
    )

    assert created.status_code == 201
    assert "王小明".encode() in created.get_data()
    assert created.headers["Content-Type"] == "application/json"


# --- the field-level messages of an error's details -------------------------------------


class BadInput(NamedTuple):
    method: str
    path: str  # {member}: a member's id
    body: Any
    english: Any  # the answer's details, as in English
    chinese: Any


# Bad input of each sort: marshmallow's messages (those of a validator formatted with its
# values, in the body, the query and a list's items) and ours (a field's, a domain
# error's, a rule type's schema's).
BAD_INPUT = [
    BadInput(
        "POST",
        "/members",
        {"external_id": 12},
        {"external_id": ["Not a valid string."]},
        {"external_id": ["不是有效的字符串。"]},
    ),
    BadInput(
        "POST",
        "/members",
        {"name": "Li"},
        {"external_id": ["Missing data for required field."]},
        {"external_id": ["缺少必填字段。"]},
    ),
    BadInput(
        "POST",
        "/members",
        {"external_id": "bob", "nickname": "Bob"},
        {"nickname": ["Unknown field."]},
        {"nickname": ["未知字段。"]},
    ),
    BadInput(
        "POST",
        "/members",
        {"external_id": "x" * 129},
        {"external_id": ["Longer than maximum length 128."]},
        {"external_id": ["超过最大长度 128。"]},
    ),
    BadInput(
        "POST",
        "/members",
        {"external_id": "bob", "tags": ["vip", 5, "x" * 33]},
        {"tags": {"1": ["Not a valid string."], "2": ["Longer than maximum length 32."]}},
        {"tags": {"1": ["不是有效的字符串。"], "2": ["超过最大长度 32。"]}},
    ),
    BadInput(
        "POST",
        "/points/earn",
        {"member_id": "{member}", "amount": 0},
        {
            "amount": [
                "Must be greater than or equal to 1 and less than or equal to 9007199254740991."
            ]
        },
        {"amount": ["必须大于或等于 1 且小于或等于 9007199254740991。"]},
    ),
    BadInput(
        "GET",
        "/members?limit=0",
        None,
        {"query": {"limit": ["Must be greater than or equal to 1 and less than or equal to 200."]}},
        {"query": {"limit": ["必须大于或等于 1 且小于或等于 200。"]}},
    ),
    BadInput(
        "PATCH",
        "/members/{member}",
        {"status": "gone"},
        {"status": ["Must be one of: active, frozen."]},
        {"status": ["必须是以下之一：active, frozen。"]},
    ),
    BadInput(
        "POST",
        "/members",
        {"external_id": "bob", "name": "Bob\u0000"},
        {"name": ["Contains a character that is not allowed."]},
        {"name": ["包含不允许的字符。"]},
    ),
    BadInput(
        "POST",
        "/points/adjust",
        {"member_id": "{member}", "amount": 5, "reason": ""},
        {"reason": ["Length must be between 1 and 255."]},
        {"reason": ["长度必须在 1 到 255 之间。"]},
    ),
    BadInput(
        "POST",
        "/rules",
        {
            "name": "Spend",
            "type": "spend",
            "starts_at": "2026-03-02T00:00:00Z",
            "ends_at": "2026-03-01T00:00:00Z",
        },
        {"ends_at": ["Must be after starts_at."]},
        {"ends_at": ["必须晚于 starts_at。"]},
    ),
    BadInput(
        "POST",
        "/rules",
        {"name": "Spend", "type": "spend", "params": {"rate": "0.123456789"}},
        {"params": {"rate": ["At most 8 decimal places."]}},
        {"params": {"rate": ["最多 8 位小数。"]}},
    ),
]


def refused_details(app, tenant: TenantKey, language: dict[str, str]) -> list[Any]:
    """The details of the answer to each of BAD_INPUT, in `language`."""
    client = no_language_client(app)
    alice = new_member(client, tenant, "alice")
    found = []
    for case in BAD_INPUT:
        path, body = case.path.format(member=alice), case.body
        if body is not None:
            body = {
                name: value.format(member=alice) if isinstance(value, str) else value
                for name, value in body.items()
            }
        headers = tenant.headers | language
        response = client.open(f"/api/v1{path}", method=case.method, json=body, headers=headers)
        assert response.status_code == 422, (case, response.json)
        found.append(response.json["details"])
    return found


@pytest.mark.parametrize(
    ("language", "column"), [(ENGLISH, "english"), (CHINESE, "chinese"), (NO_PREFERENCE, "chinese")]
)
def test_what_the_details_say_of_each_field_is_in_the_readers_language(
    app, tenant, language, column
):
    assert refused_details(app, tenant, language) == [getattr(c, column) for c in BAD_INPUT]


# Each message marshmallow's validators format, with a value each refuses.
VALIDATORS = [
    (validate.Range(min=1), 0),
    (validate.Range(min=1, min_inclusive=False), 1),
    (validate.Range(max=1), 2),
    (validate.Range(max=1, max_inclusive=False), 1),
    (validate.Range(min=1, max=2), 3),
    (validate.Range(min=1, max=2, min_inclusive=False), 1),
    (validate.Range(min=1, max=2, max_inclusive=False), 2),
    (validate.Range(min=1, max=2, min_inclusive=False, max_inclusive=False), 2),
    (validate.Length(min=2), "a"),
    (validate.Length(max=1), "ab"),
    (validate.Length(min=1, max=2), ""),
    (validate.Length(equal=2), "a"),
    (validate.OneOf(["day", "week"]), "year"),
    (validate.Regexp(r"^[A-Z]{3}$"), "cny"),
]


def refusal_of(validator: validate.Validator, value: Any) -> str:
    with pytest.raises(ValidationError) as refused:
        validator(value)
    (text,) = refused.value.messages
    return str(text)


@sqlite_only
def test_marshmallows_validators_read_as_written_in_english_and_in_chinese_otherwise(app):
    texts = [refusal_of(validator, value) for validator, value in VALIDATORS]

    with app.test_request_context(headers=ENGLISH):
        english = [rendered(as_message(text)) for text in texts]
    with app.test_request_context(headers=CHINESE):
        chinese = [rendered(as_message(text)) for text in texts]

    assert english == texts
    assert [text for text in chinese if text.isascii()] == []


# Values a client may send that read like a catalog's message: a memo's id, an award's
# reason, one of marshmallow's messages.
LOOKALIKES = ["top-up", "happy birthday", "Unknown field.", "Not a valid integer."]


@sqlite_only
@pytest.mark.parametrize("value", LOOKALIKES)
def test_a_value_a_refusal_echoes_reads_as_sent_in_any_language(client, tenant, value):
    new_member(client, tenant, value)
    body = {"external_id": value}

    again = post(client, tenant, "/members", body, CHINESE)

    assert again.status_code == 409, again.json
    assert again.json["details"] == {"external_id": value}
    assert again.json["message"] == "已存在使用此 external_id 的会员。"


# --- ledger memos -----------------------------------------------------------------------


def memos_shown(client, tenant: TenantKey, member_id: str, kind: str, language):
    """The memo of the member's latest entry of `kind`, as their history and the entry
    show it to a reader of `language`."""
    headers = tenant.headers | language
    history = client.get(f"/api/v1/members/{member_id}/points/history?kind={kind}", headers=headers)
    assert history.status_code == 200, history.json
    line = history.json["items"][0]
    entry = client.get(f"/api/v1/entries/{line['entry_id']}", headers=headers)
    assert entry.status_code == 200, entry.json
    return line["memo"], entry.json["memo"]


def earn(client, tenant: TenantKey, member_id: str, amount: int, **fields) -> dict:
    body = {"member_id": member_id, "amount": amount, **fields}
    response = post(client, tenant, "/points/earn", body, ENGLISH)
    assert response.status_code == 201, response.json
    return response.json


@pytest.mark.parametrize(
    ("language", "memo"),
    [(ENGLISH, "lottery prize: Gold coins"), (CHINESE, "抽奖奖品：Gold coins")],
)
def test_a_lottery_prize_reads_in_the_readers_language(client, tenant, language, memo):
    prizes = [
        {"code": "gold", "name": "Gold coins", "weight": 1, "stock": 1, "points": 1_000},
        {"code": "thanks", "name": "Thank you", "weight": 0},
    ]
    wheel = {
        "kind": "service",
        "name": "Wheel",
        "points_price": 100,
        "stock": None,
        "status": "active",
        "mode": "lottery",
        "mode_params": {"prizes": prizes, "consolation": "thanks"},
        "service": {"booking_url": "https://x.example.com", "valid_days": 1},
    }
    product = post(client, tenant, "/products", wheel, ENGLISH).json
    player = new_member(client, tenant, "alice")
    earn(client, tenant, player, 500)
    body = {"member_id": player, "product_id": product["id"], "quantity": 1}
    order = post(client, tenant, "/orders", body, language)
    assert order.status_code == 201, order.json

    assert memos_shown(client, tenant, player, "earn", language) == (memo, memo)


@pytest.mark.parametrize(
    ("language", "memo"),
    [(ENGLISH, "refund on order order-1"), (CHINESE, "订单 order-1 退款")],
)
def test_a_refund_of_an_order_reads_in_the_readers_language(
    client, tenant, spender, language, memo
):
    post(client, tenant, "/events", spend_event("order-1", spender), ENGLISH)
    refund = {
        "id": "refund-1",
        "kind": "refund",
        "member_id": spender,
        "data": {"order_id": "order-1", "amount": 12_800},
    }
    answer = post(client, tenant, "/events", refund, language)
    assert (answer.status_code, answer.json["points"]) == (201, -128)

    assert memos_shown(client, tenant, spender, "clawback", language) == (memo, memo)


@pytest.mark.parametrize(
    ("language", "captured", "refunded"),
    [
        (ENGLISH, "checkout order POS-1", "checkout refund"),
        (CHINESE, "订单 POS-1 积分抵扣", "积分抵扣退回"),
    ],
)
def test_a_checkout_order_reads_in_the_readers_language(
    client, tenant, language, captured, refunded
):
    shopper = new_member(client, tenant, "alice")
    earn(client, tenant, shopper, 5_000)
    body = {"member_id": shopper, "points": 3_000, "order_ref": "POS-1", "order_amount": 10_000}
    held = post(client, tenant, "/checkout/authorizations", body, ENGLISH)
    assert held.status_code == 201, held.json
    path = f"/checkout/authorizations/{held.json['id']}"
    assert post(client, tenant, f"{path}:capture", {}, ENGLISH).status_code == 200
    assert post(client, tenant, f"{path}:refund", {"points": 1_000}, ENGLISH).status_code == 200

    assert memos_shown(client, tenant, shopper, "redeem", language) == (captured, captured)
    assert memos_shown(client, tenant, shopper, "refund", language) == (refunded, refunded)


def test_a_memo_a_client_wrote_reads_as_written_in_every_language(client, tenant):
    alice = new_member(client, tenant, "alice")
    earned = earn(client, tenant, alice, 500, memo="welcome gift")

    assert earned["memo"] == "welcome gift"
    for language in (ENGLISH, CHINESE):
        assert memos_shown(client, tenant, alice, "earn", language) == (
            "welcome gift",
            "welcome gift",
        )

"""The shared types: strict integers, clean text, 16-byte ids, UTC instants, the clock."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from marshmallow import Schema, ValidationError
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError

import jifen.types
from jifen import clock as clocks
from jifen.config import Settings
from jifen.members.models import Member
from jifen.services import Services
from jifen.types import MAX_SAFE_INTEGER, StrictInteger, Text, new_id

SHANGHAI = timezone(timedelta(hours=8))

# --- StrictInteger -------------------------------------------------------------------


class PointsSchema(Schema):
    points = StrictInteger(minimum=1)
    anything = StrictInteger()


def load_points(value):
    return PointsSchema().load({"points": value})["points"]


@pytest.mark.parametrize("value", [1, 99, MAX_SAFE_INTEGER])
def test_strict_integer_accepts_json_integers_in_range(value):
    assert load_points(value) == value


@pytest.mark.parametrize(
    "value",
    [
        99.5,
        99.0,
        "99",
        "99.5",
        True,
        False,
        None,
        [99],
        {"points": 99},
        float("nan"),
        float("inf"),
    ],
)
def test_strict_integer_refuses_anything_but_an_integer(value):
    with pytest.raises(ValidationError) as error:
        load_points(value)
    assert "points" in error.value.messages


@pytest.mark.parametrize("value", [MAX_SAFE_INTEGER + 1, 2**63, 10**400, 0, -1, -(2**63)])
def test_strict_integer_refuses_values_out_of_range(value):
    with pytest.raises(ValidationError) as error:
        load_points(value)
    assert "points" in error.value.messages


def test_strict_integer_minimum_defaults_to_zero():
    assert PointsSchema().load({"anything": 0}) == {"anything": 0}
    with pytest.raises(ValidationError):
        PointsSchema().load({"anything": -1})


# --- Text ----------------------------------------------------------------------------


class NameSchema(Schema):
    name = Text(min_length=1, max_length=5)


def load_name(value):
    return NameSchema().load({"name": value})["name"]


@pytest.mark.parametrize(
    "value",
    [
        "a\x00b",
        "\x00",
        "a\x07",
        "\x1b[31m",
        "a\rb",
        "a\x7fb",
        "a\x85b",
        "\ud800",
        "a\udfffb",
        "\udbff\udfff",
        "\x1fab",  # at either end too: trimming does not hide it
        "ab\x0b",
    ],
)
def test_text_refuses_nul_control_and_surrogate_characters(value):
    with pytest.raises(ValidationError) as error:
        load_name(value)
    assert error.value.messages == {"name": ["Contains a character that is not allowed."]}


@pytest.mark.parametrize("value", ["李雷", "a\tb", "a\nb", "😀", "é", "a b"])
def test_text_accepts_ordinary_text_with_tabs_and_newlines(value):
    assert load_name(value) == value


@pytest.mark.parametrize(
    ("value", "expected"),
    [("  li ", "li"), ("\u3000李雷\u3000", "李雷"), ("\n\tab\n", "ab")],
)
def test_text_strips_surrounding_whitespace(value, expected):
    assert load_name(value) == expected


# The length is the schema's maxLength, of the text as sent: "  abcde  " is 9 characters.
@pytest.mark.parametrize(
    "value", ["", "   ", "\u3000", "abcdef", "  abcde  ", 5, None, ["a"], True]
)
def test_text_enforces_type_and_length(value):
    with pytest.raises(ValidationError):
        load_name(value)


# --- ids -----------------------------------------------------------------------------


def test_new_ids_are_uuid7_and_increase():
    ids = [new_id() for _ in range(2000)]
    assert all(i.version == 7 for i in ids)
    assert all(i.variant == uuid.RFC_4122 for i in ids)
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert [i.bytes for i in ids] == sorted(i.bytes for i in ids)


def test_a_burst_of_ids_does_not_run_ahead_of_the_clock():
    before = time.time_ns() // 1_000_000
    burst = [new_id() for _ in range(20_000)]
    after = time.time_ns() // 1_000_000
    assert burst == sorted(burst)
    for made in (burst[0], burst[-1]):
        assert before <= made.int >> 80 <= after


def test_ids_keep_increasing_when_the_wall_clock_steps_back(monkeypatch):
    first = new_id()
    earlier = time.time_ns() - 5 * 10**9
    monkeypatch.setattr(jifen.types.time, "time_ns", lambda: earlier)
    later = [new_id() for _ in range(100)]
    assert [first, *later] == sorted([first, *later])
    assert all(i.version == 7 and i.variant == uuid.RFC_4122 for i in later)


def register(client, tenant, **fields):
    body = {"external_id": f"u-{uuid.uuid4().hex[:8]}", **fields}
    response = client.post("/api/v1/members", json=body, headers=tenant.headers)
    assert response.status_code == 201, response.json
    return response.json


def test_ids_are_16_bytes_on_sqlite_and_native_uuid_on_postgresql(client, tenant, svc, database):
    member_id = uuid.UUID(register(client, tenant)["id"])
    with svc.db.engine.begin() as conn:
        if database.engine == "sqlite":
            rows = conn.execute(
                text(
                    "SELECT typeof(id), length(id), typeof(tenant_id), length(tenant_id), id"
                    " FROM members"
                )
            ).all()
            assert rows == [("blob", 16, "blob", 16, member_id.bytes)]
            tenant_row = conn.execute(
                text("SELECT typeof(id), length(id) FROM tenants WHERE id = :id"),
                {"id": tenant.tenant_id.bytes},
            ).one()
            assert tuple(tenant_row) == ("blob", 16)
        else:
            types = conn.execute(
                text(
                    "SELECT column_name, data_type FROM information_schema.columns"
                    " WHERE table_name = 'members' AND column_name IN ('id', 'tenant_id')"
                )
            ).all()
            assert sorted(types) == [("id", "uuid"), ("tenant_id", "uuid")]
            conn.execute(
                text("SELECT set_config('jifen.tenant_id', :t, true)"),
                {"t": str(tenant.tenant_id)},
            )
            assert conn.execute(text("SELECT id::text FROM members")).scalar_one() == str(member_id)


def test_ids_round_trip_through_the_orm(client, tenant, svc):
    member_id = uuid.UUID(register(client, tenant)["id"])
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        member = session.get(Member, (tenant.tenant_id, member_id))
        assert member is not None
        assert isinstance(member.id, uuid.UUID) and member.id == member_id
        assert isinstance(member.tenant_id, uuid.UUID) and member.tenant_id == tenant.tenant_id
        by_text = session.scalar(select(Member.id).where(Member.id == str(member_id)))
        assert by_text == member_id


def test_ids_sort_in_creation_order_in_the_database(client, tenant, svc):
    made = [uuid.UUID(register(client, tenant)["id"]) for _ in range(5)]
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        assert list(session.scalars(select(Member.id).order_by(Member.id))) == made


# --- UTC instants --------------------------------------------------------------------


def test_created_at_comes_back_aware_utc_through_a_fresh_session(client, tenant, svc, clock):
    clock.set(datetime(2026, 7, 1, 23, 30, tzinfo=SHANGHAI))
    member_id = uuid.UUID(register(client, tenant)["id"])
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        member = session.get(Member, (tenant.tenant_id, member_id))
        assert member.created_at == datetime(2026, 7, 1, 15, 30, tzinfo=UTC)
        assert member.created_at.tzinfo is UTC
        assert member.updated_at.tzinfo is UTC
        assert member.erased_at is None


def _member(tenant_id: uuid.UUID, created_at: datetime) -> Member:
    return Member(
        tenant_id=tenant_id,
        id=new_id(),
        external_id=f"m-{uuid.uuid4().hex[:8]}",
        status="active",
        created_at=created_at,
        updated_at=created_at,
    )


def test_a_naive_datetime_is_refused_by_the_database_layer(svc, tenant):
    with (
        pytest.raises(StatementError, match="naive datetime"),
        svc.db.transaction(tenant_id=tenant.tenant_id) as session,
    ):
        session.add(_member(tenant.tenant_id, datetime(2026, 3, 1, 9, 30)))
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        assert session.scalars(select(Member)).all() == []


def test_an_instant_in_any_zone_is_stored_as_the_same_instant(svc, tenant):
    local = datetime(2026, 1, 1, 0, 30, 15, 123456, tzinfo=SHANGHAI)
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        member = _member(tenant.tenant_id, local)
        session.add(member)
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        stored = session.get(Member, (tenant.tenant_id, member.id))
        assert stored.created_at == local
        assert stored.created_at == datetime(2025, 12, 31, 16, 30, 15, 123456, tzinfo=UTC)
        assert stored.created_at.tzinfo is UTC


def test_instants_compare_correctly_in_queries_across_zones(svc, tenant):
    times = [datetime(2026, 3, 1, h, tzinfo=UTC) for h in (1, 5, 9)]
    with svc.db.transaction(tenant_id=tenant.tenant_id) as session:
        members = [_member(tenant.tenant_id, t) for t in times]
        session.add_all(members)
    # 12:00 in Shanghai is 04:00 UTC: only the 05:00 and 09:00 members are later.
    noon_shanghai = datetime(2026, 3, 1, 12, tzinfo=SHANGHAI)
    with svc.db.session(tenant_id=tenant.tenant_id) as session:
        later = session.scalars(
            select(Member.id).where(Member.created_at > noon_shanghai).order_by(Member.id)
        ).all()
    assert later == [members[1].id, members[2].id]


# --- the clock -----------------------------------------------------------------------

START = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def test_manual_clock_moves_only_when_told():
    clock = clocks.ManualClock(START)
    assert clock.now() == START
    assert clock.now() == START
    assert clock.advance(days=1, hours=2) == START + timedelta(days=1, hours=2)
    assert clock.now() == START + timedelta(days=1, hours=2)
    clock.set(datetime(2027, 1, 1, 8, tzinfo=SHANGHAI))
    assert clock.now() == datetime(2027, 1, 1, tzinfo=UTC)
    assert clock.now().tzinfo is UTC


def test_manual_clock_keeps_utc_whatever_zone_it_is_given():
    clock = clocks.ManualClock(datetime(2026, 3, 1, 17, 30, tzinfo=SHANGHAI))
    assert clock.now() == START
    assert clock.now().utcoffset() == timedelta(0)


def test_manual_clock_refuses_naive_instants():
    with pytest.raises(ValueError, match="naive"):
        clocks.ManualClock(datetime(2026, 3, 1, 9, 30))
    clock = clocks.ManualClock(START)
    with pytest.raises(ValueError, match="naive"):
        clock.set(datetime(2026, 3, 1, 9, 30))
    assert clock.now() == START


def test_file_clock_reads_the_instant_another_process_writes(tmp_path):
    path = tmp_path / "now"
    path.write_text("2026-03-01T09:30:00Z\n")
    clock = clocks.FileClock(path)
    assert clock.now() == START
    path.write_text("2026-03-02T09:30:00+08:00")
    assert clock.now() == datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
    assert clock.now().tzinfo is UTC


@pytest.mark.parametrize("content", ["2026-03-01T09:30:00", "2026-03-01", "tomorrow", ""])
def test_file_clock_refuses_instants_without_a_zone_or_nonsense(tmp_path, content):
    path = tmp_path / "now"
    path.write_text(content)
    with pytest.raises(ValueError):
        clocks.FileClock(path).now()


def test_clock_from_setting(tmp_path):
    assert isinstance(clocks.from_setting(None), clocks.SystemClock)
    assert isinstance(clocks.from_setting(""), clocks.SystemClock)
    system_now = clocks.from_setting(None).now()
    assert system_now.tzinfo is not None
    assert abs(system_now - datetime.now(UTC)) < timedelta(seconds=5)

    frozen = clocks.from_setting("2026-03-01T17:30:00+08:00")
    assert isinstance(frozen, clocks.ManualClock)
    assert frozen.now() == START

    path = tmp_path / "clock"
    path.write_text("2026-03-01T09:30:00Z")
    from_file = clocks.from_setting(f"file:{path}")
    assert isinstance(from_file, clocks.FileClock)
    assert from_file.now() == START


def test_clock_from_setting_refuses_a_naive_instant():
    with pytest.raises(ValueError, match="timezone"):
        clocks.from_setting("2026-03-01T09:30:00")


def test_a_clock_setting_is_refused_outside_test_processes(tmp_path):
    settings = Settings.from_env(
        {},
        database_url=f"sqlite:///{tmp_path / 'x.db'}",
        instance_path=tmp_path,
        secret_key="s" * 48,
        clock="2026-03-01T09:30:00Z",
    )
    with pytest.raises(ValueError, match="JIFEN_CLOCK"):
        Services.build(settings)

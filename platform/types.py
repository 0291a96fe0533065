"""Column and field types every model and schema uses, so no float sneaks in.

- Ids are UUIDv7 made by the application: native `uuid` on PostgreSQL, a 16-byte BLOB on
  SQLite (the ledger's indexes are its speed; 32 characters of text would double them).
- Instants are timezone-aware UTC on the way in and out, on both engines.
- Rates are Decimal: TEXT on SQLite (its NUMERIC is a float), NUMERIC on PostgreSQL.
- Integer fields are strict: 99.5, "99" and true are errors, not 99.
"""

from __future__ import annotations

import secrets
import threading
import time
import unicodedata
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from babel.numbers import get_currency_precision
from marshmallow import ValidationError, fields, validate
from sqlalchemy import JSON, BigInteger, DateTime, LargeBinary, Numeric, String
from sqlalchemy.dialects import postgresql
from sqlalchemy.types import TypeDecorator

from jifen.i18n import N_, Message

# The largest integer a JSON client can hold exactly (JavaScript's Number).
MAX_SAFE_INTEGER = 2**53 - 1
RATE_PLACES = 8  # what rate columns keep (NUMERIC(20, 8))


_VERSION_AND_VARIANT = (0x7 << 76) | (0b10 << 62)
_RANDOM_BITS = (1 << 62) - 1
# The last id this process made, so ids increase even within one clock tick or when the
# wall clock steps back. Process-wide by nature, like the clock it reads.
_last_id = 0
_id_lock = threading.Lock()


def minor_units(currency: str) -> int:
    """How many minor units make one unit of `currency` (100 fen to the yuan; 1 for the
    yen), from Babel's currency data."""
    return int(10 ** get_currency_precision(currency))


def new_id() -> uuid.UUID:
    """A new time-ordered id (UUIDv7), increasing within the process.

    Milliseconds since the epoch, then 12 bits of the millisecond's fraction (RFC 9562,
    6.2 method 3), then 62 random bits. An id that would not exceed the previous one
    steps the random bits instead of the clock: uuid6's uuid7() adds a millisecond per
    id made within one millisecond, so a batch of 100,000 ids ran 100 s into the future
    and sorted after ids other processes made later.
    """
    global _last_id
    ms, rest = divmod(time.time_ns(), 1_000_000)
    value = (ms << 80) | ((rest * 4096 // 1_000_000) << 64) | _VERSION_AND_VARIANT
    value |= secrets.randbits(62)
    with _id_lock:
        if value <= _last_id:
            step = _last_id + 1 + secrets.randbits(16)
            # Stay inside the random bits; on their (practically impossible) overflow,
            # carry into the sub-millisecond counter instead.
            if step & _RANDOM_BITS < _last_id & _RANDOM_BITS:
                step = ((_last_id >> 64) + 1) << 64 | (0b10 << 62) | secrets.randbits(16)
            value = step
        _last_id = value
    return uuid.UUID(int=value)


class ID(TypeDecorator[uuid.UUID]):
    """UUID: native on PostgreSQL, 16 bytes on SQLite."""

    impl = LargeBinary(16)
    cache_ok = True

    def load_dialect_impl(self, dialect):  # type: ignore[no-untyped-def]
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.UUID(as_uuid=True))
        return dialect.type_descriptor(LargeBinary(16))

    def process_bind_param(self, value, dialect):  # type: ignore[no-untyped-def]
        if value is None:
            return None
        if not isinstance(value, uuid.UUID):
            value = uuid.UUID(str(value))
        return value if dialect.name == "postgresql" else value.bytes

    def process_result_value(self, value, dialect):  # type: ignore[no-untyped-def]
        if value is None or isinstance(value, uuid.UUID):
            return value
        return uuid.UUID(bytes=bytes(value))


class UTCDateTime(TypeDecorator[datetime]):
    """An instant. Naive datetimes are refused; results come back aware, in UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):  # type: ignore[no-untyped-def]
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: Jifen keeps every instant timezone-aware")
        value = value.astimezone(UTC)
        # SQLite stores text; a fixed UTC form keeps it sortable and comparable.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):  # type: ignore[no-untyped-def]
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def canonical_rate(rate: Decimal) -> Decimal:
    """A rate without trailing zeros and never in exponent form: NUMERIC(20, 8) reads 1.5
    back as 1.50000000, which would show differently from SQLite's "1.5"."""
    normal = rate.normalize()
    exponent = normal.as_tuple().exponent
    if not isinstance(exponent, int):  # "n", "N" or "F": NaN or infinity
        raise ValueError(f"not a finite rate: {rate}")
    return normal.quantize(Decimal(1)) if exponent > 0 else normal


class Rate(TypeDecorator[Decimal]):
    """An exact decimal rate: TEXT on SQLite, NUMERIC on PostgreSQL."""

    impl = String(40)
    cache_ok = True

    def load_dialect_impl(self, dialect):  # type: ignore[no-untyped-def]
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Numeric(20, 8, asdecimal=True))
        return dialect.type_descriptor(String(40))

    def process_bind_param(self, value, dialect):  # type: ignore[no-untyped-def]
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError("rates are Decimal")
        return value if dialect.name == "postgresql" else str(value)

    def process_result_value(self, value, dialect):  # type: ignore[no-untyped-def]
        return None if value is None else canonical_rate(Decimal(value))


Points = BigInteger
MinorUnits = BigInteger
Json = JSON().with_variant(postgresql.JSONB(), "postgresql")


# --- marshmallow fields -------------------------------------------------------------


class StrictInteger(fields.Integer):
    """An integer that must arrive as a JSON integer, within [minimum, maximum]."""

    def __init__(self, *, minimum: int = 0, maximum: int = MAX_SAFE_INTEGER, **kwargs: Any) -> None:
        super().__init__(strict=True, validate=validate.Range(min=minimum, max=maximum), **kwargs)

    def _validated(self, value: Any) -> int:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._validated(value)


def refuse_unstorable_text(text: str, *, allowed: str = "\t\n") -> None:
    """Raise ValidationError if `text` holds NUL, a control character not in `allowed`
    or an unpaired surrogate.

    PostgreSQL cannot store NUL, in text or in JSON, nor encode a lone surrogate; both
    would otherwise reach the database and fail there (a 500), while SQLite kept them.
    """
    for char in text:
        category = unicodedata.category(char)
        if category == "Cs" or (category == "Cc" and char not in allowed):
            raise ValidationError(N_("Contains a character that is not allowed."))


class Pattern(validate.Regexp):
    """A pattern the whole value must match: re.match's `$` would let a trailing newline
    through ("gold\\n"). Documented in OpenAPI as written, `^...$`."""

    def __call__(self, value: Any) -> Any:
        if self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


class Text(fields.String):
    """A string with a length limit and only characters every engine stores, stored
    without surrounding whitespace. The limit and the characters are checked on the text
    as sent, as the schema states them: trimming does not let a longer text through, nor
    hide a control character at either end."""

    def __init__(self, *, max_length: int, min_length: int = 0, **kwargs: Any) -> None:
        self.length = validate.Length(min=min_length, max=max_length)
        super().__init__(validate=self.length, **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        sent = super()._deserialize(value, attr, data, **kwargs)
        refuse_unstorable_text(sent)
        if self.length.max is not None and len(sent) > self.length.max:
            raise ValidationError(self.length.message_max.format(max=self.length.max))
        return sent.strip()


class JsonObject(fields.Dict):
    """A free-form JSON object (an event's data, a rule's or a mode's parameters) whose
    keys and strings, at any depth, hold only characters every engine stores. Unlike
    `Text` it keeps CR: the object is the client's own, stored as sent."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(keys=fields.String(), **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        loaded = super()._deserialize(value, attr, data, **kwargs)  # type: ignore[no-untyped-call]
        _refuse_unstorable_json(loaded)
        return loaded


_JSON_ALLOWED = "\t\n\r"


def _refuse_unstorable_json(value: Any) -> None:
    # A loop, not recursion: JSON nested nearly as deep as the parser allows must not
    # exhaust the stack here.
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            refuse_unstorable_text(item, allowed=_JSON_ALLOWED)
        elif isinstance(item, dict):
            for key in item:
                refuse_unstorable_text(key, allowed=_JSON_ALLOWED)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


class Instant(fields.AwareDateTime):
    """A timezone-aware instant that exists in UTC: 9999-12-31T23:59:59-14:00 is a valid
    ISO 8601 time, but in UTC it falls in the year 10000, which neither Python nor the
    database can hold."""

    default_error_messages = {"range": N_("Must fall within the years 1 to 9999 in UTC.")}

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> datetime:
        instant = super()._deserialize(value, attr, data, **kwargs)
        try:
            instant.astimezone(UTC)
        except OverflowError:
            raise self.make_error("range") from None
        return instant


class RateField(fields.Decimal):
    """An exact decimal rate, sent as a string or an integer: never a float, which may
    already have lost the value ("0.1" is not 0.1 in binary)."""

    default_error_messages = {"float": N_('Send the rate as a string, e.g. "0.1".')}

    def __init__(
        self,
        *,
        minimum: Decimal = Decimal(0),
        maximum: Decimal = Decimal(1_000_000),
        min_inclusive: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            as_string=True,
            validate=validate.Range(min=minimum, max=maximum, min_inclusive=min_inclusive),
            **kwargs,
        )

    def _validated(self, value: Any) -> Decimal:
        if isinstance(value, float):
            raise self.make_error("float")
        number = super()._validated(value)
        exponent = number.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -RATE_PLACES:
            places = {"places": RATE_PLACES}
            raise ValidationError(Message(N_("At most %(places)s decimal places."), places))
        return number

"""Generated requests against the OpenAPI document (schemathesis), on both engines:
no answer is a server error, and every answer is one the document describes.

`make test` runs a short derandomized pass; `make fuzz` a longer exploratory one
(JIFEN_FUZZ_EXAMPLES examples per operation, random seeds). Each operation is driven by
its own Hypothesis test, so that one failing operation does not hide the others: the
test fails with every operation's first failure."""

from __future__ import annotations

import itertools
import os

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

EXAMPLES = int(os.environ.get("JIFEN_FUZZ_EXAMPLES", "0")) or 25
EXPLORING = "JIFEN_FUZZ_EXAMPLES" in os.environ
# What the API promises: never a server error, only documented statuses, content types,
# headers and bodies. (A schema-valid request may still be refused for what the schema
# cannot say: an unknown member, too few points.)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def exercise(operation, mode: GenerationMode, headers: dict[str, str]) -> int:
    """Drive one operation with generated requests of one mode; how many were sent.
    Raises schemathesis's failure group for what it found."""
    checks = CHECKS + ([negative_data_rejection] if mode is GenerationMode.NEGATIVE else [])
    sent = 0

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        derandomize=not EXPLORING,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def answers_as_documented(case) -> None:
        nonlocal sent
        sent += 1
        case.call_and_validate(headers=headers, checks=checks)

    try:
        answers_as_documented()
    except Unsatisfiable:
        assert mode is GenerationMode.NEGATIVE  # nothing in the operation can be invalid
    return sent


def test_the_api_answers_as_documented(app, tenant):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    # A body past the API's 1 MiB limit is refused before it is read: 413, rightly. The
    # document says so on every operation taking a body, but the rejection check keeps
    # a list of its own, schemathesis's default for every schema: extended as a copy.
    rejection = schema.config.checks.negative_data_rejection
    rejection.expected_statuses = [*rejection.expected_statuses, "413"]
    headers = {"Authorization": f"Bearer {tenant.token}"}
    failures: dict[str, BaseExceptionGroup] = {}
    cases = 0
    operations = [found.ok() for found in schema.get_all_operations()]
    for operation, mode in itertools.product(operations, GenerationMode):
        try:
            cases += exercise(operation, mode, headers)
        except BaseExceptionGroup as failure:  # schemathesis's; gathered, reported below
            failures[f"{operation.label} ({mode.value})"] = failure
    print(f"schemathesis: {len(operations)} operations, {cases} cases, {len(failures)} failing")
    assert not failures, "\n\n".join(f"{label}: {failure}" for label, failure in failures.items())

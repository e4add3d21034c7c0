"""schemathesis against the served OpenAPI document: no 5xx, no undeclared status or shape.

Driven by hand (one bounded hypothesis run per operation, valid and invalid inputs) rather than
through schemathesis's pytest plugin, so the server under test is a fixture like any other.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable

if TYPE_CHECKING:
    import schemathesis

from gapwatch.api import create_app
from tests.api.conftest import ADMIN_TOKEN, make_settings
from tests.api.serving import running

# The event stream never ends by design; it has its own tests.
SKIP = {("GET", "/api/v1/events")}
EXAMPLES = 10
FRAMING = {"content-length", "transfer-encoding", "host"}


@pytest.mark.slow
# Invalid input is also refused in the one error shape by test_errors.py's explicit cases; the
# generated invalid input runs with the long tests.
@pytest.mark.parametrize("kind", ["positive", pytest.param("negative", marks=pytest.mark.long)])
@pytest.mark.parametrize(
    # The PostgreSQL run repeats the SQLite one on the other store: it runs with the long tests.
    "db_url",
    ["sqlite", pytest.param("postgresql", marks=[pytest.mark.postgres, pytest.mark.long])],
    indirect=True,
)
def test_every_operation_answers_as_its_schema_says(tmp_path: Path, db_url: str, kind: str) -> None:
    # Imported here: the library is big, and every test process would load it to collect.
    import schemathesis
    from schemathesis.checks import negative_data_rejection, positive_data_acceptance
    from schemathesis.generation import GenerationMode

    mode = GenerationMode(kind)
    if mode is GenerationMode.NEGATIVE and not db_url.startswith("sqlite"):
        pytest.skip("invalid input is refused before the store; the SQLite run covers it")
    app = create_app(make_settings(tmp_path, db_url))
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with running(app) as base_url:
        schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json", headers=auth)
        operations = [result.ok() for result in schema.get_all_operations()]
        tested = 0
        for operation in operations:
            if (operation.method.upper(), operation.path) in SKIP:
                continue

            @given(case=operation.as_strategy(generation_mode=mode), as_admin=st.booleans())
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def check(case: schemathesis.Case, as_admin: bool) -> None:
                # A generated Content-Length or Transfer-Encoding breaks the request's framing,
                # so the HTTP server (uvicorn's h11) answers 400 before the app sees it; framing
                # belongs to the client library, not to the interface under test.
                if case.headers:
                    case.headers = {
                        k: v for k, v in case.headers.items() if k.lower() not in FRAMING
                    }
                # Half the calls carry no token, so 401 answers are checked against the schema too.
                case.call_and_validate(
                    base_url=base_url,
                    headers=auth if as_admin else {},
                    # Cross-field rules (a silence must end after it starts) cannot be written
                    # in JSON Schema, so a schema-valid body may still be refused with a 422;
                    # unknown query parameters are ignored, as HTTP clients expect. What is
                    # checked: no 5xx, only declared statuses, bodies and headers as declared.
                    excluded_checks=[positive_data_acceptance, negative_data_rejection],
                )

            try:
                check()
            except Unsatisfiable:
                # An operation without parameters or body has no invalid input to send.
                if mode is GenerationMode.POSITIVE:
                    raise
                continue
            tested += 1
    assert tested >= (14 if mode is GenerationMode.POSITIVE else 9)

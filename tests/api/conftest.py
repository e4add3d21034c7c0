"""Fixtures for API tests: a running app (lifespan and all) on a real database, and tokens."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from gapwatch.api import create_app
from gapwatch.api.auth import Role, create_token
from gapwatch.dispatch.transport import tls_context
from gapwatch.runtime.pipeline import Service
from gapwatch.settings import Settings
from gapwatch.storage import transaction
from tests.api.serving import running
from tests.api.site import write_site

ADMIN_TOKEN = "gw_test-admin-token-0123456789abcdef"


@dataclass
class Api:
    """A started app, its service and a token per role."""

    client: httpx.Client
    service: Service
    tokens: dict[str, str]

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


def make_settings(tmp_path: Path, db_url: str, **extra: object) -> Settings:
    return Settings(
        db_url=db_url,
        site=write_site(tmp_path),
        admin_token=ADMIN_TOKEN,
        scheduler=False,
        sse_poll_s=0.05,
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture
def api(tmp_path: Path, db_url: str) -> Iterator[Api]:
    """The app on SQLite (and on PostgreSQL when GAPWATCH_TEST_PG_URL is set), no probing."""
    app = create_app(make_settings(tmp_path, db_url))
    # The process's one TLS context: a client of its own would read the CA bundle (~30 ms).
    tls = tls_context()
    with (
        running(app) as base_url,
        httpx.Client(base_url=base_url, timeout=30, verify=tls) as client,
    ):
        service: Service = app.state.service
        tokens = {"admin": ADMIN_TOKEN}
        with transaction(service.sessions) as session:
            for role in (Role.operator, Role.technician, Role.dispatcher):
                # The dispatch system's token is bound to the site's unit: it reaches that
                # unit's road patrols only.
                bound = "unit-1" if role is Role.dispatcher else None
                token, _row = create_token(
                    session, name=f"test {role.value}", role=role, unit_id=bound
                )
                tokens[role.value] = token
        yield Api(client, service, tokens)

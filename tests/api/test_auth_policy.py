"""The API description needs a token unless made public on purpose; a revoked environment
admin token stays revoked across restarts."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from gapwatch.api import create_app
from tests.api.conftest import ADMIN_TOKEN, Api, make_settings
from tests.api.serving import running


@pytest.mark.parametrize("path", ["/openapi.json", "/docs", "/redoc"])
def test_the_api_description_is_not_public_by_default(api: Api, path: str) -> None:
    # Before: all three answered without a token although only /healthz is public.
    response = api.client.get(path)
    assert response.status_code in (401, 404)
    if path == "/openapi.json":
        assert response.status_code == 401
        assert response.json()["detail"][0]["msg"]


def test_any_valid_token_reads_the_openapi_document(api: Api) -> None:
    for role in ("dispatcher", "operator", "admin"):
        response = api.client.get("/openapi.json", headers=api.headers(role))
        assert response.status_code == 200
        assert "/api/v1/tasks/{task_id}/status" in response.json()["paths"]


def test_public_docs_make_the_description_public_on_purpose(tmp_path: Path, db_url: str) -> None:
    app = create_app(make_settings(tmp_path, db_url, public_docs=True))
    with running(app) as base, httpx.Client(base_url=base, timeout=30) as client:
        assert client.get("/openapi.json").status_code == 200
        assert client.get("/docs").status_code == 200


@pytest.mark.slow
def test_revoking_the_environment_admin_token_survives_a_restart(
    tmp_path: Path, db_url: str
) -> None:
    settings = make_settings(tmp_path, db_url)
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with running(create_app(settings)) as base, httpx.Client(base_url=base, timeout=30) as c:
        tokens = c.get("/api/v1/tokens", headers=admin).json()
        (env_token,) = [t for t in tokens if t["name"] == "admin (environment)"]
        spare = c.post("/api/v1/tokens", json={"role": "admin", "name": "spare"}, headers=admin)
        assert c.delete(f"/api/v1/tokens/{env_token['id']}", headers=admin).status_code == 204
        assert c.get("/api/v1/cameras", headers=admin).status_code == 401
    # The same environment again: before, the bootstrap brought the revoked token back.
    with running(create_app(settings)) as base, httpx.Client(base_url=base, timeout=30) as c:
        assert c.get("/api/v1/cameras", headers=admin).status_code == 401
        other = {"Authorization": f"Bearer {spare.json()['token']}"}
        assert c.get("/api/v1/cameras", headers=other).status_code == 200

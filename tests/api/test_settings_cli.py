"""Environment settings and the `token create` command."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from gapwatch.api import create_app
from gapwatch.api.auth import DbTokenStore, hash_token
from gapwatch.settings import Settings
from gapwatch.storage import make_engine, session_factory
from tests.api.serving import running
from tests.api.site import write_site


def test_environment_settings_are_read_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "whsec_" + base64.b64encode(os.urandom(32)).decode()
    monkeypatch.setenv("GAPWATCH_DB_URL", "sqlite:///elsewhere.db")
    monkeypatch.setenv("GAPWATCH_DISPATCH_SECRET", secret)
    monkeypatch.setenv("GAPWATCH_PROBE_INTERVAL_S", "30")
    settings = Settings()
    assert settings.db_url == "sqlite:///elsewhere.db"
    assert settings.probe_interval_s == 30
    assert settings.dispatch_secret is not None
    assert settings.dispatch_secret.get_secret_value() == secret
    assert secret not in repr(settings)
    # Explicit values (the command line) win over the environment.
    assert Settings(db_url="sqlite:///cli.db").db_url == "sqlite:///cli.db"


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("GAPWATCH_DISPATCH_SECRET", "changeme", "whsec_"),
        ("GAPWATCH_DISPATCH_SECRET", "whsec_changethis", "placeholder"),
        ("GAPWATCH_DISPATCH_SECRET", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "placeholder"),
        ("GAPWATCH_DISPATCH_SECRET", "whsec_" + base64.b64encode(b"short").decode(), "24..64"),
        ("GAPWATCH_DISPATCH_SECRET", "whsec_not base64!", "base64"),
        ("GAPWATCH_ADMIN_TOKEN", "admin", "16 characters"),
        ("GAPWATCH_ADMIN_TOKEN", "changethis-changethis", "placeholder"),
        ("GAPWATCH_PROBE_INTERVAL_S", "0", "greater than 0"),
    ],
)
def test_placeholders_and_nonsense_are_refused(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, says: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=says):
        Settings()


def test_token_create_prints_a_working_token_once(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'tokens.db'}"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "gapwatch.cli",
            "token",
            "create",
            "--role",
            "operator",
            "--name",
            "值班员",
            "--db",
            db_url,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    assert token.startswith("gw_") and len(token) > 40
    assert token not in result.stderr
    app = create_app(Settings(db_url=db_url, site=write_site(tmp_path), scheduler=False))
    with running(app) as base:
        ok = httpx.get(f"{base}/api/v1/alerts", headers={"Authorization": f"Bearer {token}"})
        denied = httpx.get(f"{base}/api/v1/tokens", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200
    assert denied.status_code == 403


def test_token_create_refuses_an_unknown_role(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from gapwatch.api.commands import token_create_command

    code = token_create_command("boss", None, f"sqlite:///{tmp_path / 'tokens.db'}")
    captured = capsys.readouterr()
    assert code == 2
    assert "--role" in captured.err and "operator" in captured.err
    assert captured.out == ""


def test_a_dispatch_url_without_a_secret_is_refused_unless_unsigned_is_meant(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from gapwatch.dispatch import configured_endpoints

    monkeypatch.setenv("GAPWATCH_DISPATCH_URL", "https://cad.example.cn/hook")
    with pytest.raises(ValidationError) as refused:
        Settings()
    message = str(refused.value)
    assert "GAPWATCH_DISPATCH_SECRET" in message and "GAPWATCH_DISPATCH_UNSIGNED" in message
    # Written out on purpose, the endpoint goes without a secret to sign with.
    monkeypatch.setenv("GAPWATCH_DISPATCH_UNSIGNED", "true")
    settings = Settings()
    (endpoint,) = configured_endpoints(
        [], dispatch_url=settings.dispatch_url, unsigned=settings.dispatch_unsigned
    )
    assert endpoint.secret_env is None
    # A secret and "unsigned" at once is a contradiction, not a choice.
    monkeypatch.setenv(
        "GAPWATCH_DISPATCH_SECRET", "whsec_" + base64.b64encode(os.urandom(32)).decode()
    )
    with pytest.raises(ValidationError, match="choose one"):
        Settings()


@pytest.mark.slow
def test_token_create_binds_a_dispatcher_or_refuses_it(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'tokens.db'}"

    def create(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "gapwatch.cli", "token", "create", "--role", "dispatcher",
             "--db", db_url, *extra],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip

    unbound = create()
    assert unbound.returncode == 2 and "must be bound" in unbound.stderr
    assert unbound.stdout == ""
    unknown = create("--endpoint", "cad")
    assert unknown.returncode == 2 and "no dispatch endpoint 'cad'" in unknown.stderr
    bound = create("--unit", "unit-1")
    assert bound.returncode == 0, bound.stderr
    engine = make_engine(db_url)
    try:
        record = DbTokenStore(session_factory(engine)).find(hash_token(bound.stdout.strip()))
    finally:
        engine.dispose()
    assert record is not None and (record.unit_id, record.endpoint_id) == ("unit-1", None)


def test_generated_secrets_are_never_taken_for_placeholders(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A random secret can hold "xxx" or "todo" by chance; a generated "whsec_XxXa..." was refused.

    The bytes are seeded so that a run checks the same 20,000 secrets every time.
    """
    import random

    from gapwatch import settings
    from gapwatch.dispatch import webhooks

    rng = random.Random(20261202)
    monkeypatch.setattr(webhooks.secrets, "token_bytes", rng.randbytes)
    secrets = [webhooks.generate_secret() for _ in range(20_000)]
    # The rule on all of them (a Settings takes 2 ms to build); the whole check on some.
    assert [s for s in secrets if settings._looks_like_placeholder(s.removeprefix("whsec_"))] == []
    for secret in secrets[:200]:
        assert settings.Settings(dispatch_secret=secret).dispatch_secret is not None, secret
    # Shaped like the one CI refused: "XxX" at the start of the body.
    assert settings.Settings(dispatch_secret="whsec_XxXaEeu8OILBY0yrvAotPZmtO/uqL5LPecapAUGU=")


@pytest.mark.parametrize(
    "typed",
    ["MySecretToken2024Example!", "ChangeMe-ChangeMe-12345678", "YOUR_SECRET_HERE_PLEASE_CHANGE"],
)
def test_typed_placeholders_are_refused_in_any_case(typed: str) -> None:
    from gapwatch.settings import Settings

    with pytest.raises(ValidationError, match="placeholder"):
        Settings(admin_token=typed)

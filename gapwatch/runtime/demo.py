"""`gapwatch serve --demo`: what a first look at the service needs besides the service itself."""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path

from pydantic import SecretStr

from gapwatch.dispatch import generate_secret
from gapwatch.runtime.demo_dispatch import DemoDispatchReceiver
from gapwatch.settings import Settings

__all__ = ["demo_settings"]


def _admin_token(state_dir: Path) -> str:
    """The demo's admin token, kept in a private file so it survives restarts."""
    path = state_dir / "demo-admin-token"
    if path.exists():
        token = path.read_text(encoding="utf-8").strip()
        if len(token) >= 16:
            return token
    state_dir.mkdir(parents=True, exist_ok=True)
    token = "gw_demo_" + secrets.token_hex(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(token + "\n")
    return token


@contextlib.contextmanager
def demo_settings(settings: Settings, *, state_dir: Path) -> Iterator[Settings]:
    """Settings with an admin token and, unless one is configured, a local dispatch receiver."""
    update: dict[str, object] = {}
    if settings.admin_token is None:
        update["admin_token"] = SecretStr(_admin_token(state_dir))
    receiver: DemoDispatchReceiver | None = None
    if settings.dispatch_url is None:
        secret = generate_secret()
        receiver = DemoDispatchReceiver(secret, host="127.0.0.1", port=0)
        receiver.start()
        update["dispatch_url"] = receiver.url
        update["dispatch_secret"] = SecretStr(secret)
    demo = settings.model_copy(update=update)
    token = demo.admin_token.get_secret_value() if demo.admin_token else "(GAPWATCH_ADMIN_TOKEN)"
    sys.stderr.write(
        f"\n  看板 dashboard: http://{demo.host}:{demo.port}/\n"
        f"  管理员令牌 admin token: {token}\n"
        f"  调度演示接收端 demo dispatch receiver: {demo.dispatch_url}\n\n"
    )
    try:
        yield demo
    finally:
        if receiver is not None:
            receiver.stop()

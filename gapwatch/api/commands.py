"""The `serve` and `token create` commands: settings and site checked first, clear messages."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

__all__ = ["serve_command", "token_create_command"]


def _say(text: str) -> None:
    sys.stderr.write(text + "\n")


def _settings(overrides: dict[str, Any]) -> Any:
    """Settings from the environment with command-line values on top; None after a message."""
    from gapwatch.settings import Settings

    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        for error in exc.errors():
            where = ".".join(str(p) for p in error["loc"])
            if not where:  # a rule across settings: its message names them
                _say(str(error["msg"]).removeprefix("Value error, "))
                continue
            _say(f"GAPWATCH_{where.upper()}: {error['msg']}")
        return None


def _check_store(url: str) -> bool:
    from sqlalchemy.exc import SQLAlchemyError

    from gapwatch.storage import make_engine, migrate

    try:
        engine = make_engine(url)
    except Exception as exc:  # a malformed URL or a missing driver
        _say(f"GAPWATCH_DB_URL: cannot use {url.split('@')[-1]!r}: {exc} / 数据库地址不可用")
        return False
    try:
        migrate(engine)
    except (SQLAlchemyError, OSError) as exc:
        _say(f"the database cannot be opened or upgraded: {exc.__class__.__name__}: {exc}")
        _say("数据库无法打开或升级。")
        return False
    finally:
        engine.dispose()
    return True


def serve_command(
    site: Path | None,
    db: str | None,
    host: str | None,
    port: int | None,
    *,
    demo: bool = False,
) -> int:
    """Run the service; 2 when settings, site or database are unusable, 0 after a clean stop."""
    from gapwatch.site import SiteError, load_site

    settings = _settings({"site": site, "db_url": db, "host": host, "port": port})
    if settings is None:
        return 2
    if settings.site is None:
        _say("no site file: pass --site FILE or set GAPWATCH_SITE / 未指定站点文件")
        return 2
    try:
        loaded = load_site(settings.site)
    except SiteError as exc:
        for problem in exc.problems:
            _say(problem)
        return 2
    if not _check_store(settings.db_url):
        return 2
    from gapwatch.api.server import serve

    if not demo:
        serve(settings, loaded)
        return 0
    from gapwatch.runtime.demo import demo_settings, learn_demo_baselines

    learn_demo_baselines(loaded, settings.db_url)
    with demo_settings(settings, state_dir=Path("var")) as settings:
        serve(settings, loaded)
    return 0


def token_create_command(
    role: str,
    name: str | None,
    db: str | None,
    *,
    endpoint: str | None = None,
    unit: str | None = None,
) -> int:
    """Create a token for `role`, print it once on stdout; 2 on a bad role, binding or database.

    A dispatcher token is bound to `endpoint` (a stored dispatch endpoint) and/or `unit` (a
    patrol unit id; the site file is not read here, so the unit is taken as written)."""
    from sqlalchemy import select

    from gapwatch.api.auth import Role, TokenBindingError, check_binding, create_token
    from gapwatch.storage import DispatchEndpointRow, make_engine, session_factory, transaction

    if role not in Role.__members__:
        choices = ", ".join(Role.__members__)
        _say(f"--role: {role!r} is not a role; choose one of {choices} / 角色无效")
        return 2
    try:
        check_binding(Role(role), endpoint_id=endpoint, unit_id=unit)
    except TokenBindingError as exc:
        _say(f"--endpoint/--unit: {exc}")
        return 2
    settings = _settings({"db_url": db})
    if settings is None or not _check_store(settings.db_url):
        return 2
    engine = make_engine(settings.db_url)
    try:
        with transaction(session_factory(engine)) as session:
            if endpoint is not None and session.get(DispatchEndpointRow, endpoint) is None:
                known = ", ".join(sorted(session.scalars(select(DispatchEndpointRow.id)))) or "none"
                _say(
                    f"--endpoint: no dispatch endpoint {endpoint!r} in this database (known: "
                    f"{known}; `serve` stores the configured ones) / 数据库中没有该调度端点"
                )
                return 2
            token, row = create_token(
                session, name=name or role, role=Role(role), endpoint_id=endpoint, unit_id=unit
            )
    finally:
        engine.dispose()
    _say(f"token {row.id} ({row.role}, {row.name!r}); it is shown only now / 令牌仅显示这一次")
    sys.stdout.write(token + "\n")
    return 0

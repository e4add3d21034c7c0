"""Platform and camera passwords: read from the environment or a secrets file, never stored.

A secrets file holds `NAME=value` lines (the format of systemd's EnvironmentFile and of Docker's
env files): the site file names only `password_env`, so the same name works in both places.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path

__all__ = ["SecretMissing", "group_or_world_readable", "read_secrets_file", "resolve_password"]


class SecretMissing(Exception):
    """The named password is in neither the environment nor the secrets file."""


def read_secrets_file(path: Path) -> dict[str, str]:
    """`NAME=value` lines of a secrets file; blank lines and `#` comments are skipped."""
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        text = line.strip()
        if not text or text.startswith("#") or "=" not in text:
            continue
        name, _, value = text.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[name.strip().removeprefix("export ").strip()] = value
    return values


def group_or_world_readable(path: Path) -> bool:
    """True when others than the owner may read the file (worth a warning, not a refusal)."""
    return bool(path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO))


def resolve_password(
    name: str,
    *,
    secrets_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> str:
    """The password held in environment variable `name`, else under `name` in the secrets file."""
    env = os.environ if environ is None else environ
    value = env.get(name)
    if value:
        return value
    if secrets_file is not None:
        value = read_secrets_file(secrets_file).get(name)
        if value:
            return value
    where = f"environment variable {name}"
    where_zh = f"环境变量 {name}"
    if secrets_file is not None:
        where += f" or secrets file {secrets_file}"
        where_zh += f" 或密钥文件 {secrets_file}"
    raise SecretMissing(f"no password in {where} ｜ {where_zh} 中没有密码")

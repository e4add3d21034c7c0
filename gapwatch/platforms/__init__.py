"""Importers and sync for GB/T 28181 platforms (WVP-GB28181-pro) and ONVIF cameras.

The names below are loaded on first use: every `gapwatch` command registers the `import` verbs
(`gapwatch.platforms.cli`), and none but those and the service needs the HTTP clients.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gapwatch.platforms.credentials import SecretMissing, resolve_password
    from gapwatch.platforms.sync import PlatformState, PlatformStatus, PlatformSync
    from gapwatch.platforms.types import (
        Channel,
        Inventory,
        PlatformError,
        PlatformUnreachable,
        Preset,
    )

_HOMES = {
    "SecretMissing": "credentials",
    "resolve_password": "credentials",
    "PlatformState": "sync",
    "PlatformStatus": "sync",
    "PlatformSync": "sync",
    "Channel": "types",
    "Inventory": "types",
    "PlatformError": "types",
    "PlatformUnreachable": "types",
    "Preset": "types",
}

__all__ = [
    "Channel",
    "Inventory",
    "PlatformError",
    "PlatformState",
    "PlatformStatus",
    "PlatformSync",
    "PlatformUnreachable",
    "Preset",
    "SecretMissing",
    "resolve_password",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'gapwatch.platforms' has no attribute {name!r}")
    return getattr(import_module(f"gapwatch.platforms.{home}"), name)

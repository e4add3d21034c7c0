"""Importers and sync for GB/T 28181 platforms (WVP-GB28181-pro) and ONVIF cameras."""

from gapwatch.platforms.credentials import SecretMissing, resolve_password
from gapwatch.platforms.sync import PlatformState, PlatformStatus, PlatformSync
from gapwatch.platforms.types import Channel, Inventory, PlatformError, PlatformUnreachable, Preset

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

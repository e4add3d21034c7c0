"""Importers and sync for GB/T 28181 platforms (WVP-GB28181-pro) and ONVIF cameras."""

from gapwatch.platforms.credentials import SecretMissing, resolve_password
from gapwatch.platforms.types import Channel, Inventory, PlatformError, PlatformUnreachable, Preset

__all__ = [
    "Channel",
    "Inventory",
    "PlatformError",
    "PlatformUnreachable",
    "Preset",
    "SecretMissing",
    "resolve_password",
]

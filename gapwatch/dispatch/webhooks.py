"""Standard Webhooks signing and verification (symmetric `v1`, HMAC-SHA256).

The signed content is `"{webhook-id}.{webhook-timestamp}.{body}"`; the secret is written
`whsec_<base64 key>`; the signature header holds one or more space-separated `v1,<base64>`.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "HEADER_ID",
    "HEADER_SIGNATURE",
    "HEADER_TIMESTAMP",
    "SECRET_PREFIX",
    "VerifiedWebhook",
    "WebhookSecretError",
    "WebhookVerificationError",
    "decode_secret",
    "generate_secret",
    "sign",
    "signed_headers",
    "verify",
]

HEADER_ID = "webhook-id"
HEADER_TIMESTAMP = "webhook-timestamp"
HEADER_SIGNATURE = "webhook-signature"
SECRET_PREFIX = "whsec_"
DEFAULT_TOLERANCE_S = 300


class WebhookSecretError(ValueError):
    """The secret is not a `whsec_<base64>` key."""


class WebhookVerificationError(ValueError):
    """A received webhook failed verification; the message says why."""


@dataclass(frozen=True)
class VerifiedWebhook:
    """What a successful verification vouches for."""

    msg_id: str
    timestamp: int


def decode_secret(secret: str) -> bytes:
    """The raw key bytes of a `whsec_<base64>` secret (the prefix is optional)."""
    encoded = secret.strip()
    if encoded.startswith(SECRET_PREFIX):
        encoded = encoded[len(SECRET_PREFIX) :]
    if not encoded:
        raise WebhookSecretError("webhook secret is empty; expected whsec_<base64>")
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise WebhookSecretError(
            "webhook secret is not valid base64 after the whsec_ prefix"
        ) from exc
    if not key:
        raise WebhookSecretError("webhook secret decodes to no bytes")
    return key


def generate_secret(n_bytes: int = 32) -> str:
    """A fresh random secret in `whsec_<base64>` form."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(n_bytes)).decode("ascii")


def _signature(key: bytes, msg_id: str, timestamp: int, body: bytes) -> bytes:
    signed = msg_id.encode("utf-8") + b"." + str(timestamp).encode("ascii") + b"." + body
    return hmac.new(key, signed, hashlib.sha256).digest()


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`."""
    digest = _signature(decode_secret(secret), msg_id, timestamp, body)
    return "v1," + base64.b64encode(digest).decode("ascii")


def signed_headers(secret: str | None, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers for one send (no signature when `secret` is None)."""
    headers = {HEADER_ID: msg_id, HEADER_TIMESTAMP: str(timestamp)}
    if secret is not None:
        headers[HEADER_SIGNATURE] = sign(secret, msg_id, timestamp, body)
    return headers


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    raise WebhookVerificationError(f"missing {name} header")


def _epoch(now: dt.datetime | float | None) -> float:
    if now is None:
        return dt.datetime.now(dt.UTC).timestamp()
    if isinstance(now, dt.datetime):
        if now.tzinfo is None:
            raise ValueError("now must be an aware datetime")
        return now.timestamp()
    return float(now)


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: dt.datetime | float | None = None,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
) -> VerifiedWebhook:
    """Check a received webhook's signature and timestamp; raise WebhookVerificationError if bad."""
    msg_id = _header(headers, HEADER_ID)
    raw_timestamp = _header(headers, HEADER_TIMESTAMP)
    raw_signatures = _header(headers, HEADER_SIGNATURE)
    try:
        timestamp = int(raw_timestamp)
    except ValueError as exc:
        raise WebhookVerificationError(
            f"{HEADER_TIMESTAMP} is not whole seconds since the epoch: {raw_timestamp!r}"
        ) from exc
    skew = _epoch(now) - timestamp
    if skew > tolerance_s:
        raise WebhookVerificationError(
            f"{HEADER_TIMESTAMP} is {skew:.0f} s old, beyond the {tolerance_s:.0f} s tolerance"
        )
    if -skew > tolerance_s:
        raise WebhookVerificationError(
            f"{HEADER_TIMESTAMP} is {-skew:.0f} s in the future, "
            f"beyond the {tolerance_s:.0f} s tolerance"
        )
    expected = _signature(decode_secret(secret), msg_id, timestamp, body)
    for candidate in raw_signatures.split():
        version, _, encoded = candidate.partition(",")
        if version != "v1":
            continue  # other schemes (v1a asymmetric) are not ours to check
        try:
            given = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            continue
        if hmac.compare_digest(given, expected):
            return VerifiedWebhook(msg_id=msg_id, timestamp=timestamp)
    raise WebhookVerificationError("no v1 signature matches the body; wrong secret or altered body")

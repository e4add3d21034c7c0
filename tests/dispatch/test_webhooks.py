"""Standard Webhooks signing and verification."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gapwatch.dispatch.webhooks import (
    WebhookSecretError,
    WebhookVerificationError,
    decode_secret,
    generate_secret,
    sign,
    signed_headers,
    verify,
)

# The published test vector of the Standard Webhooks reference libraries.
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def _spec_headers() -> dict[str, str]:
    return {
        "webhook-id": SPEC_ID,
        "webhook-timestamp": str(SPEC_TIMESTAMP),
        "webhook-signature": SPEC_SIGNATURE,
    }


def test_sign_matches_the_published_vector() -> None:
    assert sign(SPEC_SECRET, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY) == SPEC_SIGNATURE
    # The whsec_ prefix is optional on the way in.
    assert sign(SPEC_SECRET.removeprefix("whsec_"), SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY) == (
        SPEC_SIGNATURE
    )


def test_verify_accepts_the_published_vector_within_tolerance() -> None:
    verified = verify(SPEC_SECRET, _spec_headers(), SPEC_BODY, now=SPEC_TIMESTAMP + 299)
    assert verified.msg_id == SPEC_ID
    assert verified.timestamp == SPEC_TIMESTAMP


def test_header_names_are_case_insensitive() -> None:
    headers = {k.upper(): v for k, v in _spec_headers().items()}
    verify(SPEC_SECRET, headers, SPEC_BODY, now=SPEC_TIMESTAMP)


def test_any_matching_signature_among_several_is_enough() -> None:
    headers = _spec_headers()
    bogus = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="
    headers["webhook-signature"] = f"{bogus} v2,{bogus[3:]} {SPEC_SIGNATURE} v1,not-base64!"
    verify(SPEC_SECRET, headers, SPEC_BODY, now=SPEC_TIMESTAMP)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda h, b: (h, b + b" "), "no v1 signature matches"),
        (lambda h, b: ({**h, "webhook-id": "msg_other"}, b), "no v1 signature matches"),
        (
            lambda h, b: ({**h, "webhook-timestamp": str(SPEC_TIMESTAMP + 1)}, b),
            "no v1 signature matches",
        ),
        (lambda h, b: ({k: v for k, v in h.items() if k != "webhook-id"}, b), "missing webhook-id"),
        (
            lambda h, b: ({k: v for k, v in h.items() if k != "webhook-signature"}, b),
            "missing webhook-signature",
        ),
        (lambda h, b: ({**h, "webhook-timestamp": "yesterday"}, b), "not whole seconds"),
    ],
)
def test_verify_refuses_altered_or_incomplete_webhooks(change: object, message: str) -> None:
    headers, body = change(_spec_headers(), SPEC_BODY)  # type: ignore[operator]
    with pytest.raises(WebhookVerificationError, match=message):
        verify(SPEC_SECRET, headers, body, now=SPEC_TIMESTAMP)


def test_verify_refuses_stale_and_future_timestamps() -> None:
    with pytest.raises(WebhookVerificationError, match="old, beyond the 300 s"):
        verify(SPEC_SECRET, _spec_headers(), SPEC_BODY, now=SPEC_TIMESTAMP + 301)
    with pytest.raises(WebhookVerificationError, match="in the future"):
        verify(SPEC_SECRET, _spec_headers(), SPEC_BODY, now=SPEC_TIMESTAMP - 301)
    when = dt.datetime.fromtimestamp(SPEC_TIMESTAMP + 3600, dt.UTC)
    with pytest.raises(WebhookVerificationError):
        verify(SPEC_SECRET, _spec_headers(), SPEC_BODY, now=when)
    verify(SPEC_SECRET, _spec_headers(), SPEC_BODY, now=when, tolerance_s=3601)


def test_wrong_secret_is_refused() -> None:
    with pytest.raises(WebhookVerificationError, match="wrong secret"):
        verify(generate_secret(), _spec_headers(), SPEC_BODY, now=SPEC_TIMESTAMP)


@pytest.mark.parametrize("bad", ["", "whsec_", "whsec_@@@@", "not base64 at all"])
def test_malformed_secrets_are_named(bad: str) -> None:
    with pytest.raises(WebhookSecretError, match="secret"):
        decode_secret(bad)


@settings(max_examples=40)
@given(
    msg_id=st.text(min_size=1, max_size=40).filter(lambda s: s.strip() == s and s.isprintable()),
    timestamp=st.integers(min_value=0, max_value=4_000_000_000),
    body=st.binary(max_size=300),
)
def test_signed_headers_always_verify(msg_id: str, timestamp: int, body: bytes) -> None:
    secret = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo="
    headers = signed_headers(secret, msg_id, timestamp, body)
    assert verify(secret, headers, body, now=timestamp).msg_id == msg_id

"""Credentials in stream URLs never leave the process: redact them in every text shown or logged."""

from __future__ import annotations

import logging
import re

__all__ = ["RedactingFilter", "redact"]

# `scheme://userinfo@` — the userinfo runs to the last `@` before the path, because camera
# passwords often contain `@` themselves (`rtsp://admin:p@ss@10.0.0.5/...`).
_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)[^\s/?#]*@")
# Some vendors (Dahua, many NVRs) take credentials as query parameters instead.
_SECRET_PARAMS = re.compile(
    r"(?P<key>[?&;](?:user(?:name)?|password|passwd|pwd|pass|token|auth|key|secret)=)[^&#\s'\"]*",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """The text with every URL's user name, password and secret query parameters replaced."""
    text = _USERINFO.sub(r"\g<scheme>***@", text)
    return _SECRET_PARAMS.sub(r"\g<key>***", text)


class RedactingFilter(logging.Filter):
    """A logging filter that redacts credentials from a record's final message.

    Attach it to a handler (not a logger) so records from every library pass through it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True

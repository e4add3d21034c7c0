"""Credentials in stream URLs never leave the process: the shown form of a URL, and a log scrubber.

A camera's address is shown by building it again from its parts without the secret ones
(`shown_url`): the user name and password, the values of secret query keys, and the XMEye path
form `user=admin_password=XXX_channel=1`. `redact` is the net under that for free text (log lines
and library error messages that may quote a URL).
"""

from __future__ import annotations

import logging
import re

__all__ = ["SECRET_KEYS", "RedactingFilter", "redact", "shown_url", "split_userinfo", "url_host"]

SECRET_KEYS: frozenset[str] = frozenset(
    {
        "access_token",
        "accesstoken",
        "access-token",
        "api_key",
        "apikey",
        "auth",
        "auth_key",
        "authkey",
        "key",
        "pass",
        "passwd",
        "password",
        "pwd",
        "secret",
        "sign",
        "signature",
        "token",
        "user",
        "username",
    }
)
"""Query (and XMEye path) keys whose values are credentials: vendors' and media servers' forms."""

_MASK = "***"
_HOST = r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)*)"
_HOST_PORT = re.compile(rf"{_HOST}(?::\d{{1,5}})?(?=[/?#]|$)")
# `scheme://userinfo@` in free text: the userinfo runs to the last `@` before a host, because
# passwords hold `@`, `/`, `#`, `?` and spaces (`rtsp://admin:p@ss w/rd@10.0.0.5/...`).
_USERINFO = re.compile(
    rf"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)(?:[^@\n'\"<>]*@)+(?={_HOST}(?::\d+)?(?:[/?#\s'\"]|$))"
)
_KEYS = "|".join(sorted((re.escape(k) for k in SECRET_KEYS), key=len, reverse=True))
# The XMEye path form `/user=admin_password=XXX_channel=1`: a value ends at the next `_key=`
# (or the end), never at a character a password may hold.
_PATH_SECRETS = re.compile(
    rf"(?P<key>[/_](?:{_KEYS})=)(?P<value>.*?)"
    r"(?=_(?:channel|stream|user|username|password|passwd|pwd)=|$)",
    re.IGNORECASE,
)
# In free text, `?token=...`, `&password=...` and the path form end at a separator or a space.
_TEXT_SECRETS = re.compile(
    rf"(?P<key>[?&;/_](?:{_KEYS})=)(?P<value>.*?)"
    r"(?=_(?:channel|stream|user|username|password|passwd|pwd)=|[&#'\"\s]|$)",
    re.IGNORECASE,
)


def split_userinfo(url: str) -> tuple[str, str | None]:
    """`(url without userinfo, userinfo)`; the userinfo runs to the last `@` that a host follows.

    Passwords written into URLs hold `@`, `/`, `#`, `?` and spaces unencoded, which standard
    URL parsing splits in the wrong place; the host after the last `@` is the one the URL names.
    A path or query that itself holds `@host` is read as userinfo too: such URLs give their
    credentials as separate fields instead.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url, None
    at = len(rest)
    while (at := rest.rfind("@", 0, at)) >= 0:
        if _HOST_PORT.match(rest, at + 1) and not _is_path_parameter(rest[:at]):
            return f"{scheme}://{rest[at + 1 :]}", rest[:at]
    return url, None


def _is_path_parameter(candidate: str) -> bool:
    # `10.0.0.9/user=admin_password=p@ss`: a host, then key=value parameters; the `@` belongs
    # to a value in the path (XMEye) or the query, not to a login before the host.
    first, slash, _ = candidate.partition("/")
    return bool(slash) and "=" in candidate and _HOST_PORT.fullmatch(first) is not None


def url_host(url: str) -> str | None:
    """The `host[:port]` a URL without userinfo starts with, or None when it names no host."""
    _, sep, rest = url.partition("://")
    found = _HOST_PORT.match(rest) if sep else None
    return found.group(0) if found else None


def shown_url(url: str) -> str:
    """The URL as it may be shown or logged: userinfo and secret parameter values replaced."""
    bare, userinfo = split_userinfo(url.strip())
    scheme, sep, rest = bare.partition("://")
    if userinfo is None and sep and "@" in re.split(r"[/?#]", rest, maxsplit=1)[0]:
        # No host after the `@`: not a usable URL, and whatever precedes the `@` may be secret.
        return f"{scheme}://{_MASK}@{_mask_parameters(rest.rpartition('@')[2])}"
    if userinfo is not None:
        scheme, _, rest = bare.partition("://")
        bare = f"{scheme}://{_MASK}@{rest}"
    return _mask_parameters(bare)


def _mask_parameters(text: str) -> str:
    # Path forms first, over the whole rest (a password there may hold `?`); then query values,
    # masked whole: a password may hold spaces, `/`, `?`, `=` or `#`.
    text = _PATH_SECRETS.sub(rf"\g<key>{_MASK}", text)
    head, sep, query = text.partition("?")
    if not sep:
        return head
    pairs = []
    for pair in re.split(r"([&;])", query):
        key, eq, _ = pair.partition("=")
        pairs.append(f"{key}={_MASK}" if eq and key.strip().lower() in SECRET_KEYS else pair)
    return head + sep + "".join(pairs)


_WHOLE_URL = re.compile(r"^\s*[A-Za-z][A-Za-z0-9+.-]*://")


def redact(text: str) -> str:
    """The text with every URL's user name, password and secret parameters replaced.

    A text that is one URL (a camera's stream as given) is read as one, so a password with
    spaces in it is masked whole; in other text a URL ends at whitespace.
    """
    if _WHOLE_URL.match(text) and "\n" not in text:
        return shown_url(text)
    text = _USERINFO.sub(rf"\g<scheme>{_MASK}@", text)
    return _TEXT_SECRETS.sub(rf"\g<key>{_MASK}", text)


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

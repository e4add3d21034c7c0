"""What a camera entry says about reaching its stream: an address without secrets, and a login.

Credentials are data, not text inside the URL: a camera gives `username` and the *name* of the
place its password lives (`password_env`, an environment variable, or `password_file`, a secrets
file such as `/run/secrets/cam-007`). The real URL is built only by `real_url()`, which the
decoder worker calls in its own process right before it connects; everything else (logs, the
API, probe output, events, exports) sees `shown`, built from the parts without the secret ones.

Where the secret goes: into the URL's userinfo (percent-encoded, so a password may hold `@`, `/`,
`#`, `?` or spaces), or wherever the URL writes `{username}` / `{password}`: the XMEye path form
`rtsp://ip/user={username}_password={password}_channel=1`, or a play token `?token={password}`.
Old URLs with `user:pass@` written inline keep working: the userinfo is split off when the spec
is made and travels as credentials, never as part of the address.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import quote, unquote

from gapwatch.vision.redact import shown_url, split_userinfo

__all__ = ["CredentialError", "RtspTransport", "StreamSpec"]

RtspTransport = Literal["tcp", "udp"]

USERNAME_SLOT = "{username}"
PASSWORD_SLOT = "{password}"


class CredentialError(ValueError):
    """The password a camera names cannot be had: variable unset, file missing. Never holds it."""


@dataclass(frozen=True)
class StreamSpec:
    """A camera's stream: where (no secrets in it), who logs in, and how the password is found."""

    url: str
    """The address without userinfo; may hold `{username}`/`{password}` slots."""
    username: str | None = None
    password_env: str | None = None
    password_file: str | None = None
    rtsp_transport: RtspTransport = "tcp"
    inline_password: str | None = field(default=None, repr=False)
    """A password that was written inside an old URL (`user:pass@`); shown nowhere."""

    @classmethod
    def from_text(
        cls,
        text: str,
        *,
        username: str | None = None,
        password_env: str | None = None,
        password_file: str | None = None,
        rtsp_transport: RtspTransport = "tcp",
    ) -> StreamSpec:
        """A spec from a camera's `stream` text and its credential fields; inline
        `user:pass@` is split off (percent-escapes in it decoded)."""
        url, userinfo = split_userinfo(text.strip())
        inline_user: str | None = None
        inline_password: str | None = None
        if userinfo is not None:
            user, colon, password = userinfo.partition(":")
            inline_user = _decode(user) or None
            inline_password = _decode(password) if colon else None
        return cls(
            url=url,
            username=username if username is not None else inline_user,
            password_env=password_env,
            password_file=password_file,
            rtsp_transport=rtsp_transport,
            inline_password=inline_password,
        )

    @property
    def has_secret(self) -> bool:
        """Whether a password comes with the stream (inline, environment or file)."""
        return bool(self.password_env or self.password_file or self.inline_password is not None)

    @property
    def shown(self) -> str:
        """The address as it may be shown, logged or stored: no user name, password or key."""
        if self.username is None and not self.has_secret:
            return shown_url(self.url)
        if USERNAME_SLOT in self.url or PASSWORD_SLOT in self.url or "://" not in self.url:
            return shown_url(self.url)
        scheme, _, rest = self.url.partition("://")
        return shown_url(f"{scheme}://***@{rest}")

    def __str__(self) -> str:
        return self.shown

    def to_json(self) -> dict[str, str | None]:
        """The spec as JSON for a probe message: where the password lives, not the password
        (except one written inline in an old URL, which travels as it always did)."""
        return {
            "url": self.url,
            "username": self.username,
            "password_env": self.password_env,
            "password_file": self.password_file,
            "rtsp_transport": self.rtsp_transport,
            "inline_password": self.inline_password,
        }

    @classmethod
    def from_json(cls, data: object) -> StreamSpec:
        """Read `to_json`'s form; ValueError names what is wrong."""
        if not isinstance(data, dict):
            raise ValueError("stream spec is not a JSON object")
        url = data.get("url")
        if not isinstance(url, str) or not url:
            raise ValueError("stream spec has no url")
        texts: dict[str, str | None] = {}
        for key in ("username", "password_env", "password_file", "inline_password"):
            value = data.get(key)
            if value is not None and not isinstance(value, str):
                raise ValueError(f"stream spec {key} must be a string")
            texts[key] = value
        transport = data.get("rtsp_transport", "tcp")
        if transport not in ("tcp", "udp"):
            raise ValueError("stream spec rtsp_transport must be tcp or udp")
        return cls(
            url=url,
            username=texts["username"],
            password_env=texts["password_env"],
            password_file=texts["password_file"],
            rtsp_transport="udp" if transport == "udp" else "tcp",
            inline_password=texts["inline_password"],
        )

    def password(self) -> str | None:
        """The password, read now from where the camera entry says it lives."""
        if self.password_env:
            value = os.environ.get(self.password_env)
            if value is None:
                raise CredentialError(
                    f"environment variable {self.password_env} is not set"
                    f" / 环境变量 {self.password_env} 未设置"
                )
            return value
        if self.password_file:
            try:
                return Path(self.password_file).read_text(encoding="utf-8").rstrip("\r\n")
            except OSError as exc:
                raise CredentialError(
                    f"cannot read password file {self.password_file}: {exc.strerror}"
                    f" / 无法读取密码文件 {self.password_file}"
                ) from None
        return self.inline_password

    def real_url(self) -> str:
        """The URL with the credentials in it. Only the decoder worker calls this, to connect."""
        password = self.password()
        user = self.username
        if USERNAME_SLOT in self.url or PASSWORD_SLOT in self.url:
            return self.url.replace(USERNAME_SLOT, _encode(user or "")).replace(
                PASSWORD_SLOT, _encode(password or "")
            )
        if user is None and password is None:
            return self.url
        scheme, sep, rest = self.url.partition("://")
        if not sep:
            return self.url
        userinfo = _encode(user or "")
        if password is not None:
            userinfo += ":" + _encode(password)
        return f"{scheme}://{userinfo}@{rest}"

    def login(self) -> tuple[str, str] | None:
        """`(user, password)` for protocols that log in outside the URL (websocket headers)."""
        if USERNAME_SLOT in self.url or PASSWORD_SLOT in self.url:
            return None
        password = self.password()
        if self.username is None and password is None:
            return None
        return self.username or "", password or ""

    def address_url(self) -> str:
        """The URL with its slots filled but no userinfo (for protocols that log in by header)."""
        if USERNAME_SLOT in self.url or PASSWORD_SLOT in self.url:
            return self.real_url()
        return self.url


def _encode(value: str) -> str:
    # Only RFC 3986's unreserved characters stay as they are: a password may hold anything.
    return quote(value, safe="-._~")


def _decode(value: str) -> str:
    # `%40` in an inline password means `@`; a `%` that starts no escape is a literal percent.
    if not _well_escaped(value):
        return value
    try:
        return unquote(value, errors="strict")
    except UnicodeDecodeError:  # `%ab` that is no UTF-8: a literal password, not an escape
        return value


def _well_escaped(value: str) -> bool:
    index = value.find("%")
    while index >= 0:
        escape = value[index + 1 : index + 3]
        if len(escape) < 2 or any(c not in "0123456789abcdefABCDEF" for c in escape):
            return False
        index = value.find("%", index + 3)
    return True

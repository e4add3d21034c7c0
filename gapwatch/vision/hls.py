"""A first look at an HLS playlist before FFmpeg reads it: its segment length, and whether it ended.

A live playlist's muxer can die and leave the playlist behind: the file is still served, its
segments still play, only nothing new ever comes. FFmpeg's HLS demuxer then waits on reloads.
What tells a stall from a slow healthy stream is the segment length (`#EXT-X-TARGETDURATION`):
a healthy playlist gains a segment every target duration. A playlist that says
`#EXT-X-ENDLIST` is a finished recording: no live picture will come.
"""

from __future__ import annotations

import base64
import re
import urllib.request
from urllib.error import HTTPError, URLError
from urllib.parse import urljoin

from gapwatch.vision.redact import redact
from gapwatch.vision.sources import SourceError, StreamSource

__all__ = ["parse_target_duration", "target_duration"]

_TARGET = re.compile(r"^#EXT-X-TARGETDURATION:\s*([0-9.]+)", re.MULTILINE)
_MAX_PLAYLIST_BYTES = 1 << 20


def target_duration(source: StreamSource, *, timeout_s: float) -> float | None:
    """The live playlist's target duration in seconds (following one master playlist).

    SourceError when the playlist cannot be fetched or has ended.
    """
    url = source.spec.address_url()
    login = source.spec.login()
    for _ in range(2):  # a master playlist names the media playlists; follow the first
        text = _fetch(url, login, timeout_s)
        if "#EXT-X-STREAM-INF" not in text:
            if "#EXT-X-ENDLIST" in text:
                raise SourceError(
                    "the HLS playlist has ended (#EXT-X-ENDLIST): no live picture"
                    " / HLS 播放列表已结束，无实时画面"
                )
            return parse_target_duration(text)
        variant = _first_variant(text)
        if variant is None:
            break
        url = urljoin(url, variant)
    return None


def parse_target_duration(text: str) -> float | None:
    """`#EXT-X-TARGETDURATION` of a media playlist, or None when it has none."""
    found = _TARGET.search(text)
    return float(found.group(1)) if found else None


def _first_variant(text: str) -> str | None:
    lines = [line.strip() for line in text.splitlines()]
    for index, line in enumerate(lines):
        if line.startswith("#EXT-X-STREAM-INF"):
            for following in lines[index + 1 :]:
                if following and not following.startswith("#"):
                    return following
    return None


def _fetch(url: str, login: tuple[str, str] | None, timeout_s: float) -> str:
    request = urllib.request.Request(url)
    if login is not None:
        token = base64.b64encode(f"{login[0]}:{login[1]}".encode()).decode("ascii")
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as reply:
            body: bytes = reply.read(_MAX_PLAYLIST_BYTES)
    except HTTPError as exc:
        raise SourceError(f"cannot open: HTTP {exc.code} / 无法打开：HTTP {exc.code}") from None
    except (URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        text = reason.strerror if isinstance(reason, OSError) and reason.strerror else reason
        raise SourceError(f"cannot open: {redact(str(text))} / 无法打开") from None
    return body.decode("utf-8", errors="replace")

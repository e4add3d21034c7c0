"""Stream sources: what a camera's `stream` string points at and how to open it with hard time-outs.

RTSP goes over TCP with the fast-start options (no long stream analysis: connect in 0.1–0.35 s
instead of 3–5 s), HTTP(S) carries MJPEG or MPEG-TS, and plain paths or `file://` URLs are
recorded clips. Decoding goes through FFmpeg's libraries via PyAV, which lets the sampler hand
only the packets it needs to the decoder.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import unquote, urlsplit

from gapwatch.vision.redact import redact

if TYPE_CHECKING:
    from av.container import InputContainer

__all__ = ["SourceError", "SourceKind", "StreamSource", "describe_error", "open_stream", "parse"]

SourceKind = Literal["rtsp", "http", "file"]

_LIVE_SCHEMES: dict[str, SourceKind] = {
    "rtsp": "rtsp",
    "rtsps": "rtsp",
    "http": "http",
    "https": "http",
}

# Options handed to FFmpeg when opening. Like OpenCV's fast start
# (OPENCV_FFMPEG_CAPTURE_OPTIONS="rtsp_transport;tcp|analyzeduration;0|probesize;32768"), but
# `analyzeduration` 0 means FFmpeg's default of 5 s, and a quiet stream (a black or still picture
# compresses to a trickle) then takes seconds to fill the probe: bound the analysis by time too,
# and skip guessing the frame rate, which a probe does not use.
_FAST_START: dict[str, str] = {
    "analyzeduration": "200000",  # microseconds
    "probesize": "32768",
    "fpsprobesize": "0",
}
RTSP_OPTIONS: dict[str, str] = {
    "rtsp_transport": "tcp",  # UDP loses packets through NAT and firewalls; TCP just works
    **_FAST_START,
}
HTTP_OPTIONS: dict[str, str] = {
    "reconnect": "0",  # a probe reports the outage; it does not paper over it
    **_FAST_START,
}


class SourceError(Exception):
    """A stream that cannot be opened or read; the message names what is wrong (redacted)."""


@dataclass(frozen=True)
class StreamSource:
    """A parsed stream location: the string FFmpeg opens, its kind, and whether it is live."""

    location: str
    kind: SourceKind

    @property
    def live(self) -> bool:
        """Live sources are timed by the wall clock, recorded files by their own timestamps."""
        return self.kind != "file"

    @property
    def shown(self) -> str:
        """The location as it may be shown or logged: credentials redacted."""
        return redact(self.location)


def parse(source: str) -> StreamSource:
    """Classify a camera's `stream` string; raise SourceError when it cannot be a stream."""
    text = source.strip()
    if not text:
        raise SourceError("empty stream location / 视频流地址为空")
    split = urlsplit(text)
    scheme = split.scheme.lower()
    if scheme in _LIVE_SCHEMES:
        if not split.hostname:
            raise SourceError(f"no host in {redact(text)} / 地址缺少主机名")
        return StreamSource(location=text, kind=_LIVE_SCHEMES[scheme])
    if scheme == "file":
        path = Path(unquote(split.path))
    elif scheme and len(scheme) > 1:  # a one-letter "scheme" is a Windows drive, i.e. a path
        raise SourceError(f"unsupported stream scheme {scheme!r} / 不支持的协议 {scheme!r}")
    else:
        path = Path(text)
    if not path.exists():
        raise SourceError(f"file not found: {path} / 文件不存在")
    if not path.is_file():
        raise SourceError(f"not a regular file: {path} / 不是普通文件")
    return StreamSource(location=str(path), kind="file")


def open_stream(
    source: StreamSource, *, open_timeout_s: float, read_timeout_s: float
) -> InputContainer:
    """Open a source for demuxing; connecting and every later read are bounded by the time-outs."""
    import av  # deferred: decoding libraries load only in the process that decodes

    options = {"rtsp": RTSP_OPTIONS, "http": HTTP_OPTIONS, "file": {}}[source.kind]
    started = time.monotonic()
    try:
        return av.open(
            source.location,
            mode="r",
            options=dict(options),
            timeout=(max(open_timeout_s, 0.01), max(read_timeout_s, 0.01)),
        )
    except Exception as exc:  # FFmpeg raises a dozen error classes; all mean "cannot open"
        if time.monotonic() - started >= open_timeout_s * 0.95:
            # Interrupted mid-handshake, FFmpeg often blames the data rather than the clock.
            raise SourceError(
                f"no answer within {open_timeout_s:.1f} s / {open_timeout_s:.1f} 秒内无应答"
            ) from None
        raise SourceError(f"cannot open: {describe_error(exc)}") from None


def describe_error(exc: BaseException) -> str:
    """A short, redacted description of a decoding-library error, without the file name."""
    import av

    if isinstance(exc, av.error.ExitError):
        return "timed out / 超时"
    if isinstance(exc, av.error.FFmpegError):
        text = exc.strerror or type(exc).__name__
    elif isinstance(exc, OSError) and exc.strerror:
        text = exc.strerror
    else:
        text = str(exc) or type(exc).__name__
    return redact(text)

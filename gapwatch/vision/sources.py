"""Stream sources: what a camera's stream points at and how to open it with hard time-outs.

The forms GB/T 28181 platforms (WVP-GB28181-pro with ZLMediaKit) hand out, and recorded files:

| form | kind | opened by |
|---|---|---|
| `rtsp://`, `rtsps://` | rtsp | FFmpeg; TCP interleaved unless the camera asks for UDP |
| `rtmp://`, `rtmps://` | rtmp | FFmpeg, as a live stream (`rtmp_live`) |
| `http(s)://….flv`, MJPEG, MPEG-TS | http | FFmpeg's HTTP client, the container sniffed |
| `http(s)://….m3u8` | hls | FFmpeg's HLS demuxer from the newest segment, timed by arrival |
| `ws(s)://….flv` (or `.ts`) | ws | a websocket read in the decoder worker, bytes handed to FFmpeg |
| a path or `file://` | file | FFmpeg, timed by the clip's own timestamps |

FFmpeg has no websocket protocol, so WS-FLV is read with the `websockets` client. Every
connection and every read is bounded: PyAV's interrupt callback for FFmpeg's sockets, FFmpeg's own
`rw_timeout`/`timeout` as a second guard, and the websocket's receive time-out.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import unquote, urlsplit

from gapwatch.vision.redact import redact, url_host
from gapwatch.vision.stream_spec import CredentialError, StreamSpec

if TYPE_CHECKING:
    from av.container import InputContainer

__all__ = [
    "FAST_START_OPTIONS",
    "SUPPORTED_SCHEMES",
    "Connection",
    "SourceError",
    "SourceKind",
    "StreamSource",
    "UnsupportedSourceError",
    "describe_error",
    "open_stream",
    "parse",
]

SourceKind = Literal["rtsp", "rtmp", "http", "hls", "ws", "file"]

_LIVE_SCHEMES: dict[str, SourceKind] = {
    "rtsp": "rtsp",
    "rtsps": "rtsp",
    "rtmp": "rtmp",
    "rtmps": "rtmp",
    "http": "http",
    "https": "http",
    "ws": "ws",
    "wss": "ws",
}
SUPPORTED_SCHEMES: tuple[str, ...] = (*_LIVE_SCHEMES, "file")
"""URL schemes a camera's `stream` may use; anything else is refused (`validate`, probe exit 3)."""

# Options handed to FFmpeg when opening. Like OpenCV's fast start
# (OPENCV_FFMPEG_CAPTURE_OPTIONS="rtsp_transport;tcp|analyzeduration;0|probesize;32768"), but
# `analyzeduration` 0 means FFmpeg's default of 5 s, and a quiet stream (a black or still picture
# compresses to a trickle) then takes seconds to fill the probe: bound the analysis by time too,
# and skip guessing the frame rate, which a probe does not use.
FAST_START_OPTIONS: dict[str, str] = {
    "analyzeduration": "200000",  # microseconds
    "probesize": "32768",
    "fpsprobesize": "0",
}
RTSP_OPTIONS: dict[str, str] = {
    "rtsp_transport": "tcp",  # UDP loses packets through NAT and firewalls; TCP just works
    **FAST_START_OPTIONS,
}
RTMP_OPTIONS: dict[str, str] = {
    # "any" first asks for a recording and falls back; a camera is always live.
    "rtmp_live": "live",
    **FAST_START_OPTIONS,
}
HTTP_OPTIONS: dict[str, str] = {
    "reconnect": "0",  # a probe reports the outage; it does not paper over it
    **FAST_START_OPTIONS,
}
HLS_OPTIONS: dict[str, str] = {
    # Start at the newest segment: the older ones are history a stalled muxer leaves behind,
    # and reading them quickly would look like a live picture.
    "live_start_index": "-1",
    "seg_max_retry": "0",
    "max_reload": "3",
    **FAST_START_OPTIONS,
}
HLS_DEFAULT_TARGET_S = 2.0
"""Segment length assumed when a playlist does not say (ZLMediaKit's default segDur)."""


class SourceError(Exception):
    """A stream that cannot be opened or read; the message names what is wrong (redacted)."""


class UnsupportedSourceError(SourceError):
    """A stream form gapwatch cannot read at all: a setup error, not a camera outage."""


@dataclass(frozen=True)
class StreamSource:
    """A parsed stream: its spec, the credential-free location, its kind and container format."""

    spec: StreamSpec
    location: str
    """What FFmpeg opens, without credentials (a file path for files)."""
    kind: SourceKind
    container_format: str | None = None
    """The container when it cannot be sniffed (a websocket carries bytes without a name)."""

    @property
    def live(self) -> bool:
        """Live sources are timed by the wall clock, recorded files by their own timestamps."""
        return self.kind != "file"

    @property
    def timed_by_arrival(self) -> bool:
        """HLS arrives in bursts of whole segments: only arrival, not timestamps, proves it live."""
        return self.kind == "hls"

    @property
    def shown(self) -> str:
        """The location as it may be shown or logged: credentials redacted."""
        return self.spec.shown if self.kind != "file" else self.location


def parse(source: str | StreamSpec) -> StreamSource:
    """Classify a camera's stream; raise SourceError when it cannot be a stream
    (UnsupportedSourceError when no camera could be read that way)."""
    spec = source if isinstance(source, StreamSpec) else StreamSpec.from_text(source)
    text = spec.url.strip()
    if not text:
        raise SourceError("empty stream location / 视频流地址为空")
    split = urlsplit(text)
    scheme = split.scheme.lower()
    if scheme in _LIVE_SCHEMES:
        if url_host(text) is None:
            raise SourceError(f"no host in {spec.shown} / 地址缺少主机名")
        kind = _LIVE_SCHEMES[scheme]
        if spec.rtsp_transport != "tcp" and kind != "rtsp":
            raise UnsupportedSourceError(
                f"rtsp_transport {spec.rtsp_transport} applies to rtsp:// streams only"
                f" / rtsp_transport 仅适用于 rtsp:// 视频流"
            )
        container_format = None
        if kind == "http" and split.path.lower().endswith(".m3u8"):
            kind = "hls"
        elif kind == "ws":
            container_format = "mpegts" if split.path.lower().endswith(".ts") else "flv"
        return StreamSource(spec=spec, location=text, kind=kind, container_format=container_format)
    if scheme == "file":
        path = Path(unquote(split.path))
    elif scheme and len(scheme) > 1:  # a one-letter "scheme" is a Windows drive, i.e. a path
        raise UnsupportedSourceError(
            f"unsupported stream scheme {scheme!r}: gapwatch reads "
            f"{', '.join(s + '://' for s in SUPPORTED_SCHEMES)} and file paths"
            f" / 不支持的协议 {scheme!r}"
        )
    else:
        path = Path(text)
    if not path.exists():
        raise SourceError(f"file not found: {path} / 文件不存在")
    if not path.is_file():
        raise SourceError(f"not a regular file: {path} / 不是普通文件")
    return StreamSource(spec=spec, location=str(path), kind="file")


@dataclass
class Connection:
    """An open stream: the container to demux, how long a read may wait, and what to close."""

    container: InputContainer
    stall_s: float
    """A live read that waits longer than this means the stream stalled."""
    failure: Callable[[], str | None] = field(default=lambda: None)
    """Why the bytes stopped, when something other than FFmpeg reads them (a websocket)."""
    cut_short: Callable[[], bool] = field(default=lambda: False)
    """Whether that reader stopped because the sampling time ran out."""
    closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        """Close the container and whatever feeds it."""
        try:
            self.container.close()
        finally:
            for closer in self.closers:
                closer()


def open_stream(
    source: StreamSource,
    *,
    open_timeout_s: float,
    read_timeout_s: float,
    stop_at: float | None = None,
) -> Connection:
    """Open a source for demuxing; connecting and every later read are bounded by the time-outs.

    Builds the real URL (credentials in it) here, in the decoder worker, and nowhere else.
    """
    started = time.monotonic()
    open_timeout_s = max(open_timeout_s, 0.01)
    try:
        if source.kind == "ws":
            from gapwatch.vision.websocket_feed import open_websocket

            return open_websocket(
                source,
                open_timeout_s=open_timeout_s,
                read_timeout_s=read_timeout_s,
                stop_at=stop_at if stop_at is not None else time.monotonic() + 3600.0,
            )
        stall_s = read_timeout_s
        if source.kind == "hls":
            from gapwatch.vision.hls import target_duration

            target = target_duration(source, timeout_s=open_timeout_s)
            # A healthy playlist gains a segment every target duration, and FFmpeg polls it at
            # half that when it finds nothing new: two segments' time without data is a stall.
            stall_s = max(read_timeout_s, 2 * (target or HLS_DEFAULT_TARGET_S) + 1.0)
        location = source.spec.real_url() if source.kind != "file" else source.location
        container = _open_container(
            location, source.kind, source.spec.rtsp_transport, open_timeout_s, stall_s
        )
        return Connection(container=container, stall_s=stall_s)
    except CredentialError as exc:
        raise SourceError(str(exc)) from None
    except SourceError:
        raise
    except Exception as exc:  # FFmpeg raises a dozen error classes; all mean "cannot open"
        if time.monotonic() - started >= open_timeout_s * 0.95:
            # Interrupted mid-handshake, FFmpeg often blames the data rather than the clock.
            raise SourceError(
                f"no answer within {open_timeout_s:.1f} s / {open_timeout_s:.1f} 秒内无应答"
            ) from None
        raise SourceError(f"cannot open: {describe_error(exc)}") from None


def _open_container(
    location: str, kind: SourceKind, transport: str, open_timeout_s: float, stall_s: float
) -> InputContainer:
    import av  # deferred: decoding libraries load only in the process that decodes

    micros = str(int(stall_s * 1_000_000))
    options: dict[str, str]
    if kind == "rtsp":
        # `timeout`: FFmpeg's own bound on each socket read, under PyAV's interrupt callback.
        options = {**RTSP_OPTIONS, "rtsp_transport": transport, "timeout": micros}
    elif kind == "rtmp":
        options = {**RTMP_OPTIONS, "rw_timeout": micros}
    elif kind == "http":
        options = {**HTTP_OPTIONS, "rw_timeout": micros}
    elif kind == "hls":
        options = {**HLS_OPTIONS, "rw_timeout": micros}
    else:
        options = {}
    return av.open(
        location, mode="r", options=options, timeout=(open_timeout_s, max(stall_s, 0.01))
    )


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

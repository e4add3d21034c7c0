"""The sampling plan: a few frames spread over a few seconds, decoding as little as possible.

A freeze can only be told from a motionless scene over seconds, so the frames are spread out. Most
of the cost of watching a stream is decoding every frame; a probe decodes only keyframes when the
stream has them often enough, and otherwise decodes just the stretch of a group of pictures that
leads to the moment it needs. Packets are cheap to read; decoding is what is saved.

A hung stream is told by time spent waiting in a read (`stall_s`), not by pictures: a sample is
only ever taken from a packet that has just arrived, so a stalled server cannot hand back its last
picture again as if it were new (as OpenCV's `read()` does for one or two read time-outs).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt

from gapwatch.vision.sources import StreamSource, describe_error

if TYPE_CHECKING:
    from av.container import InputContainer
    from av.packet import Packet
    from av.video.codeccontext import VideoCodecContext
    from av.video.frame import VideoFrame
    from av.video.stream import VideoStream

__all__ = [
    "FileStart",
    "Outcome",
    "SampledFrame",
    "SamplingPlan",
    "SamplingReport",
    "clock_entry",
    "sample",
]

Outcome = Literal["complete", "ended", "stalled", "failed"]
FileStart = Literal["start", "clock"]


@dataclass(frozen=True)
class SamplingPlan:
    """How many frames to take, how far apart, and when a stream counts as stalled."""

    frames: int = 3
    """Frames per probe."""
    spacing_s: float = 1.5
    """Least time between two sampled frames (stream time for files, wall time for live)."""
    keyframe_wait_s: float = 1.0
    """How long past a sample's moment to wait for a keyframe before decoding up to it."""
    stall_s: float = 2.5
    """A live stream that delivers nothing for this long has stalled: no_signal."""
    open_timeout_s: float = 5.0
    """Longest wait for a connection (also bounded by the probe's time-out)."""
    max_width: int = 640
    """Frames are scaled down to this width: metrics need no more, and it keeps transfer cheap."""
    file_start: FileStart = "start"
    """Where a recorded file is entered: at its start (a clip judged as given), or `clock`,
    where it would be now had it been playing in a loop since the Unix epoch, so that each
    probe of a file camera sees another moment, as it would of a live camera (`clock_entry`)."""

    @property
    def window_s(self) -> float:
        """Stream time a probe may need from its first frame: each later frame may wait its
        spacing and a keyframe wait; half a second of margin."""
        return (self.frames - 1) * (self.spacing_s + self.keyframe_wait_s) + 0.5

    def __post_init__(self) -> None:
        if self.frames < 1:
            raise ValueError("a sampling plan takes at least one frame")
        if self.spacing_s < 0 or self.keyframe_wait_s < 0:
            raise ValueError("spacing and keyframe wait must not be negative")
        if self.stall_s <= 0 or self.open_timeout_s <= 0 or self.max_width < 16:
            raise ValueError("stall time, open time-out and width must be positive")
        if self.file_start not in ("start", "clock"):
            raise ValueError("file_start is 'start' or 'clock'")


def clock_entry(duration_s: float | None, plan: SamplingPlan, now_s: float) -> float:
    """Seconds into a recorded file at which a `clock` probe begins at Unix time `now_s`.

    The file plays in a loop of its length; a probe that reaches the end goes on from the start
    (once). A file shorter than the probe's window, or of unknown length, is entered at 0.
    """
    if duration_s is None or not duration_s >= plan.window_s:
        return 0.0
    return float(now_s % duration_s)


@dataclass(frozen=True)
class SampledFrame:
    """One sampled picture, when it was taken (seconds of stream time) and what it cost."""

    at: float
    image: npt.NDArray[np.uint8]
    keyframe: bool
    decoded: int
    """Packets decoded to produce this picture (1 for a keyframe)."""
    pts: float | None = None
    """The picture's presentation timestamp (s): a stream repeating one is stuck."""


@dataclass(frozen=True)
class SamplingReport:
    """How the sampling ended and what it measured about the stream."""

    outcome: Outcome
    reason: str | None
    packets: int
    decoded: int
    max_read_gap_s: float
    """Longest wait inside one read once sampling had begun: a slow read is an outage sign."""


def sample(
    container: InputContainer,
    source: StreamSource,
    plan: SamplingPlan,
    *,
    stop_at: float,
    emit: Callable[[SampledFrame], None],
) -> SamplingReport:
    """Take the plan's frames from an open container, handing each to `emit` as it is ready.

    `stop_at` is a `time.monotonic()` moment: past it the sampling ends with what it has.
    """
    return _Sampler(container, source, plan, stop_at, emit).run()


class _Sampler:
    def __init__(
        self,
        container: InputContainer,
        source: StreamSource,
        plan: SamplingPlan,
        stop_at: float,
        emit: Callable[[SampledFrame], None],
    ) -> None:
        self.container = container
        self.source = source
        self.plan = plan
        self.stop_at = stop_at
        self.emit = emit
        self.taken = 0
        self.packets = 0
        self.decoded = 0
        self.max_gap = 0.0
        self.started = time.monotonic()
        self.origin: float | None = None
        self.last_at: float | None = None
        # Packets since the decoder was last brought up to date, starting at a keyframe; decoding
        # them in order gives the picture at the latest one.
        self.pending: list[Packet[VideoStream]] = []
        self.seen_keyframe = False
        self.want_next_output = False
        self.rate = 25.0
        self.media_zero: tuple[float, float] | None = None
        self.enter_at: float | None = None
        """Stream time of the first sample when a file is entered mid-way (`clock`)."""
        self.loop_s: float | None = None
        """A clock-entered file's length: at its end the probe goes on from its start."""
        self.wrap_s = 0.0
        """Stream time added to a file's timestamps once it has gone round."""

    def run(self) -> SamplingReport:
        streams = self.container.streams.video
        if not streams:
            return self._report("failed", "no video stream / 没有视频流")
        stream = streams[0]
        codec = stream.codec_context
        codec.thread_count = 1  # frame threads add latency and CPU for a handful of frames
        codec.thread_type = "SLICE"
        codec.flags |= _low_delay_flag()
        if stream.average_rate:
            self.rate = float(stream.average_rate)
        if not self.source.live and self.plan.file_start == "clock":
            self._enter_by_clock(stream)
        try:
            for packet in self._packets(stream.index):
                if self._handle(packet, codec, stream.time_base):
                    return self._report("complete", None)
                if time.monotonic() >= self.stop_at:
                    return self._report("complete", "sampling cut short by the time-out")
        except _Stalled as stall:
            return self._report("stalled", str(stall))
        except Exception as exc:  # the decoder's errors all mean the stream broke mid-probe
            return self._report("failed", f"stream broke: {describe_error(exc)} / 视频流中断")
        if self.taken and not self.source.live:
            return self._report("complete", None)  # a clip shorter than the plan
        if self.taken:
            return self._report("ended", f"stream ended after {self.taken} frames / 视频流中断")
        return self._report("ended", "no picture in the stream / 视频流中没有画面")

    def _enter_by_clock(self, stream: VideoStream) -> None:
        """Seek a file to the keyframe before its clock moment; the first sample is decoded up
        to that moment. A file that cannot seek is read from its start."""
        duration: float | None = None
        if self.container.duration:
            duration = self.container.duration / 1_000_000  # AV_TIME_BASE
        elif stream.duration and stream.time_base:
            duration = float(stream.duration * stream.time_base)
        entry = clock_entry(duration, self.plan, time.time())
        if entry <= 0.0:
            return
        start = 0.0
        if stream.start_time is not None and stream.time_base:
            start = float(stream.start_time * stream.time_base)
        try:
            self.container.seek(int((start + entry) * 1_000_000), backward=True)
        except Exception:  # a file without an index: read it from the start
            return
        self.enter_at = start + entry
        self.loop_s = duration

    def _round_again(self) -> bool:
        """At a clock-entered file's end, go on from its start (once); False when done."""
        if self.loop_s is None or self.wrap_s > 0.0 or self.taken >= self.plan.frames:
            return False
        try:
            self.container.seek(0, backward=True)
        except Exception:
            return False
        self.wrap_s = self.loop_s
        return True

    def _packets(self, index: int) -> Iterator[Packet[VideoStream]]:
        demux = self.container.demux(video=0)
        while True:
            # Only time spent waiting inside a read counts: time this process spent decoding or
            # handing frames over (slow on a busy machine) says nothing about the camera.
            asked = time.monotonic()
            try:
                packet = next(demux)
            except StopIteration:
                if self._round_again():
                    demux = self.container.demux(video=0)
                    continue
                return
            except Exception as exc:
                import av

                if isinstance(exc, av.error.ExitError):  # our read time-out fired
                    raise _Stalled(self._stall_text(time.monotonic() - asked)) from None
                if isinstance(exc, av.error.EOFError):
                    if self._round_again():
                        demux = self.container.demux(video=0)
                        continue
                    return
                raise
            waited = time.monotonic() - asked
            if self.taken:
                self.max_gap = max(self.max_gap, waited)
            if self.source.live and waited >= self.plan.stall_s:
                raise _Stalled(self._stall_text(waited))
            if packet.stream_index != index or packet.size == 0:
                continue  # size 0: the demuxer's end-of-stream marker
            self.packets += 1
            yield packet

    def _stall_text(self, gap: float) -> str:
        return f"stream stalled: no data for {gap:.1f} s after {self.taken} frames / 视频流卡住"

    def _handle(
        self, packet: Packet[VideoStream], codec: VideoCodecContext, time_base: Fraction | None
    ) -> bool:
        """Feed one packet; True once the plan's frames are all taken."""
        at = self._moment(packet, time_base)
        if packet.is_keyframe:
            self.seen_keyframe = True
            self.pending = [packet]
        elif self.seen_keyframe:
            self.pending.append(packet)
        else:
            return False  # before the first keyframe nothing can be decoded
        if self.want_next_output:  # a decoder with reorder delay owes us a picture
            return self._decode_pending(codec, at, keyframe=packet.is_keyframe)
        if self.origin is None:
            if self.enter_at is not None:  # decode from the keyframe up to the clock moment
                if at < self.enter_at - 0.5 / self.rate:
                    return False
                self.origin = at
                return self._decode_pending(codec, at, keyframe=packet.is_keyframe)
            if not packet.is_keyframe:
                return False
            self.origin = at
            return self._decode_pending(codec, at, keyframe=True)
        assert self.last_at is not None
        due = self.last_at + self.plan.spacing_s
        if at < due:
            return False
        if packet.is_keyframe:
            return self._decode_pending(codec, at, keyframe=True)
        if at >= due + self.plan.keyframe_wait_s:
            return self._decode_pending(codec, at, keyframe=False)
        return False

    def _moment(self, packet: Packet[VideoStream], time_base: Fraction | None) -> float:
        """Seconds since the probe began; on live streams, the later of wall clock and timestamps.

        Packets that queued up while connecting arrive in a burst, so arrival alone would put
        their pictures too close together; timestamps alone cannot be trusted either (some
        servers send none, MJPEG demuxers make them up at a guessed rate). Files without
        timestamps count frames. HLS is timed by arrival alone: a stalled playlist still serves
        its last segment, whose timestamps span seconds.
        """
        wall = time.monotonic() - self.started
        if self.source.timed_by_arrival:
            return wall
        if packet.pts is None or time_base is None:
            return wall if self.source.live else self.packets / self.rate
        media = float(packet.pts * time_base)
        if not self.source.live:
            return media + self.wrap_s
        if self.media_zero is None:
            self.media_zero = (media, wall)
            return wall
        first_media, first_wall = self.media_zero
        return max(wall, first_wall + (media - first_media))

    def _decode_pending(self, codec: VideoCodecContext, at: float, *, keyframe: bool) -> bool:
        pictures: list[VideoFrame] = []
        for queued in self.pending:
            pictures.extend(codec.decode(queued))
            self.decoded += 1
        decoded = len(self.pending)
        self.pending = []
        if not pictures:
            self.want_next_output = True
            return False
        self.want_next_output = False
        self.taken += 1
        self.last_at = at
        picture = pictures[-1]
        self.emit(
            SampledFrame(
                at=at - (self.origin or 0.0),
                image=_to_bgr(picture, self.plan.max_width),
                keyframe=keyframe,
                decoded=decoded,
                pts=None if picture.time is None else float(picture.time),
            )
        )
        return self.taken >= self.plan.frames

    def _report(self, outcome: Outcome, reason: str | None) -> SamplingReport:
        return SamplingReport(
            outcome=outcome,
            reason=reason,
            packets=self.packets,
            decoded=self.decoded,
            max_read_gap_s=self.max_gap,
        )


class _Stalled(Exception):
    pass


def _low_delay_flag() -> int:
    from av.codec.context import Flags

    return int(Flags.low_delay)


def _to_bgr(picture: VideoFrame, max_width: int) -> npt.NDArray[np.uint8]:
    width, height = picture.width, picture.height
    if width > max_width:
        height = max(2, round(height * max_width / width / 2) * 2)
        width = max_width
    image = picture.to_ndarray(format="bgr24", width=width, height=height)
    return np.ascontiguousarray(image, dtype=np.uint8)

"""`gapwatch probe`: one stream, one verdict, monitoring-plugin exit codes, text or JSON."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gapwatch.vision.redact import redact
from gapwatch.vision.types import ProbeResult

if TYPE_CHECKING:
    from gapwatch.vision.baseline import Baseline
    from gapwatch.vision.stream_spec import StreamSpec

__all__ = [
    "EXIT_CODES",
    "FAULT_NAMES",
    "STATE_WORDS",
    "plugin_text",
    "probe_command",
    "result_json",
]

EXIT_CODES: dict[str, int] = {"ok": 0, "degraded": 1, "offline": 2, "unknown": 3}
UNKNOWN = 3
"""Could not judge: bad arguments, an unreadable source, or a verdict the judge is unsure of."""

STATE_WORDS: dict[int, str] = {0: "OK", 1: "WARNING", 2: "CRITICAL", 3: "UNKNOWN"}
"""Monitoring-plugin state per exit status (Nagios plugin guidelines)."""

STATUS_NAMES: dict[str, str] = {
    "ok": "正常",
    "degraded": "画质异常",
    "offline": "离线",
    "unknown": "无法判断",
}
FAULT_NAMES: dict[str, str] = {
    "no_signal": "无信号",
    "frozen": "画面冻结",
    "black": "黑屏",
    "overexposed": "过曝",
    "blur": "模糊",
    "occluded": "遮挡",
    "shifted": "移位",
    "color_cast": "偏色",
    "noise": "噪声",
}

# Perfdata: (metric key, label, unit, min, max). Units follow the plugin guidelines: s for
# seconds, none for counts and plain numbers.
_PERFDATA: tuple[tuple[str, str, str, str, str], ...] = (
    ("frames", "frames", "", "0", ""),
    ("open_s", "open", "s", "0", ""),
    ("first_frame_s", "first_frame", "s", "0", ""),
    ("max_read_gap_s", "max_read_gap", "s", "0", ""),
    ("brightness", "brightness", "", "0", "255"),
    ("detail", "detail", "", "0", ""),
    ("grain", "grain", "", "0", ""),
    ("temporal_noise", "temporal_noise", "", "0", ""),
    ("motion_mad", "motion", "", "0", "255"),
    ("identical_share", "identical", "", "0", "1"),
)


def _fail(message: str) -> int:
    # A monitoring system reads stdout: UNKNOWN goes there too, in the plugin's form.
    text = redact(message)
    print(f"GAPWATCH UNKNOWN - probe: {text.split(' / ')[0]}\n{text}")  # noqa: T201
    print(f"gapwatch probe: {text}", file=sys.stderr)  # noqa: T201
    return UNKNOWN


def probe_command(
    source: str | None,
    reference: Path | None,
    timeout: str,
    output_format: str,
    *,
    rtsp_transport: str = "tcp",
    username: str | None = None,
    password_env: str | None = None,
) -> int:
    """Run `gapwatch probe`; returns the exit status."""
    if not source or not source.strip():
        return _fail("missing SOURCE (stream URL or file) / 缺少视频源 SOURCE")
    stream = _stream_spec(source, rtsp_transport, username, password_env)
    if isinstance(stream, str):
        return _fail(stream)
    try:
        timeout_s = float(timeout)
    except ValueError:
        return _fail(f"--timeout must be a number of seconds, got {timeout!r} / 超时须为秒数")
    if not math.isfinite(timeout_s) or timeout_s <= 0:
        return _fail(f"--timeout must be more than 0 s, got {timeout} / 超时须大于 0 秒")
    if output_format not in ("text", "json"):
        return _fail(
            f"--format must be text or json, got {output_format!r} / 格式须为 text 或 json"
        )
    baseline: Baseline | None = None
    if reference is not None:
        try:
            baseline = _load_reference(reference)
        except ValueError as exc:
            return _fail(str(exc))

    from gapwatch.vision.probe import close_default_pool, probe

    try:
        result = probe(stream, timeout_s=timeout_s, baseline=baseline)
    finally:
        close_default_pool()
    if output_format == "json":
        print(json.dumps(result_json(result, source), ensure_ascii=False))  # noqa: T201
    else:
        print(plugin_text(result, source))  # noqa: T201
    return EXIT_CODES[result.status]


def _stream_spec(
    source: str, rtsp_transport: str, username: str | None, password_env: str | None
) -> StreamSpec | str:
    """The stream to probe, or why it cannot be probed at all (UNKNOWN, never offline)."""
    from gapwatch.vision.sources import SourceError, UnsupportedSourceError, parse
    from gapwatch.vision.stream_spec import StreamSpec

    if rtsp_transport not in ("tcp", "udp"):
        return f"--rtsp-transport must be tcp or udp, got {rtsp_transport!r} / 须为 tcp 或 udp"
    spec = StreamSpec.from_text(
        source,
        username=username,
        password_env=password_env,
        rtsp_transport="udp" if rtsp_transport == "udp" else "tcp",
    )
    try:
        parse(spec)
    except UnsupportedSourceError as exc:
        return str(exc)
    except SourceError:
        pass  # a missing file or host is the probe's verdict (offline), with its reason
    return spec


def _load_reference(path: Path) -> Baseline:
    """The baseline from a reference picture; ValueError naming the problem if it is unusable."""
    from gapwatch.vision.baseline import Baseline

    if not path.is_file():
        raise ValueError(f"--reference: no such file: {path} / 参考图像不存在")
    try:
        return Baseline.from_image(path)
    except (ValueError, OSError) as exc:  # BaselineError is a ValueError
        raise ValueError(f"--reference: {exc} / 无法读取参考图像") from None


def result_json(result: ProbeResult, source: str) -> dict[str, Any]:
    """The JSON document of `gapwatch probe --format json` (CONTRACTS.md, plus extras)."""
    return {
        "status": result.status,
        "faults": list(result.faults),
        "metrics": dict(result.metrics),
        "elapsed_s": round(result.elapsed_s, 3),
        "reason": redact(result.reason) if result.reason else None,
        "source": redact(source),
        "frames": result.frames,
        "scores": dict(result.scores),
    }


def _perf_number(value: float) -> str:
    return f"{value:.4g}" if abs(value) < 1e4 else f"{value:.0f}"


def plugin_text(result: ProbeResult, source: str) -> str:
    """The monitoring-plugin output: one summary line with perfdata, then details.

    `GAPWATCH WARNING - SOURCE frozen: picture does not change (frozen) | 'elapsed'=4.8s;;;0 ...`
    """
    code = EXIT_CODES[result.status]
    shown = redact(source)
    reason_en = (redact(result.reason).split(" / ")[0] if result.reason else "") or (
        "picture healthy" if result.status == "ok" else result.status
    )
    faults = ",".join(result.faults) if result.faults else "no faults"
    perf = [f"'elapsed'={result.elapsed_s:.3f}s;;;0"]
    for key, label, unit, low, high in _PERFDATA:
        value = result.metrics.get(key)
        if value is not None and math.isfinite(value):
            perf.append(f"'{label}'={_perf_number(value)}{unit};;;{low};{high}".rstrip(";"))
    for fault, score in sorted(result.scores.items()):
        if math.isfinite(score):
            perf.append(f"'score_{fault}'={score:.3f};0.5;;0;1")
    first = f"GAPWATCH {STATE_WORDS[code]} - {shown} {faults}: {reason_en} | {' '.join(perf)}"
    lines = [first, f"status 状态: {result.status} {STATUS_NAMES[result.status]}"]
    if result.faults:
        named = ", ".join(
            f"{f} {FAULT_NAMES.get(f, '')} ({result.scores.get(f, 1.0):.2f})" for f in result.faults
        )
        lines.append(f"faults 故障: {named}")
    if result.reason:
        lines.append(f"reason 原因: {redact(result.reason)}")
    lines.append(f"frames 帧: {result.frames}, elapsed 耗时: {result.elapsed_s:.2f} s")
    return "\n".join(lines)

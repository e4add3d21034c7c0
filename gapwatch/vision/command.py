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

__all__ = ["EXIT_CODES", "FAULT_NAMES", "probe_command", "result_json"]

EXIT_CODES: dict[str, int] = {"ok": 0, "degraded": 1, "offline": 2}
UNKNOWN = 3
"""Could not judge: bad arguments (monitoring-plugin UNKNOWN)."""

STATUS_NAMES: dict[str, str] = {
    "ok": "OK 正常",
    "degraded": "DEGRADED 画质异常",
    "offline": "OFFLINE 离线",
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


def _fail(message: str) -> int:
    print(f"gapwatch probe: {redact(message)}", file=sys.stderr)  # noqa: T201
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
        print(_text(result, source))  # noqa: T201
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
    }


def _text(result: ProbeResult, source: str) -> str:
    faults = ", ".join(f"{code} {FAULT_NAMES.get(code, '')}".strip() for code in result.faults)
    lines = [
        f"PROBE {STATUS_NAMES[result.status]} - {redact(source)} - "
        f"{result.frames} frames 帧, {result.elapsed_s:.2f} s"
    ]
    if faults:
        lines.append(f"faults 故障: {faults}")
    if result.reason:
        lines.append(f"reason 原因: {redact(result.reason)}")
    return "\n".join(lines)

"""What counting people adds to a probe's CPU, measured through the wired probe path.

    .venv/bin/python bench/crowd_probe_cost.py [--probes 40] [--size 1920x1080] [--rounds 4]

One decoder worker probes a camera-like local clip (the sample clip with people, scaled to
`--size`) with a learned baseline, in alternating blocks of `--probes` probes: without a pose
(the probe as before) and with the camera's pose (the probe also counts people on its healthy
verdict). CPU is process CPU time (user + system) of this process and of the decoder worker, so
other work on a shared machine does not inflate it. Prints CPU per probe for both and the ratio
(goal: counting adds at most 10 %), and the counting step's own thread CPU per probe.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from pathlib import Path

import psutil

from gapwatch.crowd import CameraPose
from gapwatch.vision import ProbePool
from gapwatch.vision.baseline import Baseline

ROOT = Path(__file__).resolve().parents[1]
CLIP = ROOT / "sample_streams" / "clips" / "clean_crowd.mp4"


def cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--probes", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--size", default="1920x1080")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    work = Path(tempfile.mkdtemp(prefix="crowd-cost-"))
    clip = work / "camera.mp4"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-i", str(CLIP), "-vf", f"scale={width}:{height}",
         "-c:v", "libx264", "-preset", "veryfast", "-bf", "0", "-g", "50", str(clip)],
        check=True,
    )  # fmt: skip
    pose = CameraPose(0.0, 0.0, 6.0, 0.0, 20.0, 90.0, width, height, 45.0)
    me = psutil.Process()
    counted_people: list[float] = []
    count_cpu = 0.0
    counts = 0

    import gapwatch.vision.crowd as crowd_step

    original = crowd_step.count_crowd

    def timed(*a, **k):  # type: ignore[no-untyped-def]
        nonlocal count_cpu, counts
        started = time.thread_time()
        out = original(*a, **k)
        count_cpu += time.thread_time() - started
        counts += 1
        return out

    crowd_step.count_crowd = timed  # the probe imports it at call time
    totals = {"without": [0.0, 0], "with": [0.0, 0]}
    with ProbePool(max_workers=1, probes_per_worker=10_000, judge=teaching_judge) as pool:
        pool.warm(1)
        baseline = Baseline()
        for _ in range(6):  # a learned background, as a camera watched for a while has
            pool.probe(str(clip), baseline=baseline)
        (worker_pid,) = pool.worker_pids()
        worker = psutil.Process(worker_pid)
        for _ in range(args.rounds):
            for mode in ("without", "with"):
                before = cpu(me) + cpu(worker)
                for _ in range(args.probes):
                    result = pool.probe(
                        str(clip), baseline=baseline, pose=pose if mode == "with" else None
                    )
                    if mode == "with" and result.crowd is not None:
                        counted_people.append(result.crowd.people)
                totals[mode][0] += cpu(me) + cpu(worker) - before
                totals[mode][1] += args.probes
    without = totals["without"][0] / totals["without"][1]
    with_count = totals["with"][0] / totals["with"][1]
    print(f"load: {Path('/proc/loadavg').read_text().split()[:3]} ({psutil.cpu_count()} cores)")
    print(f"clip {args.size}, {args.rounds} rounds x {args.probes} probes per mode")
    print(f"probe CPU without counting: {1000 * without:.1f} ms/probe")
    print(f"probe CPU with counting:    {1000 * with_count:.1f} ms/probe")
    print(
        f"ratio with/without: {with_count / without:.3f} "
        f"(+{100 * (with_count / without - 1):.1f} %)"
    )
    if counts:
        share = count_cpu / counts / without
        print(
            f"counting step alone: {1000 * count_cpu / counts:.2f} ms thread CPU per probe "
            f"({100 * share:.1f} % of a probe); {len(counted_people)} counted, "
            f"mean {sum(counted_people) / max(1, len(counted_people)):.1f} people"
        )


def teaching_judge(frames, baseline):  # type: ignore[no-untyped-def]
    """Judge, then teach the baseline on a healthy verdict, as the service's baseline book does."""
    from gapwatch.vision.judge import judge

    verdict = judge(frames, baseline)
    if baseline is not None:
        baseline.update(verdict, frames)
    return verdict


if __name__ == "__main__":
    main()

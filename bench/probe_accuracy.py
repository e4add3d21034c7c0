"""Accuracy of the health judge on the labelled sample clips.

    .venv/bin/python bench/probe_accuracy.py [--split tune|holdout|all]

Decodes each clip in sample_streams/clips/ the way a probe samples a stream (a few frames
spread over a few seconds; several sampling plans), judges the frames without a baseline and
with the clip's reference picture as baseline (`--reference`), and prints per-fault precision
and recall, the false alarms on clean clips, and what judging costs next to decoding.

Three baselines: none, the clip's reference picture (`--reference`), and one learned from probes
of four healthy clips (`Baseline.update`, as the service learns). `shifted` needs a reference:
it is only counted in the runs with a baseline.
Thresholds were tuned on the clips of split "tune"; split "holdout" uses other source offsets
and fault strengths and was not looked at while tuning.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from gapwatch.vision.baseline import Baseline
from gapwatch.vision.judge import judge
from gapwatch.vision.types import FAULT_CODES, Frame

CLIPS = Path(__file__).resolve().parent.parent / "sample_streams" / "clips"

PLANS: dict[str, tuple[float, ...]] = {
    "3 frames, 2 s apart from 0 s (keyframes)": (0.0, 2.0, 4.0),
    "3 frames, 1.5 s apart from 0.5 s": (0.5, 2.0, 3.5),
    "5 frames, 1 s apart from 1 s": (1.0, 2.0, 3.0, 4.0, 5.0),
    "3 frames, 1 s apart from 4 s": (4.0, 5.0, 6.0),
}


def sample(path: Path, times: tuple[float, ...]) -> tuple[list[Frame], float]:
    """Decode the frames at the given times (s) and the CPU seconds it took."""
    start = time.process_time()
    cap = cv2.VideoCapture(str(path))
    fps = cap.get(cv2.CAP_PROP_FPS) or 10.0
    wanted = {round(t * fps): t for t in times}
    frames: list[Frame] = []
    index = 0
    while wanted and index <= max(wanted):
        ok, image = cap.read()
        if not ok:
            break
        if index in wanted:
            frames.append(Frame(wanted.pop(index), np.asarray(image, np.uint8)))
        index += 1
    cap.release()
    return frames, time.process_time() - start


LEARNED_FROM = ("clean_day.mp4", "clean_day_clock.mp4", "clean_static.mp4", "clean_night_ir.mp4")
"""Healthy clips of the camera's past the learned baseline is taught from (not judged with it)."""


def learned_baseline() -> Baseline:
    """A baseline learned the way the service learns one: probes whose verdict was healthy."""
    baseline = Baseline()
    for name in LEARNED_FROM:
        for start in (0.0, 2.0, 4.0):
            frames, _ = sample(CLIPS / name, (start, start + 1.5, start + 3.0))
            baseline.update(judge(frames, baseline), frames)
    return baseline


@dataclass
class Tally:
    tp: Counter[str]
    fp: Counter[str]
    fn: Counter[str]
    clean_runs: int = 0
    clean_alarms: int = 0
    exact: int = 0
    runs: int = 0


def new_tally() -> Tally:
    return Tally(Counter(), Counter(), Counter())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=["tune", "holdout", "fresh", "all"], default="all")
    parser.add_argument("--verbose", action="store_true", help="print every wrong verdict")
    args = parser.parse_args()
    labels_path = CLIPS / "labels.json"
    if not labels_path.exists():
        sys.exit(f"{labels_path} is missing: run sample_streams/make_clips.py")
    labels: dict[str, dict[str, object]] = json.loads(labels_path.read_text())["clips"]
    refs = {
        name: Baseline.from_image(CLIPS / name)
        for name in {str(lab["reference"]) for lab in labels.values()}
    }
    learned = learned_baseline()
    tallies = {split: new_tally() for split in ("tune", "holdout", "fresh")}
    decode_s = judge_s = 0.0
    probes = samplings = 0
    by_mode: dict[tuple[str, str], list[int]] = {}
    mistakes: list[str] = []
    for name, lab in labels.items():
        split = str(lab["split"])
        if args.split != "all" and split != args.split:
            continue
        expected = set(map(str, lab["faults"]))  # type: ignore[call-overload]
        for plan, times in PLANS.items():
            frames, cost = sample(CLIPS / name, times)
            decode_s += cost
            samplings += 1
            modes: list[tuple[str, Baseline | None]] = [
                ("no baseline", None),
                ("reference", refs[str(lab["reference"])]),
            ]
            if name not in LEARNED_FROM:
                modes.append(("learned", learned))
            for mode, baseline in modes:
                start = time.process_time()
                verdict = judge(frames, baseline)
                judge_s += time.process_time() - start
                probes += 1
                got = set(verdict.faults)
                judged = set(FAULT_CODES) - ({"shifted"} if baseline is None else set())
                t = tallies[split]
                t.runs += 1
                for fault in judged:
                    if fault in got and fault in expected:
                        t.tp[fault] += 1
                    elif fault in got:
                        t.fp[fault] += 1
                    elif fault in expected:
                        t.fn[fault] += 1
                want = expected & judged
                row = by_mode.setdefault((split, mode), [0, 0, 0, 0])
                row[0] += int(got == want)
                row[1] += 1
                row[2] += int(not expected and bool(got))
                row[3] += int(not expected)
                t.exact += int(got == want and verdict.status == (lab["status"] if want else "ok"))
                if not expected:
                    t.clean_runs += 1
                    t.clean_alarms += int(bool(got))
                if got != want:
                    mistakes.append(
                        f"  {split:7s} {name:32s} {plan[:22]:22s} {mode:11s} "
                        f"expected {sorted(want)} got {sorted(got)}"
                    )

    for split, t in tallies.items():
        if not t.runs:
            continue
        print(
            f"\n== split {split}: {t.runs} judgements ({len(PLANS)} sampling plans × "
            "no baseline / reference picture / learned baseline)"
        )
        print(f"{'fault':12s} {'precision':>9s} {'recall':>7s} {'tp':>4s} {'fp':>4s} {'fn':>4s}")
        for fault in FAULT_CODES:
            tp, fp, fn = t.tp[fault], t.fp[fault], t.fn[fault]
            if not tp + fp + fn:
                continue
            precision = tp / (tp + fp) if tp + fp else float("nan")
            recall = tp / (tp + fn) if tp + fn else float("nan")
            print(f"{fault:12s} {precision:9.2f} {recall:7.2f} {tp:4d} {fp:4d} {fn:4d}")
        print(f"false alarms on clean clips: {t.clean_alarms} of {t.clean_runs} judgements")
        print(f"verdict exactly right: {t.exact} of {t.runs}")
    print("\nper baseline: verdict right / judgements, false alarms / clean judgements")
    for (split, mode), (right, total, alarms, clean) in sorted(by_mode.items()):
        print(f"  {split:8s} {mode:12s} {right:4d} / {total:<4d} {alarms:3d} / {clean}")
    if mistakes and args.verbose:
        print("\nwrong verdicts:")
        print("\n".join(mistakes))
    elif mistakes:
        print(f"\n{len(mistakes)} wrong verdicts (--verbose lists them)")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"\ncost: judging {1000 * judge_s / max(probes, 1):.1f} ms CPU per probe, decoding the "
        f"sampled frames {1000 * decode_s / max(samplings, 1):.1f} ms; judge/decode ratio "
        f"{(judge_s / max(probes, 1)) / (decode_s / max(samplings, 1)):.2f}; "
        f"peak RSS {peak_mib:.0f} MiB"
    )


if __name__ == "__main__":
    main()

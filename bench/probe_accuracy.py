"""Accuracy of the health judge on labelled clips from real scenes, by scene split.

    .venv/bin/python bench/probe_accuracy.py [--split tune|holdout] [--verbose] [--json FILE]

Two clip sets: sample_streams/scenes/ (four real scenes, each with clean pictures in natural
conditions and every fault; whole scenes are split: `square` and `wall` for tuning, `tree` and
`road` held out) and sample_streams/clips/ (the older set, all from the `square` footage, so all
on the tuning side). The held-out split is not run unless asked for with `--split holdout`.

Each clip is sampled the way a probe samples a stream (four plans: a few frames seconds apart)
and judged four ways: with no baseline, with the scene's reference picture (`--reference`), with
a baseline learned from probes of the scene's `past` clip through `Baseline.update` (as the
service learns), and with that learned baseline after it also saw a probe of the same camera a
few minutes earlier (`+history`: the service's evidence for a freeze). `shifted` needs a
reference and is only counted with a baseline.

A fault counts as found when the verdict lists it with a confident status (not `unknown`); a
clean clip raises a false alarm when its verdict is `degraded` or `offline`. `unknown` verdicts
(could not judge) are counted on their own: they open no alert.
"""

from __future__ import annotations

import argparse
import copy
import json
import resource
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gapwatch.vision.baseline import Baseline
from gapwatch.vision.judge import judge
from gapwatch.vision.types import FAULT_CODES, Frame

ROOT = Path(__file__).resolve().parent.parent / "sample_streams"
SCENES = ROOT / "scenes"
CLIPS = ROOT / "clips"

PLANS: dict[str, tuple[float, ...]] = {
    "3 frames 2 s apart from 0 s (keyframes)": (0.0, 2.0, 4.0),
    "3 frames 1.5 s apart from 0.5 s": (0.5, 2.0, 3.5),
    "5 frames 1 s apart from 1 s": (1.0, 2.0, 3.0, 4.0, 5.0),
    "3 frames 1 s apart from 3 s": (3.0, 4.0, 5.0),
}
HISTORY_PLAN = (0.2, 1.7, 3.2)
"""The earlier probe the `+history` judgements follow (minutes earlier, in the service)."""


def decode(path: Path, times: tuple[float, ...]) -> tuple[list[Frame], float]:
    """Decode the frames at the given times (s) with PyAV, as a probe does; CPU seconds taken."""
    import av

    start = time.process_time()
    frames: list[Frame] = []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        rate = float(stream.average_rate or 10)
        wanted = {round(t * rate): t for t in times}
        for index, picture in enumerate(container.decode(stream)):
            if index in wanted:
                image = picture.to_ndarray(format="bgr24")
                pts = None if picture.pts is None else float(picture.pts * stream.time_base)
                frames.append(_frame(wanted.pop(index), np.ascontiguousarray(image), pts))
            if not wanted:
                break
    return frames, time.process_time() - start


def _frame(at: float, image: np.ndarray, pts: float | None) -> Frame:
    try:
        return Frame(at=at, image=image, pts=pts)  # type: ignore[call-arg]
    except TypeError:  # a Frame without presentation timestamps
        return Frame(at=at, image=image)


@dataclass
class Tally:
    tp: Counter[str] = field(default_factory=Counter)
    fp: Counter[str] = field(default_factory=Counter)
    fn: Counter[str] = field(default_factory=Counter)
    clean: Counter[str] = field(default_factory=Counter)  # judgements per clean kind
    alarms: Counter[str] = field(default_factory=Counter)  # false alarms per clean kind
    unknown: Counter[str] = field(default_factory=Counter)  # unknown verdicts per clip kind
    runs: int = 0
    exact: int = 0


@dataclass(frozen=True)
class Clip:
    path: Path
    scene: str
    split: str
    kind: str
    status: str
    faults: frozenset[str]
    reference: Path


def load_clips() -> list[Clip]:
    out: list[Clip] = []
    if not (SCENES / "labels.json").exists():
        sys.exit("sample_streams/scenes/labels.json is missing: run make_scene_clips.py")
    for name, lab in json.loads((SCENES / "labels.json").read_text())["clips"].items():
        out.append(
            Clip(
                SCENES / name,
                lab["scene"],
                lab["split"],
                lab["kind"],
                lab["status"],
                frozenset(lab["faults"]),
                SCENES / lab["reference"],
            )
        )
    if (CLIPS / "labels.json").exists():
        for name, lab in json.loads((CLIPS / "labels.json").read_text())["clips"].items():
            kind = name.removesuffix(".mp4").removeprefix("fault_")
            out.append(
                Clip(
                    CLIPS / name,
                    "square-640",
                    "tune",
                    kind,
                    lab["status"],
                    frozenset(lab["faults"]),
                    CLIPS / lab["reference"],
                )
            )
    return out


def learned_baselines(clips: list[Clip]) -> dict[str, Baseline]:
    """Per scene, a baseline taught by probes of its `past` clip (the older set: clean_day)."""
    out: dict[str, Baseline] = {}
    for clip in clips:
        if clip.kind not in ("past", "clean_day"):
            continue
        baseline = Baseline()
        for start in (0.0, 1.0, 2.0):
            frames, _ = decode(clip.path, (start, start + 1.5, start + 3.0))
            baseline.update(judge(frames, baseline), frames)
        out[clip.scene] = baseline
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=["tune", "holdout"], default="tune")
    parser.add_argument("--verbose", action="store_true", help="print every wrong verdict")
    parser.add_argument("--json", type=Path, help="also write every verdict to this file")
    parser.add_argument("--scenes-only", action="store_true", help="leave out sample_streams/clips")
    args = parser.parse_args()
    clips = [c for c in load_clips() if c.split == args.split]
    if args.scenes_only:
        clips = [c for c in clips if c.path.parent == SCENES]
    refs: dict[Path, Baseline] = {}
    learned = learned_baselines(clips)
    tallies: dict[str, Tally] = defaultdict(Tally)
    by_mode: dict[str, Tally] = defaultdict(Tally)
    decode_s = judge_s = 0.0
    probes = samplings = 0
    mistakes: list[str] = []
    records: list[dict[str, object]] = []
    for clip in clips:
        if clip.kind in ("past", "clean_day"):
            continue  # taught the learned baseline
        if clip.reference not in refs:
            refs[clip.reference] = Baseline.from_image(clip.reference)
        history: Baseline | None = None
        if clip.scene in learned:
            history = copy.deepcopy(learned[clip.scene])
            earlier, _ = decode(clip.path, HISTORY_PLAN)
            history.update(judge(earlier, history), earlier)
        for plan, times in PLANS.items():
            frames, cost = decode(clip.path, times)
            decode_s += cost
            samplings += 1
            modes: list[tuple[str, Baseline | None]] = [
                ("none", None),
                ("reference", refs[clip.reference]),
            ]
            if clip.scene in learned:
                modes.append(("learned", learned[clip.scene]))
                modes.append(("+history", history))
            for mode, baseline in modes:
                started = time.process_time()
                verdict = judge(frames, copy.deepcopy(baseline) if baseline else None)
                judge_s += time.process_time() - started
                probes += 1
                judged = set(FAULT_CODES) - ({"shifted"} if baseline is None else set())
                want = clip.faults & judged
                confident = verdict.status != "unknown"
                got = set(verdict.faults) if confident else set()
                for t in (tallies[clip.scene], tallies["all"], by_mode[mode]):
                    t.runs += 1
                    for fault in judged:
                        if fault in got and fault in want:
                            t.tp[fault] += 1
                        elif fault in got:
                            t.fp[fault] += 1
                        elif fault in want:
                            t.fn[fault] += 1
                    if not clip.faults:
                        t.clean[clip.kind] += 1
                        t.alarms[clip.kind] += int(verdict.status in ("degraded", "offline"))
                    if not confident:
                        t.unknown[clip.kind] += 1
                    t.exact += int(got == want)
                scores = getattr(verdict, "scores", {})
                records.append(
                    {
                        "clip": clip.path.name,
                        "scene": clip.scene,
                        "plan": plan,
                        "baseline": mode,
                        "expected": sorted(want),
                        "status": verdict.status,
                        "faults": list(verdict.faults),
                        "scores": scores,
                        "metrics": verdict.metrics,
                    }
                )
                if got != want or (not clip.faults and verdict.status != "ok"):
                    mistakes.append(
                        f"  {clip.scene:10s} {clip.kind:22s} {plan[:20]:20s} {mode:9s} "
                        f"expected {sorted(want)} got {verdict.status} {sorted(verdict.faults)} "
                        f"{ {k: round(v, 2) for k, v in scores.items()} if scores else '' }"
                    )
    report(tallies, by_mode, args.split)
    if mistakes and args.verbose:
        print("\nwrong verdicts:")
        print("\n".join(mistakes))
    elif mistakes:
        print(f"\n{len(mistakes)} wrong verdicts (--verbose lists them)")
    if args.json:
        args.json.write_text(json.dumps(records, indent=1, ensure_ascii=False) + "\n")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"\ncost: judging {1000 * judge_s / max(probes, 1):.1f} ms CPU per probe, decoding the "
        f"sampled frames {1000 * decode_s / max(samplings, 1):.1f} ms per sampling; "
        f"peak RSS {peak_mib:.0f} MiB"
    )


def report(tallies: dict[str, Tally], by_mode: dict[str, Tally], split: str) -> None:
    print(f"== split {split}: scenes {', '.join(k for k in tallies if k != 'all')}")
    t = tallies["all"]
    print(f"{t.runs} judgements ({len(PLANS)} sampling plans x none / reference / learned "
          "/ +history)")  # fmt: skip
    print(f"\n{'fault':12s} {'precision':>9s} {'recall':>7s} {'tp':>5s} {'fp':>5s} {'fn':>5s}"
          + "".join(f" {s[:9]:>9s}" for s in tallies if s != "all"))  # fmt: skip
    for fault in FAULT_CODES:
        tp, fp, fn = t.tp[fault], t.fp[fault], t.fn[fault]
        if not tp + fp + fn:
            continue
        precision = tp / (tp + fp) if tp + fp else float("nan")
        recall = tp / (tp + fn) if tp + fn else float("nan")
        per_scene = ""
        for scene, st in tallies.items():
            if scene == "all":
                continue
            n = st.tp[fault] + st.fn[fault]
            per_scene += f" {st.tp[fault] / n:9.2f}" if n else f" {'-':>9s}"
        print(f"{fault:12s} {precision:9.2f} {recall:7.2f} {tp:5d} {fp:5d} {fn:5d}{per_scene}")
    print("(last columns: recall per scene)")
    print("\nclean clips: false alarms / judgements, by scene type")
    kinds = sorted(t.clean)
    print(f"{'scene':12s}" + "".join(f" {k[:12]:>12s}" for k in kinds) + f" {'all':>9s}")
    for scene, st in tallies.items():
        cells = "".join(f" {st.alarms[k]:>5d}/{st.clean[k]:<6d}" for k in kinds)
        total = f" {sum(st.alarms.values()):>4d}/{sum(st.clean.values()):<4d}"
        print(f"{scene:12s}{cells}{total}")
    unknown = sum(t.unknown.values())
    print(f"\nunknown (could not judge) verdicts: {unknown} of {t.runs}"
          + (f" ({dict(t.unknown)})" if unknown else ""))  # fmt: skip
    print(f"verdict exactly right: {t.exact} of {t.runs}")
    print("\nper baseline: exactly right / judgements, false alarms / clean judgements")
    for mode, mt in by_mode.items():
        print(f"  {mode:10s} {mt.exact:5d} / {mt.runs:<5d} {sum(mt.alarms.values()):4d} / "
              f"{sum(mt.clean.values())}")  # fmt: skip


if __name__ == "__main__":
    main()

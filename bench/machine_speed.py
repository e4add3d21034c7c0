"""How fast this machine is right now: CPU seconds of a fixed pure-Python loop.

    .venv/bin/python bench/machine_speed.py [--runs 3]

Virtual machines here change speed by up to 2× within minutes (other guests on the host). Timing
this loop just before and after a run says which speed a wall-clock figure was taken at: 2.3 to
2.9 s per run was this machine's usual speed on 8 December 2026 (README, Testing).
"""

from __future__ import annotations

import argparse
import time

# 20 million multiply-adds on module-level names (global lookups), as the loop was first timed.
LOOP = compile("total = 0\nfor i in range(20_000_000):\n    total += i * i\n", "loop", "exec")


def loop_cpu_s() -> float:
    """CPU seconds of the loop in this interpreter."""
    started = time.process_time()
    exec(LOOP, {})  # a constant loop, written above
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    for _ in range(args.runs):
        print(f"loop {loop_cpu_s():.2f} s of CPU")


if __name__ == "__main__":
    main()

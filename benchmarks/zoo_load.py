"""How long loading each zoo checkpoint takes once the package is imported (bar: <= 100 ms).

    python benchmarks/zoo_load.py [--repeat 5]

Prints per-checkpoint median and worst times; a benchmark, not a test (timings depend on load).
"""

from __future__ import annotations

import argparse
import statistics
import time

from imagination import ImaginationModel, zoo


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--repeat", type=int, default=5)
    args = p.parse_args()
    ImaginationModel()  # warm torch's lazy initialisation, as any real import-then-load would
    worst = 0.0
    for e in zoo.list():
        times = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            zoo.load(e.name)
            times.append((time.perf_counter() - t) * 1000)
        worst = max(worst, max(times))
        print(f"{e.name:28s} median {statistics.median(times):6.1f} ms   max {max(times):6.1f} ms")
    print(f"worst load: {worst:.1f} ms (bar 100 ms)")


if __name__ == "__main__":
    main()

"""Where the app's CPU goes under load: yappi (CPU clock, every thread) around 8 HTTP clients.

    pip install yappi
    python benchmarks/app_profile.py [--clients 8] [--episodes 30] [--top 60]

The app's server runs in this process (so every thread is profiled; the drawing workers, as in
``app.py``, are processes of their own) while ``app_latency.py`` drives it from a subprocess.
Profiling slows the app several times over: read the shares, not the latencies.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--episodes", type=int, default=30)
    p.add_argument("--port", type=int, default=7911)
    p.add_argument("--top", type=int, default=60)
    args = p.parse_args()
    try:
        import yappi
    except ImportError:
        raise SystemExit("this profile needs yappi: pip install yappi") from None
    sys.path.insert(0, str(ROOT))
    import app  # noqa: F401 - its environment defaults, before gradio is imported
    from imagination.demo import handlers, page, server, workers

    yappi.set_clock_type("cpu")
    demo = page.build_demo(server.showcase())
    handlers.start_drawing(workers.default_workers(), wait=True)  # as app.py runs: the drawing leaves this process
    demo.queue(default_concurrency_limit=page.RUN_CONCURRENCY)
    demo.launch(server_name="127.0.0.1", server_port=args.port, prevent_thread_lock=True, quiet=True)
    time.sleep(2)
    yappi.start()
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "app_latency.py"), "--url", f"http://127.0.0.1:{args.port}"]
        + ["--clients", str(args.clients), "--client", "http", "--episodes", str(args.episodes)],
        check=True,
    )
    yappi.stop()
    stats = yappi.get_func_stats()
    stats.sort("ttot")
    for row in list(stats)[: args.top]:
        print(f"{row.ttot:8.3f} s  {row.ncall:7d}  {row.full_name}")
    demo.close()


if __name__ == "__main__":
    main()

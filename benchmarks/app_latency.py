"""Latency of the demo through its HTTP API, as a visitor's client sees it.

    python benchmarks/app_latency.py                  # launch app.py, then 1 and 8 concurrent clients
    python benchmarks/app_latency.py --fetch-files    # also download the three images of each answer
    python benchmarks/app_latency.py --url http://127.0.0.1:7860 --clients 8 --episodes 50
    python benchmarks/app_latency.py --first-paint 5    # also: navigation to the first episode painted (Chromium)

Each request is one ``/run_episode`` call (a random 20x20 board, 3 steps, a different seed each
time); its latency runs from the call to the complete answer (panel, score-matrix heatmap,
animation, per-step table, status and summary). Two clients are measured: raw HTTP on Gradio's
documented API (``POST /gradio_api/call/run_episode`` then its event stream: what the app itself
costs) and ``gradio_client`` (what a Python user sees; it polls in 50 ms sleeps, which adds about
100 ms to every call whatever the app does). With ``--fetch-files`` the client also downloads the
three images, as a browser would. Every answer is checked against the
board its client asked for. Without ``--url`` the script starts ``python app.py`` itself and
reports the time from process start to the first page served.

The bars (issue "Gradio demo"): p50 <= 250 ms and p95 <= 600 ms with 1 and with 8 clients on 2
cores; start to first page <= 10 s. Results and the machine they came from: benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_page(url: str, proc: subprocess.Popen | None, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"app.py exited with status {proc.returncode} before serving a page")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200 and b"<html" in r.read(4096).lower():
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise SystemExit(f"no page at {url} after {timeout:.0f} s")


def launch(
    checkpoint: str | None, extra_env: dict[str, str] | None = None, workers: int | None = None
) -> tuple[subprocess.Popen, str, float]:
    """Start app.py on a free port; (process, url, seconds from start to the first page served).

    With drawing workers, also wait (up to 60 s) until they are ready, so the runs measure the
    app as it serves once started, not its first seconds.
    """
    port = free_port()
    cmd = [sys.executable, str(ROOT / "app.py"), "--port", str(port)]
    if checkpoint:
        cmd += ["--checkpoint", checkpoint]
    if workers is not None:
        cmd += ["--workers", str(workers)]
    env = {**os.environ, **(extra_env or {})}
    log = Path(tempfile.mkdtemp(prefix="app-latency-")) / "app.log"
    t0 = time.monotonic()
    with log.open("w") as out:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    wait_for_page(url, proc)
    started = time.monotonic() - t0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        text = log.read_text()
        if "worker process" in text or "drawing in the server process" in text:
            break
        time.sleep(0.1)
    return proc, url, started


def expected_rle(seed: int, size: int, density: float) -> str:
    """The board the app should build for a random request (computed here with the package)."""
    import torch

    from imagination import life, patterns

    board = life.random_boards(1, size, density, generator=torch.Generator().manual_seed(seed))[0]
    return patterns.write_rle(board)


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            kids += [int(k) for k in (task / "children").read_text().split()]
    return kids


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time so far of a process and its live children, e.g. the app's drawing
    workers (Linux /proc), or None where unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return own + sum(cpu_seconds(kid) or 0.0 for kid in _children(int(pid)))  # type: ignore[arg-type]
    except (OSError, ValueError, IndexError, TypeError):
        return None


def percentile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    k = (len(xs) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


class RawHttpClient:
    """Gradio's documented HTTP API with nothing in between: POST /gradio_api/call/<api>, then read the SSE."""

    def __init__(self, url: str, fetch_files: bool) -> None:
        import httpx

        self.url = url.rstrip("/")
        self.fetch_files = fetch_files
        self.http = httpx.Client(timeout=60)
        self.session = uuid.uuid4().hex[:11]  # one session per client, as a browser tab or gradio_client has

    def predict(self, *data: object, api_name: str) -> list:
        api = api_name.strip("/")
        r = self.http.post(f"{self.url}/gradio_api/call/{api}", json={"data": list(data), "session_hash": self.session})
        r.raise_for_status()
        event = r.json()["event_id"]
        kind = None
        with self.http.stream("GET", f"{self.url}/gradio_api/call/{api}/{event}") as stream:
            for line in stream.iter_lines():
                if line.startswith("event:"):
                    kind = line.split(":", 1)[1].strip()
                elif line.startswith("data:") and kind in ("complete", "error"):
                    payload = json.loads(line[5:])
                    if kind == "error":
                        raise RuntimeError(f"the app answered with an error: {payload}")
                    break
            else:
                raise RuntimeError("the event stream ended without an answer")
        if self.fetch_files:
            for out in payload:
                if isinstance(out, dict) and out.get("url"):
                    self.http.get(out["url"]).raise_for_status()
        return payload

    def close(self) -> None:
        self.http.close()


def make_client(kind: str, url: str, fetch_files: bool) -> object:
    if kind == "http":
        return RawHttpClient(url, fetch_files)
    from gradio_client import Client

    return Client(url, verbose=False, download_files=fetch_files)


def run_clients(
    url: str,
    kind: str,
    clients: int,
    episodes: int,
    checkpoint: str,
    size: int,
    steps: int,
    fetch_files: bool,
    seed_base: int,
    server_pid: int | None = None,
) -> dict[str, object]:
    conns = [make_client(kind, url, fetch_files) for _ in range(clients)]
    for c in conns:  # warm-up: model load, fonts, the heatmap frame
        c.predict(checkpoint, "random", seed_base, 0.4, size, "glider", "", steps, "", api_name="/run_episode")
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors: list[str] = []
    barrier = threading.Barrier(clients)

    def work(k: int) -> None:
        barrier.wait()
        for n in range(episodes):
            seed = seed_base + 1000 * k + n
            t = time.perf_counter()
            try:
                out = conns[k].predict(
                    checkpoint, "random", seed, 0.4, size, "glider", "", steps, "", api_name="/run_episode"
                )
            except Exception as e:  # counted and reported, not raised: the run goes on
                errors.append(f"client {k} seed {seed}: {type(e).__name__}: {e}")
                continue
            latencies[k].append(time.perf_counter() - t)
            if out[5]["board_rle"] != expected_rle(seed, size, 0.4) or out[5]["steps"] != steps:
                errors.append(f"client {k} seed {seed}: the answer is for another board")

    t0, server0, client0 = time.perf_counter(), cpu_seconds(server_pid), time.process_time()
    threads = [threading.Thread(target=work, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    server1, client1 = cpu_seconds(server_pid), time.process_time()
    for c in conns:
        c.close()
    flat = [x for xs in latencies for x in xs]
    return {
        "client": kind,
        "clients": clients,
        "episodes": len(flat),
        "errors": errors,
        "fetch_files": fetch_files,
        "p50_ms": round(1000 * percentile(flat, 0.5), 1) if flat else None,
        "p95_ms": round(1000 * percentile(flat, 0.95), 1) if flat else None,
        "max_ms": round(1000 * max(flat), 1) if flat else None,
        "mean_ms": round(1000 * statistics.fmean(flat), 1) if flat else None,
        "episodes_per_s": round(len(flat) / wall, 1),
        # CPU spent per answered episode: by the app (all its threads) and by this client process
        "server_cpu_ms_per_episode": round(1000 * (server1 - server0) / len(flat), 1)
        if flat and server0 is not None and server1 is not None
        else None,
        "client_cpu_ms_per_episode": round(1000 * (client1 - client0) / len(flat), 1) if flat else None,
    }


def first_paint(url: str, tries: int = 5) -> list[float]:
    """Seconds from navigation to the first episode's panel painted, headless Chromium, fresh page each try.

    The page opens with an episode already drawn (no click): this is the time a visitor waits to
    see imagination on screen.
    """
    from playwright.sync_api import sync_playwright

    args = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
    painted = (
        "() => { const i = document.querySelector('#episode-panel img'); "
        "return !!i && i.complete && i.naturalWidth > 0; }"
    )
    times = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=args)
        for _ in range(tries):
            context = browser.new_context(viewport={"width": 1366, "height": 768})
            page = context.new_page()
            t0 = time.monotonic()
            page.goto(url)
            page.wait_for_function(painted, timeout=60_000)
            times.append(time.monotonic() - t0)
            context.close()
        browser.close()
    return times


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", help="an app already running (default: start app.py on a free port)")
    p.add_argument(
        "--checkpoint",
        help="checkpoint to run (default: gol3-autoencoder, the recipe's 3-step model, else the first zoo entry)",
    )
    p.add_argument("--clients", type=int, nargs="+", default=[1, 8])
    p.add_argument("--episodes", type=int, default=40, help="episodes per client")
    p.add_argument("--size", type=int, default=20)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument(
        "--client",
        nargs="+",
        choices=["http", "gradio_client"],
        default=["http", "gradio_client"],
        help="raw HTTP calls to /gradio_api/call/run_episode, and/or gradio_client's Client.predict",
    )
    p.add_argument("--fetch-files", action="store_true", help="also download the three images of every answer")
    p.add_argument("--workers", type=int, help="app.py --workers (default: the app's own default)")
    p.add_argument("--json", type=Path, help="write the results here as JSON")
    p.add_argument(
        "--first-paint", type=int, default=0, metavar="N", help="also time N page loads to the first episode painted"
    )
    args = p.parse_args(argv)

    from imagination import zoo

    names = zoo.names()
    checkpoint = args.checkpoint or ("gol3-autoencoder" if "gol3-autoencoder" in names else (names or [None])[0])
    if checkpoint is None:
        raise SystemExit("the zoo is empty: pass --checkpoint NAME|FOLDER")
    proc = None
    result: dict[str, object] = {"checkpoint": checkpoint, "size": args.size, "steps": args.steps}
    result["workers"] = args.workers
    try:
        if args.url:
            url = args.url
        else:
            proc, url, started = launch(checkpoint, workers=args.workers)
            result["start_to_first_page_s"] = round(started, 2)
            print(f"app.py: first page served {started:.2f} s after start")
        if args.first_paint:
            paints = first_paint(url, args.first_paint)
            result["first_paint_s"] = [round(t, 2) for t in paints]
            print(f"navigation to the first episode painted: {', '.join(f'{t:.2f}' for t in paints)} s")
        runs = []
        plan = [(kind, n) for kind in args.client for n in args.clients]
        for i, (kind, n) in enumerate(plan):
            pid = proc.pid if proc is not None else None
            r = run_clients(
                url, kind, n, args.episodes, checkpoint, args.size, args.steps, args.fetch_files, 10_000 * i, pid
            )
            runs.append(r)
            print(
                f"{kind}: {n} client(s) x {args.episodes} episodes{' + image fetch' if args.fetch_files else ''}: "
                f"p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms, max {r['max_ms']} ms, "
                f"{r['episodes_per_s']} episodes/s, CPU per episode: app {r['server_cpu_ms_per_episode']} ms, "
                f"client {r['client_cpu_ms_per_episode']} ms; {len(r['errors'])} errors"  # type: ignore[arg-type]
            )
            for e in r["errors"][:5]:  # type: ignore[index]
                print("  ", e)
        result["runs"] = runs
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=20)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 1 if any(r["errors"] for r in result["runs"]) else 0  # type: ignore[union-attr]


if __name__ == "__main__":
    sys.exit(main())

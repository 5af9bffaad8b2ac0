"""Load: 8 concurrent gradio_client clients x 25 episodes each, every one a different board.

No request may fail, and every answer must be the episode its client asked for (checked by the
board's digest, the checkpoint and the number of steps), so answers cannot cross between clients.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_app import AppServer, app_zoo, digest, expected_board, zoo_names

CLIENTS, EPISODES = 8, 25
PATTERNS = ["glider", "lwss", "r-pentomino", "pulsar", "acorn", "beacon", "toad", "diehard"]


@pytest.fixture(scope="module")
def zoo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return app_zoo(tmp_path_factory)


@pytest.fixture(scope="module")
def server(zoo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    srv = AppServer(zoo_dir, tmp_path_factory.mktemp("load-app") / "app.log", "--workers", "1")
    srv.wait_for_log("1 worker process ready")  # the answers cross a process boundary too
    yield srv
    srv.stop()


def request_for(k: int, n: int, names: list[str], configs: dict[str, dict]) -> tuple[tuple, str, int, str]:
    """Client k's n-th request (all 200 differ), its board digest, steps and checkpoint."""
    name = names[(k + n) % len(names)]
    beyond = n % 3 if configs[name]["tied"] else 0  # an untied core has no block for extra steps
    steps = configs[name]["model_steps"] + beyond  # at, and up to two steps past, the trained horizon
    if n % 2 == 0:
        seed, size = 1000 * k + n, 16 + (n % 9)
        args = (name, "random", seed, 0.4, size, "glider", "", steps)
        board = expected_board("random", seed, 0.4, size)
    else:
        pattern, size = PATTERNS[k % len(PATTERNS)], 16 + n
        args = (name, "pattern", 0, 0.4, size, pattern, "", steps)
        board = expected_board("pattern", size=size, pattern=pattern)
    return args, digest(board), steps, name


def test_eight_clients_twenty_five_episodes_each(server: AppServer, zoo_dir: Path) -> None:
    from gradio_client import Client

    names = zoo_names(zoo_dir)
    configs = {n: json.loads((zoo_dir / n / "config.json").read_text()) for n in names}
    wanted = {request_for(k, n, names, configs)[1] for k in range(CLIENTS) for n in range(EPISODES)}
    assert len(wanted) == CLIENTS * EPISODES  # every request asks for a different board

    clients = [Client(server.url, verbose=False, download_files=False) for _ in range(CLIENTS)]
    errors: list[str] = []
    checked = [0] * CLIENTS
    barrier = threading.Barrier(CLIENTS)

    def work(k: int) -> None:
        barrier.wait()
        for n in range(EPISODES):
            args, board_digest, steps, name = request_for(k, n, names, configs)
            try:
                panel, heatmap, gif, table, status, summary = clients[k].predict(*args, api_name="/run_episode")
            except Exception as e:
                errors.append(f"client {k} request {n}: {type(e).__name__}: {e}")
                continue
            got = (summary["board_sha256"], summary["steps"], summary["checkpoint"], len(table["data"]))
            if got != (board_digest, steps, name, steps + 1):
                errors.append(f"client {k} request {n}: asked for {board_digest[:8]}/{steps}/{name}, got {got}")
            if not all(isinstance(f, dict) and f.get("url") for f in (panel, heatmap, gif)):
                errors.append(f"client {k} request {n}: missing images")
            checked[k] += 1

    t0 = time.monotonic()
    threads = [threading.Thread(target=work, args=(k,)) for k in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    elapsed = time.monotonic() - t0
    for c in clients:
        c.close()
    assert not any(t.is_alive() for t in threads), "clients still running after 10 minutes"
    assert errors == [], f"{len(errors)} errors, first: {errors[:5]}"
    assert checked == [EPISODES] * CLIENTS
    print(f"{CLIENTS * EPISODES} episodes from {CLIENTS} clients in {elapsed:.1f} s")

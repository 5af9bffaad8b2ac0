"""imagination.demo.workers: worker processes that answer like the caller would, and never strand it."""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from imagination.demo.workers import WorkerPool, available_cpus, default_workers

ROOT = Path(__file__).resolve().parents[2]


def _state(pid: int) -> str | None:
    """A process's state letter (Z: exited, not yet reaped), or None once it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def test_default_leaves_a_core_to_the_server() -> None:
    assert 1 <= available_cpus() <= (os.cpu_count() or 1)
    assert default_workers() == min(4, available_cpus() - 1)


def test_without_workers_calls_run_here() -> None:
    pool = WorkerPool()
    assert pool.run(os.getpid) == os.getpid() and not pool.ready
    pool.start(0, wait=True)
    assert pool.run(os.getpid) == os.getpid() and not pool.ready


def test_workers_run_elsewhere_and_the_caller_takes_over_when_one_dies() -> None:
    pool = WorkerPool()
    pool.start(1, wait=True)
    try:
        assert pool.ready and pool.workers == 1
        worker = pool.run(os.getpid)
        assert worker != os.getpid()
        assert pool.run(divmod, 17, 5) == (3, 2)
        with pytest.raises(ValueError):  # the function's own errors reach the caller
            pool.run(int, "not a number")
        os.kill(worker, signal.SIGKILL)
        assert pool.run(os.getpid) == os.getpid()  # answered here, not lost
        assert not pool.ready and pool.workers == 0
    finally:
        pool.stop()


def test_workers_that_fail_to_start_leave_calls_to_the_caller() -> None:
    pool = WorkerPool()
    pool.start(1, warm_up=functools.partial(int, "no"), wait=True)
    try:
        assert not pool.ready
        assert pool.run(os.getpid) == os.getpid()
    finally:
        pool.stop()


def test_calls_after_stop_run_here() -> None:
    pool = WorkerPool()
    pool.start(1, wait=True)
    pool.stop()
    assert pool.run(os.getpid) == os.getpid() and not pool.ready


def test_a_killed_server_leaves_no_worker_behind() -> None:
    script = (
        "import os, time\n"
        "from imagination.demo.workers import WorkerPool\n"
        "pool = WorkerPool(); pool.start(1, wait=True)\n"
        "print(pool.run(os.getpid), flush=True)\n"
        "time.sleep(120)\n"
    )
    server = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        worker = int(server.stdout.readline())  # type: ignore[union-attr]
        assert _state(worker) not in (None, "Z")
        server.send_signal(signal.SIGKILL)  # no clean shutdown: nothing tells the worker
        server.wait(timeout=10)
        deadline = time.monotonic() + 10
        while _state(worker) not in (None, "Z") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _state(worker) in (None, "Z"), "the worker outlived its server"
    finally:
        if server.poll() is None:
            server.kill()

"""Worker processes for CPU-bound pure functions, so a server is not limited to one core.

A Gradio server answers requests in threads of one process, and drawing an episode's pictures
(numpy, PIL encoders) holds the GIL most of the time: concurrent visitors are served one after
another whatever the cores. Handing the drawing to a worker process lets the server answer other
requests meanwhile (benchmarks/README.md has the figures).

Functions run here must be importable by name (module-level in the package) and their arguments
picklable: the workers are spawned, not forked, because a server already runs threads.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import CancelledError, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, TypeVar

import torch

logger = logging.getLogger(__name__)
T = TypeVar("T")


def available_cpus() -> int:
    """The cores this process may use: its CPU affinity, capped by a cgroup v2 CPU quota.

    ``os.cpu_count()`` counts the host's cores, which in a container (a Space) can be many more
    than the quota lets it use.
    """
    n = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        if quota != "max":
            n = min(n, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return max(1, n)


def default_workers() -> int:
    """One core for the server, the others (at most 4) for workers; 0 on a single core."""
    return max(0, min(4, available_cpus() - 1))


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:  # the parent was killed (no clean shutdown): leave no orphan behind
        time.sleep(0.5)
    os._exit(0)


def _init_worker(parent: int) -> None:
    torch.set_num_threads(1)  # several small workers, not one that fights the server for the cores
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


class WorkerPool:
    """``run(fn, *args)`` in worker processes once they are up, in the calling thread until then.

    Starting takes seconds (each worker imports torch); calls made meanwhile, with no workers, or
    after a worker died run in the caller's process, so callers never wait on the pool and always
    get an answer: the same one either way, since the functions are pure.
    """

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._ready = threading.Event()
        self._lock = threading.Lock()
        self.workers = 0

    @property
    def ready(self) -> bool:
        return self._pool is not None and self._ready.is_set()

    def start(self, n: int, warm_up: Callable[[], object] | None = None, wait: bool = False) -> None:
        """Start ``n`` workers (0: none, run everything in the caller); each first runs ``warm_up``.

        ``wait`` blocks until they are ready, or have failed to start (then calls run here).
        """
        self.stop()
        if n <= 0:
            return
        ctx = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(n, mp_context=ctx, initializer=_init_worker, initargs=(os.getpid(),))
        # One task per worker: the executor starts a new worker for each task that finds none idle.
        warm = [pool.submit(warm_up if warm_up is not None else os.getpid) for _ in range(n)]

        def ready() -> None:
            try:
                for f in warm:
                    f.result()
            except Exception:
                logger.exception("the worker processes failed to start; running in the server process")
                pool.shutdown(wait=False, cancel_futures=True)
                return
            with self._lock:
                if self._pool is pool:
                    self.workers = n
                    self._ready.set()
                    logger.info("%d worker process%s ready", n, "es" if n > 1 else "")

        with self._lock:
            self._pool = pool
        waiter = threading.Thread(target=ready, name="worker-pool-start", daemon=True)
        waiter.start()
        if wait:
            waiter.join()

    def stop(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
            self._ready.clear()
            self.workers = 0
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)``, in a worker when they are ready; exceptions raised by ``fn`` propagate."""
        pool = self._pool
        if pool is not None and self._ready.is_set():
            try:
                future = pool.submit(fn, *args)
            except RuntimeError:  # stopped meanwhile
                return fn(*args)
            try:
                return future.result()
            except CancelledError:  # stopped meanwhile
                pass
            except BrokenProcessPool:
                logger.warning("a worker process died; running in the server process from now on")
                with self._lock:
                    if self._pool is pool:
                        self._ready.clear()
                        self.workers = 0
        return fn(*args)

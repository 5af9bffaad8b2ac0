"""Hermetic test environment: no network, no telemetry, every cache in a temporary folder.

These variables must be set before gradio or huggingface_hub is imported (both read them at
import time), hence at the top of conftest rather than in a fixture.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from pathlib import Path

_TMP = Path(tempfile.mkdtemp(prefix="imagination-tests-"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


HUB_PORT = _free_port()

# A training run small enough for a test (seconds), shared by every test that trains; later flags win.
TINY_TRAIN = [
    "--channels", "4", "--core-hidden", "8", "--batch-size", "16", "--steps", "12", "--eval-episodes", "48",
    "--log-every", "6", "--log-episodes", "16", "--checkpoint-every", "5", "--train-size", "8",
    "--decoder-steps", "6", "--adver-steps", "6", "--probe-steps", "6", "--threads", "1",
]  # fmt: skip


def assert_tables_close(markdown: str) -> None:
    """Every Markdown table ends at a blank line: a line glued under one renders as another row."""
    lines = markdown.splitlines()
    for row, after in zip(lines, lines[1:], strict=False):
        assert not row.startswith("|") or after.startswith("|") or not after.strip(), f"glued to a table: {after}"


os.environ.update(
    GRADIO_ANALYTICS_ENABLED="False",
    HF_HUB_DISABLE_TELEMETRY="1",
    HF_HUB_DISABLE_XET="1",
    HF_HUB_DISABLE_PROGRESS_BARS="1",
    GRADIO_SSR_MODE="False",
    MPLBACKEND="Agg",
    NO_PROXY="127.0.0.1,localhost",
    no_proxy="127.0.0.1,localhost",
    GRADIO_TEMP_DIR=str(_TMP / "gradio"),
    MPLCONFIGDIR=str(_TMP / "mpl"),
    HF_HOME=str(_TMP / "hf"),
    XDG_CACHE_HOME=str(_TMP / "cache"),
    HF_ENDPOINT=f"http://127.0.0.1:{HUB_PORT}",
)
os.environ.pop("HF_TOKEN", None)
os.environ.pop("HF_HUB_OFFLINE", None)


# Imported after the environment is set, on purpose.
from collections.abc import Iterator  # noqa: E402

import pytest  # noqa: E402
from hub_stub import HubStub  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def loopback_only() -> Iterator[list[object]]:
    """Refuse (and remember) any connection from the test process that is not to loopback."""
    attempts: list[object] = []
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> None:
        host = address[0] if isinstance(address, tuple) else None
        if self.family in (socket.AF_INET, socket.AF_INET6) and host not in ("127.0.0.1", "::1", "localhost"):
            attempts.append(address)
            raise OSError(f"tests: connection to {address!r} refused, only loopback is allowed")
        real_connect(self, address)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", guarded)
        yield attempts
    assert attempts == [], f"non-loopback connections were attempted: {attempts}"


@pytest.fixture(scope="session")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubStub]:
    """A local Hugging Face Hub stand-in at HF_ENDPOINT (see hub_stub.py)."""
    with HubStub(tmp_path_factory.mktemp("hub"), HUB_PORT) as stub:
        yield stub


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Remove the session's caches when every test passed; a failed run leaves them (the served files, the
    Gradio uploads) to look at, at the path printed here."""
    if exitstatus == 0:
        shutil.rmtree(_TMP, ignore_errors=True)
    else:
        print(f"\nthe failed run's caches are kept in {_TMP}")

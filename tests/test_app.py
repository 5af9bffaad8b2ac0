"""The demo (app.py) through its HTTP API: every endpoint, its error paths, and the fast renderers.

The app runs as ``python app.py`` in a subprocess, as the README starts it, against a zoo: the
bundled ``zoo/`` when it has an index.json, else a tiny one trained here in a few seconds (set
IMAGINATION_TEST_TINY_ZOO=1 to force that). Hub repo ids are served by the local Hub stand-in
(conftest's ``hub``); nothing leaves 127.0.0.1.

tests/test_app_browser.py and tests/test_app_load.py reuse ``app_zoo`` and ``AppServer`` from here.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import types
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import TINY_TRAIN as SHARED_TINY_TRAIN
from PIL import Image

from imagination import ImaginationModel, analysis, figures, life, patterns
from imagination.episode import intervene, run_episode
from imagination.evaluate import EVAL_SEED, EvalSet, eval_episodes
from training import registration, train

ROOT = Path(__file__).resolve().parent.parent
TINY_TRAIN = [*SHARED_TINY_TRAIN, "--steps", "20", "--eval-episodes", "50"]
# name -> extra training arguments: two regimes and two horizons, so defaults differ per checkpoint
TINY_ZOO = {
    "tiny-autoencoder": ["--regime", "autoencoder"],
    "tiny-baseline": ["--regime", "baseline", "--game-steps", "2"],
    "tiny-untied": ["--untied", "--game-steps", "2"],
}


# ---------------------------------------------------------------------------------------------
# Shared helpers (imported by the browser and load tests)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_zoo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The zoo the app is tested on: the bundled one if indexed, else a tiny one built once per session."""
    bundled = ROOT / "zoo"
    if (bundled / "index.json").exists() and os.environ.get("IMAGINATION_TEST_TINY_ZOO") != "1":
        return bundled
    zoo_dir = tmp_path_factory.getbasetemp() / "app-zoo"
    if (zoo_dir / "index.json").exists():
        return zoo_dir
    zoo_dir.mkdir(exist_ok=True)
    env = {**os.environ, "IMAGINATION_ZOO": str(zoo_dir)}
    for name, extra in TINY_ZOO.items():
        cmd = [
            sys.executable,
            "-m",
            "training.train",
            *TINY_TRAIN,
            *extra,
            "--out",
            str(zoo_dir / name),
            "--name",
            name,
        ]
        subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True, timeout=300)
    subprocess.run(
        [sys.executable, "-m", "training.zoo", "index"], cwd=ROOT, env=env, check=True, capture_output=True, timeout=120
    )
    return zoo_dir


def zoo_names(zoo_dir: Path) -> list[str]:
    return [m["name"] for m in json.loads((zoo_dir / "index.json").read_text())["models"]]


@contextlib.contextmanager
def zoo_copy(
    tmp_path_factory: pytest.TempPathFactory, folder: str, has: Callable[[], list], tiny: dict[str, list[str]]
) -> Iterator[Path]:
    """A copy of the test zoo, IMAGINATION_ZOO pointing at it while the block runs: where ``has()`` finds
    nothing in it (the tiny zoo), the ``tiny`` entries (name: training flags) are trained into it and registered."""
    zoo_dir = tmp_path_factory.mktemp(folder) / "zoo"
    shutil.copytree(app_zoo(tmp_path_factory), zoo_dir)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("IMAGINATION_ZOO", str(zoo_dir))
        if not has():
            for name, flags in tiny.items():
                train.main(["--out", str(zoo_dir / name), *SHARED_TINY_TRAIN, *flags, "--name", name])
                registration.register(registration.record(zoo_dir / name, name, f"me/{name}", bundled=True))
        yield zoo_dir


class AppServer:
    """``python app.py`` on a free port, with the zoo and the test environment; stopped by ``stop()``."""

    def __init__(self, zoo_dir: Path, log: Path, *args: str) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        env = {**os.environ, "IMAGINATION_ZOO": str(zoo_dir), "PYTHONUNBUFFERED": "1"}
        env.pop("SPACE_ID", None)
        self.log = log
        self._log_file = log.open("w")
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "app.py"), "--port", str(self.port), *args],
            cwd=ROOT,
            env=env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )
        self._wait(t0)

    def _wait(self, t0: float, timeout: float = 90.0) -> None:
        while time.monotonic() - t0 < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"app.py exited ({self.proc.returncode}):\n{self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(self.url, timeout=2) as r:
                    if r.status == 200:
                        self.start_s = time.monotonic() - t0
                        return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"app.py served no page in {timeout:.0f} s:\n{self.log.read_text()[-3000:]}")

    def wait_for_log(self, text: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.log.read_text():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"app.py never logged {text!r}:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log_file.close()


def expected_board(source: str, seed: int = 0, density: float = 0.4, size: int = 20, pattern: str = "glider"):
    """The start board the app should build, computed with the package alone."""
    if source == "random":
        return life.random_boards(1, size, density, generator=torch.Generator().manual_seed(seed))[0].numpy()
    return patterns.place(patterns.pattern(pattern), size).numpy()


def digest(board: np.ndarray) -> str:
    """The same digest as imagination.demo.inputs.board_digest (kept independent on purpose)."""
    b = np.ascontiguousarray(board, dtype=np.uint8)
    return hashlib.sha256(f"{b.shape[0]}x{b.shape[1]}:".encode() + b.tobytes()).hexdigest()


def episode_args(checkpoint: str, source: str = "pattern", seed: int = 0, size: int = 20, text: str = "", steps=None):
    return (checkpoint, source, seed, 0.4, size, "glider", text, steps)


# ---------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="module")
def zoo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return app_zoo(tmp_path_factory)


@pytest.fixture(scope="module")
def names(zoo_dir: Path) -> list[str]:
    return zoo_names(zoo_dir)


@pytest.fixture(scope="module")
def tied(zoo_dir: Path, names: list[str]) -> str:
    """A checkpoint whose weight-tied core can run past its trained steps."""
    return next(n for n in names if json.loads((zoo_dir / n / "config.json").read_text())["tied"])


@pytest.fixture(scope="module")
def hub_repos(hub, zoo_dir: Path, names: list[str], tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Repos on the local Hub stand-in: a good checkpoint and every way a repo can be wrong."""
    from huggingface_hub import HfApi

    api = HfApi()
    src = zoo_dir / names[0]
    root = tmp_path_factory.mktemp("repos")
    config = (src / "config.json").read_text()
    layouts = {
        "app-org/good": {f: (src / f).read_bytes() for f in ("config.json", "model.safetensors", "README.md")},
        "app-org/pickle": {"config.json": config.encode(), "pytorch_model.bin": os.urandom(64)},
        "app-org/not-imagination": {
            "config.json": b'{"hidden": 32}',
            "model.safetensors": (src / "model.safetensors").read_bytes(),
        },
        "app-org/corrupt": {"config.json": config.encode(), "model.safetensors": b"this is not a safetensors file"},
        "app-org/no-config": {"README.md": b"# just a readme\n"},
    }
    for repo, files in layouts.items():
        folder = root / repo.replace("/", "--")
        folder.mkdir()
        for f, data in files.items():
            (folder / f).write_bytes(data)
        api.create_repo(repo, exist_ok=True)
        api.upload_folder(repo_id=repo, folder_path=folder)
    return {"good": "app-org/good"}


@pytest.fixture(scope="module")
def server(zoo_dir: Path, hub, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    srv = AppServer(zoo_dir, tmp_path_factory.mktemp("app") / "app.log", "--online")
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def client(server: AppServer):
    from gradio_client import Client

    c = Client(server.url, verbose=False)
    yield c
    c.close()


def call(client, api: str, *args):
    return client.predict(*args, api_name=api)


def error_of(client, api: str, *args) -> str:
    """The message of the gr.Error the endpoint answers with (fails if it answers normally)."""
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError) as e:
        client.predict(*args, api_name=api)
    msg = str(e.value)
    assert "Traceback" not in msg
    return msg


# ---------------------------------------------------------------------------------------------
# The launched app


def test_help_lists_host_port_and_default_checkpoint(zoo_dir: Path, names: list[str]) -> None:
    env = {**os.environ, "IMAGINATION_ZOO": str(zoo_dir), "COLUMNS": "200"}  # no line-wrapping of names
    out = subprocess.run(
        [sys.executable, str(ROOT / "app.py"), "--help"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    for flag in ("--host", "--port", "--checkpoint", "--share", "--online"):
        assert flag in out.stdout
    assert "127.0.0.1" in out.stdout and "7860" in out.stdout and "--local-folders" in out.stdout
    assert "0.0.0.0" not in out.stdout  # it does not suggest serving every network
    from imagination.demo.server import showcase
    from imagination.zoo import ZooEntry

    entries = [ZooEntry(**m) for m in json.loads((zoo_dir / "index.json").read_text())["models"]]
    assert showcase(entries) in out.stdout  # the default checkpoint is the showcase, one that imagines


def test_every_event_is_a_named_endpoint(client, server: AppServer) -> None:
    api = client.view_api(print_info=False, return_format="dict")
    named = set(api["named_endpoints"])
    for name in ("load_checkpoint", "make_board", "toggle_cell", "board_from_drawing", "read_upload"):
        assert f"/{name}" in named
    assert {"/run_episode", "/download", "/checkpoint_rule", "/imagined_board", "/intervene", "/analysis"} <= named
    assert "/compare" in named
    assert server.start_s < 30  # the bar is 10 s on an idle machine: benchmarks/app_latency.py measures it


def test_every_endpoint_keeps_its_parameters(client) -> None:
    api = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    board = ["source", "seed", "density", "size", "pattern", "text"]
    episode = ["checkpoint", *board, "steps", "rule"]
    expected = {
        "/load_checkpoint": ["name"],
        "/checkpoint_rule": ["name"],
        "/make_board": board,
        "/toggle_cell": [*board, "row", "col"],
        "/board_from_drawing": ["editor", "size"],
        "/read_upload": ["file", "size"],
        "/run_episode": episode,
        "/download": episode,
        "/compare": ["checkpoints", *board],
        "/imagined_board": [*episode, "step"],
        "/intervene": [*episode, "step", "edited_rle"],
        "/analysis": ["checkpoint"],
        "/environment_board": ["environment", *board],
    }
    for name, params in expected.items():
        assert [p["parameter_name"] for p in api[name]["parameters"]] == params, name
    # a client may leave the rule and the edit off (the checkpoint's own rule; an edit is checked when run)
    assert all(p["parameter_has_default"] for p in api["/intervene"]["parameters"][-3:])


def test_load_checkpoint_from_the_zoo(client, zoo_dir: Path, names: list[str]) -> None:
    from huggingface_hub import ModelCard

    from imagination.cards import card_eval_metrics

    for name in names:
        status, scores, steps = call(client, "/load_checkpoint", name)
        cfg = json.loads((zoo_dir / name / "config.json").read_text())
        assert f"Loaded {name}" in status and cfg["regime"] in status
        assert steps == cfg["model_steps"]
        table = {row[0]: row[1] for row in scores["data"]}
        card = card_eval_metrics(ModelCard.load(zoo_dir / name / "README.md"))
        assert table["Interpretability (MCC, untrained steps)"] == pytest.approx(card["interpretability"], abs=1e-4)
        assert table["Final-board error"] == pytest.approx(card["final_error"], abs=1e-4)


def test_load_checkpoint_from_a_folder_and_from_the_hub(client, zoo_dir: Path, names: list[str], hub_repos) -> None:
    status, scores, steps = call(client, "/load_checkpoint", str(zoo_dir / names[0]))
    assert "Loaded" in status and scores["data"]
    status, scores, steps = call(client, "/load_checkpoint", hub_repos["good"])
    assert f"Loaded {hub_repos['good']}" in status and scores["data"]
    assert steps == json.loads((zoo_dir / names[0] / "config.json").read_text())["model_steps"]


def test_an_empty_checkpoint_name_is_a_prompt_not_an_error(client) -> None:
    status, scores, steps = call(client, "/load_checkpoint", "")
    assert "Pick a checkpoint" in status and not scores["data"] and steps is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("no-such-checkpoint", "not a zoo checkpoint"),
        ("./no/such/folder", "no such folder"),
        ("app-org/missing", "no such model repo"),
        ("app-org/pickle", "never pickles"),
        ("app-org/not-imagination", "imagination model"),
        ("app-org/no-config", "not an imagination model"),
        ("app-org/corrupt", "not a valid safetensors file"),
        ("not a repo!/x", "not a valid Hub repo id"),
    ],
)
def test_bad_checkpoints_get_a_message_and_the_app_keeps_working(
    client, hub_repos, names: list[str], name: str, expected: str
) -> None:
    assert expected in error_of(client, "/load_checkpoint", name)
    assert expected in error_of(client, "/run_episode", *episode_args(name))
    status, _, _ = call(client, "/load_checkpoint", names[0])
    assert "Loaded" in status


def test_a_folder_that_is_not_a_checkpoint(client, tmp_path: Path, names: list[str]) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    assert "imagination config.json" in error_of(client, "/load_checkpoint", str(tmp_path))


def test_make_board_random_pattern_and_text(client) -> None:
    image, rle = call(client, "/make_board", "random", 7, 0.3, 24, "glider", "")
    expected = expected_board("random", 7, 0.3, 24)
    assert np.array_equal(patterns.parse_pattern(rle).numpy(), expected)
    assert Image.open(image).size == (24 * (240 // 24),) * 2
    assert call(client, "/make_board", "random", 7, 0.3, 24, "glider", "")[1] == rle  # a seed is a board

    _, rle = call(client, "/make_board", "pattern", 0, 0.4, 16, "lwss", "")
    assert np.array_equal(patterns.parse_pattern(rle).numpy(), patterns.place(patterns.pattern("lwss"), 16).numpy())

    for text in ("bo$2bo$3o!", ".O.\n..O\nOOO", "#N Glider\nx = 3, y = 3\nbo$2bo$3o!"):
        _, rle = call(client, "/make_board", "text", 0, 0.4, 20, "glider", text)
        assert np.array_equal(patterns.parse_pattern(rle).numpy(), expected_board("pattern"))


def test_environment_board_builds_a_start_in_an_environment_the_zoo_holds(client, zoo_dir: Path) -> None:
    """/make_board builds in the page's first environment (Life); /environment_board in any the zoo holds."""
    held = list(dict.fromkeys(m["environment"] for m in json.loads((zoo_dir / "index.json").read_text())["models"]))
    image, rle = call(client, "/environment_board", "life", "random", 7, 0.3, 24, "glider", "")
    assert rle == call(client, "/make_board", "random", 7, 0.3, 24, "glider", "")[1]
    assert Image.open(image).size == (24 * (240 // 24),) * 2
    if "maze" in held:
        _, rle = call(client, "/environment_board", "maze", "random", 7, None, 6, "", "")
        assert rle.startswith("x = 13, y = 13\n")  # a 6-cell maze is 13 x 13 pixels
    message = error_of(client, "/environment_board", "hexlife", "random", 7, 0.3, 24, "glider", "")
    assert f"the environment must be one of {', '.join(held)}, got 'hexlife'" in message


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("text", 0, 0.4, 20, "glider", "bo$2bo$3q!"), "line 1, column 9"),
        (("text", 0, 0.4, 20, "glider", ".O.\n..O\nOOX"), "line 3, column 3"),
        (("text", 0, 0.4, 20, "glider", ""), "empty input"),
        (
            ("text", 0, 0.4, 8, "glider", "x = 12, y = 1\n12o!"),
            "12 columns x 1 row, more than the 8 x 8 board; set the board size to 12 or more (at most 64)",
        ),
        (
            ("text", 0, 0.4, 20, "glider", "x = 70, y = 1\n70o!"),
            "span 70 columns x 1 row; the largest board here is 64 x 64",
        ),
        (
            ("text", 0, 0.4, 20, "glider", "x = 4000, y = 4000\no!"),
            "the pattern is 4000 columns x 4000 rows; the largest board here is 64 x 64",
        ),
        (("pattern", 0, 0.4, 20, "glider-gun", ""), "does not fit"),
        (("random", 0, 1.5, 20, "glider", ""), "density must be a number from 0 to 1, got 1.5"),
        (("random", 0, 0.4, 65, "glider", ""), "board size must be a whole number from 8 to 64, got 65"),
        (("random", 0, "abc", 20, "glider", ""), "density must be a number from 0 to 1, got 'abc'"),
        (("random", 2.5, 0.4, 20, "glider", ""), "seed must be a whole number"),
        (("random", 0, 0.4, None, "glider", ""), "board size must be a whole number from 8 to 64, got nothing"),
        (("random", -1, 0.4, 20, "glider", ""), "seed"),
    ],
)
def test_bad_boards_say_what_is_wrong_and_where(client, args, expected: str) -> None:
    assert expected in error_of(client, "/make_board", *args)


def test_toggle_cell(client) -> None:
    rle = call(client, "/toggle_cell", "pattern", 0, 0.4, 20, "glider", "", 0, 19)
    board = patterns.parse_pattern(rle).numpy()
    expected = expected_board("pattern")
    expected[0, 19] = 1
    assert np.array_equal(board, expected)
    assert "row must be a whole number from 0 to 19, got 20" in error_of(
        client, "/toggle_cell", "pattern", 0, 0.4, 20, "glider", "", 20, 0
    )


def test_board_from_a_drawing(client, tmp_path: Path) -> None:
    from gradio_client import handle_file

    canvas = np.full((320, 320, 3), 255, np.uint8)
    for r, c in [(0, 1), (1, 2), (2, 0), (2, 1), (2, 2)]:  # a glider, in 16-pixel cells of a 20x20 board
        canvas[(r + 8) * 16 + 2 : (r + 9) * 16 - 2, (c + 8) * 16 + 2 : (c + 9) * 16 - 2] = 20
    Image.fromarray(canvas).save(tmp_path / "drawing.png")
    editor = {"background": None, "layers": [], "composite": handle_file(str(tmp_path / "drawing.png")), "id": None}
    text, source, image, rle = call(client, "/board_from_drawing", editor, 20)
    assert source == "text" and text == rle
    assert np.array_equal(patterns.parse_pattern(rle).numpy(), expected_board("pattern"))
    Image.fromarray(np.full((320, 320, 3), 255, np.uint8)).save(tmp_path / "blank.png")
    blank = {**editor, "composite": handle_file(str(tmp_path / "blank.png"))}
    assert "no cell" in error_of(client, "/board_from_drawing", blank, 20)


def test_read_upload(client, tmp_path: Path) -> None:
    from gradio_client import handle_file

    good = tmp_path / "glider.rle"
    good.write_text(patterns.PATTERNS["glider"])
    text, source, image, rle = call(client, "/read_upload", handle_file(str(good)), 20)
    assert text == patterns.PATTERNS["glider"] and source == "text"
    assert np.array_equal(patterns.parse_pattern(rle).numpy(), expected_board("pattern"))
    bad = tmp_path / "bad.cells"
    bad.write_text("!Name: typo\n.O.\n..O\nOO#")
    assert "bad.cells, line 4, column 3" in error_of(client, "/read_upload", handle_file(str(bad)), 20)
    # a byte-order mark, and a Latin-1 accent in a comment (older pattern collections), are accepted
    bom = tmp_path / "bom.rle"
    bom.write_bytes(b"\xef\xbb\xbf" + patterns.PATTERNS["glider"].encode())
    _, _, _, rle = call(client, "/read_upload", handle_file(str(bom)), 20)
    assert np.array_equal(patterns.parse_pattern(rle).numpy(), expected_board("pattern"))
    latin = tmp_path / "latin.rle"
    latin.write_bytes(b"#C d\xe9couvert par Conway\n" + patterns.PATTERNS["glider"].encode())
    text, _, _, rle = call(client, "/read_upload", handle_file(str(latin)), 20)
    assert "découvert" in text and np.array_equal(patterns.parse_pattern(rle).numpy(), expected_board("pattern"))
    binary = tmp_path / "binary.rle"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    assert "not a text file" in error_of(client, "/read_upload", handle_file(str(binary)), 20)


def test_run_episode_shows_every_step_and_matches_the_package(client, zoo_dir: Path, names: list[str]) -> None:
    name = names[0]
    panel, heatmap, gif, table, status, summary = call(client, "/run_episode", *episode_args(name, "random", 3))
    model = ImaginationModel.from_pretrained(zoo_dir / name)
    board = expected_board("random", 3)
    ep = run_episode(model, board)
    assert summary["board_sha256"] == digest(board) and summary["steps"] == model.config.model_steps
    assert summary["checkpoint"] == name
    np.testing.assert_allclose(summary["accuracy"], ep.accuracy, atol=1e-6)
    np.testing.assert_allclose(summary["mcc"], ep.mcc, atol=1e-6)
    rows = table["data"]
    assert [r[0] for r in rows] == list(range(ep.steps + 1))
    assert [r[3] for r in rows] == pytest.approx([round(a, 4) for a in ep.accuracy])
    assert table["headers"] == ["step", "game step", "kind", "accuracy", "MCC"]
    assert f"**{name}**" in status and "accuracy" in status
    panel_img = np.asarray(Image.open(panel).convert("RGB"))
    page_panel, matrix, _ = (png_rgb(data) for data in figures.episode_images(ep, figures.MATRIX_TITLE))
    # lossless: what the package draws (up to a grey level where another thread count rounds differently)
    assert panel_img.shape == page_panel.shape
    assert (panel_img != page_panel).any(-1).mean() < 0.01
    heat = np.asarray(Image.open(heatmap).convert("RGB"))
    assert heat.shape == matrix.shape and (heat != matrix).any(-1).mean() < 0.01
    with Image.open(gif) as anim:
        assert anim.n_frames == ep.steps + 1


def test_run_episode_beyond_the_trained_steps(client, tied: str) -> None:
    _, _, gif, table, status, summary = call(client, "/run_episode", *episode_args(tied, steps=7))
    assert summary["steps"] == 7 and len(table["data"]) == 8
    horizon = summary["trained_horizon"]
    assert [r[2] for r in table["data"][horizon + 1 :]] == ["beyond training"] * (7 - horizon)
    assert "past its training" in status
    with Image.open(gif) as anim:
        assert anim.n_frames == 8


def test_an_untied_checkpoint_cannot_run_past_its_blocks(client, zoo_dir: Path, names: list[str]) -> None:
    untied = [n for n in names if not json.loads((zoo_dir / n / "config.json").read_text())["tied"]]
    if not untied:
        pytest.skip("no untied checkpoint in this zoo")
    steps = json.loads((zoo_dir / untied[0] / "config.json").read_text())["model_steps"]
    assert "untied" in error_of(client, "/run_episode", *episode_args(untied[0], steps=steps + 1))
    *_, summary = call(client, "/run_episode", *episode_args(untied[0], steps=steps))
    assert summary["steps"] == steps


def test_run_episode_errors_then_recovers(client, names: list[str]) -> None:
    name = names[0]
    for steps in (201, 0, 2.5, "abc", -1):  # none of them runs silently (0 ran the default, 2.5 ran 2)
        assert "steps must be a whole number from 1 to 200" in error_of(
            client, "/run_episode", *episode_args(name, steps=steps)
        )
    assert "line 1, column 4" in error_of(client, "/run_episode", *episode_args(name, "text", text="bo$x"))
    assert "No checkpoint chosen" in error_of(client, "/run_episode", *episode_args(""))
    *_, summary = call(client, "/run_episode", *episode_args(name))
    assert summary["board_sha256"] == digest(expected_board("pattern"))


def test_download_npz_and_json(client, names: list[str]) -> None:
    args = episode_args(names[0], "random", 11, steps=4)
    *_, summary = call(client, "/run_episode", *args)
    npz_path, json_path = call(client, "/download", *args)
    assert npz_path.endswith(".npz") and json_path.endswith(".json")
    data = np.load(npz_path)
    board = expected_board("random", 11)
    assert np.array_equal(data["start"], board) and data["true"].shape == (5, 20, 20)
    assert data["decoded"].shape == (5, 20, 20) and data["score_matrix"].shape == (5, 5)
    np.testing.assert_allclose(data["accuracy"], summary["accuracy"])
    doc = json.loads(Path(json_path).read_text())
    assert doc["checkpoint"] == names[0] and doc["board_sha256"] == digest(board)
    assert doc["accuracy"] == pytest.approx(summary["accuracy"])
    assert np.array_equal(np.array(doc["start"]), board)


# ---------------------------------------------------------------------------------------------
# In process: what a launched app cannot be made to do (no network, offline mode)


@pytest.fixture(scope="module")
def app_module():
    """The demo in this process, after app.py's environment defaults (set before gradio is imported)."""
    sys.path.insert(0, str(ROOT))
    try:
        import app  # noqa: F401
    finally:
        sys.path.remove(str(ROOT))
    from imagination.demo import cli, events, handlers

    return types.SimpleNamespace(cli=cli, events=events, handlers=handlers)


def _message(excinfo: pytest.ExceptionInfo) -> str:
    return getattr(excinfo.value, "message", str(excinfo.value))


def test_offline_mode_explains_itself(app_module, monkeypatch: pytest.MonkeyPatch) -> None:
    import gradio as gr

    monkeypatch.setattr(app_module.handlers.CHECKPOINTS, "offline", True)
    with pytest.raises(gr.Error) as e:
        app_module.events.load_checkpoint("app-org/never-cached")
    assert "runs offline" in _message(e) and "--online" in _message(e)


def test_no_network_is_a_message_not_a_traceback(app_module, monkeypatch: pytest.MonkeyPatch) -> None:
    import gradio as gr
    from huggingface_hub import constants
    from huggingface_hub.utils import _http

    dead = f"http://127.0.0.1:{_free_port()}"  # nothing listens there: connection refused
    monkeypatch.setattr(app_module.handlers.CHECKPOINTS, "offline", False)
    monkeypatch.setattr(constants, "HUGGINGFACE_CO_URL_TEMPLATE", dead + "/{repo_id}/resolve/{revision}/{filename}")
    monkeypatch.setattr(constants, "ENDPOINT", dead)
    monkeypatch.setattr(_http, "time", types.SimpleNamespace(sleep=lambda s: None))  # skip the retry back-off
    with pytest.raises(gr.Error) as e:
        app_module.events.load_checkpoint("app-org/unreachable")
    assert "could not be reached" in _message(e)


def test_a_space_refuses_folders(
    app_module, zoo_dir: Path, names: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import gradio as gr

    outside = tmp_path / "a-checkpoint"  # a valid checkpoint folder that is not a zoo entry
    shutil.copytree(zoo_dir / names[0], outside)
    # a host other than loopback, or a Space
    monkeypatch.setattr(app_module.handlers.CHECKPOINTS, "local_folders", False)
    for folder in (str(outside), "/etc", "./nothing/here"):
        with pytest.raises(gr.Error) as e:
            app_module.events.load_checkpoint(folder)
        assert "not folders" in _message(e)


def test_local_folders_are_off_unless_asked_for_or_on_loopback(app_module, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SPACE_ID", raising=False)

    def folders(*argv: str) -> bool:
        return app_module.cli.local_folders(app_module.cli.parser().parse_args(list(argv)))

    assert folders() and folders("--host", "localhost")  # the default host is 127.0.0.1
    assert not folders("--host", "0.0.0.0") and not folders("--host", "192.168.1.5") and not folders("--share")
    assert folders("--host", "0.0.0.0", "--local-folders") and not folders("--no-local-folders")
    monkeypatch.setenv("SPACE_ID", "someone/space")
    assert not folders()


def test_drawing_workers_draw_the_same_pictures(app_module, zoo_dir: Path, tied: str) -> None:
    args = (*episode_args(str(zoo_dir / tied), "random", 11, steps=4), "")
    app_module.handlers.DRAWING.stop()
    here = [Path(f).read_bytes() for f in app_module.events.run_episode(*args)[:3]]
    app_module.handlers.start_drawing(1, wait=True)
    try:
        assert app_module.handlers.DRAWING.ready and app_module.handlers.DRAWING.run(os.getpid) != os.getpid()
        there = [Path(f).read_bytes() for f in app_module.events.run_episode(*args)[:3]]
    finally:
        app_module.handlers.DRAWING.stop()
    assert here == there


def test_the_model_cache_is_bounded_and_keyed_by_folder(app_module, zoo_dir: Path, names: list[str]) -> None:
    key, model = app_module.handlers.load_model(str(zoo_dir / names[0]))
    assert app_module.handlers.load_model(str(zoo_dir / names[0]) + "/")[1] is model  # same folder, same model
    assert key == str((zoo_dir / names[0]).resolve())
    assert len(app_module.handlers.CHECKPOINTS._models) <= app_module.handlers.CHECKPOINTS.cache_size


# ---------------------------------------------------------------------------------------------
# The fast renderers the app draws with (imagination.figures)


def png_rgb(data: bytes) -> np.ndarray:
    """A PNG (or a GIF's first frame) as RGB uint8: what a browser shows of the bytes the app serves."""
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


@pytest.fixture(scope="module")
def episode(zoo_dir: Path, tied: str):
    model = ImaginationModel.from_pretrained(zoo_dir / tied)
    return run_episode(model, expected_board("random", 5), steps=model.config.model_steps + 2)


def test_the_page_panel_is_a_palette_png_of_the_panel_colours(episode, zoo_dir: Path, tied: str) -> None:
    png = Image.open(io.BytesIO(figures.episode_images(episode)[0]))
    img = np.asarray(png.convert("RGB"))
    assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[-1] == 3
    # lossless: every pixel is the panel palette's colour of its index, nothing quantised
    assert png.mode == "P" and np.array_equal(img, figures.PANEL_PALETTE[np.asarray(png)])
    one_step = run_episode(ImaginationModel.from_pretrained(zoo_dir / tied), episode.start, steps=1)
    assert png_rgb(figures.episode_images(one_step)[0]).shape[1] < img.shape[1]  # a column a step


def test_animation_has_one_frame_per_step(episode) -> None:
    with Image.open(io.BytesIO(figures.episode_animation(episode))) as anim:
        assert anim.n_frames == episode.steps + 1
        # drawn in the panel palette: the frames shown are the frames drawn, nothing quantised
        palette = np.asarray(anim.getpalette()[: figures.PANEL_PALETTE.size], np.uint8).reshape(-1, 3)
        assert anim.mode == "P" and np.array_equal(palette, figures.PANEL_PALETTE)
        anim.seek(2)
        frame = np.asarray(anim.convert("RGB")).reshape(-1, 3)
        assert {tuple(c) for c in np.unique(frame, axis=0)} <= {tuple(c) for c in figures.PANEL_PALETTE}


def test_score_matrix_png_matches_the_matplotlib_figure(episode) -> None:
    scores = episode.score_matrix()
    fast = png_rgb(figures.score_matrix_png(scores, episode.trained_steps, dpi=100))
    fig = figures.score_matrix_figure(scores, episode.trained_steps)
    w, h = fig.get_size_inches()
    fig.set_size_inches(max(w, 4.4), max(h, 3.6))  # score_matrix_png's minimum size
    slow = np.asarray(Image.open(io.BytesIO(figures.figure_png(fig, dpi=100))))[..., :3]
    assert fast.shape == slow.shape
    diff = np.abs(fast.astype(int) - slow.astype(int)).sum(-1)
    # the same picture, up to the anti-aliasing of the cell values' text: 8.1 to 9.0 mean and 1.7% to 1.9% of the
    # pixels far apart on the zoo's tied entries (2026-12-04), against a mean of 32 to 38 for the matrix transposed,
    # rolled by a column or 0.1 off everywhere
    assert diff.mean() < 12 and (diff > 120).mean() < 0.03


def test_the_page_panel_wraps_long_episodes_at_their_own_size(episode, zoo_dir: Path, tied: str) -> None:
    model = ImaginationModel.from_pretrained(zoo_dir / tied)
    long = run_episode(model, expected_board("random", 5), steps=50)
    img = png_rgb(figures.episode_images(long)[0])
    assert img.shape[1] <= figures.PAGE_WIDTH  # fits the result column: never squeezed into it
    scale = figures.page_scale((20, 20), 51)
    bands = (img.shape[1] - 84 - 96 + 12) // (max(20 * scale, 84) + 12)
    assert img.shape[0] > 51 // bands * 4 * 20 * scale  # every step drawn, band under band
    short = png_rgb(figures.episode_images(episode)[0])
    assert short.shape[1] <= figures.PAGE_WIDTH and figures.page_scale((20, 20), episode.steps + 1) * 20 >= 100


def test_a_long_runs_score_matrix_is_colours_without_numbers(zoo_dir: Path, tied: str) -> None:
    model = ImaginationModel.from_pretrained(zoo_dir / tied)
    long = run_episode(model, expected_board("random", 5), steps=50)
    img = png_rgb(figures.score_matrix_png(long.score_matrix(), long.trained_steps, figures.MATRIX_TITLE))
    assert img.shape[1] <= 900 and img.shape[0] <= 900  # 51 x 51 cells of 11 px, not a 3,000 px figure
    zeros = png_rgb(figures.score_matrix_png(np.zeros((51, 51)), long.trained_steps, figures.MATRIX_TITLE))
    ones = png_rgb(figures.score_matrix_png(np.ones((51, 51)), long.trained_steps, figures.MATRIX_TITLE))
    assert (zeros != ones).any(-1).mean() > 0.2  # the cells are painted


def test_compare_panel_has_a_row_per_checkpoint(zoo_dir: Path, names: list[str]) -> None:
    models = [ImaginationModel.from_pretrained(zoo_dir / n) for n in names[:2]]
    eps = [run_episode(m, expected_board("random", 5)) for m in models]
    one = Image.open(io.BytesIO(figures.compare_panel_png(eps[:1], names[:1])))
    two = Image.open(io.BytesIO(figures.compare_panel_png(eps, names[:2])))
    assert two.size[1] > one.size[1] and two.size[0] <= 1200
    with pytest.raises(ValueError):
        figures.compare_panel_png(eps, names[:1])


def test_step_kinds(episode) -> None:
    kinds = [figures.step_kind(episode, i) for i in range(episode.steps + 1)]
    assert kinds[-2:] == ["beyond training"] * 2
    assert all(kinds[i] == "trained" for i in episode.trained_steps)


# ---------------------------------------------------------------------------------------------
# The rule of the true game, interventions on the imagined board, and the checkpoint's analyses


def board_of(rle: str) -> np.ndarray:
    return patterns.parse_pattern(rle).numpy().astype(np.uint8)


def rle_of(board: np.ndarray) -> str:
    return patterns.write_rle(torch.from_numpy(np.asarray(board, dtype=np.float32)))


def config_of(zoo_dir: Path, name: str) -> dict:
    return json.loads((zoo_dir / name / "config.json").read_text())


@pytest.fixture(scope="module")
def life_ckpt(zoo_dir: Path, names: list[str]) -> str:
    """A checkpoint trained on Conway's Life."""
    environments = {n: config_of(zoo_dir, n)["environment"] for n in names}
    return next(
        n
        for n, e in environments.items()
        if e["name"] == "life" and life.parse_rule(e["rule"]) == life.parse_rule(life.LIFE)
    )


def test_the_rule_defaults_to_the_checkpoints_own(client, zoo_dir: Path, names: list[str]) -> None:
    for name in names:
        environment = config_of(zoo_dir, name)["environment"]
        rule = str(life.parse_rule(environment["rule"])) if environment["name"] == "life" else ""  # a maze: none
        assert call(client, "/checkpoint_rule", name) == rule
    assert call(client, "/checkpoint_rule", "") is None


def test_another_rule_drives_the_true_frames_and_the_status_says_so(client, zoo_dir: Path, life_ckpt: str) -> None:
    cfg = config_of(zoo_dir, life_ckpt)["environment"]
    args = (*episode_args(life_ckpt, "random", 3), life.HIGHLIFE)
    *_, status, summary = call(client, "/run_episode", *args)
    assert summary["rule"] == "B36/S23" and summary["trained_rule"] == "B3/S23"
    assert "follow rule **B36/S23**, not the B3/S23 this checkpoint was trained on" in status
    _, json_path = call(client, "/download", *args)
    doc = json.loads(Path(json_path).read_text())
    board = torch.from_numpy(expected_board("random", 3))
    g = summary["game_steps"]
    highlife = life.rollout(board, g[-1], life.HIGHLIFE, cfg["wrap"])[g].numpy()
    conway = life.rollout(board, g[-1], life.LIFE, cfg["wrap"])[g].numpy()
    assert not np.array_equal(highlife, conway)  # this board tells the two rules apart
    assert doc["rule"] == "B36/S23" and np.array_equal(np.array(doc["true"]), highlife)
    model = ImaginationModel.from_pretrained(zoo_dir / life_ckpt)
    np.testing.assert_allclose(summary["accuracy"], run_episode(model, board, rule=life.HIGHLIFE).accuracy, atol=1e-6)
    # the same rule typed in the older survive/birth notation, and the checkpoint's own rule: no note
    assert call(client, "/run_episode", *episode_args(life_ckpt, "random", 3), "23/36")[-1]["rule"] == "B36/S23"
    *_, status, summary = call(client, "/run_episode", *episode_args(life_ckpt, "random", 3), "B3/S23")
    assert summary["rule"] == "B3/S23" and "trained on" not in status


def test_a_bad_rule_is_a_clear_error(client, life_ckpt: str) -> None:
    for bad in ("B9/S23", "Conway", "B3/S23/X"):
        msg = error_of(client, "/run_episode", *episode_args(life_ckpt), bad)
        assert msg.startswith("Rule:") and "not a Life-like rule" in msg and "HighLife B36/S23" in msg
    assert "Rule:" in error_of(client, "/imagined_board", *episode_args(life_ckpt), "B9", 1)
    *_, summary = call(client, "/run_episode", *episode_args(life_ckpt))
    assert summary["rule"] == "B3/S23"


def test_intervening_with_the_unedited_imagined_board(client, zoo_dir: Path, tied: str) -> None:
    args = episode_args(tied)
    *_, original = call(client, "/run_episode", *args)
    i = 1
    image, rle = call(client, "/imagined_board", *args, None, i)
    assert Image.open(image).size == (20 * (240 // 20),) * 2
    imagined = board_of(rle)
    assert imagined.shape == (20, 20)
    panel, status, s = call(client, "/intervene", *args, None, i, rle)
    assert s["step"] == i and s["cells_flipped"] == 0 and s["steps"] == original["steps"]
    # before the edited step, everything is the original run; at it, the true frame is the edited board
    assert s["accuracy"][:i] == pytest.approx(original["accuracy"][:i])
    assert s["mcc"][:i] == pytest.approx(original["mcc"][:i])
    cfg = config_of(zoo_dir, tied)["environment"]
    g = original["game_steps"]
    game = life.rollout(torch.from_numpy(expected_board("pattern")), g[-1], cfg["rule"], cfg["wrap"]).numpy()
    for j in range(i):
        assert np.array_equal(board_of(s["true_rle"][j]), game[g[j]])
    assert np.array_equal(board_of(s["true_rle"][i]), imagined)
    # the same numbers as the package
    model = ImaginationModel.from_pretrained(zoo_dir / tied)
    ep = intervene(model, expected_board("pattern"), i, imagined)
    np.testing.assert_allclose(s["accuracy"], ep.accuracy, atol=1e-6)
    np.testing.assert_allclose(s["mcc"], ep.mcc, atol=1e-6)
    assert "Compared with the original run" in status and "0 cells flipped" in status
    served, drawn = np.asarray(Image.open(panel).convert("RGB")), png_rgb(figures.intervention_panel_png(ep, i))
    assert served.shape == drawn.shape and (served != drawn).any(-1).mean() < 0.01  # up to a rounded grey level


def test_intervening_with_a_flipped_cell_follows_the_edited_game(client, zoo_dir: Path, tied: str) -> None:
    args = episode_args(tied)
    cfg = config_of(zoo_dir, tied)["environment"]
    i = 1
    _, rle = call(client, "/imagined_board", *args, None, i)
    imagined = board_of(rle)
    *_, original = call(client, "/run_episode", *args)
    g = original["game_steps"]
    game_final = life.rollout(torch.from_numpy(expected_board("pattern")), g[-1], cfg["rule"], cfg["wrap"])[-1]
    # every one-cell edit at once; take the first whose game continuation ends elsewhere than the original game
    flips = np.repeat(imagined[None], imagined.size, axis=0)
    flips.reshape(imagined.size, -1)[np.arange(imagined.size), np.arange(imagined.size)] ^= 1
    ends = life.rollout(torch.from_numpy(flips).float(), g[-1] - g[i], cfg["rule"], cfg["wrap"])[:, -1]
    k = int(np.flatnonzero((ends != game_final).flatten(1).any(1).numpy())[0])
    edited, expected_final = flips[k], ends[k].numpy()

    panel, status, s = call(client, "/intervene", *args, None, i, rle_of(edited))
    assert s["cells_flipped"] == 1 and "1 cell flipped" in status
    true_final = board_of(s["true_rle"][-1])
    assert np.array_equal(true_final, expected_final)  # the game's continuation of the edited board
    assert not np.array_equal(true_final, game_final.numpy())  # where the edit matters, not the original game
    changed = int((true_final != game_final.numpy()).sum())
    assert s["game_final_cells_changed"] == changed and f"final board in {changed} cell" in status
    model = ImaginationModel.from_pretrained(zoo_dir / tied)
    ep = intervene(model, expected_board("pattern"), i, edited)
    np.testing.assert_allclose(s["accuracy"], ep.accuracy, atol=1e-6)
    assert np.array_equal(board_of(s["imagined_rle"][-1]), ep.imagined[-1])
    base = run_episode(model, expected_board("pattern"))
    assert s["final_cells_changed"] == int((ep.imagined[-1] != base.imagined[-1]).sum())


def test_intervene_errors_then_recovers(client, tied: str) -> None:
    args = episode_args(tied)
    *_, original = call(client, "/run_episode", *args)
    m = original["steps"]
    _, rle = call(client, "/imagined_board", *args, None, 1)
    expected = f"the step to edit must be a whole number from 0 to {m}"
    assert expected in error_of(client, "/intervene", *args, None, m + 1, rle)
    assert expected in error_of(client, "/imagined_board", *args, None, m + 1)
    assert expected in error_of(client, "/imagined_board", *args, None, -1)
    assert expected in error_of(client, "/imagined_board", *args, None, None)
    msg = error_of(client, "/intervene", *args, None, 1, rle_of(np.zeros((12, 10))))
    assert "Edited board: it is 10x12 (columns x rows) but the episode's boards are 20x20" in msg
    assert "Edited board: empty" in error_of(client, "/intervene", *args, None, 1, "")
    assert "Edited board: line 1" in error_of(client, "/intervene", *args, None, 1, "bo$2bo$3q!")
    _, status, s = call(client, "/intervene", *args, None, 1, rle)  # and it keeps working
    assert s["cells_flipped"] == 0 and "Compared with the original run" in status


def test_compare_runs_one_board_through_several_checkpoints(client, names: list[str]) -> None:
    picked = names[:3]
    image, table, status = call(client, "/compare", picked, "random", 3, 0.4, 20, "glider", "")
    assert Image.open(image).size[0] > 300
    assert [r[0] for r in table["data"]] == picked and table["headers"][2] == "MCC step 0"
    assert all(n in status for n in picked)
    assert "pick 2 to 4" in error_of(client, "/compare", picked[:1], "random", 3, 0.4, 20, "glider", "")
    assert "pick 2 to 4" in error_of(
        client, "/compare", names[:5] if len(names) > 4 else [], "random", 3, 0.4, 20, "", ""
    )


def test_a_summary_task_checkpoint_shows_and_intervenes_on_its_answer(client, names: list[str]) -> None:
    if "count2ts-long" not in names:
        pytest.skip("no count checkpoint in this zoo")
    args = episode_args("count2ts-long")
    _, _, _, table, status, summary = call(client, "/run_episode", *args)
    assert table["headers"][-2:] == ["task answer: predicted", "task answer: true"]
    assert "count answer" in status and summary["task_answers"]["task"] == "count"
    _, rle = call(client, "/imagined_board", *args, None, 1)
    _, status, s = call(client, "/intervene", *args, None, 1, rle_of(np.zeros((20, 20))))
    assert "**The count answer** at the final step" in status and "final_answer_change" in s


ANALYSIS_KEYS = ("extrapolation", "faithfulness", "probes")


def checkpoint_copy(src: Path, dst: Path, **scores) -> Path:
    """A copy of a checkpoint folder whose eval.json has none of the analyses, plus ``scores``."""
    shutil.copytree(src, dst)
    data = json.loads((dst / "eval.json").read_text())
    data = {k: v for k, v in data.items() if k not in ANALYSIS_KEYS}
    (dst / "eval.json").write_text(json.dumps({**data, **scores}))
    return dst


def test_analysis_measures_the_extrapolation_live_without_eval_json(client, zoo_dir: Path, tied: str, tmp_path) -> None:
    folder = checkpoint_copy(zoo_dir / tied, tmp_path / tied)
    curve, text, probes = call(client, "/analysis", str(folder))
    assert Image.open(curve).size[0] >= 600  # the matplotlib curve
    model = ImaginationModel.from_pretrained(folder)
    ex = analysis.extrapolation(model, eval_episodes(model.config, EvalSet(200, 20, EVAL_SEED))[:, 0])
    assert f"stays >= 99% for **{ex['steps_above_99']}** steps (steps >= 99% accuracy" in text
    assert "measured live on the first 200 of its eval episodes" in text
    assert "**Faithfulness**: not measured for this checkpoint; run `python -m training.analyze" in text
    assert "**Decoder probes**: not measured for this checkpoint" in text and "--probes" in text
    assert probes["data"] == [] and probes["headers"][0] == "probe"


def test_analysis_of_zoo_untied_and_hub_checkpoints(client, zoo_dir: Path, names: list[str], hub_repos) -> None:
    tied_or_not = {config_of(zoo_dir, n)["tied"]: n for n in reversed(names)}  # the first of each kind
    for name in tied_or_not.values():
        curve, text, _ = call(client, "/analysis", name)
        assert f"{name}: beyond the paper" in text and "**Extrapolation**" in text
        if config_of(zoo_dir, name)["tied"]:
            assert curve and "steps >= 99% accuracy" in text
        else:
            assert curve is None and "untied" in text
    _, text, _ = call(client, "/analysis", hub_repos["good"])  # its Hub repo has no eval.json
    assert "**Faithfulness**: not measured for this checkpoint" in text
    assert "Pick a checkpoint" in call(client, "/analysis", "")[1]
    assert "not a zoo checkpoint" in error_of(client, "/analysis", "no-such-checkpoint")


def test_analysis_shows_what_eval_json_holds(client, zoo_dir: Path, tied: str, tmp_path) -> None:
    m = config_of(zoo_dir, tied)["model_steps"]
    n = 4 * m
    scores = {
        "extrapolation": {
            "steps": list(range(n + 1)),
            "game_steps": list(range(n + 1)),
            "accuracy": [1.0] * (m + 2) + [0.9] * (n - m - 1),
            "mcc": [0.99] * (m + 2) + [0.5] * (n - m - 1),
            "steps_above_99": m + 1,
            "trained_steps": m,
        },
        "faithfulness": {
            "score": 0.8125,
            "flips": 3,
            "patching": [{"step": 1, "final_error": 0.0125, "baseline_error": 0.0225, "delta": -0.01}],
            "editing": [{"step": 1, "flips": 3, "differing_cells": 4321, "follow_rate": 0.8125}],
        },
        "probes": {
            "first_last": {"fitted_steps": [0, m], "per_step_accuracy": [0.99] * (m + 1), "interpretability": 0.5},
            "all": {
                "fitted_steps": list(range(m + 1)),
                "per_step_accuracy": [0.98] * (m + 1),
                "interpretability": 0.75,
                "final_error": 0.02,
            },
        },
    }
    folder = checkpoint_copy(zoo_dir / tied, tmp_path / tied, **scores)
    curve, text, probes = call(client, "/analysis", str(folder))
    assert Image.open(curve).size[0] >= 600
    assert f"stays >= 99% for **{m + 1}** steps" in text and "from the checkpoint's eval.json" in text
    assert "**0.812**" in text or "**0.813**" in text
    assert "| 1 | 0.0125 | 0.0225 | -0.0100 | 4321 | 0.812 |" in text or "| 4321 | 0.813 |" in text
    assert "not measured" not in text and "measured live" not in text
    rows = probes["data"]
    assert [r[0] for r in rows] == ["shared decoder (the checkpoint's own)", "first_last", "all"]
    assert rows[1][1] == f"0, {m}" and rows[2][3] == 0.75 and rows[2][4] == 0.02
    assert rows[2][2] == " / ".join(["0.980"] * (m + 1))


def test_edited_board_image_colours_the_edits(episode) -> None:
    board = episode.imagined[1].copy()
    reference = board.copy()
    board[0, 0] ^= 1
    img = figures.edited_board_image(board, reference, 10)
    plain = figures.board_image(board, 10)
    changed = (img != plain).any(-1)
    assert changed[1:10, 1:10].all() and changed.sum() == 81  # the flipped cell, inside its grid lines
    assert np.array_equal(figures.edited_board_image(board, None, 10), plain)
    with pytest.raises(ValueError):
        figures.edited_board_image(board, reference[:5], 10)


def test_intervention_panel_frames_the_edited_step(episode) -> None:
    blue = np.array(figures.colors.KIND["imagined"], np.uint8)
    for step in (0, 1, episode.steps):
        framed = png_rgb(figures.intervention_panel_png(episode, step))
        # the same panel framed two columns away: where the two differ in the frame's blue is this frame
        plain = png_rgb(figures.intervention_panel_png(episode, step + 2 if step + 2 <= episode.steps else step - 2))
        assert framed.shape == plain.shape
        changed = (framed != plain).any(-1) & (framed == blue).all(-1)
        cols = np.flatnonzero(changed.any(0))
        width = plain.shape[1] - 84 - 96  # the columns' band (row labels on the left, colour bar on the right)
        col_pitch = (width + 12) / (episode.steps + 1)
        centre = 84 + step * col_pitch + (col_pitch - 12) / 2
        assert abs((cols.min() + cols.max()) / 2 - centre) <= 2  # a frame centred on the edited column
        assert cols.max() - cols.min() < col_pitch + 2
    with pytest.raises(ValueError):
        figures.intervention_panel_png(episode, episode.steps + 1)


# ---------------------------------------------------------------------------------------------
# Every endpoint checks its arguments: arbitrary JSON in, an answer or a one-line message out


def _raw_call(url: str, api: str, data: list) -> tuple[str, object]:
    """POST /gradio_api/call/<api> and read its event stream: ("complete" | "error", payload)."""
    req = urllib.request.Request(
        f"{url}gradio_api/call/{api}", json.dumps({"data": data}).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=60) as r:
        event_id = json.loads(r.read())["event_id"]
    with urllib.request.urlopen(f"{url}gradio_api/call/{api}/{event_id}", timeout=120) as r:
        body = r.read().decode()
    kind, payload = "", None
    for line in body.splitlines():
        if line.startswith("event: "):
            kind = line[7:].strip()
        elif line.startswith("data: ") and kind in ("complete", "error"):
            payload = json.loads(line[6:])
    return kind, payload


FILE_SLOTS = {"read_upload": 0, "board_from_drawing": 0}  # a FileData slot: gradio itself validates its shape


def test_every_endpoint_answers_any_json_with_a_result_or_a_one_line_message(client, server: AppServer) -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    api = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    endpoints = {name.lstrip("/"): len(info["parameters"]) for name, info in api.items()}
    assert {"run_episode", "make_board", "load_checkpoint", "imagined_board", "intervene", "compare"} <= set(endpoints)
    leaf = (
        st.none()
        | st.booleans()
        | st.integers(-(2**70), 2**70)
        | st.floats(allow_nan=False)
        | st.text(max_size=40)
        | st.text(alphabet="x/.-", min_size=5_000, max_size=5_000)  # an overlong value
        | st.sampled_from(["gol2-autoencoder", "random", "pattern", "text", "glider", "abc", "", "3", "bo$2bo$3o!"])
    )
    value = st.recursive(
        leaf,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=2),
        max_leaves=4,
    )
    seen: dict[str, set[str]] = {}

    def check(name: str, n: int) -> None:
        @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(st.lists(value, min_size=n, max_size=n))
        def drive(args: list) -> None:
            if name in FILE_SLOTS:
                args[FILE_SLOTS[name]] = None
            kind, payload = _raw_call(server.url, name, args)
            seen.setdefault(name, set()).add(kind)
            assert kind in ("complete", "error"), f"/{name}{args!r:.200}: no answer"
            if kind == "error":
                payload = payload.get("error") if isinstance(payload, dict) else payload
                assert isinstance(payload, str), f"/{name} {args!r:.200}: a generic error, not a message"
                assert "\n" not in payload.strip() and len(payload) < 600, payload[:300]
                assert "Unexpected error" not in payload and "Traceback" not in payload
                assert "x/.-" * 10 not in payload and "/tmp/" not in payload and str(ROOT) not in payload

        drive()

    for name, n in sorted(endpoints.items()):
        check(name, n)
    assert set(seen) == set(endpoints)

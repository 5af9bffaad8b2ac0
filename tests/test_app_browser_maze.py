"""The maze in a real browser: pick it, edit a maze by clicking its pixels, run it longer, compare its regimes,
edit what the network imagines, and back to Life; readable on a laptop and on a phone.

The app serves a copy of the test zoo: the bundled maze entries where it has them, else (the tiny zoo) two tiny
maze entries trained into it. Skipped, like tests/test_app_browser.py, where Chromium or Playwright is missing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
import test_app_browser
from test_app import AppServer, zoo_copy
from test_app_browser import DESKTOP, NEEDS_CHROMIUM, PHONE, RENDERED, axe_violations, shot, status_contains

from imagination.demo.server import entries_of, family, showcase

pytestmark = [NEEDS_CHROMIUM]
browser = test_app_browser.browser  # the same module-scoped Chromium fixture, found here by its name
MAZE_TRAIN = ["--environment", "maze", "--recall", "--game-steps", "12", "--train-sizes", "2,3"]
MAZE_TRAIN += ["--horizon-margin", "2", "--eval-size", "3", "--loss", "bce"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    tiny = {
        "tiny-maze-base": [*MAZE_TRAIN, "--regime", "baseline"],
        "tiny-maze-ae": [*MAZE_TRAIN, "--regime", "autoencoder"],
    }
    with zoo_copy(tmp_path_factory, "mazes", lambda: entries_of("maze"), tiny) as zoo_dir:
        mazes = entries_of("maze")
        srv = AppServer(zoo_dir, tmp_path_factory.mktemp("maze-app") / "app.log")
        srv.maze_showcase = showcase(mazes)  # what picking the maze opens on
        srv.maze_baseline = next(e.name for e in mazes if family(e.regime) == "baseline")
    yield srv
    srv.stop()


def _open(browser, server: AppServer, viewport: dict[str, int]):
    page = browser.new_context(viewport=viewport).new_page()
    page.set_default_timeout(60_000)
    page.goto(server.url)
    page.wait_for_function(RENDERED, arg="#episode-panel img")  # the Life showcase, drawn with the page
    return page


def _text_value(page, selector: str) -> str:
    return page.eval_on_selector(selector, "e => e.value")


def _pick_maze(page, server: AppServer) -> float:
    """Pick the maze: its showcase runs on its first maze; the seconds until its panel is drawn."""
    t0 = time.monotonic()
    page.get_by_role("radio", name="Maze").check()
    status_contains(page, "run-status", f"{server.maze_showcase} on a 5x5-cell maze")
    page.wait_for_function(RENDERED, arg="#episode-panel img")
    return time.monotonic() - t0


def _click_maze_pixel(page, x: int, y: int, width: int = 11 * 21) -> None:
    """Click pixel (x, y) of the start maze once its picture is loaded and drawn at its natural size.

    The picture is replaced after each pick and each edit; a click before the new one has loaded lands on what
    is beside the old (or not yet sized) one.
    """
    state = (
        "(sel) => { const i = document.querySelector(sel); if (!i) return null; const r = i.getBoundingClientRect();"
        " return {complete: i.complete, natural: [i.naturalWidth, i.naturalHeight], box: [r.width, r.height]}; }"
    )
    try:
        page.wait_for_function(
            f"([sel, w]) => {{ const s = ({state})(sel); return !!s && s.complete && s.natural[0] === w"
            " && Math.round(s.box[0]) === w; }",
            arg=["#board-preview img", width],
            timeout=30_000,
        )
    except test_app_browser.sync_api.TimeoutError:
        found = page.evaluate(state, "#board-preview img")
        pytest.fail(f"the start maze's picture never showed {width} px wide: {found}")
    page.locator("#board-preview img").click(position={"x": x, "y": y})


def test_pick_the_maze_edit_it_run_it_longer_compare_and_intervene(browser, server: AppServer) -> None:
    page = _open(browser, server, DESKTOP)
    assert "gliders" in page.inner_text("#run-status")  # the page opens on Life, as it always has
    painted = _pick_maze(page, server)
    print(f"the first maze episode painted {painted:.2f} s after picking the maze")
    assert painted < 30  # ~1 s on this machine
    status_contains(page, "run-status", "rounds")
    status_contains(page, "start-heading", "Start maze")
    status_contains(page, "checkpoint-status", f"Loaded {server.maze_showcase}")
    rle = _text_value(page, "#board-rle textarea")
    assert rle.startswith("x = 11, y = 11\n") and "rule" not in rle  # a 5-cell maze, no Life rule
    assert page.eval_on_selector("#size input[type=number]", "e => [e.min, e.max, e.value]") == ["2", "32", "5"]
    assert "Iterations (1-1000)" in page.inner_text("#steps")
    shot(page, "maze-1366x768")

    # a click on a pixel of the maze toggles its wall; a click on the start is refused with a message
    _click_maze_pixel(page, 4 * 21 + 10, 2 * 21 + 10)
    page.wait_for_function("(r) => document.querySelector('#board-rle textarea')?.value !== r", arg=rle)
    assert page.eval_on_selector("#board-source input:checked", "e => e.value") == "text"
    edited = _text_value(page, "#board-rle textarea")
    _click_maze_pixel(page, 21 + 10, 21 + 10)
    page.locator('[data-testid="toast-body"]').filter(has_text="must stay open").first.wait_for()
    assert _text_value(page, "#board-rle textarea") == edited
    assert page.locator("#board-preview img").count() == 1 and "Error" not in page.inner_text("#board-preview")

    # more iterations: the run, its solve state and a table row per step
    page.fill("#steps input", "60")
    page.click("#run-btn")
    status_contains(page, "run-status", "60 model steps")
    status_contains(page, "run-status", "The true maze settles after")
    page.wait_for_function(
        "() => document.querySelector('#step-scores [role=grid]')?.getAttribute('aria-rowcount') === '62'"
    )
    assert "solved" in page.inner_text("#step-scores")
    natural, box = page.eval_on_selector(
        "#episode-panel img", "i => [i.naturalWidth, i.closest('#episode-panel').clientWidth]"
    )
    assert natural <= box  # a sample of the steps, in bands that fit the column
    shot(page, "maze-60-iterations-1366x768", full_page=True)

    # compare the maze's regimes on this maze
    page.click("#compare")
    chosen = page.inner_text("#compare-checkpoints")
    assert server.maze_baseline in chosen and server.maze_showcase in chosen and "gol" not in chosen
    page.click("#compare-btn")
    page.wait_for_function(RENDERED, arg="#compare-panel img")
    status_contains(page, "compare-status", "The same start maze")

    # edit what it imagines at a step, and run on from the edit
    page.fill("#steps input", "")
    page.click("#intervene")
    page.wait_for_function(RENDERED, arg="#intervene-board img")
    status_contains(page, "intervene-about", "Click pixels to flip them")
    before = _text_value(page, "#intervene-rle textarea")
    page.locator("#intervene-board img").click(position={"x": 3 * 21 + 10, "y": 5 * 21 + 10})
    page.wait_for_function("(b) => document.querySelector('#intervene-rle textarea')?.value !== b", arg=before)
    page.click("#intervene-btn")
    status_contains(page, "intervene-status", "the true frames are the rounds that follow from the edited maze")
    page.wait_for_function(RENDERED, arg="#intervene-panel img")

    # and back to Life: its showcase on its gliders
    page.get_by_role("radio", name="Game of Life").check()
    status_contains(page, "run-status", "gliders")
    status_contains(page, "start-heading", "Start board")
    assert "rule = B3/S23" in _text_value(page, "#board-rle textarea")
    page.context.close()


def test_a_maze_on_a_phone_scrolls_only_up_and_down_and_reads_well(browser, server: AppServer) -> None:
    page = _open(browser, server, PHONE)
    _pick_maze(page, server)
    page.click("#compare")
    page.click("#compare-btn")
    page.wait_for_function(RENDERED, arg="#compare-panel img")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways page
    violations = axe_violations(page)
    assert violations == [], json.dumps(violations, indent=1)
    shot(page, "maze-390x844", full_page=True)
    page.context.close()

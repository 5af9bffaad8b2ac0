"""The demo in a real browser: headless Chromium (Debian's ``chromium``) driven by Playwright.

Every request the page makes to a host other than 127.0.0.1 is aborted and recorded, so the
page is shown to work without the internet. Skipped, with the reason, where Chromium or
Playwright is missing (``make browser`` / ``.ci/run`` install Chromium; never ``playwright install``).
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from test_app import AppServer, app_zoo, zoo_names

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
RENDERED = "(sel) => { const i = document.querySelector(sel); return !!i && i.complete && i.naturalWidth > 0; }"

pytestmark = [
    pytest.mark.skipif(
        not Path(CHROMIUM).exists() and shutil.which("chromium") is None,
        reason=f"{CHROMIUM} is not installed (apt-get install chromium, or `make browser`)",
    ),
]
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")


@pytest.fixture(scope="module")
def zoo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return app_zoo(tmp_path_factory)


@pytest.fixture(scope="module")
def server(zoo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    srv = AppServer(zoo_dir, tmp_path_factory.mktemp("browser-app") / "app.log")  # offline, as `make app` runs it
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    executable = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, headless=True, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server: AppServer) -> Iterator[tuple[object, list[str]]]:
    """A fresh page on the app; the list collects every request that was blocked."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    blocked: list[str] = []

    def guard(route) -> None:
        url = route.request.url
        if url.startswith(("data:", "blob:")) or urlsplit(url).hostname == "127.0.0.1":
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    page.route("**/*", guard)
    page.goto(server.url)
    page.wait_for_selector("#run-btn")
    yield page, blocked
    context.close()


def _pick_checkpoint(page, name: str) -> None:
    page.click("#checkpoint input")
    page.get_by_role("option", name=re.compile(rf"{re.escape(name)}\s+\(")).click()  # labels: "name  (regime, ..."


def _status_contains(page, elem_id: str, text: str) -> None:
    page.wait_for_function(
        "([id, t]) => { const e = document.getElementById(id); return !!e && e.innerText.includes(t); }",
        arg=[elem_id, text],
    )


def test_pick_a_checkpoint_and_a_glider_run_and_see_every_step(page, zoo_dir: Path, tmp_path: Path) -> None:
    page, blocked = page
    names = zoo_names(zoo_dir)
    _status_contains(page, "checkpoint-status", f"Loaded {names[0]}")  # the default, loaded with the page
    pick = names[-1]
    _pick_checkpoint(page, pick)
    _status_contains(page, "checkpoint-status", f"Loaded {pick}")
    trained = json.loads((zoo_dir / pick / "config.json").read_text())["model_steps"]
    page.wait_for_function(
        "(n) => document.querySelector('#steps input').value === String(n)", arg=trained
    )  # the steps default to what the checkpoint was trained for

    page.get_by_role("radio", name="classic pattern").check()
    page.click("#pattern input")
    page.get_by_role("option", name="glider", exact=True).click()
    page.click("#run-btn")
    for sel in ("#episode-panel img", "#score-matrix img", "#animation img"):
        page.wait_for_function(RENDERED, arg=sel)
    _status_contains(page, "run-status", "Last step: accuracy")
    assert "glider" in page.inner_text("#run-status")
    table = page.inner_text("#step-scores")
    assert "accuracy" in table and "MCC" in table
    rows = page.get_attribute("#step-scores [role=grid]", "aria-rowcount")
    assert rows == str(trained + 2)  # the header and one row of scores per step
    page.wait_for_function(
        "() => document.querySelector('#download-json').innerText.includes('.json')"
    )  # the files of this episode are ready to download
    shot = tmp_path / "episode.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000

    # a click on the start board flips a cell: the board becomes RLE text
    page.locator("#board-preview img").click()
    page.wait_for_function("() => document.querySelector('#board-text textarea').value.includes('x = 20')")
    assert page.eval_on_selector("#board-source input:checked", "e => e.value") == "text"
    assert blocked == [], f"the page asked for non-local resources: {blocked}"


def test_a_bad_repo_id_gets_a_message_and_the_app_keeps_working(page, zoo_dir: Path) -> None:
    page, blocked = page
    names = zoo_names(zoo_dir)
    _status_contains(page, "checkpoint-status", f"Loaded {names[0]}")
    page.fill("#checkpoint input", "no-org/no-such-model")
    page.click("#load-btn")
    toast = page.locator('[data-testid="toast-body"]').filter(has_text="no-org/no-such-model")
    toast.first.wait_for()
    message = toast.first.inner_text()
    assert "runs offline" in message and "Traceback" not in message  # `make app` serves offline
    _pick_checkpoint(page, names[0])
    _status_contains(page, "checkpoint-status", f"Loaded {names[0]}")
    page.click("#run-btn")
    page.wait_for_function(RENDERED, arg="#episode-panel img")
    assert blocked == [], f"the page asked for non-local resources: {blocked}"


def test_paint_a_board_on_the_image_editor(page) -> None:
    page, blocked = page
    page.click("#paint")  # the accordion
    page.locator("#board-editor button[aria-label='Brush']").first.click()
    box = page.locator("#board-editor canvas").first.bounding_box()
    y = box["y"] + box["height"] * 0.5
    page.mouse.move(box["x"] + box["width"] * 0.35, y)
    page.mouse.down()
    for i in range(1, 16):  # a horizontal stroke through the middle of the canvas
        page.mouse.move(box["x"] + box["width"] * (0.35 + 0.02 * i), y)
    page.mouse.up()
    page.click("#use-drawing")
    page.wait_for_function("() => document.querySelector('#board-text textarea').value.includes('x = 20')")
    rle = page.input_value("#board-text textarea")
    assert "o" in rle.splitlines()[-1]  # some cells came alive
    assert page.eval_on_selector("#board-source input:checked", "e => e.value") == "text"
    assert blocked == [], f"the page asked for non-local resources: {blocked}"


def test_intervene_on_the_imagined_board_and_see_the_checkpoint_analysis(page, zoo_dir: Path, tmp_path: Path) -> None:
    page, blocked = page
    name = zoo_names(zoo_dir)[0]
    cfg = json.loads((zoo_dir / name / "config.json").read_text())
    _status_contains(page, "checkpoint-status", f"Loaded {name}")
    page.wait_for_function(  # the rule field shows the checkpoint's own rule (a menu label, "Life B3/S23")
        "(r) => document.querySelector('#rule input').value.includes(r)", arg=cfg["rule"]
    )
    page.get_by_role("radio", name="classic pattern").check()
    page.click("#run-btn")
    page.wait_for_function(RENDERED, arg="#episode-panel img")

    # open the view: the imagined board at step i appears, as a picture and as RLE
    page.click("#intervene")
    page.wait_for_function(RENDERED, arg="#intervene-board img")
    page.wait_for_function("() => document.querySelector('#intervene-rle textarea').value.includes('x = 20')")
    before = page.input_value("#intervene-rle textarea")
    board = page.locator("#intervene-board img")
    board.scroll_into_view_if_needed()
    box = board.bounding_box()
    board.click(position={"x": box["width"] * 9.5 / 20, "y": box["height"] * 9.5 / 20})  # cell (9, 9)
    page.wait_for_function("(b) => document.querySelector('#intervene-rle textarea').value !== b", arg=before)
    page.click("#intervene-btn")
    page.wait_for_function(RENDERED, arg="#intervene-panel img")
    _status_contains(page, "intervene-status", "Compared with the original run")
    status = page.inner_text("#intervene-status")
    assert "1 cell flipped" in status and "final answer changed in" in status
    shot = tmp_path / "intervene.png"
    page.locator("#intervene").screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    # a new run while the view is open shows its imagined board afresh: the edit is gone
    page.click("#run-btn")
    page.wait_for_function("(b) => document.querySelector('#intervene-rle textarea').value === b", arg=before)

    # beyond the paper: the extrapolation curve and what eval.json holds (or says is not measured)
    page.click("#analysis")
    _status_contains(page, "analysis-summary", "Extrapolation")
    if cfg["tied"]:
        page.wait_for_function(RENDERED, arg="#analysis-curve img")
        _status_contains(page, "analysis-summary", "steps >= 99% accuracy")
    assert "Faithfulness" in page.inner_text("#analysis-summary")
    page.screenshot(path=str(tmp_path / "page.png"), full_page=True)
    assert blocked == [], f"the page asked for non-local resources: {blocked}"

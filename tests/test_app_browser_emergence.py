"""Watch it emerge, in a real browser on a phone: the slider over training snapshots, the panel and the plot.

The app serves a copy of the test zoo; where no entry of it ships snapshots (the tiny zoo), two tiny entries that
do are trained into it. What the page must say is read from the first such entry's snapshots.json. Skipped, like
tests/test_app_browser.py, where Chromium or Playwright is missing.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import TINY_TRAIN
from test_app import AppServer, app_zoo
from test_app_browser import ARGS, CHROMIUM, PHONE, RENDERED, shot

from imagination import zoo
from imagination.demo import handlers
from imagination.loading import revisions
from training import registration, train

pytestmark = [
    pytest.mark.skipif(
        not Path(CHROMIUM).exists() and shutil.which("chromium") is None,
        reason=f"{CHROMIUM} is not installed (apt-get install chromium, or `make browser`)",
    ),
]
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    zoo_dir = tmp_path_factory.mktemp("emerging") / "zoo"
    shutil.copytree(app_zoo(tmp_path_factory), zoo_dir)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("IMAGINATION_ZOO", str(zoo_dir))
        if not handlers.emergence_entries():
            for name, regime in (("tiny-emerging-ae", "autoencoder"), ("tiny-emerging-base", "baseline")):
                train.main(["--out", str(zoo_dir / name), *TINY_TRAIN, "--regime", regime, "--name", name])
                registration.register(registration.record(zoo_dir / name, name, f"me/{name}", bundled=True))
        first = handlers.emergence_entries()[0]
        records = revisions.scores(zoo.entry(first).path)
    srv = AppServer(zoo_dir, tmp_path_factory.mktemp("emerging-app") / "app.log")
    srv.first, srv.records = first, records  # what the page must show
    yield srv
    srv.stop()


def _status_contains(page, elem_id: str, text: str) -> None:
    page.wait_for_function(
        "([id, t]) => { const e = document.getElementById(id); return !!e && e.innerText.includes(t); }",
        arg=[elem_id, text],
    )


def test_slide_over_the_snapshots_on_a_phone(server: AppServer) -> None:
    executable = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True, args=ARGS)
        page = browser.new_context(viewport=PHONE).new_page()
        page.set_default_timeout(30_000)
        page.goto(server.url)
        page.wait_for_selector("#run-btn")
        page.locator("#emergence").scroll_into_view_if_needed()
        page.click("#emergence")
        last = server.records[-1]["step"]
        _status_contains(page, "emergence-status", server.first)
        _status_contains(page, "emergence-status", f"{len(server.records)} training snapshots, steps 0 to {last:,}")
        page.wait_for_function(RENDERED, arg="#emergence-plot img")
        page.wait_for_function(RENDERED, arg="#emergence-panel img")
        _status_contains(page, "emergence-step-status", f"at training step {last:,}")
        # a click at the slider's left end: the first snapshot, the initialisation
        track = page.locator("#emergence-snapshot input[type=range]")
        track.scroll_into_view_if_needed()
        box = track.bounding_box()
        page.mouse.click(box["x"] + 1, box["y"] + box["height"] / 2)
        _status_contains(page, "emergence-step-status", "at training step 0")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways page
        shot(page, "emergence-390x844")
        browser.close()

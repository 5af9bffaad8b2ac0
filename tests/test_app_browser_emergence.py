"""Watch it emerge, in a real browser on a phone: the slider over training snapshots, the panel and the plot.

The app serves a copy of the test zoo; where no entry of it ships snapshots (the tiny zoo), two tiny entries that
do are trained into it. What the page must say is read from the first such entry's snapshots.json. Skipped, like
tests/test_app_browser.py, where Chromium or Playwright is missing.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import test_app_browser
from test_app import AppServer, zoo_copy
from test_app_browser import NEEDS_CHROMIUM, PHONE, RENDERED, shot, status_contains

from imagination import zoo
from imagination.demo import handlers
from imagination.loading import revisions

pytestmark = [NEEDS_CHROMIUM]
browser = test_app_browser.browser  # the shared module-scoped Chromium fixture, found here by its name


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    tiny = {"tiny-emerging-ae": ["--regime", "autoencoder"], "tiny-emerging-base": ["--regime", "baseline"]}
    with zoo_copy(tmp_path_factory, "emerging", handlers.emergence_entries, tiny) as zoo_dir:
        first = handlers.emergence_entries()[0]
        records = revisions.scores(zoo.entry(first).path)
    srv = AppServer(zoo_dir, tmp_path_factory.mktemp("emerging-app") / "app.log")
    srv.first, srv.records = first, records  # what the page must show
    yield srv
    srv.stop()


def test_slide_over_the_snapshots_on_a_phone(browser, server: AppServer) -> None:
    page = browser.new_context(viewport=PHONE).new_page()
    page.set_default_timeout(30_000)
    page.goto(server.url)
    page.wait_for_selector("#run-btn")
    page.locator("#emergence").scroll_into_view_if_needed()
    page.click("#emergence")
    last = server.records[-1]["step"]
    status_contains(page, "emergence-status", server.first)
    status_contains(page, "emergence-status", f"{len(server.records)} training snapshots, steps 0 to {last:,}")
    page.wait_for_function(RENDERED, arg="#emergence-plot img")
    page.wait_for_function(RENDERED, arg="#emergence-panel img")
    status_contains(page, "emergence-step-status", f"at training step {last:,}")
    # a click at the slider's left end: the first snapshot, the initialisation
    track = page.locator("#emergence-snapshot input[type=range]")
    track.scroll_into_view_if_needed()
    box = track.bounding_box()
    page.mouse.click(box["x"] + 1, box["y"] + box["height"] / 2)
    status_contains(page, "emergence-step-status", "at training step 0")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways page
    shot(page, "emergence-390x844")
    page.context.close()

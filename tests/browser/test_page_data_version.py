"""In a real Chromium: an open page keeps the data it was drawn from after another version is put in use."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Page, Request, expect

from dashboard.data_access import REQUEST_FIELD
from dashboard.live_server import running_app
from tests.support.browser import wait_for_map
from tests.support.upload_samples import good_upload_set, save_with_one_road

pytestmark = pytest.mark.browser
DEMO_AREAS = 505


def test_an_open_page_keeps_its_data_until_reloaded(page: Page, tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    stamped: list[str | None] = []

    def record(request: Request) -> None:
        if request.url.split("?")[0].endswith("/_dash-update-component"):
            stamped.append(json.loads(request.post_data or "{}").get(REQUEST_FIELD))

    page.on("request", record)
    with running_app({"INSTANCE_FOLDER": str(instance)}) as url:
        page.goto(url)
        wait_for_map(page)
        expect(page.locator(".dataset-name")).to_have_text("Brackenshire (fictional)")
        save_with_one_road(instance / "datasets", good_upload_set(tmp_path), "Squareshire")  # put in use now
        before = page.locator("#kpi-mean-minutes").inner_text()

        stamped.clear()
        page.get_by_label("Walk").check()  # a change the server answers
        page.wait_for_function("b => document.querySelector('#kpi-mean-minutes').innerText !== b", arg=before,
                               timeout=30_000)
        fill = json.loads(page.locator("#area-fill").get_attribute("data-fill") or "{}")
        assert len(fill["classes"]) == DEMO_AREAS  # the demo's areas, not the six of the version now in use
        assert stamped and set(stamped) == {"demo"}
        expect(page.locator("#data-changed-notice")).to_be_hidden()

        stamped.clear()
        page.reload()  # a reload takes the version in use
        expect(page.locator(".dataset-name")).to_have_text("Squareshire", timeout=60_000)
        page.wait_for_function("() => document.querySelector('#area-fill').getAttribute('data-fill')",
                               timeout=30_000)
        assert stamped and set(stamped) == {"v0001"}
        page.goto("about:blank")  # leave before the server stops, so no request is cut off

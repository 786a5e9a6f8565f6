"""Uploading Rutland from public files through the data page gives a working locality.

The app runs with an instance folder of its own (the shared browser-test app keeps the
demo). The analyst chooses the files, reads the check, accepts its warnings and saves;
the save runs as a background job with a progress bar; then the planner opens on Rutland:
its 23 areas on the map and journey times in the headline figures. (Hub placement on
the uploaded locality is tested without a browser in tests/geo/ingest/test_datasets.py, until
the planner has a "Suggest placements" control.)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from dashboard.live_server import running_app
from tests.support.browser import wait_for_map
from tests.support.rutland_upload import ADULT_SHARE, COLUMNS, N_AREAS, rutland_files

pytestmark = [pytest.mark.browser, pytest.mark.shared_data]

JOB_TIMEOUT_MS = 150_000  # reading the road network and building travel times on a busy 2-core machine


@pytest.fixture(scope="module")
def rutland_app_url(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    instance = tmp_path_factory.mktemp("rutland-instance")
    with running_app({"INSTANCE_FOLDER": str(instance)}) as url:
        yield url


def choose(page: Page, role: str, files: list[Path]) -> None:
    page.set_input_files(f"#data-upload-{role} input[type=file]", [str(f) for f in files])
    expect(page.locator(f"#data-upload-{role}").locator("xpath=..")).to_contain_text(
        files[-1].name, timeout=30_000)  # the browser reads the file first: slow on a busy machine


def test_uploading_rutland_through_the_page_gives_a_working_locality(
        page: Page, rutland_app_url: str, shared_data: Path, tmp_path: Path) -> None:
    files = rutland_files(shared_data, tmp_path)
    page.goto(rutland_app_url + "/data")
    page.wait_for_selector("#data-upload-lookup input[type=file]", state="attached", timeout=60_000)
    for role, chosen in files.items():
        choose(page, role, chosen)
    page.get_by_label("Name of the locality").fill("Rutland")
    page.get_by_label("Share of residents who are adults (18 and over)").fill(str(ADULT_SHARE))
    page.get_by_text("More options:", exact=False).click()
    page.get_by_label("Column names the checks do not recognise").fill(
        "\n".join(f"{header}={name}" for header, name in COLUMNS.items()))
    page.get_by_label("Name of the locality").focus()  # leave the text box so its value is sent

    page.get_by_role("button", name="Check the files").click()
    report = page.locator("#data-report")
    expect(report.get_by_role("table", name="What the check found")).to_be_visible(timeout=JOB_TIMEOUT_MS)
    expect(report).to_contain_text("No errors")
    expect(report).to_contain_text("rutland-latest.osm.pbf")  # the road network was checked too
    save = page.get_by_role("button", name="Save as a new version and use it")
    expect(save).to_be_disabled()  # not before the warnings are accepted
    page.get_by_label("I have read the warnings above and accept them").check()
    expect(save).to_be_enabled()
    save.click()  # first cancelled part-way: the planner must stay as it was
    progress = page.locator("#data-progress-box")
    expect(progress).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Cancel").click()
    status = page.locator("#data-status")
    expect(status).to_contain_text("Stopped. The data the planner uses has not changed.")
    expect(progress).to_be_hidden(timeout=30_000)
    expect(page.locator("#data-versions")).not_to_contain_text("In use")
    save.click()
    expect(progress).to_be_visible(timeout=30_000)
    expect(status).to_contain_text(re.compile(r"Saved v000\d and switched the planner to it"), timeout=JOB_TIMEOUT_MS)
    expect(status).to_contain_text(f"{N_AREAS} areas, 2 services")
    expect(page.locator("#data-versions")).to_contain_text("In use")

    status.get_by_role("link", name="Open the planner with it").click()
    wait_for_map(page)
    assert page.evaluate("Object.keys(window.dsp.areaLayers).length") == N_AREAS
    expect(page.locator(".app-header")).to_contain_text("Rutland")
    minutes = page.locator("#kpi-mean-minutes")
    expect(minutes).not_to_have_text("-", timeout=30_000)
    assert 0 < float(minutes.inner_text()) < 60
    expect(page.locator("#kpi-share-within-30")).to_contain_text("%")

    # The optimiser runs on the uploaded locality too, through the planner's own control.
    page.get_by_label("Number of hubs", exact=True).fill("2")
    page.get_by_label("Shortest average journey (p-median)", exact=False).check()
    page.get_by_role("button", name="Suggest placements").click()
    expect(page.get_by_title("Suggested site:", exact=False)).to_have_count(2, timeout=JOB_TIMEOUT_MS)
    expect(page.locator("#suggest-result")).to_contain_text("of the best possible")

"""Whatever an upload accepts, every part of the product serves it: gunicorn's start, app.py, jobs, downloads.

The README's Rutland upload (accepted with its warnings: no figures by sex, age or
ethnicity, adults estimated) is saved as an analyst would, then served by a real gunicorn
(whose master warms every cache before forking) and by ``python app.py``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from dashboard import create_app
from dashboard.auth import current_user
from dashboard.config import Settings
from dashboard.live_server import running_app
from dashboard.store_access import close_stores, scenario_store
from dashboard.warmup import warm_caches
from geo.ingest.datasets import check_roads, check_upload, save_version
from geo.scenarios import scenario_from_dict
from tests.support.rutland_upload import N_AREAS, rutland_files, rutland_options, rutland_upload_set
from tests.support.servers import running_gunicorn
from tests.support.simulated_browser import ServedPage

pytestmark = [pytest.mark.shared_data, pytest.mark.slow]


@pytest.fixture(scope="module")
def rutland_instance(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """An instance folder holding the README's Rutland upload (v0001, in use), and a plan saved on it (its slug)."""
    instance = tmp_path_factory.mktemp("rutland-served")
    root = Settings(instance_folder=instance).datasets_folder
    files = rutland_files(shared_data, instance.parent / f"{instance.name}-files")
    prepared = check_roads(root, check_upload(root, rutland_upload_set(files), options=rutland_options()))
    assert prepared.report.passed and prepared.report.warnings  # accepted with warnings, as in the issue
    version = save_version(root, prepared, accepted_warnings=prepared.report.warnings_digest, locality_name="Rutland")
    app = create_app(Settings(instance_folder=instance))
    from dashboard.planning_panel import initial_plan

    with app.server.test_request_context("/"):
        plan = initial_plan(str(version.path), version.version_id)
        opened = scenario_store().create_scenario(current_user(), "Rutland hubs", scenario_from_dict(plan))
    close_stores()
    yield instance, opened.scenario.slug


def test_gunicorn_starts_and_serves_the_rutland_upload(rutland_instance: tuple[Path, str]) -> None:
    instance, slug = rutland_instance
    with running_gunicorn({"INSTANCE_FOLDER": str(instance)}, workers=2) as (url, _):
        health = requests.get(url + "/healthz", timeout=30)
        assert health.status_code == 200, health.text
        assert health.json()["data"] == {"locality": "Rutland", "version": "v0001", "fictional": False}
        page = ServedPage(url)
        assert page.browser.open_page() and page.browser.tally.errors == []  # every callback a page load runs
        answer = page.http.post(f"{url}/_dash-update-component", params={"endId": page.end_id},
                                json=page.drag_body(page.values["plan.data"]["hubs"][0]["hub_id"]), timeout=60)
        assert answer.status_code == 200, answer.text[:300]
        fill = json.loads(answer.json()["response"]["area-fill"]["data-fill"])
        assert len(fill["classes"]) == N_AREAS
        job = page.run_job({"mode": "drive", "n_lattice": 40})  # a background job on the uploaded data
        assert job["status"] == "done" and job["n_areas"] == N_AREAS, job
        pack = requests.get(f"{url}/export/{slug}/briefing.html", timeout=120)
        assert pack.status_code == 200 and "Rutland" in pack.text and "<b>Roads:</b>" in pack.text
        table = requests.get(f"{url}/export/{slug}/areas.csv", timeout=60)
        assert table.status_code == 200 and len(table.text.strip().splitlines()) == 1 + N_AREAS


def test_python_app_py_serves_the_rutland_upload(rutland_instance: tuple[Path, str]) -> None:
    with running_app({"INSTANCE_FOLDER": str(rutland_instance[0])}) as url:
        layout = requests.get(url + "/_dash-layout", timeout=60)
        assert layout.status_code == 200 and "Rutland" in layout.text


SERVICES_WITHOUT_FIGURES = "name,latitude,longitude\nOakham day service (made up),52.6706,-0.7300\n"


@pytest.mark.parametrize(("services", "said"), [
    (None, "No services are on record for this locality"),
    (SERVICES_WITHOUT_FIGURES, "The budget or number of clients of today"),
])
def test_a_version_without_services_or_their_figures_serves_every_page(
        services: str | None, said: str, shared_data: Path, tmp_path: Path) -> None:
    """No services on record, or none with a budget and clients, is a state, not a fault: the caches
    warm, the page builds and says so, and the pack is drawn."""
    from dataclasses import replace

    from dashboard.planning_panel import initial_plan
    from geo.ingest.files import Upload

    settings = Settings(instance_folder=tmp_path / "instance")
    root = settings.datasets_folder
    uploads = replace(rutland_upload_set(rutland_files(shared_data, tmp_path / "files")),
                      services=None if services is None else Upload("services.csv", services.encode()))
    prepared = check_roads(root, check_upload(root, uploads, options=rutland_options()))
    assert prepared.report.passed, prepared.report.to_text()
    version = save_version(root, prepared, accepted_warnings=prepared.report.warnings_digest, locality_name="Rutland")
    app = create_app(settings)
    warm_caches(str(version.path))
    client = app.server.test_client()
    layout = client.get("/_dash-layout")
    assert layout.status_code == 200 and said in layout.get_data(as_text=True)
    assert "nan" not in layout.get_data(as_text=True).replace("nan_", "")
    with app.server.test_request_context("/"):
        opened = scenario_store().create_scenario(current_user(), "Hubs", scenario_from_dict(
            initial_plan(str(version.path), version.version_id)))
    pack = client.get(f"/export/{opened.scenario.slug}/briefing.html")
    assert pack.status_code == 200 and "Rutland" in pack.get_data(as_text=True)
    close_stores()

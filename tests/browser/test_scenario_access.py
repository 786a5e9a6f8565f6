"""A viewer outside the steering group, signed in through the real page, never sees a confidential scenario."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from dashboard.exports import export_url
from dashboard.live_server import running_app
from dashboard.planning_panel import initial_plan
from geo import plan_edits
from geo.scenarios import scenario_from_dict
from geo.workspace.store import NOT_FOUND_WORDS as NOT_YOURS
from geo.workspace.store import init_store, sqlite_url
from tests.support.browser import wait_for_map

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
SECRET_HUB = "Confidential riverside hub"


@dataclasses.dataclass(frozen=True)
class Served:
    url: str
    group: str
    public: str


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """Accounts mode: Pat (planner, in the group) saved one confidential and one public scenario; Vic is a viewer."""
    instance: Path = tmp_path_factory.mktemp("access-instance")
    plan = scenario_from_dict(initial_plan())
    secret = plan_edits.rename_hub(plan, "H1", SECRET_HUB)
    with init_store(sqlite_url(instance)) as store:
        pat = store.create_user("pat", PASSWORD, "planner")
        store.create_user("vic", PASSWORD, "viewer", steering_group=False)
        group = store.create_scenario(pat, "Riverside option", secret, visibility="group").scenario.slug
        public = store.create_scenario(pat, "Published option", plan, visibility="public").scenario.slug
    with running_app({"INSTANCE_FOLDER": str(instance), "AUTH_MODE": "accounts"}) as url:
        yield Served(url, group, public)


def sign_in(page: Page, url: str, username: str) -> None:
    page.goto(f"{url}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    wait_for_map(page)


def test_a_viewer_is_refused_confidential_scenarios_in_every_view(page: Page, served: Served) -> None:
    sign_in(page, served.url, "vic")
    page.goto(f"{served.url}/scenario/{served.group}")  # a forwarded link to a confidential paper
    wait_for_map(page)
    expect(page.locator("#scenario-message")).to_contain_text(NOT_YOURS)
    expect(page.locator("#scenario-heading")).to_contain_text("Not saved yet")

    page.goto(f"{served.url}/compare?ids={served.group},{served.public}")
    expect(page.locator(".compare-body")).to_contain_text("Pick at least two scenarios", timeout=30_000)
    expect(page.locator(".compare-body")).to_contain_text(NOT_YOURS)

    page.goto(f"{served.url}/present?ids={served.group}")
    expect(page.locator(".present-chooser")).to_contain_text(NOT_YOURS, timeout=30_000)
    assert SECRET_HUB not in page.content() and "Riverside option" not in page.content()

    for name in ("briefing.pdf", "areas.csv"):
        answer = page.request.get(served.url + export_url(served.group, name))
        assert answer.status == 404 and SECRET_HUB not in answer.text()  # as if there were no such scenario
    allowed = page.request.get(served.url + export_url(served.public, "areas.csv"))
    assert allowed.status == 200

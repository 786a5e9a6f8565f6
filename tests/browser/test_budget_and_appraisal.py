"""In a real Chromium: the first screen within today's spend, the budget driving Suggest's number of hubs,
and three people scoring one appraisal from three browsers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from dashboard.live_server import running_app
from dashboard.starting_points import starting_plan
from geo.appraisal import Participant, new_appraisal, option_from_scenario
from geo.locality import DEMO_FOLDER
from geo.scenarios import scenario_from_dict
from geo.workspace import appraisals
from geo.workspace.store import init_store, sqlite_url
from tests.support.browser import csp_safe, wait_for_map

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
CRITERIA = ("Access", "Fairness", "Cost", "Outcomes")


def pounds(page: Page, element: str) -> int:
    """The whole pounds a figure shows ("£3,499,160" -> 3499160)."""
    found = re.fullmatch(r"£([\d,]+)", page.locator(element).inner_text().strip())
    assert found, page.locator(element).inner_text()
    return int(found.group(1).replace(",", ""))


def open_money_tab(page: Page) -> None:
    page.get_by_role("tab", name="Money and fairness").click()
    expect(page.locator("#kpi-plan-cost")).to_have_text(re.compile(r"^£[\d,]+$"), timeout=45_000)


def test_the_first_screen_is_the_papers_redesign_within_today_s_spend(page: Page, app_url: str) -> None:
    page.goto(app_url)
    wait_for_map(page)
    expect(page.locator("#start-note")).to_contain_text("the papers' redesign")
    open_money_tab(page)
    expect(page.locator("#kpi-budget")).to_have_text(re.compile(r"^£[\d,]+$"), timeout=45_000)
    plan, today, budget = pounds(page, "#kpi-plan-cost"), pounds(page, "#kpi-today-cost"), pounds(page, "#kpi-budget")
    assert plan <= today == budget
    expect(page.locator("#kpi-plan-headroom-label")).to_have_text("a year to spare within the budget")


def test_a_budget_change_changes_how_many_hubs_suggest_asks_for(page: Page, app_url: str) -> None:
    page.goto(app_url)
    wait_for_map(page)
    page.get_by_text("As many hubs as the budget allows").click()
    note = page.locator("#suggest-budget-note")
    expect(note).to_contain_text("pays for 6 hubs", timeout=45_000)
    expect(page.locator("#suggest-n-hubs")).to_have_value("6")
    expect(page.locator("#suggest-n-hubs")).to_be_disabled()
    open_money_tab(page)
    budget_box = page.get_by_label("Budget a year (£)")
    expect(budget_box).to_have_value("3500000", timeout=45_000)
    budget_box.fill("4200000")
    budget_box.press("Enter")
    expect(page.locator("#kpi-budget")).to_have_text("£4,200,000", timeout=45_000)
    page.get_by_role("tab", name="Plan").click()
    expect(note).to_contain_text("£4,200,000", timeout=45_000)
    more = int(page.locator("#suggest-n-hubs").input_value())
    assert more > 6
    assert f"pays for {more} hubs" in note.inner_text()
    page.get_by_role("button", name="Undo").click()  # the budget was an edit like any other
    expect(note).to_contain_text("pays for 6 hubs", timeout=45_000)


@dataclass(frozen=True)
class Room:
    url: str
    code: str
    slug: str


@pytest.fixture(scope="module")
def room(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Room]:
    """Accounts mode: Pat runs an appraisal of three saved plans; Sam, Kim and Lee take part.

    Sam declares using Kingsmere Resource Centre (S01), which the redesign and the blank
    sheet close: the conflict-of-interest rule bars Sam from both.
    """
    instance: Path = tmp_path_factory.mktemp("appraisal-instance")
    folder = str(DEMO_FOLDER)
    plans = {key: scenario_from_dict(starting_plan(folder, key, "demo")) for key in ("redesign", "today", "blank")}
    with init_store(sqlite_url(instance)) as store:
        pat = store.create_user("pat", PASSWORD, "planner")
        for name in ("sam", "kim"):
            store.create_user(name, PASSWORD, "viewer", steering_group=True)
        store.create_user("lee", PASSWORD, "planner")
        titles = {"redesign": "The papers' redesign", "today": "Today", "blank": "Blank sheet"}
        options = []
        for key, plan in plans.items():
            slug = store.create_scenario(pat, titles[key], plan, visibility="group").scenario.slug
            options.append(option_from_scenario(slug, titles[key], plan))
        people = [Participant("p1", "Sam", frozenset({"S01"}), "service user"),
                  Participant("p2", "Kim", group="provider"), Participant("p3", "Lee", group="commissioner")]
        record = appraisals.open_appraisal(store, pat, "Day services options", new_appraisal(options, people))
    with running_app({"INSTANCE_FOLDER": str(instance), "AUTH_MODE": "accounts"}) as url:
        yield Room(url, record.join_code, record.slug)


def join_and_take_seat(page: Page, room: Room, username: str, name: str) -> None:
    page.goto(f"{room.url}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    wait_for_map(page)
    page.goto(f"{room.url}/appraise")
    page.get_by_label("The join code the facilitator gives you").fill(room.code.lower())
    page.get_by_role("button", name="Join").click()
    expect(page.get_by_role("heading", name="Options appraisal: Day services options")).to_be_visible(timeout=30_000)
    # As a person would, wait for the page to settle: a click in the first instant after the
    # page draws itself was once lost (the form is drawn by a callback and wired just after).
    page.wait_for_load_state("networkidle")
    page.get_by_label("I am").select_option(label=name)
    page.get_by_role("button", name="This is me").click()
    expect(page.locator("#appraisal-score-sheet")).to_contain_text(f"{name}'s scores", timeout=30_000)


def score(page: Page, options: dict[str, int]) -> None:
    for option, value in options.items():
        for criterion in CRITERIA:
            page.get_by_label(f"{option}, {criterion}: score from 0 to 10").fill(str(value))
    page.get_by_role("button", name="Save these scores").click()
    expect(page.locator("#appraisal-status")).to_have_text("Scores saved.", timeout=30_000)


def test_three_people_score_from_their_own_browsers_and_the_thin_option_is_flagged(browser: Browser,
                                                                                  room: Room) -> None:
    contexts = [browser.new_context() for _ in range(3)]
    try:
        sam, kim, lee = (csp_safe(context.new_page()) for context in contexts)
        join_and_take_seat(sam, room, "sam", "Sam")
        join_and_take_seat(kim, room, "kim", "Kim")
        join_and_take_seat(lee, room, "lee", "Lee")
        sheet = sam.locator("#appraisal-score-sheet")
        expect(sheet).to_contain_text("not asked to score The papers' redesign, Blank sheet")
        expect(sam.get_by_label("Blank sheet, Access: score from 0 to 10")).to_have_count(0)
        score(sam, {"Today": 6})
        score(kim, {"The papers' redesign": 8, "Today": 5})  # Kim leaves the blank sheet unscored
        score(lee, {"The papers' redesign": 7, "Today": 4, "Blank sheet": 2})
        results = lee.locator("#appraisal-results")
        expect(results).to_contain_text("Blank sheet was scored by 1 of 3 participants, fewer than half; 1 may not "
                                         "score it under the conflict-of-interest rule", timeout=30_000)
        expect(sam.locator("#appraisal-results")).to_contain_text("Read these totals with care", timeout=30_000)
        expect(results).not_to_contain_text("Today was scored by")
    finally:
        for context in contexts:
            context.close()

"""Real-browser fixtures: the app in a child process and Debian's Chromium through Playwright."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

from dashboard.live_server import CHROMIUM, CHROMIUM_ARGS, running_app
from data.example_plans import example_plans
from geo.workspace.store import init_store, sqlite_url
from tests.support.browser import ExampleApp, csp_safe


@pytest.fixture(scope="session")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    instance = tmp_path_factory.mktemp("instance")
    with running_app({"INSTANCE_FOLDER": str(instance)}) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: `make test` installs Debian's chromium package")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                              headless=os.environ.get("HEADED") is None)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page; the test fails if the browser console reports any error (a CSP violation is one)."""
    context = browser.new_context(viewport={"width": 1600, "height": 900})
    opened = csp_safe(context.new_page())
    errors: list[str] = []

    def record(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    opened.on("console", record)
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert errors == [], f"browser console errors: {errors}"


@pytest.fixture(scope="session")
def example_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ExampleApp]:
    """The app (single-user) on a store with the three example plans saved, the four-hub one public.

    Their titles are as long as a steering group's are, so the layouts are tried with real names."""
    instance: Path = tmp_path_factory.mktemp("example-instance")
    plans = example_plans()
    with init_store(sqlite_url(instance)) as store:
        local = store.create_user("local", "a long random password", "admin", steering_group=True)
        slugs = [store.create_scenario(local, title, plans[key], visibility=visibility).scenario.slug
                 for title, key, visibility in (("Six hubs: the papers' redesign", "six", "group"),
                                                ("Four hubs, two fewer than the redesign", "four", "public"),
                                                ("Two hubs moved north of the redesign", "north", "group"))]
    with running_app({"INSTANCE_FOLDER": str(instance)}) as url:
        yield ExampleApp(url, *slugs)

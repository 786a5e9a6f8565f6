"""The Dash app factory: ``create_app(settings)`` builds a fresh app; nothing runs at import."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

import dash
from flask_compress import Compress

from dashboard.config import Settings, settings_from_env

ASSETS = Path(__file__).resolve().parents[1] / "assets"


def private_folder(folder: Path) -> None:
    """The instance folder (store, secret key, uploads, caches) readable by its owner only."""
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == folder.stat().st_uid:  # never a folder someone else owns
        folder.chmod(0o700)


def background_manager(settings: Settings) -> dash.DiskcacheManager | dash.CeleryManager:
    """Background callbacks on a disk cache by default, on Celery with Redis when configured."""
    from dashboard import jobs  # also registers the analyst job's background callback

    return jobs.background_manager(settings)


@functools.lru_cache(maxsize=4)
def page_components(folder: str) -> list[Any]:
    """The page for the locality in ``folder``, built once per worker process and folder.

    It holds no one's state (the plan a page starts with is the locality's starting plan),
    so every page load of a folder can share one; building it took most of a page load's
    server time (about 140 ms of 170 on the demo).
    """
    from dash import dcc

    from dashboard import data_access, ids, jobs, layout
    from geo.ingest.datasets import dataset_version_of

    # First, so the browser finds it at the top of the layout (dashboard/data_access.py).
    version = dcc.Store(id=ids.PAGE_DATA_VERSION, data=dataset_version_of(folder))
    return [version, layout.page(data_access.locality_for(folder), folder), *jobs.stores()]


def register_callbacks(app: dash.Dash) -> None:
    """Attach every panel's and view's callbacks to ``app``, each module by its own ``register``."""
    from dashboard import (
        appraisal_page,
        compare_page,
        data_page,
        investment_panel,
        jobs,
        outcomes_panel,
        plan_followers,
        planning_panel,
        present_page,
        routes,
        scenario_bar,
        suggest_panel,
    )

    for module in (routes, plan_followers, planning_panel, suggest_panel, investment_panel, outcomes_panel,
                   scenario_bar, compare_page, present_page, appraisal_page, data_page, jobs):
        module.register(app)


def create_app(settings: Settings | None = None) -> dash.Dash:
    """Build the app for ``settings`` (read from the environment when not given)."""
    settings = settings or settings_from_env()
    # The views register their page builders (page_route) when imported, before the first page.
    from dashboard import appraisal_page, compare_page, data_access, health, logging_setup, present_page  # noqa: F401

    logging_setup.configure_logging()
    private_folder(settings.instance_folder)
    data_access.locality_for(data_access.planner_folder(settings))  # read and check the data in use first
    manager = background_manager(settings)
    app = dash.Dash(
        __name__,
        title="Day Services Planner",
        assets_folder=str(ASSETS),
        background_callback_manager=manager,
        update_title=None,  # type: ignore[arg-type]  # Dash documents None (no "Updating..." title) but types str
        suppress_callback_exceptions=True,  # views registered with page_route enter the page later
        serve_locally=True,
        hooks=data_access.renderer_hooks(),  # each callback request carries its page's data version
        on_error=data_access.page_data_changed,
    )
    app.index_string = app.index_string.replace("<html>", '<html lang="en">', 1)  # what screen readers speak
    app.server.config["DSP_SETTINGS"] = settings
    # Dash 4 serves its scripts as text/javascript: without it here the first page went uncompressed
    # (7.2 MB on the demo). They are fingerprinted and cached by the browser, so each is compressed
    # once per browser.
    app.server.config["COMPRESS_MIMETYPES"] = ["text/html", "text/css", "application/json", "application/javascript",
                                               "text/javascript"]
    Compress(app.server)
    health.register(app.server, settings, manager)
    from dashboard import (  # sign-in and access checks, the /data page, downloads, headers, error pages
        auth,
        data_page,
        error_pages,
        exports,
        limits,
        security_headers,
    )

    app.server.config["MAX_CONTENT_LENGTH"] = data_page.max_request_bytes(settings)  # uploads: MAX_UPLOAD_MB
    auth.init_app(app.server, settings)
    limits.register(app.server, data_page.max_request_bytes(settings))  # smaller, by route and role
    exports.register(app.server)
    error_pages.register(app.server, debug=settings.debug)

    def page_layout() -> list[Any]:  # the folder is read at each page load, so a newly switched version shows
        return page_components(data_access.current_folder())

    app.layout = page_layout
    register_callbacks(app)
    security_headers.register(app, settings)
    return app

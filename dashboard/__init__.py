"""The Dash app factory: ``create_app(settings)`` builds a fresh app; nothing runs at import."""

from __future__ import annotations

from pathlib import Path

import dash
from flask_compress import Compress

from dashboard.config import Settings, settings_from_env

ASSETS = Path(__file__).resolve().parents[1] / "assets"


def background_manager(settings: Settings) -> dash.DiskcacheManager | dash.CeleryManager:
    """Background callbacks on a disk cache by default, on Celery with Redis when configured."""
    if settings.redis_url:
        from celery import Celery

        celery_app = Celery(__name__, broker=settings.redis_url, backend=settings.redis_url)
        return dash.CeleryManager(celery_app)
    import diskcache

    settings.cache_folder.mkdir(parents=True, exist_ok=True)
    return dash.DiskcacheManager(diskcache.Cache(str(settings.cache_folder / "jobs")))


def create_app(settings: Settings | None = None) -> dash.Dash:
    """Build the app for ``settings`` (read from the environment when not given)."""
    settings = settings or settings_from_env()
    # Import panels here so their callbacks register only when an app is built.
    from dashboard import data_access, layout, routes  # noqa: F401  (routes registers the router)

    locality = data_access.locality_for(str(settings.data_folder))
    app = dash.Dash(
        __name__,
        title="Day Services Planner",
        assets_folder=str(ASSETS),
        background_callback_manager=background_manager(settings),
        update_title=None,
        serve_locally=True,
    )
    app.server.config["DSP_SETTINGS"] = settings
    app.server.config["COMPRESS_MIMETYPES"] = ["text/html", "text/css", "application/json", "application/javascript"]
    Compress(app.server)
    app.layout = layout.page(locality, str(settings.data_folder))
    return app

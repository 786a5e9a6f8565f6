"""The scenario store of the app serving this request, opened once per process and database.

Every worker process opens its own store (its own connection pool) the first time a
request needs it; the store holds no user's state, so workers share nothing but the
database. The schema is created or upgraded on first open (``geo.workspace.store.init_store``).
"""

from __future__ import annotations

import threading

from dashboard.config import Settings
from geo.workspace.store import ScenarioStore, init_store, sqlite_url

_STORES: dict[str, ScenarioStore] = {}
_LOCK = threading.Lock()


def store_url(settings: Settings) -> str:
    """DATABASE_URL when set, else the SQLite file in the instance folder."""
    return settings.database_url or sqlite_url(settings.instance_folder)


def store_for(url: str) -> ScenarioStore:
    """The store at ``url``, opened (and migrated) on first use in this process."""
    with _LOCK:
        store = _STORES.get(url)
        if store is None:
            store = _STORES[url] = init_store(url)
        return store


def current_settings() -> Settings:
    """The settings of the app serving this request (set by the app factory)."""
    import flask

    settings: Settings = flask.current_app.config["DSP_SETTINGS"]
    return settings


def scenario_store() -> ScenarioStore:
    """The store of the app serving this request."""
    return store_for(store_url(current_settings()))


def close_stores() -> None:
    """Close every store this process opened (tests call it to release their files)."""
    with _LOCK:
        for store in _STORES.values():
            store.close()
        _STORES.clear()

"""Alembic environment for the scenario store (run by geo.workspace.store.init_store or by hand)."""

from __future__ import annotations

import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection, text

import geo.workspace.follow  # noqa: F401  (registers the follow_sessions table on Base.metadata)
from geo.workspace.store import MIGRATION_LOCK_KEY, Base, engine_for

config = context.config
target_metadata = Base.metadata

def _run(connection: Connection) -> None:
    # Concurrent upgrades (several app workers starting at once) take turns.
    if connection.dialect.name == "postgresql":
        connection.execute(text(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})"))
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate through the connection init_store passes in, or one made from the URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    if config.config_file_name is not None:  # run by hand: log what Alembic does
        fileConfig(config.config_file_name, disable_existing_loggers=False)
    url = os.environ.get("DATABASE_URL") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("set DATABASE_URL or sqlalchemy.url in alembic.ini")
    engine = engine_for(url)
    try:
        with engine.begin() as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported; run them online")
run_migrations_online()

"""The app's settings: one validated dataclass built from environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from geo.errors import PlannerInputError
from geo.io import DEMO_FOLDER

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Settings:
    """Where the app listens, which data it shows and where it keeps its state.

    Every field has an environment variable of the same name in capitals:
    HOST, PORT, DATA_FOLDER, INSTANCE_FOLDER, DATABASE_URL, REDIS_URL, DEBUG.
    """

    host: str = "127.0.0.1"
    port: int = 8050
    data_folder: Path = DEMO_FOLDER
    instance_folder: Path = PROJECT_ROOT / "instance"
    database_url: str | None = None  # None: SQLite in the instance folder
    redis_url: str | None = None  # None: background jobs on a disk cache
    debug: bool = False

    @property
    def cache_folder(self) -> Path:
        """Disk cache for background jobs and travel-time matrices."""
        return self.instance_folder / "cache"


def settings_from_env(environ: dict[str, str] | None = None) -> Settings:
    """Read the settings from environment variables, refusing values that make no sense."""
    env = dict(os.environ if environ is None else environ)
    port_text = env.get("PORT", "8050")
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise PlannerInputError(f"PORT must be a whole number from 1 to 65535, found {port_text!r}")
    data_folder = Path(env.get("DATA_FOLDER", str(DEMO_FOLDER)))
    if not data_folder.is_dir():
        raise PlannerInputError(f"DATA_FOLDER {data_folder} is not a folder")
    return Settings(
        host=env.get("HOST", "127.0.0.1"),
        port=int(port_text),
        data_folder=data_folder,
        instance_folder=Path(env.get("INSTANCE_FOLDER", str(PROJECT_ROOT / "instance"))),
        database_url=env.get("DATABASE_URL") or None,
        redis_url=env.get("REDIS_URL") or None,
        debug=env.get("DEBUG", "").lower() in {"1", "true", "yes"},
    )

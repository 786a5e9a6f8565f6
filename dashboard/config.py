"""The app's settings: one validated dataclass built from environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from geo.errors import PlannerInputError
from geo.locality import DEMO_FOLDER

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MAX_UPLOAD_MB = 100.0
MAX_UPLOAD_MB_LIMIT = 2048.0  # above this a file no longer fits comfortably in a worker's memory


@dataclass(frozen=True)
class Settings:
    """Where the app listens, which data it shows and where it keeps its state.

    Every field has an environment variable of the same name in capitals:
    HOST, PORT, DATA_FOLDER, INSTANCE_FOLDER, DATABASE_URL, REDIS_URL, DEBUG,
    AUTH_MODE, SECRET_KEY, MAX_UPLOAD_MB, TRUSTED_PROXIES, SECURE_COOKIES, TILES_URL,
    TILES_ATTRIBUTION.

    ``auth_mode`` is "single-user" (no login: every request acts as one local admin;
    allowed only on a loopback HOST) or "accounts" (sign-in required; see dashboard/auth.py).
    ``secret_key`` signs the session cookie; None: a key generated once in the instance folder.
    ``max_upload_mb``: the largest file an analyst may upload on the data page (megabytes).
    ``trusted_proxies``: how many reverse proxies stand in front of the app (accounts mode only);
    their X-Forwarded-For/-Proto/-Host headers are believed for that many hops, and no others.
    ``secure_cookies``: send the session cookie only over HTTPS (set it when served over HTTPS).
    ``tiles_url``: a web map's tile address ({z}, {x} and {y} in it) to draw under the areas, for
    context around the locality; None (the default) keeps the app offline. ``tiles_attribution``
    is the credit its licence asks for, shown on the map.
    The planner uses the active dataset version in ``datasets_folder`` when there is one,
    else ``data_folder`` (see dashboard/data_access.py).
    """

    host: str = "127.0.0.1"
    port: int = 8050
    data_folder: Path = DEMO_FOLDER
    instance_folder: Path = PROJECT_ROOT / "instance"
    database_url: str | None = None  # None: SQLite in the instance folder
    redis_url: str | None = None  # None: background jobs on a disk cache
    debug: bool = False
    auth_mode: str = "single-user"  # or "accounts"
    secret_key: str | None = None  # None: generated once into the instance folder
    max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB
    trusted_proxies: int = 0
    secure_cookies: bool = False
    tiles_url: str | None = None
    tiles_attribution: str = ""

    @property
    def cache_folder(self) -> Path:
        """Disk cache for background jobs and travel-time matrices."""
        return self.instance_folder / "cache"

    @property
    def datasets_folder(self) -> Path:
        """Where uploaded dataset versions are kept (the only place uploads are written)."""
        return self.instance_folder / "datasets"


def settings_from_env(environ: dict[str, str] | None = None) -> Settings:
    """Read the settings from environment variables, refusing values that make no sense."""
    env = dict(os.environ if environ is None else environ)
    port_text = env.get("PORT", "8050")
    if not (port_text.isascii() and port_text.isdigit()) or not 0 < int(port_text) < 65536:
        raise PlannerInputError(f"PORT must be a whole number from 1 to 65535, found {port_text!r}")
    data_folder = Path(env.get("DATA_FOLDER", str(DEMO_FOLDER)))
    if not data_folder.is_dir():
        raise PlannerInputError(f"DATA_FOLDER {data_folder} is not a folder")
    host = env.get("HOST", "127.0.0.1")
    auth_mode = _auth_mode(env.get("AUTH_MODE", ""), host)
    return Settings(
        host=host,
        port=int(port_text),
        data_folder=data_folder,
        instance_folder=Path(env.get("INSTANCE_FOLDER", str(PROJECT_ROOT / "instance"))),
        database_url=env.get("DATABASE_URL") or None,
        redis_url=env.get("REDIS_URL") or None,
        debug=env.get("DEBUG", "").lower() in {"1", "true", "yes"},
        auth_mode=auth_mode,
        secret_key=_secret_key(env.get("SECRET_KEY", "")),
        max_upload_mb=_max_upload_mb(env.get("MAX_UPLOAD_MB", "")),
        trusted_proxies=_trusted_proxies(env.get("TRUSTED_PROXIES", ""), auth_mode),
        secure_cookies=_flag("SECURE_COOKIES", env.get("SECURE_COOKIES", "")),
        tiles_url=_tiles_url(env.get("TILES_URL", ""), env.get("TILES_ATTRIBUTION", "")),
        tiles_attribution=env.get("TILES_ATTRIBUTION", "").strip(),
    )


MAX_TRUSTED_PROXIES = 5


def _trusted_proxies(text: str, auth_mode: str) -> int:
    """TRUSTED_PROXIES: 0 (the default) to MAX_TRUSTED_PROXIES, and 0 in single-user mode.

    Single-user mode answers only this computer; behind a proxy every visitor would be
    its administrator, so a proxy is refused there.
    """
    if not text.strip():
        return 0
    if not text.strip().isdecimal() or not 0 <= int(text) <= MAX_TRUSTED_PROXIES:
        raise PlannerInputError(
            f"TRUSTED_PROXIES must be the number of reverse proxies in front of the app, 0 to "
            f"{MAX_TRUSTED_PROXIES}, found {text!r}")
    if int(text) and auth_mode == "single-user":
        raise PlannerInputError("TRUSTED_PROXIES is for AUTH_MODE=accounts: single-user mode answers only "
                                "this computer, never through a proxy")
    return int(text)


def _flag(name: str, text: str) -> bool:
    value = text.strip().lower()
    if value in {"", "0", "false", "no", "off"}:
        return False
    if value in {"1", "true", "yes", "on"}:
        return True
    raise PlannerInputError(f"{name} must be on or off (1/0, true/false, yes/no), found {text!r}")


def _tiles_url(url: str, attribution: str) -> str | None:
    """TILES_URL: an http(s) tile address with {z}, {x} and {y}; it needs TILES_ATTRIBUTION beside it."""
    url = url.strip()
    if not url:
        return None
    if not url.startswith(("https://", "http://")) or not all(part in url for part in ("{z}", "{x}", "{y}")):
        raise PlannerInputError(f"TILES_URL must be an http(s) address with {{z}}, {{x}} and {{y}} in it, "
                                f"for example https://tiles.example.org/{{z}}/{{x}}/{{y}}.png; found {url!r}")
    if not attribution.strip():
        raise PlannerInputError("TILES_ATTRIBUTION must say whose map tiles TILES_URL draws (their licence asks "
                                "for the credit on the map), for example '(c) OpenStreetMap contributors'")
    return url


def _max_upload_mb(text: str) -> float:
    """MAX_UPLOAD_MB: a number of megabytes above 0 and at most MAX_UPLOAD_MB_LIMIT."""
    if not text.strip():
        return DEFAULT_MAX_UPLOAD_MB
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value <= MAX_UPLOAD_MB_LIMIT:  # also refuses NaN
        raise PlannerInputError(
            f"MAX_UPLOAD_MB must be a number of megabytes above 0 and at most {MAX_UPLOAD_MB_LIMIT:g}, "
            f"found {text!r}")
    return value


AUTH_MODES = ("single-user", "accounts")
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
MIN_SECRET_KEY_CHARS = 32


def _auth_mode(text: str, host: str) -> str:
    """AUTH_MODE, defaulting to single-user on a loopback HOST and to accounts elsewhere.

    Single-user mode makes everyone who can reach the app an administrator, so it is
    refused on any address other people could reach.
    """
    mode = text.strip().lower() or ("single-user" if host in LOOPBACK_HOSTS else "accounts")
    if mode not in AUTH_MODES:
        raise PlannerInputError(f"AUTH_MODE must be one of {', '.join(AUTH_MODES)}, found {text!r}")
    if mode == "single-user" and host not in LOOPBACK_HOSTS:
        raise PlannerInputError(
            f"AUTH_MODE single-user lets anyone who can reach the app act as its administrator, so it needs "
            f"HOST 127.0.0.1, localhost or ::1; found HOST {host!r}: set AUTH_MODE=accounts")
    return mode


def _secret_key(text: str) -> str | None:
    if not text:
        return None
    if len(text) < MIN_SECRET_KEY_CHARS:
        raise PlannerInputError(
            f"SECRET_KEY must be at least {MIN_SECRET_KEY_CHARS} random characters, found {len(text)}")
    return text

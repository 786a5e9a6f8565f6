"""Install parity: what `make run` installs (requirements.txt alone) serves every page and download.

Two checks. deptry reads every module the app imports (app.py, dashboard/, geo/, data/, cli/,
migrations/) and fails on any package not pinned in requirements.txt, including one that is
only there because a test-only package brought it in (configured in pyproject.toml). The
smoke test builds an environment from requirements.txt alone (nothing from the test
environment), starts the app with it, and fetches every page and download a user can reach:
the planner, a scenario, compare, present, follow, appraise, data, the public pages and
each download of a scenario (briefing pack as a web page and PDF, CSV, Excel, GeoJSON,
GeoPackage), all of which must answer 200. The environment is kept between runs in the
user's cache folder, named by the hash of requirements.txt, so it is rebuilt only when the
pins change.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.paths import PROJECT_ROOT

REQUIREMENTS = PROJECT_ROOT / "requirements.txt"
DOWNLOADS = ("briefing.html", "briefing.pdf", "areas.csv", "areas.xlsx", "areas.geojson", "areas.gpkg")


def test_every_package_the_app_imports_is_pinned_in_requirements_txt() -> None:
    answer = subprocess.run([sys.executable, "-m", "deptry", "."], cwd=PROJECT_ROOT, capture_output=True,
                            text=True, timeout=300)
    assert answer.returncode == 0, answer.stdout + answer.stderr


def cache_folder() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "day-services-planner"


def runtime_python(requirements: Path = REQUIREMENTS) -> Path:
    """The interpreter of an environment built from ``requirements`` alone (built once per version of the file)."""
    digest = hashlib.sha256(requirements.read_bytes() + sys.version.encode()).hexdigest()[:16]
    folder = cache_folder() / f"runtime-{digest}"
    python = folder / "bin" / "python"
    if (folder / "complete").exists():
        (folder / "complete").touch()  # in use: kept by the clean-up below
        return python
    building = folder.with_name(folder.name + f".building-{os.getpid()}")
    shutil.rmtree(building, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(building)], check=True, timeout=300)
    # The same installer and package index as `make run`, with pip's own download cache.
    subprocess.run([str(building / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "-r", str(requirements)], check=True, timeout=1500)
    (building / "complete").write_text(requirements.read_text())
    building.rename(folder)  # the interpreter runs from its new place (a venv's scripts would not)
    remove_unused_environments()
    return python


def remove_unused_environments(*, unused_for_s: float = 3 * 86_400) -> None:
    """Remove environments of other pins not used for a few days (other checkouts may still use newer ones)."""
    now = time.time()
    for folder in cache_folder().glob("runtime-*"):
        marker = folder / "complete"
        used = marker.stat().st_mtime if marker.exists() else folder.stat().st_mtime
        if now - used > unused_for_s:
            shutil.rmtree(folder, ignore_errors=True)


def seed_scenarios(instance: Path) -> dict[str, str]:
    """Three saved scenarios (one public) and a follow room, made as the single-user mode's one user."""
    from dashboard.auth import local_user
    from data.example_plans import example_plans
    from geo.workspace.follow import open_room
    from geo.workspace.store import init_store, sqlite_url

    store = init_store(sqlite_url(instance))
    try:
        user = local_user(store)
        plans = example_plans()
        slugs = {name: store.create_scenario(user, f"Example: {name}", content,
                                             visibility="public" if name == "north" else "group").scenario.slug
                 for name, content in plans.items()}
        room = open_room(store, user, scenario=slugs["six"]).room_code
    finally:
        store.close()
    return {**slugs, "room": room}


def status_of(url: str, *, data: bytes | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(request, timeout=180) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def routed_view(base: str, dependencies: list[dict[str, Any]], path: str, search: str) -> tuple[int, bytes]:
    """Ask the page router for the view at ``path`` as the browser does (the view is built then)."""
    route = next(d for d in dependencies if "page-view.children" in d["output"])
    values = {"url.pathname": path, "url.search": search}
    body = {"output": route["output"],
            "outputs": [{"id": part.split(".")[0], "property": part.split(".")[1]}
                        for part in route["output"].strip(".").split("...")],
            "inputs": [{**i, "value": values.get(f"{i['id']}.{i['property']}")} for i in route["inputs"]],
            "state": [], "changedPropIds": ["url.pathname"]}
    return status_of(base + "/_dash-update-component", data=json.dumps(body).encode())


@pytest.fixture(scope="module")
def runtime_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    from dashboard.live_server import running_app

    python = runtime_python()
    instance = tmp_path_factory.mktemp("instance")
    seeded = seed_scenarios(instance)
    env = {"INSTANCE_FOLDER": str(instance), "AUTH_MODE": "single-user", "DATABASE_URL": "", "REDIS_URL": ""}
    with running_app(env, python=str(python), timeout_s=240) as url:
        yield url, seeded


@pytest.mark.slow
@pytest.mark.timeout(2400)
def test_requirements_txt_alone_serves_every_page_and_download(runtime_app: tuple[str, dict[str, str]]) -> None:
    base, seeded = runtime_app
    six, four, north, room = seeded["six"], seeded["four"], seeded["north"], seeded["room"]
    failures = []
    addresses = ["/", f"/scenario/{six}", f"/compare?ids={six},{four}", f"/present?ids={six},{north}",
                 f"/follow/{room}", "/appraise", "/data", "/_dash-layout", "/public/", f"/public/{north}",
                 *(f"/export/{six}/{name}" for name in DOWNLOADS),
                 *(f"/public/{north}/{name}" for name in DOWNLOADS)]
    for address in addresses:
        status, body = status_of(base + address)
        if status != 200 or not body:
            failures.append(f"GET {address}: {status} {body[:300]!r}")
    status, body = status_of(base + "/_dash-dependencies")
    assert status == 200, body[:300]
    dependencies = json.loads(body)
    for path, search in (("/compare", f"?ids={six},{four}"), ("/present", f"?ids={six},{north}"),
                         (f"/follow/{room}", ""), ("/appraise", ""), ("/data", "")):
        status, body = routed_view(base, dependencies, path, search)
        if status != 200 or b"There is no page here" in body:
            failures.append(f"view {path}{search}: {status} {body[:300]!r}")
    assert not failures, "\n".join(failures)

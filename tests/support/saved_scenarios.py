"""A small app with accounts and saved scenarios, shared by the compare, appraise and present tests.

Accounts mode with Pat (planner in the steering group, author of every scenario) and Vic
(viewer outside the group, who may see public scenarios only). ``Saved.request(user)``
opens a callback's request context acting as that person, so callback bodies and
builders can be called directly; ``signed_in`` gives a test client that posts to Dash's
callback endpoint as a browser would.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import flask
from flask.testing import FlaskClient

from dashboard import create_app
from dashboard.config import Settings
from dashboard.store_access import store_for
from geo import plan_edits
from geo.ingest.locality_files import load_locality
from geo.scenarios import ScenarioContent, scenario_to_dict
from geo.workspace.accounts import User
from geo.workspace.store import sqlite_url

PASSWORD = "correct horse battery"
SECRET_HUB = "Confidential riverside hub"  # the first hub's name in the confidential scenarios


@dataclass(frozen=True)
class Saved:
    """The app, its accounts and the slugs of its saved scenarios."""

    app: Any
    pat: User
    vic: User
    six: str  # the starting plan: six hubs in the biggest towns (steering group, confidential)
    four: str  # two hubs fewer; closes S01 and reshapes S03 (steering group, confidential)
    north: str  # two hubs moved north (public)
    plan: dict[str, Any]  # the starting plan as the browser holds it

    @contextmanager
    def request(self, user: User | None) -> Iterator[None]:
        """A callback's request context in which ``user`` is the one asking."""
        with self.app.server.test_request_context("/_dash-update-component", method="POST"):
            flask.g.dsp_user = user
            yield


def contents() -> tuple[ScenarioContent, ScenarioContent, ScenarioContent]:
    # Six hubs in the biggest towns with today's services kept (not the first screen's redesign).
    six = plan_edits.starting_plan(load_locality().towns, dataset_version="demo", assumptions_version="default")
    six = plan_edits.rename_hub(six, "H1", SECRET_HUB)
    four = plan_edits.remove_hub(plan_edits.remove_hub(six, "H6"), "H5")
    four = dataclasses.replace(four, service_decisions={"S01": "decommission", "S03": "reshape"})
    north = plan_edits.rename_hub(six, "H1", "Kingsmere hub")
    north = plan_edits.nudge_hub(plan_edits.nudge_hub(north, "H2", 0, 9000), "H4", 3000, 12000)
    return six, four, north


def saved_world(instance: Path) -> Saved:
    app = create_app(Settings(instance_folder=instance, auth_mode="accounts"))
    store = store_for(sqlite_url(instance))
    pat = store.create_user("pat", PASSWORD, "planner")
    vic = store.create_user("vic", PASSWORD, "viewer", steering_group=False)
    six, four, north = contents()
    slugs = [store.create_scenario(pat, title, content, visibility=visibility).scenario.slug
             for title, content, visibility in (("Six hubs", six, "group"), ("Four hubs", four, "group"),
                                                ("Two moved north", north, "public"))]
    return Saved(app, pat, vic, *slugs, plan=scenario_to_dict(six))


def signed_in(app: Any, username: str) -> FlaskClient:
    """A test client signed in as ``username`` through the sign-in form."""
    client = app.server.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    answer = client.post("/login", data={"csrf_token": token, "username": username, "password": PASSWORD})
    assert answer.status_code == 302
    return client

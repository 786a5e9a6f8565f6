"""Who may see a scenario is decided on the server: through the page, callback POSTs and downloads.

Accounts mode with four people: Pat (planner, steering group, the author), Gail (viewer,
steering group member), Vic (viewer, not in the group) and an anonymous visitor. Vic is
refused Pat's confidential scenario however he asks: opening its address in the planner,
posting forged bodies straight to Dash's callback endpoint, or fetching its downloads.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from dashboard import create_app, ids
from dashboard.config import Settings
from dashboard.exports import EXPORTS, export_url, public_url
from dashboard.planning_panel import initial_plan
from dashboard.store_access import close_stores, store_for
from geo.scenarios import scenario_from_dict
from geo.workspace.accounts import Role
from geo.workspace.store import sqlite_url
from tests.support.callback_client import callback_body, post_callback

PASSWORD = "a long enough password"
SECRET_HUB = "Confidential riverside hub"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    instance = tmp_path_factory.mktemp("instance")
    app = create_app(Settings(instance_folder=instance, auth_mode="accounts"))
    store = store_for(sqlite_url(instance))
    pat = store.create_user("pat", PASSWORD, Role.PLANNER)
    store.create_user("gail", PASSWORD, Role.VIEWER, steering_group=True)
    store.create_user("vic", PASSWORD, Role.VIEWER)
    plan = initial_plan()
    plan["hubs"][0]["name"] = SECRET_HUB
    content = scenario_from_dict(plan)
    slugs = {visibility: store.create_scenario(pat, f"{visibility} plan", content,
                                               visibility=visibility).scenario.slug  # type: ignore[arg-type]
             for visibility in ("draft", "group", "public")}
    yield {"app": app, "store": store, "slugs": slugs, "plan": plan}
    close_stores()


def signed_in(world: dict[str, Any], username: str) -> FlaskClient:
    client = world["app"].server.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    answer = client.post("/login", data={"csrf_token": token, "username": username, "password": PASSWORD})
    assert answer.status_code == 302
    return client


def forged_state(slug: str, version: int = 1) -> dict[str, Any]:
    """What a tampering browser could claim about the open scenario: every right granted."""
    return {"slug": slug, "title": "x", "version": version, "current_version": version, "visibility": "group",
            "author": "vic", "deleted": False, "can_edit": True, "can_manage": True, "can_create": True}


def open_in_planner(client: FlaskClient, slug: str) -> dict[str, Any]:
    values = {f"{ids.URL}.pathname": f"/scenario/{slug}", f"{ids.URL}.search": "", f"{ids.SCENARIO}.data": None}
    status, response = post_callback(client, f"{ids.SCENARIO_RELEASE_NOTE}.value", values,
                                     triggered=f"{ids.URL}.pathname")
    assert status == 200
    return response


def press(client: FlaskClient, button: str, state: dict[str, Any], plan: dict[str, Any],
          **values: Any) -> dict[str, Any]:
    body = {f"{button}.n_clicks": 1, f"{ids.SCENARIO}.data": state, f"{ids.PLAN}.data": plan,
            f"{ids.SCENARIO_VISIBILITY}.value": values.pop("visibility", "group"), **values}
    status, response = post_callback(client, f"{ids.SCENARIO_CONFLICT}.is_open", body,
                                     triggered=f"{button}.n_clicks")
    assert status == 200
    return response


def test_a_viewer_outside_the_group_cannot_open_confidential_or_draft_scenarios_in_the_page(world) -> None:  # type: ignore[no-untyped-def]
    vic = signed_in(world, "vic")
    assert vic.get(f"/scenario/{world['slugs']['group']}").status_code == 200  # the empty planner shell only
    assert SECRET_HUB not in vic.get(f"/scenario/{world['slugs']['group']}").get_data(as_text=True)
    for visibility in ("group", "draft"):
        refused = open_in_planner(vic, world["slugs"][visibility])
        assert ids.PLAN not in refused and SECRET_HUB not in str(refused)
        assert "no such scenario or version that you may open" in str(refused[ids.SCENARIO_MESSAGE])
    opened = open_in_planner(vic, world["slugs"]["public"])
    assert opened[ids.PLAN]["data"]["hubs"][0]["name"] == SECRET_HUB
    assert opened[ids.SCENARIO]["data"]["can_edit"] is False


def test_steering_group_members_see_confidential_scenarios_but_not_drafts(world) -> None:  # type: ignore[no-untyped-def]
    gail = signed_in(world, "gail")
    assert open_in_planner(gail, world["slugs"]["group"])[ids.PLAN]["data"]["hubs"][0]["name"] == SECRET_HUB
    assert ids.PLAN not in open_in_planner(gail, world["slugs"]["draft"])


def test_forged_callback_posts_are_refused_by_the_store(world) -> None:  # type: ignore[no-untyped-def]
    vic, store, slug, plan = signed_in(world, "vic"), world["store"], world["slugs"]["group"], world["plan"]
    pat = store.user("pat")
    before = store.versions(pat, slug)
    state = forged_state(slug)
    for button, extra in [(ids.SCENARIO_SAVE, {}), (ids.SCENARIO_RESTORE, {f"{ids.SCENARIO_VERSION_PICK}.value": 1}),
                          (ids.SCENARIO_RENAME, {f"{ids.SCENARIO_TITLE}.value": "Leaked"}),
                          (ids.SCENARIO_DUPLICATE, {}), (ids.SCENARIO_DELETE, {})]:
        answer = press(vic, button, state, plan, **extra)
        assert "no such scenario or version" in str(answer[ids.SCENARIO_MESSAGE]), (button, answer)
        assert ids.URL not in answer
    made_public = press(vic, ids.SCENARIO_VISIBILITY, state, plan, visibility="public")
    assert "no such scenario or version" in str(made_public[ids.SCENARIO_MESSAGE])
    record = store.scenario(pat, slug)
    assert (record.visibility, record.title, record.deleted_at) == ("group", "group plan", None)
    assert store.versions(pat, slug) == before
    # The lists a viewer gets never name what he may not see, whatever state he claims.
    _, listed = post_callback(vic, f"{ids.SCENARIO_PICK}.options",
                              {f"{ids.SCENARIO}.data": state, f"{ids.SCENARIO_SHOW_DELETED}.value": False},
                              triggered=f"{ids.SCENARIO}.data")
    assert [o["value"] for o in listed[ids.SCENARIO_PICK]["options"]] == [world["slugs"]["public"]]
    _, shown = post_callback(vic, f"{ids.SCENARIO_HEADING}.children", {f"{ids.SCENARIO}.data": state},
                             triggered=f"{ids.SCENARIO}.data")
    assert shown[ids.SCENARIO_VERSION_PICK]["options"] == []


def test_callback_posts_need_a_session_and_the_same_site(world) -> None:  # type: ignore[no-untyped-def]
    pat, stranger = signed_in(world, "pat"), world["app"].server.test_client()
    values = {f"{ids.URL}.pathname": f"/scenario/{world['slugs']['public']}", f"{ids.URL}.search": "",
              f"{ids.SCENARIO}.data": None}
    body = callback_body(pat, f"{ids.SCENARIO_RELEASE_NOTE}.value", values, triggered=f"{ids.URL}.pathname")
    assert pat.post("/_dash-update-component", json=body).status_code == 200
    assert stranger.post("/_dash-update-component", json=body).status_code == 401
    assert stranger.get("/_dash-dependencies").status_code == 401
    forged = pat.post("/_dash-update-component", json=body, headers={"Origin": "https://elsewhere.example"})
    assert forged.status_code == 403
    assert pat.post("/_dash-update-component", json=body, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403


@pytest.mark.parametrize("name", list(EXPORTS))
def test_downloads_of_confidential_scenarios_are_refused_to_viewers_outside_the_group(world, name: str) -> None:  # type: ignore[no-untyped-def]
    """Refused exactly as a name that does not exist is: the answer does not say which names exist."""
    vic = signed_in(world, "vic")
    missing = vic.get(export_url("no-such-scenario-000000", name, version=1, mode="drive"))
    assert missing.status_code == 404
    for visibility in ("group", "draft"):
        answer = vic.get(export_url(world["slugs"][visibility], name, version=1, mode="drive"))
        assert (answer.status_code, answer.data) == (404, missing.data), (visibility, name)
        assert SECRET_HUB.encode() not in answer.data
    assert world["app"].server.test_client().get(export_url(world["slugs"]["group"], name)).status_code == 302
    assert vic.get(public_url(world["slugs"]["group"], name)).status_code == 404


def test_downloads_follow_the_same_rule_for_those_allowed(world) -> None:  # type: ignore[no-untyped-def]
    gail = signed_in(world, "gail")
    answer = gail.get(export_url(world["slugs"]["group"], "areas.csv", version=1))
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    assert SECRET_HUB in answer.get_data(as_text=True)
    assert gail.get(export_url(world["slugs"]["group"], "areas.csv", version=9)).status_code == 404
    assert gail.get(export_url(world["slugs"]["group"], "areas.csv") + "?version=x").status_code == 400
    assert gail.get(export_url(world["slugs"]["group"], "secrets.txt")).status_code == 404


def test_the_public_link_shows_public_scenarios_only_even_to_their_author(world) -> None:  # type: ignore[no-untyped-def]
    anonymous, pat = world["app"].server.test_client(), signed_in(world, "pat")
    page = anonymous.get(public_url(world["slugs"]["public"]))
    assert page.status_code == 200 and "PUBLIC" in page.get_data(as_text=True)
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    for client in (anonymous, pat):
        for visibility in ("group", "draft"):
            assert client.get(public_url(world["slugs"][visibility])).status_code == 404
    index = anonymous.get("/public/").get_data(as_text=True)
    assert "public plan" in index and "group plan" not in index and "draft plan" not in index

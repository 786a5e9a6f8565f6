"""Every callback that opens a saved scenario refuses a viewer's forged POST to Dash's endpoint.

The compare table and the scenario bar have their own such tests; these cover the rest:
the difference map, the present stage, the presenter's room, the follower's poll and the
appraisal's options. Vic is a viewer outside the steering group; "Six hubs" and "Four
hubs" are confidential to it, so neither their names nor their hubs may come back.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from dashboard import appraisal_page, ids
from dashboard.live_server import PROJECT_ROOT
from dashboard.present_page import shown
from dashboard.store_access import scenario_store
from geo.workspace import follow
from geo.workspace.store import NOT_FOUND_WORDS as NOT_YOURS
from tests.support.callback_client import post_callback
from tests.support.saved_scenarios import SECRET_HUB, Saved, signed_in


def leaks(response: dict[str, Any]) -> list[str]:
    text = json.dumps(response)
    return [secret for secret in (SECRET_HUB, "Six hubs", "Four hubs") if secret in text]


def test_the_difference_map_refuses_confidential_scenarios(saved: Saved) -> None:
    vic = signed_in(saved.app, "vic")
    values = {f"{ids.DIFFERENCE_FROM}.value": saved.six, f"{ids.DIFFERENCE_TO}.value": saved.north,
              f"{ids.COMPARE_MODE}.value": "drive", f"{ids.PLAN}.data": None}
    status, response = post_callback(vic, f"{ids.DIFFERENCE_SUMMARY}.children", values,
                                     triggered=f"{ids.DIFFERENCE_FROM}.value")
    assert status == 200
    assert NOT_YOURS in json.dumps(response) and ids.DIFFERENCE_MAP not in response
    assert leaks(response) == []
    pat = signed_in(saved.app, "pat")  # the same request from someone allowed draws the map
    status, allowed = post_callback(pat, f"{ids.DIFFERENCE_SUMMARY}.children", values,
                                    triggered=f"{ids.DIFFERENCE_FROM}.value")
    assert status == 200 and ids.DIFFERENCE_MAP in allowed and "Six hubs" in json.dumps(allowed)


def test_the_present_stage_refuses_a_forged_choice(saved: Saved) -> None:
    vic = signed_in(saved.app, "vic")
    status, response = post_callback(vic, f"..{ids.PRESENT_TITLE}.children...",  # not the follower's poll
                                     {f"{ids.PRESENT_SHOWN}.data": shown(saved.four)},
                                     triggered=f"{ids.PRESENT_SHOWN}.data")
    assert status == 200
    assert NOT_YOURS in json.dumps(response) and response[ids.PRESENT_MAP_WRAP]["hidden"] is True
    assert leaks(response) == []


def test_a_viewer_cannot_open_a_room_on_a_confidential_scenario(saved: Saved) -> None:
    vic = signed_in(saved.app, "vic")
    state = {"keys": [saved.six], "titles": ["anything"], "index": 0, "view": "map", "mode": "drive", "room": None}
    status, response = post_callback(vic, f"{ids.PRESENT_ROOM}.children",
                                     {f"{ids.PRESENT_FOLLOW_START}.n_clicks": 1, f"{ids.PRESENT_STATE}.data": state},
                                     triggered=f"{ids.PRESENT_FOLLOW_START}.n_clicks")
    assert status == 200
    assert ids.PRESENT_STATE not in response  # no room was opened
    assert NOT_YOURS in json.dumps(response) and leaks(response) == []


def test_a_follower_polling_a_confidential_room_sees_only_that_it_is_hidden(saved: Saved) -> None:
    with saved.request(saved.pat):
        code = follow.open_room(scenario_store(), saved.pat, scenario=saved.six, view="map-drive").room_code
    vic = signed_in(saved.app, "vic")
    status, response = post_callback(vic, f"{ids.FOLLOW_SHOWN}.data",
                                     {f"{ids.FOLLOW_TICK}.n_intervals": 1, f"{ids.FOLLOW_ROOM}.data": code,
                                      f"{ids.FOLLOW_SHOWN}.data": None},
                                     triggered=f"{ids.FOLLOW_TICK}.n_intervals")
    assert status == 200
    assert response[ids.FOLLOW_SHOWN]["data"]["key"] is None
    assert "do not have permission" in json.dumps(response) and leaks(response) == []
    assert saved.six not in json.dumps(response)


def test_the_appraisal_refuses_confidential_options(saved: Saved) -> None:
    """Vic (outside the steering group) forges a request adding confidential scenarios to Pat's appraisal."""
    with saved.request(saved.pat):
        path, _ = appraisal_page.open_new(1, "Pat's appraisal", "public")
    vic = signed_in(saved.app, "vic")
    status, response = post_callback(vic, f"{ids.APPRAISAL_STATUS}.children",
                                     {f"{ids.APPRAISAL_OPTIONS}.value": [saved.six, saved.north],
                                      f"{ids.APPRAISAL_REF}.data": path.removeprefix("/appraise/")},
                                     triggered=f"{ids.APPRAISAL_OPTIONS}.value")
    assert status == 200
    assert ids.APPRAISAL_VERSION not in response and NOT_YOURS in json.dumps(response)
    assert leaks(response) == []


@pytest.mark.slow
def test_every_app_in_a_process_gets_the_views_callbacks(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Two apps in a fresh process (as in tests): the second has the compare, present and appraisal callbacks too."""
    script = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from dashboard import create_app\n"
        "from dashboard.config import Settings\n"
        "first = create_app(Settings(instance_folder=Path(sys.argv[1]) / 'a'))\n"
        "first.server.test_client().get('/_dash-layout')\n"
        "second = create_app(Settings(instance_folder=Path(sys.argv[1]) / 'b'))\n"
        "print(json.dumps([d['output'] for d in second.server.test_client().get('/_dash-dependencies').get_json()]))\n"
    )
    answer = subprocess.run([sys.executable, "-c", script, str(tmp_path)], cwd=PROJECT_ROOT, capture_output=True,
                            text=True, timeout=120, check=True)
    outputs = " ".join(json.loads(answer.stdout.strip().splitlines()[-1]))
    for written in (ids.COMPARE_BODY, ids.PRESENT_BODY, ids.FOLLOW_SHOWN, ids.APPRAISAL_STATUS, ids.SCENARIO_MESSAGE):
        assert written in outputs, written

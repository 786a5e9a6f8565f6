"""The briefing pack carries what the planner shows: the same money to the pound, named measures,
marked assumptions, only the glossary terms it uses, and a share statement for every visibility."""

from __future__ import annotations

import dataclasses
import re
from html import unescape
from typing import Any

import pytest
from flask.testing import FlaskClient

from dashboard import ids
from dashboard.auth import current_user
from dashboard.briefing import CONFIDENTIALITY, GLOSSARY, visible_text
from dashboard.engine import travel_mode
from dashboard.exports import export_url
from dashboard.map_panel import DEFAULT_LAYER
from dashboard.planning_panel import scored
from dashboard.store_access import scenario_store
from dashboard.words import pounds
from data.example_plans import example_plans
from geo import plan_edits
from geo.ingest.locality_files import load_locality
from geo.locality import DEMO_FOLDER
from geo.scenarios import ScenarioContent, scenario_from_json, scenario_to_dict
from tests.support.callback_client import callback_body


def save(app: Any, title: str, content: ScenarioContent, visibility: str = "group") -> str:
    with app.server.test_request_context("/"):
        return str(scenario_store().create_scenario(current_user(), title, content,
                                                    visibility=visibility).scenario.slug)


def pack(app: Any, slug: str) -> str:
    answer = app.server.test_client().get(export_url(slug, "briefing.html", version=1, mode="drive"))
    assert answer.status_code == 200
    return str(answer.get_data(as_text=True))


def element_text(html: str, element_id: str) -> str:
    found = re.search(rf'id="{re.escape(element_id)}"[^>]*>([^<]*)<', html)
    assert found, element_id
    return unescape(found.group(1)).strip()


def money_tab(client: FlaskClient, content: ScenarioContent) -> dict[str, str]:
    """What the Money and fairness tab shows for ``content``: its money callback, posted as the browser does."""
    services = [s for s in content.service_decisions] or ["S01"]
    released = [{"type": ids.SERVICE_RELEASED, "service": s} for s in services]
    body = callback_body(client, f"{ids.KPI_PLAN_COST}.children", {f"{ids.PLAN}.data": scenario_to_dict(content),
                                                                   f"{ids.MONEY_KEY}.data": "key"},
                         triggered=f"{ids.MONEY_KEY}.data", matched={ids.SERVICE_RELEASED: released})
    body["state"] = [item if "{" not in str(item["id"]) else [{"id": r, "property": "id", "value": r} for r in released]
                     for item in body["state"]]
    answer = client.post("/_dash-update-component", json=body)
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    response = answer.get_json()["response"]
    return {key: response[key]["children"] for key in (ids.KPI_TODAY_COST, ids.KPI_PLAN_COST)}


@pytest.mark.parametrize("name", sorted(example_plans()))
def test_the_packs_yearly_cost_is_the_money_tabs_to_the_pound(app: Any, name: str) -> None:
    content = example_plans()[name]
    shown = money_tab(app.server.test_client(), content)
    html = pack(app, save(app, f"Example {name}", content))
    assert element_text(html, ids.PACK_PLAN_COST) == shown[ids.KPI_PLAN_COST]
    assert element_text(html, ids.PACK_TODAY_COST) == shown[ids.KPI_TODAY_COST]
    assert re.fullmatch(r"£\d{1,3}(,\d{3})+", shown[ids.KPI_PLAN_COST])  # whole pounds, written in full


@pytest.mark.parametrize("name", sorted(example_plans()))
def test_the_packs_journey_figures_are_written_as_the_planner_writes_them(app: Any, name: str) -> None:
    content = example_plans()[name]
    shown = scored(load_locality(), str(DEMO_FOLDER), content, "drive", DEFAULT_LAYER).figures
    front_page = visible_text(pack(app, save(app, f"Journeys {name}", content))).split("The hubs")[0]
    mean, within_30, p90, mean_need, need_within_30, _ = shown
    for figure in (f"{mean} min", within_30, f"{p90} min", f"{mean_need} min", need_within_30):
        assert figure in front_page, (figure, front_page[:1500])


def test_a_scenario_saved_in_the_old_shape_shows_its_true_cost(app: Any, scenario_format_1: str) -> None:
    html = pack(app, save(app, "Old redesign", scenario_from_json(scenario_format_1)))
    assert element_text(html, ids.PACK_PLAN_COST) == pounds(5_817_160.10) == "£5,817,160"
    assert "£890,012" not in html and "£12 a year" not in html


@pytest.fixture(scope="module")
def edited(app: Any) -> str:
    """The four-hub plan with an outcome rate changed, a hub's places set and a note from the group."""
    four = example_plans()["four"]
    four = dataclasses.replace(plan_edits.set_hub_capacity(four, "H2", 40),
                               assumptions={"rate_job_start_ips": 0.3})
    return visible_text(pack(app, save(app, "Four hubs, edited", four)))


def test_a_changed_assumption_shows_both_values(edited: str) -> None:
    assert "Assumptions changed by the group:" in edited
    assert "(published value 0.4). Every figure in this pack uses the changed values" in edited
    assert re.search(r"✱ 0\.3 fraction per year \(changed; published value 0\.4\)", edited), edited[-3000:]
    assert edited.count("(changed; published value") == 1


def test_measures_are_named_for_what_they_measure(edited: str) -> None:
    for words in ("spread of journey times", "Gini of spend per need-weighted adult",
                  "Share of spend at services in Kingsmere town", "Share of spend reaching Kingsmere's residents",
                  "Kingsmere district", "Close", "Need counts an area's adults"):
        assert words in edited, words
    for wrong in ("decommission", "Gini coefficient of travel times", "per head of need"):
        assert wrong not in edited, wrong


def test_it_says_how_journey_times_were_worked_out(edited: str) -> None:
    for mode in ("drive", "bus", "walk"):  # the demo's public transport: its timetable, named in one place
        assert " ".join(travel_mode(str(DEMO_FOLDER), mode).method.split()) in edited
    assert "Public transport, timetables of Brackenshire Buses (fictional) for Tuesday 3 March 2026 08:00-10:00" \
        in edited
    assert 'the demo data (version "demo"' in edited


def test_places_show_once_any_hub_has_them(app: Any, edited: str) -> None:
    assert "Places" in edited and "not set" in edited
    plain = visible_text(pack(app, save(app, "Six, no places", example_plans()["six"])))
    assert "Places" not in plain.split("The hubs")[1].split("Who can get there")[0]
    with_point = plan_edits.add_outreach_point(example_plans()["six"], "H1", 431_000, 212_000, name="Library")
    text = visible_text(pack(app, save(app, "Six, a point", with_point)))
    assert "places 6 resource hubs with 1 outreach point across" in text and "Outreach points" in text


def test_the_glossary_holds_the_terms_the_pack_uses_and_no_others(edited: str) -> None:
    body, glossary = edited.split("Glossary: the words this pack uses")
    body = re.sub(r"Briefing pack \(PDF.*?In short", "In short", body)  # the web page's download links
    shown = glossary.split("Who may see this")[0]

    def uses(markers: tuple[str, ...]) -> bool:  # a word in capitals as a word, a phrase in any case
        return any(re.search(rf"\b{re.escape(m)}\b", body) if m.isupper() else m.lower() in body.lower()
                   for m in markers)

    for term, _, markers in GLOSSARY:
        assert (term in shown) == uses(markers), term
    assert not uses(("E2SFCA", "Outreach point")) and "Outreach point" not in shown  # no outreach in this plan
    for jargon in ("IPS", "Lorenz curve", "Double running", "Block contract", "Contract lot", "Need"):
        assert jargon in shown, jargon


@pytest.mark.parametrize("visibility", sorted(CONFIDENTIALITY))
def test_every_visibility_says_who_may_see_it_and_when_it_may_be_shared(app: Any, visibility: str) -> None:
    text = visible_text(pack(app, save(app, f"Shared {visibility}", example_plans()["north"], visibility)))
    banner, meaning = CONFIDENTIALITY[visibility]
    assert text.count(banner) >= 2 and meaning in text
    statements = re.findall(r"When it may be shared: (\S[^.]*\.)", text)
    assert len(statements) == 2 and all(len(s) > 10 for s in statements), statements


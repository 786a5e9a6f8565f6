"""Every sink where text from a user or a file becomes HTML: markers, labels, tooltips, hover text, tables, the pack.

Each test feeds the hostile names of tests/hostile.py through one sink and checks that none
of them reaches the page as markup (it shows as the text that was typed).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime
from html import escape
from typing import Any

import pandas as pd
import pytest

from dashboard.appraisal_page import totals_figure
from dashboard.briefing import briefing_html, build_briefing
from dashboard.compare_page import access_histogram, difference_map, lorenz_figure, minutes_map
from dashboard.data_access import locality_for
from dashboard.engine import score_plan
from dashboard.html_slot import to_html
from dashboard.map_panel import town_labels
from dashboard.money_charts import waterfall_figure
from dashboard.money_tables import district_table as money_district_table
from dashboard.money_tables import gap_table, lot_table
from dashboard.planning_panel import group_table, hub_icon_html, hub_markers, initial_plan, worst_areas
from dashboard.provision_panel import district_table
from dashboard.scenario_figures import Chosen, ScenarioFigures, scenario_figures
from geo.appraisal import AppraisalResults
from geo.errors import PlannerInputError
from geo.locality import Locality
from geo.provision import summarise_provision
from geo.scenarios import Hub, ScenarioContent, scenario_from_dict
from geo.workspace.store import ScenarioRecord, ScenarioVersion
from tests.support.hostile import HOSTILE_NAMES, hostile, hostile_locality, unescaped_markup


def strings(value: Any) -> Iterator[str]:
    """Every string inside a figure, component or JSON value."""
    if hasattr(value, "to_plotly_json"):
        value = value.to_plotly_json()
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings(item)
    elif hasattr(value, "tolist"):
        yield from strings(value.tolist())


def markup_in(value: Any) -> list[str]:
    return [found for text in strings(value) for found in unescaped_markup(text)]


def marker_html(value: Any) -> list[str]:
    """The markup Leaflet sets on markers (their ``iconOptions.html``): other props are set as text."""
    if hasattr(value, "to_plotly_json"):
        value = value.to_plotly_json()
    if isinstance(value, dict):
        found = [value["html"]] if isinstance(value.get("html"), str) else []
        return found + [text for item in value.values() for text in marker_html(item)]
    if isinstance(value, list | tuple):
        return [text for item in value for text in marker_html(item)]
    return []


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(hostile_locality(tmp_path_factory.mktemp("hostile") / "locality"))


@pytest.fixture(scope="module")
def locality(folder: str) -> Locality:
    return locality_for(folder)


@pytest.fixture(scope="module")
def plan(locality: Locality) -> ScenarioContent:
    """The starting plan with a hostile name on every hub."""
    content = scenario_from_dict(initial_plan())
    hubs = tuple(dataclasses.replace(hub, name=hostile(hub.name, i)) for i, hub in enumerate(content.hubs))
    return dataclasses.replace(content, hubs=hubs, notes=HOSTILE_NAMES[0], release_note=HOSTILE_NAMES[1])


@pytest.fixture(scope="module")
def figures(folder: str, plan: ScenarioContent) -> list[ScenarioFigures]:
    moved = dataclasses.replace(plan, hubs=plan.hubs[:-1])
    return [scenario_figures(folder, Chosen(f"s{i}", hostile("Scenario", i), content))
            for i, content in enumerate((plan, moved))]


def test_the_hostile_locality_really_carries_markup(locality: Locality) -> None:
    """The checks below mean something only if the names they are fed hold markup."""
    for names in (locality.areas["name"], locality.towns["name"], locality.areas["district"]):
        assert markup_in(names.tolist())


def test_hub_ids_are_restricted_to_a_safe_pattern() -> None:
    for bad in (*HOSTILE_NAMES, "H1 H2", "-H1", "H\u00a01"):
        with pytest.raises(PlannerInputError, match="hub_id"):
            Hub(hub_id=bad, name="A hub", x=450_000.0, y=250_000.0)
    assert Hub(hub_id="H12", name="A hub", x=450_000.0, y=250_000.0).hub_id == "H12"


def test_markers_escape_hub_names_and_ids(plan: ScenarioContent) -> None:
    icons = marker_html(hub_markers(plan, selected=plan.hubs[0].hub_id))
    assert len(icons) == len(plan.hubs) and markup_in(icons) == []
    assert unescaped_markup(hub_icon_html('H1"><img src=x onerror=alert(1)>', "<img src=y>",
                                          selected=False, locked=False)) == []


def test_town_labels_escape_town_names(locality: Locality) -> None:
    labels = marker_html(town_labels(locality))
    assert len(labels) == len(locality.towns) and markup_in(labels) == []
    assert "&lt;img src=x onerror=alert(1)&gt;" in "".join(labels)


def test_plotly_hover_text_legends_and_labels_escape_names(folder: str, figures: list[ScenarioFigures]) -> None:
    population = locality_for(folder).areas["pop_total"].to_numpy(dtype=float)
    drawn = {
        "journey histogram": access_histogram(figures, population),
        "fairness curves": lorenz_figure(figures),
        "minutes map with towns": minutes_map(folder, figures[0], town_size=14),
        "gains and losses map": difference_map(folder, figures[0], figures[1]),
    }
    for name, figure in drawn.items():
        assert markup_in(figure) == [], name


def test_money_charts_and_tables_escape_districts_and_lots(folder: str, locality: Locality) -> None:
    districts = sorted(set(locality.areas["district"]))
    table = pd.DataFrame({"district": districts, "current_gbp": 1.0, "plan_gbp": 2.0})
    lots = pd.DataFrame({"lot": [hostile("West", 0)], "current_gbp": [1.0], "plan_gbp": [2.0]})
    gaps = pd.DataFrame({"district": districts, "spend_gbp": 1.0, "fair_share_gbp": 2.0})
    steps = pd.DataFrame({"step": ["current", "other"], "label": ["Spend today", hostile("Other", 1)],
                          "amount_gbp": [1.0, 2.0], "measure": ["absolute", "relative"],
                          "running_total_gbp": [1.0, 3.0]})
    assert markup_in(waterfall_figure(steps)) == []
    sent = {"districts": to_html(money_district_table(table, selected=districts[0])),
            "lots": to_html(lot_table(lots)), "gaps": to_html(gap_table(gaps, gaps, selected=districts[1]))}
    for name, text in sent.items():
        assert unescaped_markup(text) == [], name
    assert all(f'data-district="{escape(d)}"' in sent["gaps"] for d in districts)  # each name there, as text


def test_todays_provision_shows_district_names_as_text(locality: Locality) -> None:
    """The provision card's tables are Dash components: a name is a text child, which React escapes."""
    body = district_table(summarise_provision(locality)).children[-1]
    names = [row.children[0].children for row in body.children]
    assert set(names) == set(locality.areas["district"]) and any(unescaped_markup(n) for n in names)


def test_appraisal_totals_escape_option_names() -> None:
    totals = pd.DataFrame({"option_id": ["a", "b"], "name": list(HOSTILE_NAMES[:2]), "weighted_total": [6.0, 7.0],
                           "min_total": [5.0, 6.0], "max_total": [7.0, 8.0]})
    results = AppraisalResults(totals=totals, sensitivity=pd.DataFrame(), criterion_means=pd.DataFrame(),
                               **{field.name: None for field in dataclasses.fields(AppraisalResults)
                                  if field.name not in ("totals", "sensitivity", "criterion_means")})
    assert markup_in(totals_figure(results)) == []


def test_tables_sent_as_html_escape_area_and_hub_names(folder: str, locality: Locality,
                                                      plan: ScenarioContent) -> None:
    result = score_plan(folder, plan.hubs)
    names = {hub.hub_id: hub.name for hub in plan.hubs}
    sent = to_html(worst_areas(result, locality, names)) + to_html(group_table(result))
    assert unescaped_markup(sent) == []
    assert "&lt;img src=x onerror=alert(1)&gt;" in sent  # shown as the text that was typed


def test_the_briefing_pack_escapes_every_name(folder: str, locality: Locality, plan: ScenarioContent) -> None:
    now = datetime.now(UTC)
    record = ScenarioRecord(scenario_id=1, slug="hostile-1", title=HOSTILE_NAMES[1], author_id=1,
                            author="sam", visibility="group", current_version=1, created_at=now, updated_at=now,
                            deleted_at=None)
    opened = ScenarioVersion(scenario=record, version=1, content=plan, author="sam", created_at=now,
                             message=HOSTILE_NAMES[2])
    pack = briefing_html(build_briefing(opened, folder, locality, "drive"),
                         downloads=[(HOSTILE_NAMES[3], "/export/x")])
    assert unescaped_markup(pack.split("</style>", 1)[1]) == []
    assert "&lt;a href=" in pack


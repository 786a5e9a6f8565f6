"""The compare view: opening scenarios as the person asking, the figures table, maps and who gains."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from dashboard import ids
from dashboard.area_maps import area_outlines
from dashboard.compare_page import (
    DIFFERENCE_PALETTE,
    compare_href,
    compare_view,
    comparison_body,
    difference_classes,
    difference_outputs,
    gains_sentence,
    gone_hubs,
    minutes_map,
)
from dashboard.data_access import current_folder
from dashboard.engine import weights_for
from dashboard.layers import MINUTES_PALETTE, NO_DATA, minutes_classes
from dashboard.scenario_figures import (
    HEADLINES,
    Chosen,
    Headline,
    difference,
    open_chosen,
    parse_keys,
    scenario_figures,
    split_key,
)
from dashboard.store_access import scenario_store
from geo.errors import PlannerInputError
from tests.support.callback_client import post_callback, text_of
from tests.support.saved_scenarios import SECRET_HUB, Saved, signed_in


def headline(better: str | None) -> Headline:
    return Headline("x", "X", "", lambda f: 0.0, str, better, 0.5, lambda d: f"{abs(d):.1f}")  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- pure parts


def test_keys_from_the_address_bar() -> None:
    assert parse_keys(" a-1, b-2@3,a-1,,current ") == ["a-1", "b-2@3", "current"]
    assert parse_keys(None) == []
    assert split_key("six-abc@12") == ("six-abc", 12)
    assert split_key("six-abc") == ("six-abc", None)
    with pytest.raises(PlannerInputError, match="version number"):
        split_key("six-abc@two")
    assert compare_href(["a", "b@2"]) == "/compare?ids=a,b@2"


@pytest.mark.parametrize(("better", "base", "other", "verdict", "symbol"), [
    ("lower", 10.0, 8.0, "better", "▼"),
    ("lower", 10.0, 12.0, "worse", "▲"),
    ("higher", 5.0, 9.0, "better", "▲"),
    ("higher", 9.0, 5.0, "worse", "▼"),
    ("lower", 10.0, 10.3, "same", "="),
    (None, 6.0, 4.0, "changed", "▼"),
    ("lower", math.nan, 4.0, "unknown", "?"),
])
def test_differences_say_better_or_worse_in_words_and_symbols(better: str | None, base: float, other: float,
                                                              verdict: str, symbol: str) -> None:
    diff = difference(headline(better), base, other)
    assert (diff.verdict, diff.symbol) == (verdict, symbol)
    if verdict in ("better", "worse"):
        assert diff.words.endswith(verdict) and f"{abs(other - base):.1f}" in diff.words


def test_difference_classes_are_symmetric_around_no_change() -> None:
    before = np.array([10, 10, 10, 10, 10, 10, 10, 10, 10, np.nan])
    after = np.array([0, 5, 6, 9.5, 10.5, 12, 15, 20, 25, 5])
    # changes: -10, -5, -4, -0.5, +0.5, +2, +5, +10, +15, unknown
    assert difference_classes(before, after) == [0, 1, 2, 3, 3, 4, 5, 6, 6, -1]
    assert len(DIFFERENCE_PALETTE) == 7


# ----------------------------------------------------------------------------- with the store


def test_comparison_table_marks_the_differences(saved: Saved) -> None:
    with saved.request(saved.pat):
        body, link = comparison_body([saved.six, saved.four, "current"], saved.plan, "drive")
        store, folder = scenario_store(), current_folder()
        six = scenario_figures(folder, open_chosen(store, saved.pat, saved.six))
        four = scenario_figures(folder, open_chosen(store, saved.pat, saved.four))
    text = text_of(body)
    assert "Current plan (not saved)" in text and "Six hubs" in text and "Four hubs" in text
    assert link.href == f"/compare?ids={saved.six},{saved.four},current"
    table = next(c for c in body if c is not None and ids.COMPARE_TABLE in text_of(c))
    rows = {h.key: h for h in HEADLINES}
    mean_six = rows["mean_minutes"].value(six)
    mean_four = rows["mean_minutes"].value(four)
    assert mean_four > mean_six  # two hubs fewer: longer journeys
    assert f"{mean_six:.1f} min" in text_of(table) and f"{mean_four:.1f} min" in text_of(table)
    assert f"{mean_four - mean_six:.1f} min higher: worse" in text_of(table)
    assert four.ledger.plan_gbp < six.ledger.plan_gbp  # closing S01 and two hubs costs less
    assert "lower: better" in text_of(table)
    # the unsaved plan is the starting plan: the same as "Six hubs" apart from a hub's name
    assert text_of(table).count("about the same") >= len(HEADLINES)


def test_a_viewer_is_refused_confidential_scenarios_and_never_sees_them(saved: Saved) -> None:
    with saved.request(saved.vic):
        body, _ = comparison_body([saved.six, saved.north], None, "drive")
        options = text_of(compare_view({"ids": f"{saved.six},{saved.north}"}))
    text = text_of(body)
    assert "no such scenario or version that you may open" in text and "Pick at least two scenarios" in text
    assert SECRET_HUB not in text and "Six hubs" not in text
    assert "Two moved north" in options and "Six hubs" not in options


def test_a_viewer_posting_to_the_callback_endpoint_is_refused_too(saved: Saved) -> None:
    client = signed_in(saved.app, "vic")
    values = {f"{ids.COMPARE_PICKER}.value": [saved.six, saved.four], f"{ids.COMPARE_MODE}.value": "drive",
              f"{ids.PLAN}.data": None}
    status, response = post_callback(client, f"{ids.COMPARE_BODY}.children", values,
                                     triggered=f"{ids.COMPARE_PICKER}.value")
    assert status == 200
    text = json.dumps(response)
    assert "no such scenario or version that you may open" in text
    assert SECRET_HUB not in text and "Four hubs" not in text


@pytest.mark.parametrize(("keys", "message"), [
    (["a", "b", "c", "d", "e"], "at most 4"),
    (["only-one"], "at least two"),
])
def test_too_many_or_too_few_are_explained(saved: Saved, keys: list[str], message: str) -> None:
    with saved.request(saved.pat):
        body, _ = comparison_body(keys, None, "drive")
    assert message in text_of(body)


def test_maps_share_one_scale_and_draw_every_area_and_hub(saved: Saved) -> None:
    with saved.request(saved.pat):
        folder = current_folder()
        figures = scenario_figures(folder, open_chosen(scenario_store(), saved.pat, saved.four), "bus")
    figure = minutes_map(folder, figures, height=300)
    classes = minutes_classes(figures.access.minutes).classes
    fills = [t for t in figure["data"] if t.get("fill") == "toself"]
    # Public transport leaves some areas with no journey: they are drawn grey, after the minutes' colours.
    assert -1 in classes
    assert [t["fillcolor"] for t in fills] == [MINUTES_PALETTE[c] if c >= 0 else NO_DATA
                                               for c in sorted(set(classes), key=lambda c: (c < 0, c))]
    drawn_rings = sum(t["x"].count(None) for t in fills)
    assert drawn_rings == sum(x.count(None) for x, _ in area_outlines(folder))
    hubs = figure["data"][-1]
    assert hubs["text"] == [h.label for h in figures.content.hubs] and len(hubs["x"]) == len(figures.content.hubs)
    hover = next(t for t in figure["data"] if t.get("hovertemplate"))
    assert len(hover["text"]) == len(classes)
    assert all(("min to" in text) == (c >= 0) for text, c in zip(hover["text"], classes, strict=True))
    assert any("cannot reach any hub" in text for text in hover["text"])
    assert figure["layout"]["yaxis"]["scaleanchor"] == "x"


def test_who_gains_and_who_loses(saved: Saved) -> None:
    with saved.request(saved.pat):
        folder = current_folder()
        store = scenario_store()
        six = scenario_figures(folder, open_chosen(store, saved.pat, saved.six))
        north = scenario_figures(folder, open_chosen(store, saved.pat, saved.north))
        figure, sentence, legend = difference_outputs([saved.six, saved.north], None, "drive")
    population = weights_for(folder).of("population")
    delta = north.access.minutes - six.access.minutes
    gain, loss = population[delta <= -1].sum(), population[delta >= 1].sum()
    assert gain > 0 and loss > 0
    assert sentence == gains_sentence(six, north, population)
    assert f"{gain:,.0f} residents (" in sentence and f"{loss:,.0f} residents (" in sentence
    assert f"{abs(delta.min()):.0f} minutes quicker" in sentence
    fills = {t["fillcolor"] for t in figure["data"] if t.get("fill") == "toself"}
    assert DIFFERENCE_PALETTE[0] in fills or DIFFERENCE_PALETTE[1] in fills  # someone gains 5+ minutes
    assert "Purple: quicker" in text_of(legend)


def test_closed_hubs_show_as_rings_and_nobody_gaining_is_said_plainly(saved: Saved) -> None:
    with saved.request(saved.pat):
        folder = current_folder()
        store = scenario_store()
        six = scenario_figures(folder, open_chosen(store, saved.pat, saved.six))
        four = scenario_figures(folder, open_chosen(store, saved.pat, saved.four))
        figure, sentence, legend = difference_outputs([saved.six, saved.four], None, "drive")
    closed = [hub for hub in six.content.hubs if hub.hub_id in {"H5", "H6"}]
    assert gone_hubs(six.content.hubs, four.content.hubs) == closed
    assert gone_hubs(six.content.hubs, six.content.hubs) == []
    rings = next(t for t in figure["data"] if t.get("hovertext") and "not in this scenario" in t["hovertext"][0])
    assert (rings["x"], rings["y"]) == ([h.x for h in closed], [h.y for h in closed])
    hubs = figure["data"][-1]
    assert hubs["marker"]["color"] == "#111111" and hubs["textfont"]["color"] == "#ffffff"  # clear of orange areas
    assert len(hubs["x"]) == len(four.content.hubs)
    population = weights_for(folder).of("population")
    assert not ((four.access.minutes - six.access.minutes) <= -1).any()
    assert "no residents would travel at least a minute less" in sentence
    assert sentence == gains_sentence(six, four, population)
    assert "Hollow rings: 2 hubs of Six hubs that Four hubs closes or moves" in text_of(legend)


def test_chosen_current_plan_needs_the_browser(saved: Saved) -> None:
    with saved.request(saved.pat), pytest.raises(PlannerInputError, match="planner's own browser tab"):
        open_chosen(scenario_store(), saved.pat, "current")
    with saved.request(saved.pat):
        chosen = open_chosen(scenario_store(), saved.pat, f"{saved.six}@1")
    assert isinstance(chosen, Chosen) and chosen.title == "Six hubs"

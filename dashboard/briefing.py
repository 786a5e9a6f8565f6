"""The briefing pack: one saved scenario version in plain English, as a web page and a PDF.

A steering group takes it away after a meeting, and the board and the public read it: what
the option is, how well it serves people (with a map), what it costs against today's spend
(the same figures, to the pound, as the planner's Money and fairness tab), where the money
is released and reinvested, how fairly it falls against need, what it is expected to
achieve, how journey times were worked out, every assumption with its source (those the
group changed marked with both values), the words it uses, and a plain statement of who
may see it and when it may be shared. Every figure comes from the planner's own
calculations (``dashboard.plan_money``); pure builders: the routes in dashboard/exports.py
check access and hand in what was opened.
"""

from __future__ import annotations

import base64
import html as html_text
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from jinja2 import Environment

from dashboard import briefing_pictures, ids, words
from dashboard.engine import travel_mode
from dashboard.investment_panel import budget_of, decision_note, headroom_text, year_one_text
from dashboard.money_charts import money, percent
from dashboard.outcomes_panel import direct_payments_note
from dashboard.plan_money import (
    ACCESS_THRESHOLD_MIN,
    PlacedPlan,
    PlanOutcomes,
    default_assumptions,
    hub_costs,
    placed_plan,
    plan_outcomes,
)
from geo.access import AccessResult
from geo.assumptions import Assumptions
from geo.equity import gini_coefficient
from geo.ingest.datasets import DEMO_VERSION, dataset_version_of, get_version
from geo.investment import LOCALITY_WIDE, MODEL_LABELS, MODELS, spend_by_model, waterfall
from geo.locality import Locality
from geo.network import MODES, Mode
from geo.outcomes import OUTCOMES, SUPPORT_LINES
from geo.provision import with_known_figures
from geo.workspace.store import ScenarioVersion

# Each term: what it means, and the words that show it is used (a phrase in lower case matches
# any case; a term written in capitals matches only as a word in capitals).
GLOSSARY: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Resource hub", "A welcoming base offering social contact, structured activity, skills and a route into work "
                     "or mainstream activities, rather than a traditional day centre.", ("hub",)),
    ("Outreach point", "A room in another building (a library, a GP surgery, a community centre) where people can "
                       "meet hub staff without travelling to the hub itself.", ("outreach point",)),
    ("Community links", "Workers based in the hubs who help people into ordinary social, leisure, education and "
                        "cultural activity.", ("community links",)),
    ("IPS", "Individual Placement and Support: an employment-support approach that helps people with severe mental "
            "illness find and keep paid work quickly, with support continuing in the job.", ("IPS",)),
    ("Full-time equivalent (FTE)", "Staff counted as full-time posts: two half-time workers are one full-time "
                                   "equivalent.", ("FTE", "full-time equivalent")),
    ("Direct payments and individual budgets", "Money people hold themselves to buy the support they choose.",
     ("direct payments",)),
    ("Block contract", "A fixed contract with a provider for a service, paid whoever uses it.", ("block contract",)),
    ("Keep, Re-shape, Close", "What the plan does with one of today's services. Keep: it carries on as it is. "
                              "Re-shape: it keeps part of its budget and changes what it offers; the rest is "
                              "released. Close: it closes and all of its budget is released.",
     ("re-shape",)),
    ("Double running", "Paying for an old service for some months after the new ones start, so nobody is left "
                       "without support during the changeover.", ("double running",)),
    ("Contract lot", "A group of districts whose services are let to one provider (the west, central and east "
                     "lots); locality-wide services serve the whole county.", ("contract lot", " lot")),
    ("Need", words.NEED_DEFINITION, ("need",)),
    ("SMI", "Severe mental illness: schizophrenia, bipolar disorder and other psychoses.",
     ("SMI", "severe mental illness")),
    ("LSOA", "Lower Layer Super Output Area: a small area of about 1,500 residents used for official statistics. "
             "The areas on the map are of this size.", ("LSOA", "small area")),
    ("IMD", "Index of Multiple Deprivation: the official measure of relative deprivation of small areas in "
            "England. Decile 1 is the most deprived tenth of areas.", ("IMD", "deprivation")),
    ("Deprivation fifth", "One fifth of England's small areas ranked by the IMD: the most deprived fifth is "
                          "deciles 1 and 2.", ("deprived fifth", "deprivation fifth")),
    ("Travel time", "Minutes from where an area's people live to the nearest hub or outreach point, along the "
                    "road network, by the travel mode stated.", ("travel time", "journey")),
    ("9 in 10 within", "The travel time within which nine in every ten people can reach a hub (the 90th "
                       "percentile): it shows how long the longer journeys are.", ("9 in 10",)),
    ("Spread of journey times", "How unevenly journey times fall on residents, from 0 (everyone travels the same "
                                "time) upwards: a Gini index of minutes.", (words.JOURNEY_SPREAD,)),
    ("Fair share", "The spend an area would get if the county's money followed need exactly: the same spend for "
                   "every need-weighted adult.", ("fair share",)),
    ("Gini of spend", "How unevenly spend falls against need, from 0 (every need-weighted adult gets the same "
                      "spend) to 1 (all the money in one place). A Lorenz curve draws the same thing.",
     ("Gini of spend",)),
    ("Lorenz curve", "A line showing what share of the spend the areas with the least spend for their need get: "
                     "the further below the diagonal, the less even.", ("lorenz",)),
    ("Concentration index", f"Whether spend leans towards deprived areas: {words.CONCENTRATION_NOTE}.",
     ("concentration index",)),
    ("Steering group", "The commissioners, providers and people who use services who choose between the options "
                       "together.", ("steering group",)),
    ("Version", "Every save of a scenario is kept as a numbered version, so any earlier choice can be looked at "
                "again or restored.", ("version",)),
)

CONFIDENTIALITY = {
    "draft": ("DRAFT: NOT FOR CIRCULATION",
              "This is a working draft. Only its author (and the planner's administrators) can open it in the "
              "planner. Do not pass this pack on."),
    "group": ("CONFIDENTIAL: STEERING GROUP ONLY",
              "This scenario is confidential to the steering group. Members may read and discuss it; do not share "
              "it, or figures from it, with anyone outside the group."),
    "public": ("PUBLIC",
               "This scenario has been published. This pack may be shared with anyone."),
}
NO_RELEASE_NOTE = {
    "draft": "No release has been agreed: ask the author before showing it to anyone.",
    "group": "No release date has been set: ask the chair of the steering group before sharing it.",
    "public": "Now: it has been published.",
}


@dataclass(frozen=True)
class Briefing:
    """Everything the pack shows, worked out once and drawn as HTML (screen or print)."""

    opened: ScenarioVersion
    locality: Locality
    mode: Mode
    placed: PlacedPlan
    money: PlanOutcomes
    data_version: str
    map_png: bytes
    lorenz_png: bytes
    generated_at: datetime
    folder: str = ""

    @property
    def result(self) -> AccessResult:
        return self.placed.access


def data_version_text(folder: str, made_on: str) -> str:
    """Which area data the figures use and when it was saved, and the data the scenario was made on."""
    in_use = dataset_version_of(folder)
    if in_use == DEMO_VERSION:
        text = "the demo data (version \"demo\", fictional, made by data/generate_demo.py)"
    else:
        saved = get_version(Path(folder).parent, in_use)
        note = f": {saved.note}" if saved.note else ""
        text = f"version {in_use} of {saved.locality_name}'s area data, saved {saved.created_utc[:10]}{note}"
    if made_on != in_use:
        text += f"; the scenario was made on version {made_on}"
    return text


def build_briefing(opened: ScenarioVersion, folder: str, locality: Locality, mode: Mode) -> Briefing:
    """Work out the pack's figures (as the planner's panels do) and draw its pictures."""
    content = opened.content
    placed = placed_plan(folder, content, mode)
    equity_today, equity_plan = placed.equity_today, placed.equity_plan
    return Briefing(
        opened=opened, locality=locality, mode=mode, placed=placed, money=plan_outcomes(folder, content),
        data_version=data_version_text(folder, content.dataset_version),
        map_png=briefing_pictures.map_png(locality, content, placed.access,
                                          mode_words=travel_mode(folder, mode).words),
        lorenz_png=briefing_pictures.lorenz_png(equity_today.lorenz, equity_plan.lorenz, gini_today=equity_today.gini,
                                                gini_plan=equity_plan.gini, measure="Gini"),
        generated_at=datetime.now(UTC), folder=folder)


# ---------------------------------------------------------------------------------------
# Rows for the template
# ---------------------------------------------------------------------------------------
def _minutes(value: float) -> str:
    """Minutes as the planner writes them (words.minutes), or why there are none."""
    return "no hub within reach" if not np.isfinite(value) else words.minutes(value)


def _cell(summary: pd.DataFrame, group: str, column: str) -> float:
    return float(summary.loc[group, column])  # type: ignore[arg-type]


def headline_figures(result: AccessResult, population: np.ndarray) -> list[tuple[str, str, str]]:
    """(figure, label, what it means) for the front page: how well the plan serves people."""
    summary = result.summary.set_index("group")
    reachable = np.isfinite(result.minutes)
    spread = gini_coefficient(result.minutes[reachable], population[reachable]) if reachable.any() else math.nan
    threshold = f"{ACCESS_THRESHOLD_MIN:.0f}"
    return [
        (_minutes(_cell(summary, "population", "mean_minutes")), "average journey to the nearest hub",
         "for all residents"),
        (percent(_cell(summary, "population", "share_within_30")), f"of residents within {threshold} minutes", ""),
        (_minutes(_cell(summary, "population", "p90_minutes")), "9 in 10 residents are within", "the longer journeys"),
        (_minutes(_cell(summary, "need", "mean_minutes")), "average journey, weighted by need",
         "people in areas of higher need count more"),
        (percent(_cell(summary, "need", "share_within_30")), f"of need within {threshold} minutes", ""),
        ("-" if not math.isfinite(spread) else f"{spread:.2f}", words.JOURNEY_SPREAD, words.JOURNEY_SPREAD_NOTE),
    ]


def group_rows(result: AccessResult) -> list[tuple[str, str, str, str]]:
    return [(row["label"], _minutes(row["mean_minutes"]), _minutes(row["p90_minutes"]),
             percent(row["share_within_30"])) for _, row in result.summary.iterrows()]


def furthest_areas(briefing: Briefing, count: int = 10) -> list[tuple[str, str, str]]:
    result, areas = briefing.result, briefing.locality.areas
    minutes = np.where(np.isfinite(result.minutes), result.minutes, np.inf)
    order = np.argsort(-minutes, kind="stable")[:count]
    return [(str(areas["name"].iloc[i]), str(areas["district"].iloc[i]), _minutes(result.minutes[i])) for i in order]


def hub_rows(briefing: Briefing) -> list[dict[str, Any]]:
    """Each hub as the planner lists it: its label, cost, staff, places (when set) and who it serves."""
    content, result = briefing.opened.content, briefing.result
    population = briefing.locality.areas["pop_total"].to_numpy(dtype=float)
    points = {hub.hub_id: ", ".join(p.name for p in hub.outreach_points) or "none" for hub in content.hubs}
    return [{"label": hub.label, "name": hub.name, "district": hub.district, "outreach": points[hub.hub_id],
             "residents": f"{population[result.nearest_hub == hub.hub_id].sum():,.0f}",
             "cost": words.pounds(hub.cost_gbp),
             "staff": f"{hub.hub_workers_fte:g} support, {hub.links_workers_fte:g} community links",
             "places": "not set" if hub.capacity_places is None else f"{hub.capacity_places:,}",
             "people": f"{hub.people_a_year:,.0f}"}
            for hub in hub_costs(briefing.placed.costed, content)]


def service_rows(briefing: Briefing) -> list[tuple[str, str, str, str, str]]:
    """Today's services: where, their yearly budget, what the plan does with them and the money it releases."""
    services = with_known_figures(briefing.locality.services)  # the ones the money counts
    lines = briefing.placed.costed.ledger.lines
    released: dict[str, float] = {}
    for line_id, line_type, amount in zip(lines["line_id"].tolist(), lines["line_type"].tolist(),
                                          lines["released_gbp"].tolist(), strict=True):
        if line_type == "existing":
            released[line_id] = released.get(line_id, 0.0) + amount
    decisions = briefing.opened.content.service_decisions
    return [(str(row["name"]), str(row["town"]), words.pounds(float(row["budget_gbp"])),
             words.DECISION_LABELS[decisions.get(str(row["service_id"]), "keep")],
             words.pounds(released.get(str(row["service_id"]), 0.0)))
            for _, row in services.iterrows()]


def step_rows(briefing: Briefing) -> list[tuple[str, str]]:
    """From today's spend to the plan's yearly cost: money released and where it is reinvested."""
    steps = waterfall(briefing.placed.costed.ledger)
    return [(label, words.pounds(amount) if measure != "relative" else
             ("+" if amount > 0 else "") + words.pounds(amount))
            for label, measure, amount in zip(steps["label"], steps["measure"], steps["amount_gbp"], strict=True)]


def _spend_rows(table: pd.DataFrame, key: str, names: Mapping[str, str] | None = None) -> list[tuple[str, ...]]:
    return [((names or {}).get(str(row[key]), str(row[key])), words.pounds(row["current_gbp"]),
             words.pounds(row["plan_gbp"]), ("+" if row["change_gbp"] > 0 else "") + words.pounds(row["change_gbp"]),
             percent(row["plan_share"]))
            for _, row in table.iterrows()]


def model_rows(briefing: Briefing) -> list[tuple[str, ...]]:
    return _spend_rows(spend_by_model(briefing.placed.costed.ledger), "model", MODEL_LABELS)


def district_rows(briefing: Briefing) -> list[tuple[str, ...]]:
    table = briefing.placed.by_district
    names = {d: words.district_name(d) for d in table["district"].astype(str) if d != LOCALITY_WIDE}
    return _spend_rows(table, "district", names)


def lot_rows(briefing: Briefing) -> list[tuple[str, ...]]:
    table = briefing.placed.by_lot
    return _spend_rows(table, "lot", {lot: f"{lot} lot" for lot in table["lot"].astype(str) if lot != LOCALITY_WIDE})


def fairness_rows(placed: PlacedPlan) -> list[tuple[str, str, str, str]]:
    """(measure, today, the plan, how to read it): the money tab's fairness figures, each named for what it is."""
    today, plan = placed.equity_today, placed.equity_plan
    town = today.biggest_town
    return [
        (words.GINI_SPEND.capitalize(), words.gini(today.gini), words.gini(plan.gini), words.GINI_SPEND_NOTE),
        (words.CONCENTRATION_SPEND.capitalize(), words.signed_index(today.concentration_index),
         words.signed_index(plan.concentration_index), words.CONCENTRATION_NOTE),
        (f"Share of {words.share_at_services_in(town)}", percent(today.biggest_town_share_of_sites),
         percent(plan.biggest_town_share_of_sites), f"where the money is spent: services located in {town} town"),
        (f"Share of {words.share_reaching_residents_of(town)}", percent(today.biggest_town_share_of_spend),
         percent(plan.biggest_town_share_of_spend), f"who it reaches: spend counted against {town} town's areas"),
        (words.share_of_need_in(town).capitalize(), percent(today.biggest_town_share_of_need),
         percent(plan.biggest_town_share_of_need), "the share a fair spread would give the town"),
    ]


def fifth_rows(placed: PlacedPlan) -> list[tuple[str, str, str]]:
    def cell(pounds: float, ratio: float) -> str:
        return "-" if not math.isfinite(ratio) else f"£{pounds:,.2f} ({percent(ratio)} of its fair share)"

    return [(str(t["label"]), cell(t["spend_per_need_gbp"], t["ratio_to_fair_share"]),
             cell(p["spend_per_need_gbp"], p["ratio_to_fair_share"]))
            for (_, t), (_, p) in zip(placed.fifths_today.iterrows(), placed.fifths_plan.iterrows(), strict=True)]


def _count(value: float) -> str:
    return "-" if not math.isfinite(value) else f"{value:,.0f}"


def _records(frame: pd.DataFrame, key: str) -> dict[str, dict[str, Any]]:
    return {str(row[key]): {str(k): v for k, v in row.items()} for row in frame.to_dict("records")}


def outcome_rows(m: PlanOutcomes) -> list[tuple[str, str, str, str, str]]:
    plan, today = _records(m.totals, "outcome"), _records(m.totals_today, "outcome")
    rows = []
    for outcome in OUTCOMES:
        low, high = sum(m.outcomes_low[outcome].tolist()), sum(m.outcomes_high[outcome].tolist())
        cost = float(plan[outcome]["gbp_per_outcome"])
        rows.append((str(plan[outcome]["label"]), _count(float(today[outcome]["count"])),
                     _count(float(plan[outcome]["count"])), f"{_count(low)} to {_count(high)}",
                     money(cost) if math.isfinite(cost) else "no service's main aim"))
    return rows


def support_rows(m: PlanOutcomes) -> list[tuple[str, str, str]]:
    lines = _records(m.outcomes, "line")
    shown = [lines[line] for line in SUPPORT_LINES if line in lines]
    return [(str(row["label"]), _count(float(row["people_supported"])), words.pounds(float(row["cost_gbp"])))
            for row in shown if float(row["people_supported"]) > 0 or float(row["cost_gbp"]) > 0]


def reach_rows(placed: PlacedPlan) -> list[tuple[str, str, str, str]]:
    clients = placed.clients_today.set_index("group")["share_of_clients"].to_dict()
    return [(str(row["label"]), percent(row["share_of_need"]),
             percent(clients[row["group"]]) if row["group"] in clients else "-", percent(row["share_of_reached"]))
            for _, row in placed.reach.iterrows()]


def direct_payment_rows(m: PlanOutcomes) -> list[tuple[str, ...]]:
    return [(str(int(row["contract_year"])), percent(row["uptake_share"]),
             f"{money(row['direct_payments_gbp'])} ({money(row['direct_payments_gbp_low'])} to "
             f"{money(row['direct_payments_gbp_high'])})", _count(row["people_on_direct_payments"]),
             money(row["block_contract_gbp"]))
            for _, row in m.direct_payments.iterrows()]


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:g}"


def assumption_rows(in_force: Assumptions, published: Assumptions) -> list[dict[str, Any]]:
    """Every assumption in force, with the published value beside the ones the group changed."""
    rows = []
    for row in in_force.rows:
        base = published.row(row.key).value if row.key in published else row.value
        rows.append({"label": row.label, "unit": row.unit, "value": _number(row.value), "changed": row.value != base,
                     "published": _number(base),
                     "range": "-" if row.low is None or row.high is None
                     else f"{_number(row.low)} to {_number(row.high)}",
                     "source": row.source, "date": row.date})
    return rows


def mode_rows(folder: str, chosen: Mode) -> list[tuple[str, str, bool]]:
    """How each travel mode's journey times are worked out; the pack's own mode first."""
    return [(travel_mode(folder, mode).label, travel_mode(folder, mode).method, mode == chosen)
            for mode in sorted(MODES, key=lambda m: m != chosen)]


def confidentiality(opened: ScenarioVersion) -> tuple[str, str, str]:
    """(banner, what it means, when it may be shared) from the visibility and the release note."""
    visibility = opened.visibility  # the published version is public; the others keep their audience
    banner, meaning = CONFIDENTIALITY[visibility]
    if opened.scenario.deleted_at is not None:
        meaning += " This scenario has since been deleted in the planner."
    when = opened.content.release_note.strip() or NO_RELEASE_NOTE[visibility]
    return banner, meaning, when


def used_terms(text: str) -> list[tuple[str, str]]:
    """The glossary's terms that ``text`` uses (and only those), in the glossary's order."""
    lower = text.lower()

    def used(marker: str) -> bool:
        if marker.isupper():
            return re.search(rf"\b{re.escape(marker)}\b", text) is not None
        return marker.lower() in lower

    return [(term, meaning) for term, meaning, markers in GLOSSARY if any(used(m) for m in markers)]


def visible_text(html: str) -> str:
    """The words a reader sees in ``html`` (no tags, styles or pictures)."""
    body = re.sub(r"<(style|title)[^>]*>.*?</\1>", " ", html, flags=re.S)
    body = re.sub(r"<[^>]+>", " ", body)
    return re.sub(r"\s+", " ", html_text.unescape(body))


_ENV = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
TEMPLATE = _ENV.from_string((Path(__file__).parent / "briefing.html.j2").read_text(encoding="utf-8"))


def briefing_html(briefing: Briefing, *, downloads: list[tuple[str, str]] | None = None) -> str:
    """The pack as one self-contained HTML page (pictures embedded), for screen and for print.

    Drawn twice: the glossary lists exactly the terms the rest of the pack (as printed) uses.
    """
    opened, placed, m = briefing.opened, briefing.placed, briefing.money
    ledger = placed.costed.ledger
    banner, meaning, when = confidentiality(opened)
    population = briefing.locality.areas["pop_total"].to_numpy(dtype=float)
    budget = budget_of(placed.costed)
    headroom, headroom_words = headroom_text(ledger, budget)
    published = default_assumptions()
    changed = [row for row in assumption_rows(placed.costed.assumptions, published) if row["changed"]]
    values = dict(
        opened=opened, scenario=opened.scenario, content=opened.content, locality=briefing.locality,
        banner=banner, meaning=meaning, when=when, downloads=downloads or [],
        generated=f"{briefing.generated_at:%d %B %Y at %H:%M}",
        hubs=hub_rows(briefing), with_places=any(h.capacity_places is not None for h in opened.content.hubs),
        outreach_count=sum(len(h.outreach_points) for h in opened.content.hubs),
        mode_words=travel_mode(briefing.folder, briefing.mode).words,
        figures=headline_figures(briefing.result, population),
        starts_guessed=int(briefing.locality.areas[["pwc_x", "pwc_y"]].isna().any(axis=1).sum()),
        groups=group_rows(briefing.result), furthest=furthest_areas(briefing),
        today_cost=words.pounds(ledger.current_gbp), plan_cost=words.pounds(ledger.plan_gbp),
        pack_today_id=ids.PACK_TODAY_COST, pack_plan_id=ids.PACK_PLAN_COST,
        headroom=headroom, headroom_words=headroom_words, budget=words.pounds(budget),
        pack_budget_id=ids.PACK_BUDGET,
        budget_note=("today's spend" if placed.costed.settings.budget_cap_gbp is None else "set by the group"),
        released=words.pounds(ledger.released_gbp), reinvested=words.pounds(ledger.reinvested_gbp),
        steps=step_rows(briefing), year_one=year_one_text(m), decision_note=decision_note(placed.costed.assumptions),
        services=service_rows(briefing), models=model_rows(briefing), districts=district_rows(briefing),
        lots=lot_rows(briefing), model_names=[MODEL_LABELS[model] for model in MODELS],
        fairness=fairness_rows(placed), fifths=fifth_rows(placed), spend_per_need=words.SPEND_PER_NEED,
        need_definition=words.NEED_DEFINITION, town=placed.equity_today.biggest_town,
        outcomes=outcome_rows(m), support=support_rows(m), reach=reach_rows(placed),
        threshold=f"{ACCESS_THRESHOLD_MIN:.0f}", dp_set_aside=words.pounds(m.costed.settings.direct_payments_gbp),
        dp_years=direct_payment_rows(m), dp_note=direct_payments_note(m),
        modes=mode_rows(briefing.folder, briefing.mode), data_version=briefing.data_version,
        assumptions=assumption_rows(placed.costed.assumptions, published), changed=changed,
        map_b64=base64.b64encode(briefing.map_png).decode("ascii"),
        lorenz_b64=base64.b64encode(briefing.lorenz_png).decode("ascii"),
    )
    without = TEMPLATE.render(**{**values, "downloads": []}, glossary=[])  # as printed: no download links
    return TEMPLATE.render(**values, glossary=used_terms(visible_text(without.split('<section id="glossary"')[0])))


def briefing_pdf(briefing: Briefing) -> bytes:
    """The pack as an A4 PDF, one section a page or more, the confidentiality banner on every page."""
    from weasyprint import HTML

    pdf: bytes = HTML(string=briefing_html(briefing)).write_pdf()
    return pdf


def area_table_frame(result: AccessResult, locality: Locality, hub_names: Mapping[str, str], mode: str, *,
                     with_places: bool) -> pd.DataFrame:
    """Per-area results: who lives there, how far the nearest hubs are, by ``mode``.

    ``hub_places_per_1000`` (hub places within reach per 1,000 residents) is there only
    ``with_places``: when at least one hub has its places set; without any it would only
    count each hub as one place.
    """
    areas = locality.areas
    minutes = np.round(result.minutes, 1)
    table = pd.DataFrame({
        "area_code": areas["code"].to_numpy(), "area_name": areas["name"].to_numpy(),
        "district": areas["district"].to_numpy(), "town": areas["town"].to_numpy(),
        "residents": areas["pop_total"].to_numpy(), "adults": areas["pop_adult"].to_numpy(),
        "need_index": np.round(areas["need_index"].to_numpy(dtype=float), 1),
        "deprivation_decile": areas["imd_decile"].to_numpy(),
        "travel_mode": mode,
        "nearest_hub": [hub_names.get(str(h), "") for h in result.nearest_hub],
        "minutes_to_nearest_hub": minutes,
        "within_30_minutes": np.where(np.isfinite(minutes), np.where(minutes <= 30, "yes", "no"), "no hub in reach"),
        "second_nearest_hub": [hub_names.get(str(h), "") for h in result.second_hub],
        "minutes_to_second_hub": np.round(result.second_minutes, 1),
    })
    if with_places:
        table["hub_places_per_1000"] = np.round(result.e2sfca, 2)
    return table

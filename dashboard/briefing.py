"""The briefing pack: one saved scenario version in plain English, as a web page and a PDF.

A steering group takes it away after a meeting: what the option is, how well it serves
people (with a map), what it assumes and where those numbers come from, the words it uses,
and a plain statement of who may see it and when it may be shared. Pure builders: the
routes in dashboard/exports.py check access and hand in what was opened.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import numpy as np
import pandas as pd
from jinja2 import Environment

from dashboard.layers import MINUTES_PALETTE, minutes_classes
from geo.access import AccessResult
from geo.assumptions import Assumptions, assumptions_from_csv
from geo.equity import gini_coefficient
from geo.errors import PlannerError
from geo.locality import Locality
from geo.workspace.store import ScenarioVersion

GLOSSARY = (
    ("Resource hub", "A welcoming base offering social contact, structured activity, skills and a route into work "
                     "or mainstream activities, rather than a traditional day centre."),
    ("Outreach point", "A room in another building (a library, a GP surgery, a community centre) where people can "
                       "meet hub staff without travelling to the hub itself."),
    ("IPS", "Individual Placement and Support: an employment-support approach that helps people with severe mental "
            "illness find and keep paid work quickly, with support continuing in the job."),
    ("SMI", "Severe mental illness: schizophrenia, bipolar disorder and other psychoses."),
    ("LSOA", "Lower Layer Super Output Area: a small area of about 1,500 residents used for official statistics. "
             "The areas on the map are of this size."),
    ("IMD", "Index of Multiple Deprivation: the official measure of relative deprivation of small areas in "
            "England. Decile 1 is the most deprived tenth of areas."),
    ("Need index", "How much need for mental-health day services an area's adults have compared with the county "
                   "average (100), from mental illness rates and deprivation."),
    ("Travel time", "Minutes from the middle of where an area's people live to the nearest hub or outreach point, "
                    "along the road network, by the travel mode stated."),
    ("9 in 10 within", "The travel time within which nine in every ten people can reach a hub (the 90th "
                       "percentile): it shows how long the longer journeys are."),
    ("E2SFCA", "Enhanced two-step floating catchment area: a measure of access that counts how many hub places "
               "are within reach per 1,000 people, taking account of how many others share them."),
    ("Gini coefficient", "A measure of how unevenly something is shared, from 0 (everyone has the same) to 1 (one "
                         "person has it all). Here it describes how unevenly travel times fall across residents."),
    ("Steering group", "The commissioners, providers and people who use services who choose between the options "
                       "together."),
    ("Version", "Every save of a scenario is kept as a numbered version, so any earlier choice can be looked at "
                "again or restored."),
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
    "public": "",
}


MODE_WORDS = {"drive": "by car", "walk": "on foot", "bus": "by bus (an estimate: no timetable is used)"}


@dataclass(frozen=True)
class Briefing:
    """Everything the pack shows, worked out once and drawn as HTML (screen or print)."""

    opened: ScenarioVersion
    locality: Locality
    result: AccessResult
    mode: str
    assumptions: Assumptions
    map_png: bytes
    generated_at: datetime


def scenario_assumptions(stored: Mapping[str, Any]) -> Assumptions:
    """The assumptions table with the scenario's own values applied (the default table if none)."""
    table = assumptions_from_csv()
    edits = {key: value for key, value in stored.items() if key in table and isinstance(value, int | float)}
    try:
        return table.with_values(edits)
    except PlannerError:
        return table


def _minutes(value: float) -> str:
    return "no hub within reach" if not np.isfinite(value) else f"{value:.0f} min"


def _share(value: float) -> str:
    return "-" if not np.isfinite(value) else f"{100 * value:.0f}%"


def _cell(summary: pd.DataFrame, group: str, column: str) -> float:
    return float(cast(float, summary.loc[group, column]))


def headline_figures(result: AccessResult, population: np.ndarray) -> list[tuple[str, str, str]]:
    """(figure, label, what it means) for the front page."""
    summary = result.summary.set_index("group")
    reachable = np.isfinite(result.minutes)
    gini = gini_coefficient(result.minutes[reachable], population[reachable]) if reachable.any() else float("nan")
    return [
        (_minutes(_cell(summary, "population", "mean_minutes")), "average journey to the nearest hub",
         "for all residents"),
        (_share(_cell(summary, "population", "share_within_30")), "of residents within 30 minutes", ""),
        (_minutes(_cell(summary, "population", "p90_minutes")), "9 in 10 residents are within", "the longer journeys"),
        (_minutes(_cell(summary, "need", "mean_minutes")), "average journey, weighted by need",
         "people in areas of higher need count more"),
        (_share(_cell(summary, "need", "share_within_30")), "of need within 30 minutes", ""),
        ("-" if not np.isfinite(gini) else f"{gini:.2f}", "Gini coefficient of travel times",
         "0 = everyone travels the same time; higher = less even"),
    ]


def group_rows(result: AccessResult) -> list[tuple[str, str, str, str]]:
    return [(row["label"], _minutes(row["mean_minutes"]), _minutes(row["p90_minutes"]), _share(row["share_within_30"]))
            for _, row in result.summary.iterrows()]


def hub_rows(briefing: Briefing) -> list[dict[str, Any]]:
    result = briefing.result
    population = briefing.locality.areas["pop_total"].to_numpy(dtype=float)
    rows = []
    for number, hub in enumerate(briefing.opened.content.hubs, start=1):
        served = result.nearest_hub == hub.hub_id
        rows.append({"number": number, "name": hub.name, "outreach": ", ".join(p.name for p in hub.outreach_points)
                     or "none", "residents": f"{population[served].sum():,.0f}",
                     "places": "not set" if hub.capacity_places is None else f"{hub.capacity_places}",
                     "locked": "yes" if hub.locked else "no"})
    return rows


def decision_rows(briefing: Briefing) -> list[tuple[str, str]]:
    names = dict(zip(briefing.locality.services["service_id"], briefing.locality.services["name"], strict=True))
    words = {"keep": "keep as it is", "reshape": "reshape into the new model", "decommission": "decommission"}
    return [(names.get(service_id, service_id), words[decision])
            for service_id, decision in sorted(briefing.opened.content.service_decisions.items())]


def furthest_areas(briefing: Briefing, count: int = 10) -> list[tuple[str, str, str]]:
    result, areas = briefing.result, briefing.locality.areas
    minutes = np.where(np.isfinite(result.minutes), result.minutes, np.inf)
    order = np.argsort(-minutes, kind="stable")[:count]
    return [(str(areas["name"].iloc[i]), str(areas["district"].iloc[i]), _minutes(result.minutes[i])) for i in order]


def map_png(locality: Locality, opened: ScenarioVersion, result: AccessResult, mode: str) -> bytes:
    """A static map of travel times to the nearest hub (no internet, no tiles): PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    classed = minutes_classes(result.minutes)
    colours = [MINUTES_PALETTE[c] if c >= 0 else "#bdbdbd" for c in classed.classes]
    figure, axes = plt.subplots(figsize=(8.0, 6.4), dpi=150)
    try:
        areas = locality.areas.geometry.simplify(25.0, preserve_topology=True)
        areas.plot(ax=axes, color=colours, edgecolor="white", linewidth=0.2)
        locality.main_roads.plot(ax=axes, color="#7a4a14", linewidth=0.6, alpha=0.6)
        locality.county.boundary.plot(ax=axes, color="#222222", linewidth=1.2)
        for point in locality.services.geometry:
            axes.plot(point.x, point.y, marker="s", markersize=6, color="#111111", markeredgecolor="white")
        for name, point in zip(locality.towns["name"], locality.towns.geometry, strict=True):
            axes.annotate(name, (point.x, point.y), xytext=(0, 9), textcoords="offset points", ha="center",
                          fontsize=8, fontweight="bold", color="#111111",
                          bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.75})
        for number, hub in enumerate(opened.content.hubs, start=1):
            for point in hub.outreach_points:
                axes.plot([hub.x, point.x], [hub.y, point.y], color="#6a1b9a", linewidth=1, linestyle="--")
                axes.plot(point.x, point.y, marker="o", markersize=6, color="#6a1b9a", markeredgecolor="white")
            axes.plot(hub.x, hub.y, marker="o", markersize=15, color="#E69F00", markeredgecolor="#111111",
                      markeredgewidth=1.5)
            axes.annotate(str(number), (hub.x, hub.y), ha="center", va="center", fontsize=8, fontweight="bold")
        _scale_bar(axes)
        handles: list[Any] = [Patch(facecolor=colour, edgecolor="#555555", label=label)
                              for colour, label in classed.legend_rows]
        handles += [plt.Line2D([], [], marker="o", markersize=10, color="#E69F00", markeredgecolor="#111111",
                               linestyle="none", label="proposed hub (numbered)"),
                    plt.Line2D([], [], marker="s", markersize=6, color="#111111", linestyle="none",
                               label="existing service")]
        if any(hub.outreach_points for hub in opened.content.hubs):
            handles.append(plt.Line2D([], [], marker="o", markersize=6, color="#6a1b9a", linestyle="none",
                                      label="outreach point"))
        axes.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=3, fontsize=8,
                    frameon=False,
                    title=f"Travel time to the nearest hub, {MODE_WORDS.get(mode, mode).split(' (')[0]}",
                    title_fontsize=8)
        axes.set_axis_off()
        axes.set_aspect("equal")
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        plt.close(figure)


def _scale_bar(axes: Any) -> None:
    west, east = axes.get_xlim()
    south, north = axes.get_ylim()
    x0, y0 = east - 0.05 * (east - west) - 10_000, south + 0.04 * (north - south)
    axes.plot([x0, x0 + 10_000], [y0, y0], color="#111111", linewidth=3)
    axes.annotate("10 km", (x0 + 5_000, y0), xytext=(0, 5), textcoords="offset points", ha="center", fontsize=8)
    axes.annotate("N ↑", (x0 + 10_000, y0 + 0.08 * (north - south)), ha="right", fontsize=10, fontweight="bold")


def build_briefing(opened: ScenarioVersion, locality: Locality, result: AccessResult, mode: str) -> Briefing:
    """Work out the pack's figures and draw its map."""
    return Briefing(opened=opened, locality=locality, result=result, mode=mode,
                    assumptions=scenario_assumptions(opened.content.assumptions),
                    map_png=map_png(locality, opened, result, mode), generated_at=datetime.now(UTC))


def confidentiality(opened: ScenarioVersion) -> tuple[str, str, str]:
    """(banner, what it means, when it may be shared) from the visibility and the release note."""
    visibility = opened.scenario.visibility
    banner, meaning = CONFIDENTIALITY[visibility]
    if opened.scenario.deleted_at is not None:
        meaning += " This scenario has since been deleted in the planner."
    when = opened.content.release_note.strip() or NO_RELEASE_NOTE[visibility]
    return banner, meaning, when


_ENV = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
TEMPLATE = _ENV.from_string("""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Briefing: {{ scenario.title }} (version {{ opened.version }})</title>
<style>
@page { size: A4; margin: 18mm 16mm 20mm;
  @top-center { content: "{{ banner }}"; font: 700 9pt sans-serif; color: #7a0000; }
  @bottom-left { content: "Day Services Planner briefing pack, version {{ opened.version }}"; font: 8pt sans-serif; }
  @bottom-right { content: "Page " counter(page) " of " counter(pages); font: 8pt sans-serif; } }
body { font-family: "DejaVu Sans", Arial, sans-serif; color: #1b1b1b; font-size: 11pt; line-height: 1.4;
  max-width: 60rem; margin: 0 auto; padding: 0 1rem; }
h1 { font-size: 20pt; margin: 0.2em 0; color: #12263f; }
h2 { font-size: 14pt; color: #12263f; border-bottom: 2px solid #0b4f8a; padding-bottom: 2pt; margin-top: 1.2em; }
.banner { border: 3px solid #7a0000; padding: 8pt 10pt; margin: 10pt 0; background: #fff4f4; }
.banner.public { border-color: #006b3c; background: #f1fbf5; }
.banner strong { font-size: 13pt; display: block; }
.meta { color: #4a4a4a; }
.figures { display: flex; flex-wrap: wrap; gap: 8pt; margin: 8pt 0; }
.figure { flex: 1 1 30%; border: 1px solid #c9ced6; border-radius: 4pt; padding: 6pt 8pt; box-sizing: border-box; }
.figure .value { font-size: 18pt; font-weight: 700; color: #0b4f8a; }
.figure .label { font-weight: 600; }
.figure .note { font-size: 9pt; color: #4a4a4a; }
table { border-collapse: collapse; width: 100%; margin: 6pt 0; }
th, td { border-bottom: 1px solid #c9ced6; padding: 3pt 5pt; text-align: left; vertical-align: top; }
th { background: #eef1f4; }
.small { font-size: 8.5pt; }
.notes { white-space: pre-line; }
#hubs table { font-size: 9.5pt; } #hubs th, #hubs td { padding: 2pt 4pt; } #hubs h2 { margin-top: 0.8em; }
table.sources { table-layout: fixed; font-size: 7.5pt; line-height: 1.25; }
table.sources th:nth-child(1) { width: 24%; } table.sources th:nth-child(2) { width: 12%; }
table.sources th:nth-child(3) { width: 11%; } table.sources th:nth-child(4) { width: 43%; }
table.sources th:nth-child(5) { width: 10%; }
.page { break-before: page; }
.map { width: 100%; display: block; margin: 0 auto; }
#glossary { font-size: 10pt; line-height: 1.3; } #glossary h2 { margin-top: 0.6em; }
dt { font-weight: 700; margin-top: 3pt; }
dd { margin-left: 0; }
.downloads li { margin-bottom: 2pt; }
@media print { .downloads { display: none; } }
</style></head>
<body>
<section id="summary">
<p class="meta">Day Services Planner briefing pack · {{ locality.name }}</p>
<h1>{{ scenario.title }}</h1>
<p class="meta">Version {{ opened.version }} of {{ scenario.current_version }}, saved by {{ opened.author }}
on {{ opened.created_at.strftime("%d %B %Y at %H:%M") }} UTC. Pack made {{ generated }} UTC.</p>
<div class="banner {{ scenario.visibility }}" role="note"><strong>{{ banner }}</strong>{{ meaning }}
<br><b>When it may be shared:</b> {{ when }}</div>
{% if locality.is_fictional %}<p><b>Demo data:</b> every place, person and service in {{ locality.name }} is made
up; the figures show how the planner works, not a real county.</p>{% endif %}
{% if downloads %}<ul class="downloads">{% for label, href in downloads %}<li><a href="{{ href }}">{{ label }}</a>
</li>{% endfor %}</ul>{% endif %}
<h2>In short</h2>
<p>This option places {{ hubs|length }} resource hub{{ "" if hubs|length == 1 else "s" }}
{% if outreach_count %}with {{ outreach_count }} outreach point{{ "" if outreach_count == 1 else "s" }}{% endif %}
across {{ locality.name }}. Travel times are {{ mode_words }}.
</p>
<div class="figures">{% for value, label, note in figures %}<div class="figure"><div class="value">{{ value }}</div>
<div class="label">{{ label }}</div><div class="note">{{ note }}</div></div>{% endfor %}</div>
{% if content.notes %}<h2>Notes from the group</h2><p class="notes">{{ content.notes }}</p>{% endif %}
{% if opened.message %}<p class="meta">Saved with the note: “{{ opened.message }}”</p>{% endif %}
</section>
<section id="map" class="page">
<h2>Map: how long it takes to reach a hub</h2>
<img class="map" alt="Map of {{ locality.name }} with each small area coloured by the travel time to its nearest
hub, the proposed hubs numbered, and existing services marked" src="data:image/png;base64,{{ map_b64 }}">
<p class="small">Colours show minutes {{ mode_words }} from where each area's people live to the nearest hub or
outreach point. Grey: no hub within reach. Numbers match the list of hubs below.</p>
</section>
<section id="hubs" class="page">
<h2>The hubs</h2>
<table><thead><tr><th>No.</th><th>Hub</th><th>Outreach points</th><th>Residents nearest</th><th>Places</th>
<th>Locked</th></tr></thead><tbody>{% for hub in hubs %}<tr><td>{{ hub.number }}</td><td>{{ hub.name }}</td>
<td>{{ hub.outreach }}</td><td>{{ hub.residents }}</td><td>{{ hub.places }}</td><td>{{ hub.locked }}</td></tr>
{% endfor %}</tbody></table>
<h2>Who can get there</h2>
<table><thead><tr><th>Who</th><th>Average journey</th><th>9 in 10 within</th><th>Within 30 minutes</th></tr>
</thead><tbody>{% for label, mean, p90, share in groups %}<tr><td>{{ label }}</td><td>{{ mean }}</td>
<td>{{ p90 }}</td><td>{{ share }}</td></tr>{% endfor %}</tbody></table>
<h2>The ten areas furthest from a hub</h2>
<table><thead><tr><th>Area</th><th>District</th><th>Journey</th></tr></thead><tbody>
{% for name, district, minutes in furthest %}<tr><td>{{ name }}</td><td>{{ district }}</td><td>{{ minutes }}</td>
</tr>{% endfor %}</tbody></table>
{% if decisions %}<h2>Existing services</h2><table><thead><tr><th>Service</th><th>Decision</th></tr></thead>
<tbody>{% for name, decision in decisions %}<tr><td>{{ name }}</td><td>{{ decision }}</td></tr>{% endfor %}
</tbody></table>{% endif %}
</section>
<section id="assumptions" class="page">
<h2>Assumptions and where they come from</h2>
<p>The cost and outcome figures the planner works out rest on these numbers (assumptions version
{{ content.assumptions_version }}; area data version {{ content.dataset_version }}). The group can change any of
them; the range is what a sensitivity check varies.</p>
<table class="sources"><thead><tr><th>Assumption</th><th>Value</th><th>Range</th><th>Source</th><th>Date</th></tr>
</thead><tbody>{% for row in assumptions %}<tr><td>{{ row.label }}</td><td>{{ fmt(row.value) }} {{ row.unit }}</td>
<td>{% if row.low is not none %}{{ fmt(row.low) }} to {{ fmt(row.high) }}{% else %}-{% endif %}</td>
<td>{{ row.source }}</td><td>{{ row.date }}</td></tr>{% endfor %}</tbody></table>
</section>
<section id="glossary" class="page">
<h2>Glossary: the words this pack uses</h2>
<dl>{% for term, meaning in glossary %}<dt>{{ term }}</dt><dd>{{ meaning }}</dd>{% endfor %}</dl>
<h2>Who may see this</h2>
<p><b>{{ banner }}.</b> {{ meaning }} <b>When it may be shared:</b> {{ when }}</p>
</section>
</body></html>""")


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:g}"


def briefing_html(briefing: Briefing, *, downloads: list[tuple[str, str]] | None = None) -> str:
    """The pack as one self-contained HTML page (the map is embedded), for screen and for print."""
    opened = briefing.opened
    banner, meaning, when = confidentiality(opened)
    population = briefing.locality.areas["pop_total"].to_numpy(dtype=float)
    return TEMPLATE.render(
        opened=opened, scenario=opened.scenario, content=opened.content, locality=briefing.locality,
        banner=banner, meaning=meaning, when=when, downloads=downloads or [],
        generated=f"{briefing.generated_at:%d %B %Y at %H:%M}",
        hubs=hub_rows(briefing), outreach_count=sum(len(h.outreach_points) for h in opened.content.hubs),
        mode_words=MODE_WORDS.get(briefing.mode, f"by {briefing.mode}"),
        figures=headline_figures(briefing.result, population),
        groups=group_rows(briefing.result), furthest=furthest_areas(briefing), decisions=decision_rows(briefing),
        assumptions=briefing.assumptions.rows, fmt=_number, glossary=GLOSSARY,
        map_b64=base64.b64encode(briefing.map_png).decode("ascii"),
    )


def briefing_pdf(briefing: Briefing) -> bytes:
    """The pack as an A4 PDF: summary, map, hubs and groups, assumptions, glossary (one section a page)."""
    from weasyprint import HTML

    pdf: bytes = HTML(string=briefing_html(briefing)).write_pdf()
    return pdf


def area_table_frame(result: AccessResult, locality: Locality, hub_names: Mapping[str, str],
                     mode: str) -> pd.DataFrame:
    """Per-area results: who lives there, how far the nearest hubs are, by ``mode``."""
    areas = locality.areas
    minutes = np.round(result.minutes, 1)
    return pd.DataFrame({
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
        "hub_places_per_1000": np.round(result.e2sfca, 3),
    })

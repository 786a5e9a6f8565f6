"""Suggest hubs for a plan: candidate sites and kept hubs, their travel times, the solve, plain figures.

The geographic entry point to :mod:`geo.placement.models`: it builds the areas x sites matrix
from a router (every candidate site, plus each hub the planner keeps as a site of its
own, so a kept hub stays exactly where it is), hands it to :func:`geo.placement.models.place_hubs`
and returns a :class:`Suggestion` in the words a commissioner reads. :func:`accept_suggestion`
turns a suggestion into the plan's new hubs.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import get_args

import numpy as np
import pandas as pd

from geo.access import AreaWeights, hub_minutes
from geo.errors import PlannerInputError
from geo.placement.models import Objective, Placement, place_hubs
from geo.plan_edits import add_hub
from geo.scenarios import Hub, ScenarioContent, next_hub_label
from geo.traveltime import Router

MAX_HUBS = 12
KEPT_KIND = "kept_hub"
#: How each demand weight reads in a sentence ("cuts mean travel by 2.1 minutes across all residents").
DEMAND_LABELS = {
    "population": "residents",
    "need": "people, weighted by need",
    "women": "women",
    "age_18_24": "people aged 18 to 24",
    "bme": "Black and minority ethnic residents",
    "most_deprived_fifth": "residents of the most deprived fifth of areas",
    "smi": "people with severe mental illness",
}
#: Share of the progress bar the travel-time matrix takes before the solve starts.
MATRIX_SHARE_PCT = 10

Progress = Callable[[int, int], None]
StopCheck = Callable[[], bool]


@dataclass(frozen=True)
class SuggestedSite:
    """One suggested hub site (EPSG:27700 metres); ``kept_hub_id`` names the plan's hub it keeps."""

    site_id: str
    name: str
    kind: str
    x: float
    y: float
    reason: str
    kept_hub_id: str | None = None


@dataclass(frozen=True)
class Places:
    """Hub places for a capacitated suggestion: ``per_new_hub`` at each new site, a kept hub its own.

    ``people`` are spread over the areas by the demand weight; a kept hub without a
    figure of its own gets ``per_new_hub``.
    """

    per_new_hub: float
    people: float

    def __post_init__(self) -> None:
        for name in ("per_new_hub", "people"):
            value = getattr(self, name)
            if not math.isfinite(value) or value <= 0:
                raise PlannerInputError(f"places {name}: expected a number above 0, found {value!r}")

    def arrays(self, n_candidates: int, kept: Sequence[Hub], demand: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each site's places (candidates, then kept hubs) and each area's people (its load)."""
        capacity = np.concatenate([np.full(n_candidates, self.per_new_hub),
                                   [self.per_new_hub if h.capacity_places is None else float(h.capacity_places)
                                    for h in kept]])
        total = float(np.sum(demand))
        load = np.asarray(demand, dtype=np.float64) / total * self.people if total > 0 else np.zeros(len(demand))
        return capacity, load


@dataclass(frozen=True)
class Suggestion:
    """A suggested set of hubs with its figures, in the words shown to the planner.

    ``mean_minutes`` and ``max_minutes`` are weighted by ``weight``; ``share_within_pct``
    is the share of that weight within ``threshold_minutes``. ``gap_pct`` is proven:
    no placement of ``n_hubs`` hubs can beat this one's objective by more than that.
    """

    objective: Objective
    weight: str
    n_hubs: int
    threshold_minutes: float
    sites: tuple[SuggestedSite, ...]
    mean_minutes: float
    max_minutes: float
    share_within_pct: float
    gap_pct: float
    proven: bool
    stopped_early: bool
    solve_seconds: float

    @property
    def certificate(self) -> str:
        """Say how close to the best possible this is, never claiming more than is proved."""
        return certificate_text(self.gap_pct, stopped_early=self.stopped_early and not self.proven)


def certificate_text(gap_pct: float, *, stopped_early: bool = False) -> str:
    """Put a proven gap in plain words, rounding up: "within 0.01% of the best possible"."""
    if not math.isfinite(gap_pct):
        return "no proof of how close this is to the best possible"
    if gap_pct <= 1e-9:
        text = "the best possible (proved)"
    elif gap_pct <= 0.01:
        text = "within 0.01% of the best possible"
    else:
        digits = 1 - math.floor(math.log10(gap_pct))  # two significant figures
        shown = math.ceil(gap_pct * 10**digits) / 10**digits
        text = f"within {shown:.{max(digits, 0)}f}% of the best possible"
    return text + (" (time ran out before a closer proof)" if stopped_early else "")


def site_names(candidates: pd.DataFrame, areas: pd.DataFrame) -> list[str]:
    """A place name for each candidate: a lattice point by its area (and town), others by their own name;
    a site in no area (a service just across the border) is named as outside the locality."""
    lookup = areas.set_index(areas["code"].astype(str))
    names = []
    for kind, name, code in zip(candidates["kind"], candidates["name"], candidates["area"], strict=True):
        if code not in lookup.index:
            names.append(f"{name} (outside the locality)")
            continue
        if kind != "lattice":
            names.append(str(name))
            continue
        area = lookup.loc[code]
        town = str(area["town"]) if "town" in lookup.columns else ""
        place = str(area["name"])
        names.append(place if town in ("", "Rural", "Unknown", "nan") or town in place else f"{place}, {town}")
    return names


def suggestion_sites(candidates: pd.DataFrame, areas: pd.DataFrame, kept: Sequence[Hub]) -> pd.DataFrame:
    """Candidate sites named for people, then each kept hub as a site (kind ``kept_hub``, id the hub's)."""
    sites = pd.DataFrame({
        "site_id": candidates["site_id"].astype(str).to_numpy(),
        "kind": candidates["kind"].astype(str).to_numpy(),
        "name": site_names(candidates, areas),
        "x": candidates["x"].to_numpy(dtype=np.float64), "y": candidates["y"].to_numpy(dtype=np.float64),
        "kept_hub_id": None,
    })
    hubs = pd.DataFrame({"site_id": [h.hub_id for h in kept], "kind": KEPT_KIND, "name": [h.name for h in kept],
                         "x": [h.x for h in kept], "y": [h.y for h in kept], "kept_hub_id": [h.hub_id for h in kept]})
    return pd.concat([sites, hubs], ignore_index=True) if len(kept) else sites


def suggest_hubs(router: Router, areas: pd.DataFrame, candidates: pd.DataFrame, weights: AreaWeights, *,
                 objective: Objective, n_hubs: int, threshold_minutes: float, weight: str = "population",
                 min_share_pct: float | None = None, kept: Sequence[Hub] = (), current: Sequence[Hub] = (),
                 cache_dir: Path | str | None = None, time_limit_seconds: float = 10.0,
                 places: Places | None = None,
                 progress: Progress | None = None, should_stop: StopCheck | None = None) -> Suggestion:
    """Suggest ``n_hubs`` hubs among ``candidates`` (see :func:`geo.placement.candidates.candidate_sites`).

    With ``places``, no hub takes more people than its places (the shortest-average-journey
    aim only): each area sends its share of ``places.people`` by ``weight``, wholly to one hub.

    ``kept`` hubs are always among them (they count towards ``n_hubs``); ``weight`` is
    ``"population"``, ``"need"`` or another group of ``weights``; ``min_share_pct`` is the
    fairness floor of the equity objective (every group of ``weights``). ``current`` are
    the plan's hubs now: each site's reason starts with what it adds against them. The candidates'
    matrix is read from or written to ``cache_dir``; ``progress(done, total)`` reports
    the matrix as the first tenth and the solve as the rest.
    """
    _check_request(objective, n_hubs, threshold_minutes, weight, weights, min_share_pct, kept)
    if places is not None and objective != "p-median":
        raise PlannerInputError("places: hub places apply to the shortest-average-journey aim (p-median); "
                                "choose that aim, or switch places off")
    if progress is not None:
        progress(0, 100)
    sites = suggestion_sites(candidates, areas, kept)
    minutes = router.matrix(candidates[["x", "y"]].to_numpy(dtype=np.float64),
                            candidates["site_id"].astype(str).tolist(), cache_dir=cache_dir).minutes
    if kept:
        minutes = np.column_stack([minutes, hub_minutes(router, kept).matrix()])
    if progress is not None:
        progress(MATRIX_SHARE_PCT, 100)
    groups = {g: weights.of(g) for g in weights.groups}
    demand = weights.of(weight)
    capacity, load = (None, None) if places is None else places.arrays(len(candidates), kept, demand)
    placement = place_hubs(
        minutes, demand, objective=objective, n_hubs=n_hubs, threshold_minutes=threshold_minutes,
        locked=range(len(candidates), len(sites)), groups=groups,
        min_share_pct=min_share_pct if objective == "equity p-median" else None, capacity=capacity, load=load,
        demand_label=DEMAND_LABELS.get(weight, weight), time_limit_seconds=time_limit_seconds,
        progress=_scaled(progress), should_stop=should_stop)
    now = hub_minutes(router, current).matrix() if current else np.full((minutes.shape[0], 1), np.inf)
    against = against_plan(minutes, now.min(axis=1) if now.size else np.full(minutes.shape[0], np.inf),
                           weights.of(weight), sites=[s for s in placement.sites if s < len(candidates)],
                           threshold_minutes=threshold_minutes,
                           label=DEMAND_LABELS.get(weight, weight))
    return _suggestion(placement, sites, weight, against)


def against_plan(minutes: np.ndarray, plan_minutes: np.ndarray, demand: np.ndarray, *, sites: Sequence[int],
                 threshold_minutes: float, label: str) -> dict[int, str]:
    """What each suggested site adds to the plan as it is now, in words (site column -> sentence).

    Added to the plan's hubs alone: how much it cuts mean travel across everyone counted
    (only people it is nearer to gain) and how many more come within the time limit.
    """
    total = float(demand.sum())
    reachable_now = np.where(np.isfinite(plan_minutes), plan_minutes, np.inf)
    within_now = reachable_now <= threshold_minutes
    words = {}
    for site in sites:
        column = np.where(np.isfinite(minutes[:, site]), minutes[:, site], np.inf)
        better = column < reachable_now
        newly = float(demand[better & ~np.isfinite(reachable_now)].sum())
        gain = np.where(better & np.isfinite(reachable_now), reachable_now - column, 0.0)
        saved = float((demand * gain).sum() / total) if total > 0 else 0.0
        closer = float(demand[(column <= threshold_minutes) & ~within_now].sum())
        clauses = [f"cuts mean travel by {saved:.1f} minutes across all {label}" if saved >= 0.05
                   else "cuts mean travel very little"]
        if closer >= 0.5:
            clauses.append(f"brings {closer:,.0f} more {label} within {threshold_minutes:g} minutes")
        if newly >= 0.5:
            clauses.append(f"reaches {newly:,.0f} {label} no hub reaches now")
        words[int(site)] = "added to the current plan it " + ", ".join(clauses)
    return words


def _check_request(objective: str, n_hubs: int, threshold_minutes: float, weight: str, weights: AreaWeights,
                   min_share_pct: float | None, kept: Sequence[Hub]) -> None:
    if objective not in get_args(Objective):
        raise PlannerInputError(f"objective: expected one of {', '.join(get_args(Objective))}, found {objective!r}")
    if isinstance(n_hubs, bool) or not isinstance(n_hubs, int) or not 1 <= n_hubs <= MAX_HUBS:
        raise PlannerInputError(f"number of hubs: expected a whole number from 1 to {MAX_HUBS}, found {n_hubs!r}")
    if len(kept) > n_hubs:
        raise PlannerInputError(
            f"number of hubs: the plan keeps {len(kept)} locked hubs, so ask for at least {len(kept)} "
            f"(found {n_hubs}), or untick 'keep locked hubs'")
    if not math.isfinite(threshold_minutes) or not 0 < threshold_minutes <= 240:
        raise PlannerInputError(f"time limit: expected minutes above 0 and up to 240, found {threshold_minutes!r}")
    if weight not in weights.groups:
        raise PlannerInputError(f"weight: expected one of {', '.join(weights.groups)}, found {weight!r}")
    if objective == "equity p-median" and (min_share_pct is None or not 0 < min_share_pct <= 100):
        raise PlannerInputError(f"fairness floor: expected a percentage above 0 and up to 100, found {min_share_pct!r}")


def _scaled(progress: Progress | None) -> Progress | None:
    if progress is None:
        return None
    report = progress

    def scaled(done: int, total: int) -> None:
        share = done / total if total else 1.0
        report(MATRIX_SHARE_PCT + round((100 - MATRIX_SHARE_PCT) * share), 100)

    return scaled


def _suggestion(placement: Placement, sites: pd.DataFrame, weight: str,
                against: Mapping[int, str] | None = None) -> Suggestion:
    reasons = {r.site: "; ".join(t for t in ((against or {}).get(r.site, ""), r.text) if t)
               for r in placement.reasons}
    records = sites.to_dict("records")
    chosen = tuple(SuggestedSite(
        site_id=str(records[s]["site_id"]), name=str(records[s]["name"]), kind=str(records[s]["kind"]),
        x=float(records[s]["x"]), y=float(records[s]["y"]), reason=reasons.get(s, ""),
        kept_hub_id=None if pd.isna(records[s]["kept_hub_id"]) else str(records[s]["kept_hub_id"]),
    ) for s in placement.sites)
    threshold = placement.threshold_minutes if placement.threshold_minutes is not None else math.nan
    return Suggestion(
        objective=placement.objective, weight=weight, n_hubs=placement.n_hubs, threshold_minutes=threshold,
        sites=chosen, mean_minutes=placement.mean_minutes, max_minutes=placement.max_minutes,
        share_within_pct=placement.coverage[0].share_pct if placement.coverage else math.nan,
        gap_pct=placement.gap_pct, proven=placement.proven, stopped_early=placement.stopped_early,
        solve_seconds=placement.solve_seconds)


def accept_suggestion(plan: ScenarioContent, sites: Sequence[SuggestedSite]) -> ScenarioContent:
    """The plan with the suggested hubs: kept hubs stay as they are, every other hub is replaced.

    New hubs are named after their site ("Ashworth Day Centre hub"), numbered when two
    would share a name, and labelled after every hub of the plan they replace, so no letter
    the room has been using comes back on another hub.
    """
    kept_ids = {s.kept_hub_id for s in sites if s.kept_hub_id is not None}
    unknown = kept_ids - {h.hub_id for h in plan.hubs}
    if unknown:
        raise PlannerInputError(
            f"suggestion: keeps hub {sorted(unknown)[0]!r}, which is no longer in the plan; suggest again")
    new = dataclasses.replace(plan, hubs=tuple(h for h in plan.hubs if h.hub_id in kept_ids))
    used = {h.name for h in new.hubs}
    labels = [h.label for h in plan.hubs]
    for site in sites:
        if site.kept_hub_id is not None:
            continue
        name, n = f"{site.name} hub", 2
        while name in used:
            name, n = f"{site.name} hub {n}", n + 1
        used.add(name)
        labels.append(next_hub_label(labels))
        new = add_hub(new, site.x, site.y, name=name, label=labels[-1])
    return new

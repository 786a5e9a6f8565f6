"""Access to hubs: how far each area is from help, and how that falls on each group.

Per area: the nearest hub, the minutes to it and to the second nearest, and an enhanced
two-step floating catchment (E2SFCA) score that weighs hub capacity against the demand
competing for it. Per scenario: the mean, median and 90th-percentile minutes and the
share within 15/30/45/60 minutes, weighted by population, by need and by each group
the papers worry about (women, people aged 18-24, black and minority ethnic people,
the most deprived fifth, people with severe mental illness).

A hub is a cluster: its main site plus outreach points, and an area reaches the hub at
whichever of its points is quickest. Moving one hub only recomputes that hub's column
(:func:`hub_minutes` with ``previous=``); the reductions over areas are plain numpy.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Literal, cast

import numpy as np
import pandas as pd

from geo.errors import PlannerInputError
from geo.scenarios import Hub
from geo.traveltime import Router

THRESHOLDS_MIN: tuple[float, ...] = (15.0, 30.0, 45.0, 60.0)

# Each group's weight per area, from the areas table (docs/CONTRACT.md columns). A group is
# included when its columns are present; population is required.
GROUP_LABELS: dict[str, str] = {
    "population": "Everyone",
    "need": "Weighted by need",
    "women": "Women",
    "age_18_24": "Aged 18 to 24",
    "bme": "Black and minority ethnic people",
    "most_deprived_fifth": "Most deprived fifth of areas",
    "smi": "People with severe mental illness (estimated)",
}
_GROUP_COLUMNS: dict[str, tuple[str, ...]] = {
    "population": ("pop_total",),
    "need": ("need_weight",),
    "women": ("pop_female",),
    "age_18_24": ("pop_18_24",),
    "bme": ("pop_total", "bme_share"),
    "most_deprived_fifth": ("pop_total", "imd_decile"),
    "smi": ("pop_adult", "smi_prevalence_pct"),
}
_GROUP_WEIGHT: dict[str, Callable[[pd.DataFrame], np.ndarray]] = {
    "population": lambda a: _numbers(a, "pop_total"),
    "need": lambda a: _numbers(a, "need_weight"),
    "women": lambda a: _numbers(a, "pop_female"),
    "age_18_24": lambda a: _numbers(a, "pop_18_24"),
    "bme": lambda a: _numbers(a, "pop_total") * _numbers(a, "bme_share"),
    # Deciles 1 and 2 are the most deprived 20% of areas nationally.
    "most_deprived_fifth": lambda a: _numbers(a, "pop_total") * (_numbers(a, "imd_decile") <= 2),
    "smi": lambda a: _numbers(a, "pop_adult") * _numbers(a, "smi_prevalence_pct") / 100.0,
}


def _numbers(areas: pd.DataFrame, column: str) -> np.ndarray:
    values = pd.to_numeric(areas[column], errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        row = int(bad.argmax())
        raise PlannerInputError(
            f"areas, row {row + 1}, column {column}: expected a number of at least 0, "
            f"found {areas[column].iloc[row]!r}"
        )
    return values


@dataclass(frozen=True, eq=False)
class AreaWeights:
    """Weight of each area (rows) for each group (columns), e.g. residents or need."""

    area_ids: np.ndarray
    groups: tuple[str, ...]
    values: np.ndarray

    @cached_property
    def by_group(self) -> np.ndarray:
        """The same weights as groups x areas, contiguous per group (fast running totals)."""
        return np.ascontiguousarray(self.values.T)

    def of(self, group: str) -> np.ndarray:
        """One group's weights, by name (see :data:`GROUP_LABELS`)."""
        if group not in self.groups:
            raise PlannerInputError(
                f"group: expected one of {', '.join(self.groups)}, found {group!r}"
            )
        return self.values[:, self.groups.index(group)]


def area_weights(areas: pd.DataFrame, *, code_column: str = "code") -> AreaWeights:
    """Build each group's weight per area from an areas table (population is required)."""
    if "pop_total" not in areas.columns:
        raise PlannerInputError("areas: missing column pop_total (residents per area)")
    groups = tuple(g for g, cols in _GROUP_COLUMNS.items() if all(c in areas.columns for c in cols))
    values = np.column_stack([_GROUP_WEIGHT[g](areas) for g in groups])
    ids = areas[code_column].astype(str).to_numpy(dtype=object)
    return AreaWeights(area_ids=ids, groups=groups, values=values)


@dataclass(frozen=True)
class DistanceDecay:
    """How much a hub counts for an area as the trip gets longer (E2SFCA and catchments).

    ``step`` (default) uses Luo and Qi's (2009) E2SFCA weights 1, 0.68 and 0.22 for
    three travel-time zones, here 0-20, 20-40 and 40-60 minutes, and 0 beyond; the zones
    are ``steps`` (upper bound in minutes, weight). ``gaussian`` uses
    ``exp(-t^2 / (2 sigma^2))`` with ``sigma_minutes`` (1 at 0, 0.61 at sigma), cut to 0
    beyond ``max_minutes``. Both are PySAL ``access``'s ``step_fn`` and ``gaussian``.
    """

    kind: Literal["step", "gaussian"] = "step"
    steps: tuple[tuple[float, float], ...] = ((20.0, 1.0), (40.0, 0.68), (60.0, 0.22))
    sigma_minutes: float = 20.0
    max_minutes: float = 60.0

    def __post_init__(self) -> None:
        if self.kind not in ("step", "gaussian"):
            raise PlannerInputError(f"DistanceDecay.kind: expected 'step' or 'gaussian', found {self.kind!r}")
        bounds = [b for b, _ in self.steps]
        if self.kind == "step" and (not bounds or bounds != sorted(bounds)
                                    or any(w < 0 for _, w in self.steps)):
            raise PlannerInputError(
                f"DistanceDecay.steps: expected (minutes, weight >= 0) pairs in increasing "
                f"minutes, found {self.steps!r}"
            )
        if self.sigma_minutes <= 0 or self.max_minutes <= 0:
            raise PlannerInputError(
                f"DistanceDecay: expected sigma_minutes and max_minutes above 0, found "
                f"{self.sigma_minutes!r} and {self.max_minutes!r}"
            )

    def weight(self, minutes: np.ndarray) -> np.ndarray:
        """Weight for each travel time (0 beyond the catchment and where unreachable)."""
        t = np.asarray(minutes, dtype=np.float64)
        if self.kind == "gaussian":
            with np.errstate(invalid="ignore"):
                return np.where(t <= self.max_minutes, np.exp(-(t * t) / (2.0 * self.sigma_minutes ** 2)), 0.0)
        bounds = np.array([b for b, _ in self.steps])
        values = np.array([w for _, w in self.steps] + [0.0])
        weights = values[np.searchsorted(bounds, t, side="left")]  # NaN and inf sort last: weight 0
        if self.max_minutes < bounds[-1]:
            weights[t > self.max_minutes] = 0.0
        return weights


DEFAULT_DECAY = DistanceDecay()


def e2sfca_scores(minutes_by_hub: np.ndarray, demand: np.ndarray, capacity: np.ndarray, *,
                  decay: DistanceDecay = DEFAULT_DECAY) -> np.ndarray:
    """Enhanced two-step floating catchment score per area (hub capacity per unit of demand).

    Step 1: each hub's capacity over the decay-weighted demand that can reach it.
    Step 2: each area sums those ratios over the hubs it can reach, decay-weighted.
    Areas with no hub in reach score 0. Multiply by 1,000 for "places per 1,000".
    """
    weights = decay.weight(minutes_by_hub)
    reached_demand = demand @ weights
    ratio = np.divide(capacity, reached_demand, out=np.zeros_like(reached_demand),
                      where=reached_demand > 0)
    return weights @ ratio


@dataclass(frozen=True, eq=False)
class HubMinutes:
    """Minutes from every area to each hub (its quickest point): one column per hub.

    ``keys`` records the points each column was worked out for, so that
    :func:`hub_minutes` can reuse the columns of hubs that did not move. ``warnings`` has,
    per hub, the far-from-any-road warnings of its points.
    """

    hub_ids: tuple[str, ...]
    keys: tuple[tuple[tuple[float, float], ...], ...]
    columns: tuple[np.ndarray, ...]
    warnings: tuple[tuple[str, ...], ...] = ()

    def matrix(self) -> np.ndarray:
        """Areas x hubs minutes (NaN where a hub cannot be reached)."""
        if not self.columns:
            return np.empty((0, 0))
        return np.column_stack(self.columns)


def hub_points(hub: Hub) -> tuple[tuple[float, float], ...]:
    """A hub's places of access: its main site, then its outreach points."""
    return ((hub.x, hub.y), *((p.x, p.y) for p in hub.outreach_points))


def hub_minutes(router: Router, hubs: Sequence[Hub], *,
                previous: HubMinutes | None = None) -> HubMinutes:
    """Minutes from each area to each hub, reusing ``previous`` columns for hubs that did not move.

    Moving one hub therefore costs one shortest-path search (or none, when the router has
    already searched from that road node).
    """
    reusable: dict[tuple[str, tuple[tuple[float, float], ...]], tuple[np.ndarray, tuple[str, ...]]] = {}
    if previous is not None:
        notes = previous.warnings or tuple(() for _ in previous.hub_ids)
        reusable = {(h, k): (c, w) for h, k, c, w in zip(previous.hub_ids, previous.keys,
                                                         previous.columns, notes, strict=True)}
    keys = tuple(hub_points(h) for h in hubs)
    ids = tuple(h.hub_id for h in hubs)
    found = [reusable.get((i, k)) for i, k in zip(ids, keys, strict=True)]
    todo = [j for j, column in enumerate(found) if column is None]
    if todo:
        points = np.array([p for j in todo for p in keys[j]], dtype=np.float64)
        labels = [f"Hub {ids[j]} point {n + 1}" for j in todo for n in range(len(keys[j]))]
        snap = router.snap(points, labels=labels)
        minutes = router.minutes_to_snapped(snap)
        start = 0
        for j in todo:
            block = minutes[:, start:start + len(keys[j])]
            start += len(keys[j])
            prefix = f"Hub {ids[j]} point "
            found[j] = (_min_ignoring_nan(block), tuple(w for w in snap.warnings if w.startswith(prefix)))
    done = [f for f in found if f is not None]
    return HubMinutes(hub_ids=ids, keys=keys, columns=tuple(c for c, _ in done),
                      warnings=tuple(w for _, w in done))


def _min_ignoring_nan(block: np.ndarray) -> np.ndarray:
    finite = np.where(np.isnan(block), np.inf, block).min(axis=1)
    return np.where(np.isinf(finite), np.nan, finite)


def hub_capacity(hubs: Sequence[Hub]) -> np.ndarray:
    """Each hub's places; hubs without a figure get the mean of the others (1 if none has one)."""
    known = [h.capacity_places for h in hubs if h.capacity_places is not None]
    fill = float(np.mean(known)) if known else 1.0
    return np.array([fill if h.capacity_places is None else float(h.capacity_places) for h in hubs])


@dataclass(frozen=True, eq=False)
class AccessResult:
    """Access to a set of hubs, per area and per group.

    Per area (arrays in area order, for fast map updates): ``nearest_hub`` and
    ``second_hub`` (hub ids, "" when none can be reached), ``minutes`` and
    ``second_minutes`` (NaN when unreachable), ``e2sfca`` (hub places per 1,000 of the
    demand group within reach). :attr:`per_area` gives them as a table.
    ``summary``: one row per group with ``mean_minutes`` (over those who can reach a hub),
    ``median_minutes``, ``p90_minutes`` (NaN when that share cannot reach any hub),
    ``share_within_<T>`` for each threshold and ``share_unreachable``.
    """

    hub_ids: tuple[str, ...]
    area_ids: np.ndarray
    nearest_hub: np.ndarray
    minutes: np.ndarray
    second_hub: np.ndarray
    second_minutes: np.ndarray
    e2sfca: np.ndarray
    summary: pd.DataFrame
    thresholds_min: tuple[float, ...]
    hub_minutes: HubMinutes | None = None

    @cached_property
    def per_area(self) -> pd.DataFrame:
        """``area``, ``nearest_hub``, ``minutes``, ``second_hub``, ``second_minutes``, ``e2sfca``."""
        return pd.DataFrame({
            "area": self.area_ids, "nearest_hub": self.nearest_hub, "minutes": self.minutes,
            "second_hub": self.second_hub, "second_minutes": self.second_minutes,
            "e2sfca": self.e2sfca,
        })

    @cached_property
    def _summary_by_group(self) -> pd.DataFrame:
        return self.summary.set_index("group")

    def figure(self, group: str, column: str) -> float:
        """One figure of the summary: ``column`` (``mean_minutes``...) for ``group``; NaN for a group it lacks."""
        by_group = self._summary_by_group
        if group not in by_group.index:
            return math.nan
        return float(cast(float, by_group.at[group, column]))


def access_from_minutes(minutes_by_hub: np.ndarray, weights: AreaWeights, *,
                        hub_ids: Sequence[str], capacity: np.ndarray | None = None,
                        demand_group: str | None = None,
                        thresholds_min: Sequence[float] = THRESHOLDS_MIN,
                        decay: DistanceDecay = DEFAULT_DECAY,
                        hub_minutes: HubMinutes | None = None) -> AccessResult:
    """Work out every access figure from an areas x hubs minutes matrix (NaN = unreachable).

    ``capacity`` (places per hub, default 1 each) and the ``demand_group`` weights (default
    need, or population where need is not known) feed the E2SFCA score.
    """
    if demand_group is None:
        demand_group = "need" if "need" in weights.groups else "population"
    minutes = np.asarray(minutes_by_hub, dtype=np.float64)
    n_areas = weights.values.shape[0]
    if minutes.ndim != 2 or minutes.shape[0] != n_areas or minutes.shape[1] != len(hub_ids):
        raise PlannerInputError(
            f"minutes_by_hub: expected {n_areas} areas x {len(hub_ids)} hubs, found shape {minutes.shape}"
        )
    ids = np.asarray([str(h) for h in hub_ids] + [""], dtype=object)
    n_hubs = minutes.shape[1]
    filled = np.where(np.isnan(minutes), np.inf, minutes)
    rows = np.arange(n_areas)
    if n_hubs >= 2:
        first = filled.argmin(axis=1)
        best = filled[rows, first]
        filled[rows, first] = np.inf
        second = filled.argmin(axis=1)
        runner_up = filled[rows, second]
    elif n_hubs == 1:
        first = np.zeros(n_areas, dtype=np.int64)
        second = np.full(n_areas, -1)
        best, runner_up = filled[:, 0], np.full(n_areas, np.inf)
    else:
        first = second = np.full(n_areas, -1)
        best = runner_up = np.full(n_areas, np.inf)
    first = np.where(np.isinf(best), -1, first)
    second = np.where(np.isinf(runner_up), -1, second)

    caps = np.ones(n_hubs) if capacity is None else np.asarray(capacity, dtype=np.float64)
    scores = (e2sfca_scores(minutes, weights.of(demand_group), caps, decay=decay) * 1000.0
              if n_hubs else np.zeros(n_areas))
    thresholds = tuple(float(t) for t in thresholds_min)
    return AccessResult(
        hub_ids=tuple(str(h) for h in hub_ids), area_ids=weights.area_ids,
        nearest_hub=ids[first], minutes=np.where(np.isinf(best), np.nan, best),
        second_hub=ids[second], second_minutes=np.where(np.isinf(runner_up), np.nan, runner_up),
        e2sfca=scores, summary=_group_summary(best, weights, thresholds),
        thresholds_min=thresholds, hub_minutes=hub_minutes,
    )


def _group_summary(best: np.ndarray, weights: AreaWeights,
                   thresholds: tuple[float, ...]) -> pd.DataFrame:
    """Weighted mean, median, 90th percentile and shares within thresholds, per group."""
    order = np.argsort(best)
    sorted_minutes = best[order]
    cumulative = np.cumsum(weights.by_group[:, order], axis=1)  # groups x areas, by minutes
    totals = cumulative[:, -1]
    reachable = np.isfinite(best)
    with np.errstate(invalid="ignore", divide="ignore"):
        cdf = cumulative / totals[:, None]
        mean = (weights.by_group @ np.where(reachable, best, 0.0)) / (weights.by_group @ reachable)
    out: dict[str, object] = {
        "group": list(weights.groups),
        "label": [GROUP_LABELS[g] for g in weights.groups],
        "total": totals,
        "mean_minutes": mean,
    }
    last = sorted_minutes.size - 1
    for name, q in (("median_minutes", 0.5), ("p90_minutes", 0.9)):
        values = np.full(len(weights.groups), np.nan)
        for g in range(len(weights.groups)):
            if totals[g] > 0:
                # numpy's weighted "inverted_cdf" quantile: the first value whose CDF reaches q
                value = sorted_minutes[min(int(np.searchsorted(cdf[g], q, side="left")), last)]
                values[g] = value if np.isfinite(value) else np.nan
        out[name] = values
    counts = np.searchsorted(sorted_minutes, thresholds, side="right")
    for threshold, count in zip(thresholds, counts, strict=True):
        share = cdf[:, count - 1] if count > 0 else np.zeros(len(weights.groups))
        out[f"share_within_{threshold:g}"] = np.where(totals > 0, share, np.nan)
    reached = int(reachable.sum())
    reached_weight = cumulative[:, reached - 1] if reached else np.zeros(len(weights.groups))
    with np.errstate(invalid="ignore", divide="ignore"):
        out["share_unreachable"] = (totals - reached_weight) / totals
    return pd.DataFrame(out)


def hub_access(router: Router, hubs: Sequence[Hub], weights: AreaWeights, *,
               previous: HubMinutes | None = None, demand_group: str | None = None,
               thresholds_min: Sequence[float] = THRESHOLDS_MIN,
               decay: DistanceDecay = DEFAULT_DECAY) -> AccessResult:
    """Access to a scenario's hubs: the path a hub move takes (pass the last ``hub_minutes``)."""
    if router.area_ids is not weights.area_ids and not np.array_equal(router.area_ids,
                                                                        weights.area_ids):
        raise PlannerInputError(
            "weights: expected the same areas in the same order as the router's "
            f"({router.n_areas} areas), found {weights.area_ids.size} that differ"
        )
    columns = hub_minutes(router, hubs, previous=previous)
    return access_from_minutes(
        columns.matrix() if hubs else np.empty((router.n_areas, 0)), weights,
        hub_ids=columns.hub_ids, capacity=hub_capacity(hubs), demand_group=demand_group,
        thresholds_min=thresholds_min, decay=decay, hub_minutes=columns,
    )

"""Options appraisal: weighted criteria, participants' scores, and how robust the ranking is.

A steering group agrees criteria and weights (access, fairness, cost, outcomes and any
of its own, such as "keeps a safe space"); each participant scores each option 0-10 on
each criterion. Under the papers' conflict-of-interest rule a participant who uses a
service does not score an option that closes or changes that service. Results give
each option's weighted total (0-10, the mean over participants), the spread between
participants, and which options change rank when any one weight moves by +-50%.
Everything here is a pure function of immutable values.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from geo.errors import PlannerInputError
from geo.scenarios import ScenarioContent

MIN_SCORE = 0.0
MAX_SCORE = 10.0
DEFAULT_WEIGHT_CHANGE = 0.5
BUILT_IN_CRITERIA: tuple[tuple[str, str], ...] = (
    ("access", "Access: how easily people can reach the services"),
    ("fairness", "Fairness: how evenly access and spend follow need"),
    ("cost", "Cost: value for the money available"),
    ("outcomes", "Outcomes: work, mainstream activity, social contact"),
)
KEY_PATTERN = re.compile(r"[a-z0-9][a-z0-9_]{0,39}")
PARTICIPANT_GROUPS: tuple[str, ...] = ("commissioner", "provider", "service user", "carer", "other")
#: An option scored by fewer than this share of the participants is thinly scored.
THIN_SHARE = 0.5
#: An option is "mostly scored by one group" when one group gave more than this share of its scores.
ONE_GROUP_SHARE = 2 / 3
_ROUND_DECIMALS = 9  # totals equal to this many places count as a tie, not a rank change


class ConflictOfInterestError(PlannerInputError):
    """A participant tried to score an option that closes or changes a service they use."""


@dataclass(frozen=True)
class Criterion:
    """One thing options are judged on, with its weight (>= 0, any scale)."""

    key: str
    label: str
    weight: float = 1.0
    built_in: bool = False


@dataclass(frozen=True)
class Option:
    """One option before the group; `changed_services` are the ids it closes or reshapes."""

    option_id: str
    name: str
    changed_services: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Participant:
    """A member of the group who scores; `services_used` are the services they declare using.

    `group` says which part of the steering group they speak for (one of `PARTICIPANT_GROUPS`,
    or "" when not said), so the results can warn when one group scored an option alone.
    """

    participant_id: str
    name: str
    services_used: frozenset[str] = frozenset()
    group: str = ""


@dataclass(frozen=True)
class Score:
    """One participant's score (0-10) of one option on one criterion."""

    participant_id: str
    option_id: str
    criterion_key: str
    score: float


_Item = TypeVar("_Item")


def _one_by(items: Sequence[_Item], attribute: str, wanted: str, field_name: str) -> _Item:
    """The item whose `attribute` equals `wanted`, or an error listing the ones there are."""
    for item in items:
        if getattr(item, attribute) == wanted:
            return item
    raise PlannerInputError(
        f"{field_name}: expected one of {[getattr(i, attribute) for i in items]}, found {wanted!r}")


@dataclass(frozen=True)
class Appraisal:
    """The criteria, options, participants and scores of one appraisal, all checked."""

    criteria: tuple[Criterion, ...]
    options: tuple[Option, ...]
    participants: tuple[Participant, ...]
    scores: tuple[Score, ...] = ()

    def __post_init__(self) -> None:
        for name in ("criteria", "options", "participants", "scores"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        _unique("criterion key", [c.key for c in self.criteria])
        _unique("option_id", [o.option_id for o in self.options])
        _unique("participant_id", [p.participant_id for p in self.participants])
        for criterion in self.criteria:
            _check_key("criterion key", criterion.key)
            _check_text(f"criterion {criterion.key!r} label", criterion.label)
            _check_weight(criterion.key, criterion.weight)
        for option in self.options:
            _check_text("option_id", option.option_id)
            _check_text(f"option {option.option_id!r} name", option.name)
        for participant in self.participants:
            _check_text("participant_id", participant.participant_id)
            _check_text(f"participant {participant.participant_id!r} name", participant.name)
            if participant.group not in ("", *PARTICIPANT_GROUPS):
                raise PlannerInputError(
                    f"participant {participant.participant_id!r} group: expected one of "
                    f"{', '.join(PARTICIPANT_GROUPS)} (or none), found {participant.group!r}")
        seen: set[tuple[str, str, str]] = set()
        for score in self.scores:
            key = (score.participant_id, score.option_id, score.criterion_key)
            if key in seen:
                raise PlannerInputError(
                    f"scores: expected one score per participant, option and criterion, "
                    f"found two for {key}"
                )
            seen.add(key)
            _check_score(self, score)

    def participant(self, participant_id: str) -> Participant:
        """Return the participant with id `participant_id`."""
        return _one_by(self.participants, "participant_id", participant_id, "participant_id")

    def option(self, option_id: str) -> Option:
        """Return the option with id `option_id`."""
        return _one_by(self.options, "option_id", option_id, "option_id")

    def criterion(self, key: str) -> Criterion:
        """Return the criterion with key `key`."""
        return _one_by(self.criteria, "key", key, "criterion key")


@dataclass(frozen=True)
class AppraisalResults:
    """The outcome of an appraisal as tidy tables.

    `totals`: one row per option: option_id, name, weighted_total (0-10, mean over
    participants with a complete scorecard), min_total, max_total, sd_total
    (population standard deviation across those participants), n_participants,
    n_conflicted (participants barred by the conflict-of-interest rule), rank
    (1 = best, ties share a rank, missing when nobody has scored the option).

    `sensitivity`: one row per criterion, weight factor and option: criterion_key,
    weight_factor, option_id, weighted_total, rank, base_rank, rank_change (rank
    minus base_rank; negative = moves up).

    `criterion_means`: option_id, criterion_key, mean_score, n_scores.
    """

    totals: pd.DataFrame
    sensitivity: pd.DataFrame
    criterion_means: pd.DataFrame
    weight_change: float

    @property
    def unstable_option_ids(self) -> tuple[str, ...]:
        """Return the options whose rank changes when any one weight moves."""
        changed = self.sensitivity.loc[self.sensitivity["rank_change"].fillna(0) != 0,
                                       "option_id"]
        return tuple(option_id for option_id in self.totals["option_id"]
                     if option_id in set(changed))

    @property
    def ranking_is_stable(self) -> bool:
        """Whether no option changes rank under any of the weight changes tried."""
        return not self.unstable_option_ids


def _unique(what: str, values: list[str]) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise PlannerInputError(f"{what}: expected each to be unique, found {value!r} twice")
        seen.add(value)


def _check_text(where: str, value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise PlannerInputError(f"{where}: expected non-blank text, found {value!r}")


def _check_key(where: str, key: object) -> None:
    if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
        raise PlannerInputError(
            f"{where}: expected 1-40 characters from a-z, 0-9 and '_', found {key!r}"
        )


def _check_weight(key: str, weight: object) -> None:
    if (isinstance(weight, bool) or not isinstance(weight, int | float)
            or not math.isfinite(weight) or weight < 0):
        raise PlannerInputError(
            f"criterion {key!r} weight: expected a finite number >= 0, found {weight!r}"
        )


def _conflicting_services(participant: Participant, option: Option) -> frozenset[str]:
    return participant.services_used & option.changed_services


def _check_score(appraisal: Appraisal, score: Score) -> None:
    participant = appraisal.participant(score.participant_id)
    option = appraisal.option(score.option_id)
    appraisal.criterion(score.criterion_key)
    value = score.score
    if (isinstance(value, bool) or not isinstance(value, int | float)
            or not math.isfinite(value) or not MIN_SCORE <= value <= MAX_SCORE):
        raise PlannerInputError(
            f"score of option {option.option_id!r} on {score.criterion_key!r} by "
            f"{participant.participant_id!r}: expected a number from {MIN_SCORE:g} to "
            f"{MAX_SCORE:g}, found {value!r}"
        )
    conflicts = _conflicting_services(participant, option)
    if conflicts:
        raise ConflictOfInterestError(
            f"{participant.name} declared using {', '.join(sorted(conflicts))}, which option "
            f"{option.name!r} closes or changes, so under the conflict-of-interest rule "
            f"{participant.name} may not score option {option.name!r}"
        )


def default_criteria() -> tuple[Criterion, ...]:
    """Return the four built-in criteria, equally weighted."""
    return tuple(Criterion(key=key, label=label, weight=1.0, built_in=True)
                 for key, label in BUILT_IN_CRITERIA)


def new_appraisal(options: Iterable[Option], participants: Iterable[Participant], *,
                  criteria: Iterable[Criterion] | None = None) -> Appraisal:
    """Start an appraisal of `options` by `participants` (built-in criteria by default)."""
    return Appraisal(criteria=tuple(default_criteria() if criteria is None else criteria),
                     options=tuple(options), participants=tuple(participants))


def option_from_scenario(option_id: str, name: str, content: ScenarioContent) -> Option:
    """Return an option for a saved scenario; it changes every service not kept as is."""
    changed = frozenset(service_id for service_id, decision
                        in content.service_decisions.items() if decision != "keep")
    return Option(option_id=option_id, name=name, changed_services=changed)


def eligible_options(appraisal: Appraisal, participant_id: str) -> tuple[Option, ...]:
    """Return the options `participant_id` may score (those not changing a service they use)."""
    participant = appraisal.participant(participant_id)
    return tuple(option for option in appraisal.options
                 if not _conflicting_services(participant, option))


def record_score(appraisal: Appraisal, participant_id: str, option_id: str,
                 criterion_key: str, score: float) -> Appraisal:
    """Return `appraisal` with this score set (replacing an earlier one), checking the rules."""
    new = Score(participant_id=participant_id, option_id=option_id,
                criterion_key=criterion_key, score=score)
    _check_score(appraisal, new)
    kept = tuple(s for s in appraisal.scores
                 if (s.participant_id, s.option_id, s.criterion_key)
                 != (participant_id, option_id, criterion_key))
    return replace(appraisal, scores=(*kept, new))


def declare_services(appraisal: Appraisal, participant_id: str,
                     services_used: Iterable[str]) -> Appraisal:
    """Set the services a participant uses, dropping their scores the rule now bars."""
    participant = replace(appraisal.participant(participant_id),
                          services_used=frozenset(services_used))
    participants = tuple(participant if p.participant_id == participant_id else p
                         for p in appraisal.participants)
    barred = {o.option_id for o in appraisal.options
              if _conflicting_services(participant, o)}
    scores = tuple(s for s in appraisal.scores
                   if not (s.participant_id == participant_id and s.option_id in barred))
    return replace(appraisal, participants=participants, scores=scores)


def set_weight(appraisal: Appraisal, criterion_key: str, weight: float) -> Appraisal:
    """Return `appraisal` with the weight of one criterion changed."""
    criterion = appraisal.criterion(criterion_key)
    _check_weight(criterion_key, weight)
    criteria = tuple(replace(c, weight=float(weight)) if c is criterion else c
                     for c in appraisal.criteria)
    return replace(appraisal, criteria=criteria)


def criterion_key_from_label(label: str) -> str:
    """Return a key such as "keeps_a_safe_space" for the label "Keeps a safe space"."""
    key = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")[:40].strip("_")
    _check_key(f"criterion label {label!r}", key)
    return key


def add_criterion(appraisal: Appraisal, label: str, weight: float = 1.0, *,
                  key: str | None = None) -> Appraisal:
    """Return `appraisal` with a criterion of the group's own added."""
    criterion = Criterion(key=key or criterion_key_from_label(label), label=label,
                          weight=weight, built_in=False)
    return replace(appraisal, criteria=(*appraisal.criteria, criterion))


def remove_criterion(appraisal: Appraisal, criterion_key: str) -> Appraisal:
    """Return `appraisal` without a group's own criterion and its scores.

    Built-in criteria cannot be removed; set their weight to 0 instead, so the record
    shows the group chose to disregard them.
    """
    criterion = appraisal.criterion(criterion_key)
    if criterion.built_in:
        raise PlannerInputError(
            f"criterion {criterion_key!r}: built-in criteria cannot be removed; "
            "set the weight to 0 instead"
        )
    return replace(appraisal,
                   criteria=tuple(c for c in appraisal.criteria if c.key != criterion_key),
                   scores=tuple(s for s in appraisal.scores
                                if s.criterion_key != criterion_key))


def _score_cube(appraisal: Appraisal) -> np.ndarray:
    """Return scores as [participant, option, criterion] with NaN where not scored."""
    p_index = {p.participant_id: i for i, p in enumerate(appraisal.participants)}
    o_index = {o.option_id: i for i, o in enumerate(appraisal.options)}
    c_index = {c.key: i for i, c in enumerate(appraisal.criteria)}
    cube = np.full((len(p_index), len(o_index), len(c_index)), np.nan)
    for s in appraisal.scores:
        cube[p_index[s.participant_id], o_index[s.option_id], c_index[s.criterion_key]] = (
            s.score)
    return cube


def _participant_totals(cube: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Return [participant, option] weighted totals (0-10); NaN for incomplete scorecards."""
    counted = weights > 0
    complete = ~np.isnan(cube[:, :, counted]).any(axis=2)
    weighted = np.where(np.isnan(cube), 0.0, cube) * weights
    totals = weighted.sum(axis=2) / weights.sum()
    return np.where(complete, totals, np.nan)


def _ranks(option_totals: np.ndarray) -> pd.Series:
    ranks = pd.Series(np.round(option_totals, _ROUND_DECIMALS)).rank(
        ascending=False, method="min")
    return ranks.astype("Int64")


def _option_totals(participant_totals: np.ndarray) -> np.ndarray:
    scored = ~np.isnan(participant_totals)
    sums = np.where(scored, participant_totals, 0.0).sum(axis=0)
    counts = scored.sum(axis=0)
    return np.divide(sums, counts, out=np.full(sums.shape, np.nan), where=counts > 0)


def appraisal_results(appraisal: Appraisal, *,
                      weight_change: float = DEFAULT_WEIGHT_CHANGE) -> AppraisalResults:
    """Return weighted totals, spread and rank stability of every option.

    `weight_change` is the fraction by which each weight in turn is lowered and
    raised (0.5 tries each weight at half and at one and a half times its value).
    """
    if not appraisal.options:
        raise PlannerInputError("options: expected at least one option to appraise, found none")
    if not appraisal.criteria:
        raise PlannerInputError("criteria: expected at least one criterion, found none")
    if (isinstance(weight_change, bool) or not isinstance(weight_change, int | float)
            or not 0 < weight_change < 1):
        raise PlannerInputError(
            f"weight_change: expected a fraction between 0 and 1, found {weight_change!r}"
        )
    weights = np.array([c.weight for c in appraisal.criteria], dtype=float)
    if not (weights > 0).any():
        raise PlannerInputError(
            "criteria weights: expected at least one weight above 0, found all 0"
        )
    cube = _score_cube(appraisal)
    by_participant = _participant_totals(cube, weights)
    base_totals = _option_totals(by_participant)
    base_ranks = _ranks(base_totals)
    scored = ~np.isnan(by_participant)
    option_ids = [o.option_id for o in appraisal.options]

    with np.errstate(all="ignore"):
        totals = pd.DataFrame({
            "option_id": option_ids,
            "name": [o.name for o in appraisal.options],
            "weighted_total": base_totals,
            "min_total": [np.nanmin(col) if col_scored.any() else np.nan
                          for col, col_scored in zip(by_participant.T, scored.T, strict=True)],
            "max_total": [np.nanmax(col) if col_scored.any() else np.nan
                          for col, col_scored in zip(by_participant.T, scored.T, strict=True)],
            "sd_total": [float(np.std(col[col_scored])) if col_scored.any() else np.nan
                         for col, col_scored in zip(by_participant.T, scored.T, strict=True)],
            "n_participants": scored.sum(axis=0).astype(int),
            "n_conflicted": [sum(1 for p in appraisal.participants
                                 if _conflicting_services(p, o)) for o in appraisal.options],
            "rank": base_ranks,
        })

    rows: list[dict[str, Any]] = []
    for i, criterion in enumerate(appraisal.criteria):
        if criterion.weight <= 0:
            continue
        for factor in (1 - weight_change, 1 + weight_change):
            varied = weights.copy()
            varied[i] *= factor
            varied_totals = _option_totals(_participant_totals(cube, varied))
            varied_ranks = _ranks(varied_totals)
            for j, option_id in enumerate(option_ids):
                rows.append({
                    "criterion_key": criterion.key,
                    "weight_factor": float(factor),
                    "option_id": option_id,
                    "weighted_total": varied_totals[j],
                    "rank": varied_ranks[j],
                    "base_rank": base_ranks[j],
                })
    sensitivity = pd.DataFrame(rows, columns=["criterion_key", "weight_factor", "option_id",
                                              "weighted_total", "rank", "base_rank"])
    sensitivity["rank"] = sensitivity["rank"].astype("Int64")
    sensitivity["base_rank"] = sensitivity["base_rank"].astype("Int64")
    sensitivity["rank_change"] = sensitivity["rank"] - sensitivity["base_rank"]

    return AppraisalResults(totals=totals, sensitivity=sensitivity,
                            criterion_means=_criterion_means(appraisal),
                            weight_change=float(weight_change))


@dataclass(frozen=True)
class ScoringWarning:
    """A plain warning about how far one option's total can be trusted."""

    option_id: str
    kind: str  # "thin": too few scorers; "one group": mostly one group's scores
    text: str


def scoring_warnings(appraisal: Appraisal, results: AppraisalResults) -> tuple[ScoringWarning, ...]:
    """Warn where an option was scored by fewer than half the participants, or mostly by one group.

    A complete score sheet counts as scoring the option. "Mostly by one group" needs the
    participants to come from at least two groups, the option to have at least two score
    sheets and one group to give more than two thirds of them.
    """
    cube = _score_cube(appraisal)
    weights = np.array([c.weight for c in appraisal.criteria], dtype=float)
    scored = ~np.isnan(_participant_totals(cube, weights)) if weights.any() else np.zeros(cube.shape[:2], bool)
    total = len(appraisal.participants)
    groups = [p.group for p in appraisal.participants]
    named_groups = {g for g in groups if g}
    warnings: list[ScoringWarning] = []
    for j, option in enumerate(appraisal.options):
        count = int(scored[:, j].sum()) if total else 0
        barred = int(results.totals["n_conflicted"].iloc[j])
        if total and count < THIN_SHARE * total:
            why = (f"; {barred} may not score it under the conflict-of-interest rule" if barred else "")
            warnings.append(ScoringWarning(option.option_id, "thin", (
                f"{option.name} was scored by {count} of {total} participants, fewer than half{why}: "
                "its total rests on few views, so treat its place in the order with care.")))
        by_group = [groups[i] for i in np.flatnonzero(scored[:, j]) if groups[i]]
        if len(named_groups) >= 2 and len(by_group) >= 2:
            top = max(set(by_group), key=by_group.count)
            share = by_group.count(top) / count
            if share > ONE_GROUP_SHARE:
                warnings.append(ScoringWarning(option.option_id, "one group", (
                    f"{option.name} was scored mostly by one group: {by_group.count(top)} of its "
                    f"{count} score sheets came from {top}s.")))
    return tuple(warnings)


def _criterion_means(appraisal: Appraisal) -> pd.DataFrame:
    frame = pd.DataFrame(
        [(s.option_id, s.criterion_key, float(s.score)) for s in appraisal.scores],
        columns=["option_id", "criterion_key", "score"],
    )
    grouped = frame.groupby(["option_id", "criterion_key"], sort=False)["score"]
    means = grouped.agg(mean_score="mean", n_scores="count").reset_index()
    full = pd.MultiIndex.from_product(
        [[o.option_id for o in appraisal.options], [c.key for c in appraisal.criteria]],
        names=["option_id", "criterion_key"],
    ).to_frame(index=False)
    out = full.merge(means, on=["option_id", "criterion_key"], how="left")
    out["n_scores"] = out["n_scores"].fillna(0).astype(int)
    return out


def appraisal_to_dict(appraisal: Appraisal) -> dict[str, Any]:
    """Return `appraisal` as plain JSON-ready data (for a dcc.Store or a file)."""
    return {
        "criteria": [{"key": c.key, "label": c.label, "weight": c.weight,
                      "built_in": c.built_in} for c in appraisal.criteria],
        "options": [{"option_id": o.option_id, "name": o.name,
                     "changed_services": sorted(o.changed_services)}
                    for o in appraisal.options],
        "participants": [{"participant_id": p.participant_id, "name": p.name,
                          "services_used": sorted(p.services_used), "group": p.group}
                         for p in appraisal.participants],
        "scores": [{"participant_id": s.participant_id, "option_id": s.option_id,
                    "criterion_key": s.criterion_key, "score": s.score}
                   for s in appraisal.scores],
    }


def _records(data: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    records = data.get(name, [])
    if not isinstance(records, list) or not all(isinstance(r, Mapping) for r in records):
        raise PlannerInputError(f"appraisal {name}: expected a list of mappings, found "
                                f"{records!r:.80}")
    return records


def appraisal_from_dict(data: object) -> Appraisal:
    """Build an appraisal from `appraisal_to_dict` data, checking every rule again."""
    if not isinstance(data, Mapping):
        raise PlannerInputError(f"appraisal: expected a mapping, found {data!r:.80}")
    try:
        return Appraisal(
            criteria=tuple(Criterion(key=r["key"], label=r["label"], weight=r["weight"],
                                     built_in=bool(r.get("built_in", False)))
                           for r in _records(data, "criteria")),
            options=tuple(Option(option_id=r["option_id"], name=r["name"],
                                 changed_services=frozenset(r.get("changed_services", ())))
                          for r in _records(data, "options")),
            participants=tuple(Participant(participant_id=r["participant_id"], name=r["name"],
                                           services_used=frozenset(r.get("services_used", ())),
                                           group=str(r.get("group", "")))
                               for r in _records(data, "participants")),
            scores=tuple(Score(participant_id=r["participant_id"], option_id=r["option_id"],
                               criterion_key=r["criterion_key"], score=r["score"])
                         for r in _records(data, "scores")),
        )
    except KeyError as exc:
        raise PlannerInputError(f"appraisal: a record is missing the key {exc.args[0]!r}"
                                ) from None

"""Expected outcomes of a plan: people supported, jobs, mainstream activity, contact, volunteering.

Also the cost per outcome, how well a plan reaches women, 18-24s and black and minority
ethnic people against their share of need, and the estimated uptake of direct payments
over the contract years with its effect on block-contract funding.

How the figures are worked out (yearly, once the transition is over)
--------------------------------------------------------------------
* People supported per line come from staffing: IPS = employment specialists x
  min(caseload, fidelity cap), so adding specialists raises it but a caseload above
  the cap does not (optionally no more than the referrals); a hub = its
  ``capacity_places`` or hub workers x people per worker; community links = workers x
  caseload; kept or reshaped old services = their clients x the share of budget they
  keep, split into vocational (the employment share of the budget) and day support;
  direct payments = amount / average award.
* Each outcome = people supported on a line x that line's yearly rate from the
  assumptions table (lines without a rate for an outcome contribute none).
* Cost per outcome for a line = its yearly cost / its main outcome; for the plan, the
  cost of the lines whose main aim an outcome is, divided by those lines' outcomes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from geo.assumptions import Assumptions
from geo.errors import PlannerInputError
from geo.investment import (
    SERVICE_BUDGET_COLUMNS,
    InvestmentPlan,
    hub_running_cost_gbp,
    ips_cost_gbp,
    links_cost_gbp,
    links_workers,
    retained_fraction,
    service_columns,
)

RateScenario = Literal["central", "low", "high"]

OUTCOMES = ("job_starts", "mainstream_participation", "social_contact", "volunteering")
OUTCOME_LABELS = {
    "job_starts": "Paid job starts",
    "mainstream_participation": "People taking part in mainstream activities",
    "social_contact": "People gaining new social contacts",
    "volunteering": "People starting voluntary work",
}
SUPPORT_LINES = ("hub", "community_links", "ips", "existing_day", "existing_vocational",
                 "direct_payments")
SUPPORT_LINE_LABELS = {
    "hub": "Resource hubs",
    "community_links": "Community links",
    "ips": "IPS employment service",
    "existing_day": "Kept day services",
    "existing_vocational": "Kept vocational services",
    "direct_payments": "Direct payments and individual budgets",
}
# The yearly rate (assumption key) of each outcome on each line; absent = not modelled.
RATE_KEYS: dict[str, dict[str, str]] = {
    "hub": {
        "mainstream_participation": "rate_mainstream_hub",
        "social_contact": "rate_social_contact_hub",
        "volunteering": "rate_volunteering_hub",
    },
    "community_links": {
        "mainstream_participation": "rate_mainstream_links",
        "social_contact": "rate_social_contact_links",
        "volunteering": "rate_volunteering_links",
    },
    "ips": {"job_starts": "rate_job_start_ips"},
    "existing_day": {
        "mainstream_participation": "rate_mainstream_traditional",
        "social_contact": "rate_social_contact_traditional",
        "volunteering": "rate_volunteering_traditional",
    },
    "existing_vocational": {"job_starts": "rate_job_start_traditional"},
    "direct_payments": {},
}
MAIN_OUTCOME: dict[str, str | None] = {
    "hub": "social_contact",
    "community_links": "mainstream_participation",
    "ips": "job_starts",
    "existing_day": "social_contact",
    "existing_vocational": "job_starts",
    "direct_payments": None,
}

GROUPS = ("women", "age_18_24", "bme")
GROUP_LABELS = {
    "women": "Women",
    "age_18_24": "People aged 18 to 24",
    "bme": "Black and minority ethnic people",
}
CLIENT_GROUP_COLUMNS = {"women": "clients_female", "age_18_24": "clients_18_24",
                        "bme": "clients_bme"}

FloatArray = npt.NDArray[np.float64]


def _fail(where: str, expected: str, found: object) -> PlannerInputError:
    return PlannerInputError(f"{where}: expected {expected}, found {found!r}")


def ips_people_supported(
    specialists: float, assumptions: Assumptions, *, referrals_per_year: float | None = None
) -> float:
    """People the IPS service supports in a year: specialists x min(caseload, fidelity cap).

    A caseload above the IPS fidelity cap (20 by default) adds no one: beyond it the
    service stops being IPS and its results cannot be expected. When
    ``referrals_per_year`` is given, no more people than are referred can be supported.
    """
    caseload = min(assumptions["ips_caseload"], assumptions["ips_caseload_cap"])
    supported = max(0.0, specialists) * caseload
    if referrals_per_year is not None:
        supported = min(supported, max(0.0, referrals_per_year))
    return supported


def expected_job_starts(
    specialists: float,
    assumptions: Assumptions,
    *,
    referrals_per_year: float | None = None,
    rates: RateScenario = "central",
) -> float:
    """Paid job starts a year from the IPS service (people supported x the IPS job-start rate)."""
    people = ips_people_supported(specialists, assumptions,
                                  referrals_per_year=referrals_per_year)
    return people * _rate(assumptions, "rate_job_start_ips", rates)


def expected_outcomes(
    services: pd.DataFrame,
    plan: InvestmentPlan,
    assumptions: Assumptions,
    *,
    ips_referrals_per_year: float | None = None,
    rates: RateScenario = "central",
) -> pd.DataFrame:
    """Return people supported, expected outcomes and costs per support line, for a year.

    One row per line in :data:`SUPPORT_LINES` (always all of them, zeros where a plan
    has none). Columns: line, label, people_supported, one column per outcome in
    :data:`OUTCOMES`, cost_gbp, gbp_per_person, main_outcome and gbp_per_main_outcome
    (NaN where there is none). ``rates`` picks the central, low or high outcome rates.
    """
    employment = SERVICE_BUDGET_COLUMNS["employment"]
    columns = service_columns(services, ("service_id", "budget_gbp", employment, "clients"))
    people = dict.fromkeys(SUPPORT_LINES, 0.0)
    cost = dict.fromkeys(SUPPORT_LINES, 0.0)

    for i, service_id in enumerate(columns["service_id"]):
        kept = retained_fraction(plan.service_decisions.get(service_id, "keep"), assumptions)
        budget = columns["budget_gbp"][i]
        vocational = columns[employment][i] / budget if budget > 0 else 0.0
        clients = columns["clients"][i]
        people["existing_vocational"] += clients * kept * vocational
        people["existing_day"] += clients * kept * (1.0 - vocational)
        cost["existing_vocational"] += budget * kept * vocational
        cost["existing_day"] += budget * kept * (1.0 - vocational)

    for hub in plan.hubs:
        workers = (assumptions["hub_workers_per_hub"] if hub.hub_workers is None
                   else hub.hub_workers)
        people["hub"] += (workers * assumptions["hub_people_per_worker"]
                          if hub.capacity_places is None else float(hub.capacity_places))
        cost["hub"] += hub_running_cost_gbp(hub, assumptions)
        links = links_workers(hub, assumptions)
        people["community_links"] += links * assumptions["links_caseload"]
        cost["community_links"] += links_cost_gbp(links, assumptions)

    people["ips"] = ips_people_supported(plan.ips_specialists, assumptions,
                                         referrals_per_year=ips_referrals_per_year)
    cost["ips"] = ips_cost_gbp(plan.ips_specialists, plan.ips_managers, assumptions)
    award = assumptions["dp_average_award_gbp"]
    people["direct_payments"] = plan.direct_payments_gbp / award if award > 0 else 0.0
    cost["direct_payments"] = plan.direct_payments_gbp

    rows = []
    for line in SUPPORT_LINES:
        counts = {
            outcome: people[line] * _rate(assumptions, RATE_KEYS[line][outcome], rates)
            if outcome in RATE_KEYS[line] else 0.0
            for outcome in OUTCOMES
        }
        main = MAIN_OUTCOME[line]
        rows.append({
            "line": line,
            "label": SUPPORT_LINE_LABELS[line],
            "people_supported": people[line],
            **counts,
            "cost_gbp": cost[line],
            "gbp_per_person": _per(cost[line], people[line]),
            "main_outcome": main,
            "gbp_per_main_outcome": math.nan if main is None else _per(cost[line], counts[main]),
        })
    return pd.DataFrame(rows)


def outcome_totals(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Return each outcome's total and the plan's cost per outcome from :func:`expected_outcomes`.

    Columns: outcome, label, count, main_lines_cost_gbp (the cost of the lines whose
    main aim this outcome is), gbp_per_outcome (that cost / those lines' outcomes).
    """
    rows = []
    for outcome in OUTCOMES:
        main_lines = outcomes["main_outcome"] == outcome
        main_cost = float(outcomes.loc[main_lines, "cost_gbp"].sum())
        main_count = float(outcomes.loc[main_lines, outcome].sum())
        rows.append({
            "outcome": outcome,
            "label": OUTCOME_LABELS[outcome],
            "count": float(outcomes[outcome].sum()),
            "main_lines_cost_gbp": main_cost,
            "gbp_per_outcome": _per(main_cost, main_count),
        })
    return pd.DataFrame(rows)


def group_shares_from_areas(areas: pd.DataFrame) -> dict[str, FloatArray]:
    """Return each group's share of each area's population, from the demo ``areas`` layer.

    Women are ``pop_female / pop_total``; 18-24s are ``pop_18_24 / pop_adult``; black
    and minority ethnic people are ``bme_share``. Empty areas get a share of 0. A group whose
    figures are not known for every area (an upload without figures by sex, age or ethnicity)
    is left out: its reach cannot be worked out, and a guess would be shown as a fact.
    """
    needed = ("pop_female", "pop_total", "pop_18_24", "pop_adult", "bme_share")
    missing = [c for c in needed if c not in areas.columns]
    if missing:
        raise PlannerInputError(f"areas: missing column(s) {', '.join(missing)}")

    def ratio(top: str, bottom: str) -> FloatArray:
        numerator = areas[top].to_numpy(dtype=float)
        denominator = areas[bottom].to_numpy(dtype=float)
        return np.divide(numerator, denominator, out=np.zeros_like(numerator),
                         where=denominator > 0)

    known = {
        "women": areas["pop_female"].notna().all(),
        "age_18_24": areas["pop_18_24"].notna().all(),
        "bme": areas["bme_share"].notna().all(),
    }
    shares = {
        "women": lambda: ratio("pop_female", "pop_total"),
        "age_18_24": lambda: ratio("pop_18_24", "pop_adult"),
        "bme": lambda: areas["bme_share"].to_numpy(dtype=float),
    }
    return {group: share() for group, share in shares.items() if known[group]}


def group_reach(
    need: npt.ArrayLike,
    reached: npt.ArrayLike,
    group_shares: Mapping[str, npt.ArrayLike],
) -> pd.DataFrame:
    """Compare each group's share of the need a plan reaches with its share of all need.

    ``need`` is each area's need weight; ``reached`` the share (0 to 1) of each area's
    need the plan reaches (e.g. 1 within the access threshold, else 0); ``group_shares``
    maps a group to its share (0 to 1) of each area's people. Columns: group, label,
    share_of_need, share_of_reached, reach_ratio (share_of_reached / share_of_need: 1 is
    a fair share, below 1 under-reached) and coverage (share of the group's need reached).
    """
    need_array = _area_array("need", need)
    reached_array = _area_array("reached", reached, length=len(need_array), high=1.0)
    if need_array.sum() <= 0:
        raise _fail("need", "weights adding up to more than 0", float(need_array.sum()))
    reached_need = need_array * reached_array
    rows = []
    for group, shares in group_shares.items():
        share_array = _area_array(f"group_shares[{group!r}]", shares, length=len(need_array),
                                  high=1.0)
        group_need = float((need_array * share_array).sum())
        group_reached = float((reached_need * share_array).sum())
        share_of_need = group_need / float(need_array.sum())
        share_of_reached = _per(group_reached, float(reached_need.sum()))
        rows.append({
            "group": group,
            "label": GROUP_LABELS.get(group, group),
            "share_of_need": share_of_need,
            "share_of_reached": share_of_reached,
            "reach_ratio": _per(share_of_reached, share_of_need),
            "coverage": _per(group_reached, group_need),
        })
    return pd.DataFrame(rows, columns=["group", "label", "share_of_need", "share_of_reached",
                                       "reach_ratio", "coverage"])


def client_group_shares(services: pd.DataFrame) -> pd.DataFrame:
    """Return each group's share of today's service users (columns: group, label, share_of_clients)."""
    missing = [c for c in ("clients", *CLIENT_GROUP_COLUMNS.values()) if c not in services.columns]
    if missing:
        raise PlannerInputError(f"services: missing column(s) {', '.join(missing)}")
    clients = float(services["clients"].sum())
    return pd.DataFrame([
        {"group": group, "label": GROUP_LABELS[group],
         "share_of_clients": _per(float(services[column].sum()), clients)}
        for group, column in CLIENT_GROUP_COLUMNS.items()
    ])


def direct_payments_outlook(block_contract_gbp: float, assumptions: Assumptions) -> pd.DataFrame:
    """Estimate direct-payments uptake over the contract years and what it leaves block contracts.

    Uptake (a share of block-contract funding) rises in a straight line from
    ``dp_uptake_first_year`` in year 1 to ``dp_uptake_final_year`` in the last year;
    the low and high columns use the ends of both rows' ranges. Money taken up as direct
    payments leaves the block contracts: ``block = block_contract_gbp x (1 - uptake)``,
    so the block's low goes with the uptake's high. People on direct payments = amount /
    ``dp_average_award_gbp``.
    """
    if (isinstance(block_contract_gbp, bool) or not isinstance(block_contract_gbp, int | float)
            or not math.isfinite(block_contract_gbp) or block_contract_gbp < 0):
        raise _fail("block_contract_gbp", "GBP of at least 0", block_contract_gbp)
    years = int(assumptions["contract_years"])
    award = assumptions["dp_average_award_gbp"]
    ramps = {
        "": (assumptions["dp_uptake_first_year"], assumptions["dp_uptake_final_year"]),
        "_low": (assumptions.low("dp_uptake_first_year"), assumptions.low("dp_uptake_final_year")),
        "_high": (assumptions.high("dp_uptake_first_year"),
                  assumptions.high("dp_uptake_final_year")),
    }
    rows = []
    for year in range(1, years + 1):
        progress = (year - 1) / (years - 1) if years > 1 else 1.0
        row: dict[str, float] = {"contract_year": year}
        for suffix, (first, final) in ramps.items():
            uptake = first + (final - first) * progress
            row[f"uptake_share{suffix}"] = uptake
            row[f"direct_payments_gbp{suffix}"] = block_contract_gbp * uptake
            row[f"people_on_direct_payments{suffix}"] = _per(block_contract_gbp * uptake, award)
        for suffix, uptake_suffix in (("", ""), ("_low", "_high"), ("_high", "_low")):
            row[f"block_contract_gbp{suffix}"] = (
                block_contract_gbp * (1.0 - row[f"uptake_share{uptake_suffix}"])
            )
        rows.append(row)
    table = pd.DataFrame(rows)
    table["contract_year"] = table["contract_year"].astype(int)
    return table


def _rate(assumptions: Assumptions, key: str, rates: RateScenario) -> float:
    if rates == "central":
        return assumptions[key]
    if rates == "low":
        return assumptions.low(key)
    if rates == "high":
        return assumptions.high(key)
    raise _fail("rates", "'central', 'low' or 'high'", rates)


def _per(amount: float, count: float) -> float:
    return amount / count if count > 0 else math.nan


def _area_array(
    where: str, values: npt.ArrayLike, *, length: int | None = None, high: float | None = None
) -> FloatArray:
    try:
        array = np.asarray(values, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise _fail(where, "numbers, one per area", values) from None
    if length is not None and len(array) != length:
        raise _fail(where, f"{length} values (one per area)", f"{len(array)} values")
    bad = ~np.isfinite(array) | (array < 0)
    if high is not None:
        bad |= array > high
    if bad.any():
        row = int(bad.argmax())
        span = "at least 0" if high is None else f"between 0 and {high:g}"
        raise _fail(f"{where}, area {row + 1}", f"a number {span}", float(array[row]))
    return array


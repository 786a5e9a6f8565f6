"""The investment ledger of a plan: money released from old services and reinvested in new ones.

A plan decides, for each existing service, to keep, reshape or decommission it, and
funds new lines: resource hubs (with outreach points), community links workers based
in the hubs, one locality-wide IPS employment service and a direct-payments and
individual-budgets line. The ledger is a tidy table with one row per line and service
model, so today-against-plan by model, district or contract lot, and the waterfall of
money released and reinvested, are group-bys of the same numbers and always add up.

Costing formula (all amounts in GBP per year)
---------------------------------------------
Let ``b`` be an existing service's annual budget, ``m`` the transition (double-running)
months, ``f`` the share a reshaped service keeps, and ``t`` the contract year (1, 2, ...).
The share of the money to be released that is actually free in year ``t`` is::

    r(t) = min(1, max(0, (12 * t - m) / 12))

so with the default six months, half is free in year 1 and all of it from year 2: the
old service keeps running (and being paid) for ``m`` months while the new services
start. For a full year once the transition is over (``contract_year=None``), r = 1.

* keep: plan spend ``b``, released 0.
* decommission: released ``b * r(t)``; plan spend (double running) ``b * (1 - r(t))``.
  In year 1 this is ``released = b - b * m / 12`` for ``m`` up to 12.
* reshape: the service keeps ``f * b`` for good; released ``(1 - f) * b * r(t)``; plan
  spend ``f * b + (1 - f) * b * (1 - r(t))``. The kept money keeps the service's
  mix of day activity, employment and mainstream spend.

New lines (salaries carry on-costs: ``salary * (1 + on_costs_fraction)`` per FTE):

* resource hub: hub workers x salary + running cost + outreach points x point cost,
  plus the one-off set-up cost in contract year 1 for a hub on a new site;
* community links: workers per hub x links salary (counted in the hub's district);
* IPS: managers x manager salary + employment specialists x specialist salary;
* direct payments and individual budgets: the amount the plan sets.

Then ``plan total = spend today - released + hubs + community links + IPS + direct
payments``, and ``headroom = spend today - plan total`` (above 0: money to spare).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import pandas as pd

from geo.assumptions import Assumptions
from geo.errors import PlannerInputError
from geo.money import DEFAULT_IPS_MANAGERS_FTE, DEFAULT_IPS_SPECIALISTS_FTE, links_workers_per_hub
from geo.scenarios import SERVICE_DECISIONS, ScenarioContent, ServiceDecision

DEFAULT_IPS_SPECIALISTS = DEFAULT_IPS_SPECIALISTS_FTE
DEFAULT_IPS_MANAGERS = DEFAULT_IPS_MANAGERS_FTE

LOCALITY_WIDE = "Locality-wide"
NO_TOWN = "Not in a town"

MODELS = ("day_activity", "employment", "mainstream", "direct_payments")
MODEL_LABELS = {
    "day_activity": "Day activity, social networking and skills",
    "employment": "Specialist employment support",
    "mainstream": "Support into mainstream activities",
    "direct_payments": "Direct payments and individual budgets",
}
# Which service model each new line's money counts under.
NEW_LINE_MODELS = {
    "hub": "day_activity",
    "community_links": "mainstream",
    "ips": "employment",
    "direct_payments": "direct_payments",
}
LINE_TYPES = ("existing", "hub", "community_links", "ips", "direct_payments")
LINE_TYPE_LABELS = {
    "existing": "Existing services",
    "hub": "Resource hubs",
    "community_links": "Community links",
    "ips": "IPS employment service",
    "direct_payments": "Direct payments and individual budgets",
}
# Lines paid through block contracts, which direct payments draw money away from.
BLOCK_CONTRACT_LINES = ("existing", "hub", "community_links")

SERVICE_BUDGET_COLUMNS = {
    "day_activity": "budget_day_activity_gbp",
    "employment": "budget_employment_gbp",
    "mainstream": "budget_mainstream_gbp",
}
REQUIRED_SERVICE_COLUMNS = (
    "service_id", "name", "district", "town", "budget_gbp", *SERVICE_BUDGET_COLUMNS.values(),
)
LEDGER_COLUMNS = (
    "line_id", "line_type", "name", "decision", "district", "lot", "town", "area_code",
    "model", "current_gbp", "plan_gbp", "released_gbp", "set_up_gbp",
)
_AMOUNTS = ["current_gbp", "plan_gbp", "released_gbp", "set_up_gbp"]


def _fail(where: str, expected: str, found: object) -> PlannerInputError:
    return PlannerInputError(f"{where}: expected {expected}, found {found!r}")


def _count(where: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _fail(where, "a finite number", value)
    if value < 0:
        raise _fail(where, "a number of at least 0", value)
    return float(value)


@dataclass(frozen=True)
class PlannedHub:
    """A resource hub as the ledger costs it.

    ``hub_workers`` and ``links_workers`` (full-time equivalents) default to the
    assumptions' per-hub numbers when None. ``new_site`` hubs pay the one-off set-up
    cost. ``capacity_places`` (people supported in a year) overrides the staffing-based
    figure the outcomes use when given.
    """

    hub_id: str
    district: str
    name: str = ""
    town: str | None = None
    area_code: str | None = None
    outreach_points: int = 0
    new_site: bool = True
    hub_workers: float | None = None
    links_workers: float | None = None
    capacity_places: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.hub_id, str) or not self.hub_id.strip():
            raise _fail("hub hub_id", "non-blank text", self.hub_id)
        where = f"hub {self.hub_id!r}"
        if not isinstance(self.district, str) or not self.district.strip():
            raise _fail(f"{where} district", "a district name", self.district)
        points = self.outreach_points
        if isinstance(points, bool) or not isinstance(points, int) or points < 0:
            raise _fail(f"{where} outreach_points", "a whole number of at least 0", points)
        if not isinstance(self.new_site, bool):
            raise _fail(f"{where} new_site", "true or false", self.new_site)
        for name in ("hub_workers", "links_workers", "capacity_places"):
            value = getattr(self, name)
            if value is not None:
                _count(f"{where} {name}", value)


@dataclass(frozen=True)
class InvestmentPlan:
    """What a plan does with the money: decisions on old services and the new lines.

    Services not named in ``service_decisions`` are kept. ``ips_specialists`` and
    ``ips_managers`` are full-time equivalents; ``direct_payments_gbp`` is the yearly
    amount put into direct payments and individual budgets.
    """

    service_decisions: Mapping[str, ServiceDecision] = field(default_factory=dict)
    hubs: tuple[PlannedHub, ...] = ()
    ips_specialists: float = DEFAULT_IPS_SPECIALISTS
    ips_managers: float = DEFAULT_IPS_MANAGERS
    direct_payments_gbp: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.service_decisions, Mapping):
            raise _fail("plan service_decisions", "a mapping of service_id to decision",
                        self.service_decisions)
        for service_id, decision in self.service_decisions.items():
            if decision not in SERVICE_DECISIONS:
                raise _fail(f"plan service_decisions[{service_id!r}]",
                            " or ".join(repr(d) for d in SERVICE_DECISIONS), decision)
        object.__setattr__(self, "service_decisions",
                           MappingProxyType(dict(self.service_decisions)))
        hubs = tuple(self.hubs)
        seen: set[str] = set()
        for i, hub in enumerate(hubs):
            if not isinstance(hub, PlannedHub):
                raise _fail(f"plan hubs[{i}]", "a PlannedHub", hub)
            if hub.hub_id in seen:
                raise _fail(f"plan hubs[{i}] hub_id", "an id not used by another hub", hub.hub_id)
            seen.add(hub.hub_id)
        object.__setattr__(self, "hubs", hubs)
        _count("plan ips_specialists", self.ips_specialists)
        _count("plan ips_managers", self.ips_managers)
        _count("plan direct_payments_gbp", self.direct_payments_gbp)


@dataclass(frozen=True)
class InvestmentLedger:
    """A plan's money, one row per line and service model (see the module docstring).

    ``lines`` has the columns in :data:`LEDGER_COLUMNS`; ``contract_year`` is the year
    costed (None: a full year once the transition is over); ``assumptions_version`` is
    the label of the assumptions used.
    """

    lines: pd.DataFrame
    contract_year: int | None
    assumptions_version: str

    @property
    def current_gbp(self) -> float:
        """Spend today on the existing services, GBP per year."""
        return float(self.lines["current_gbp"].sum())

    @property
    def released_gbp(self) -> float:
        """Money freed from decommissioned and reshaped services in this year."""
        return float(self.lines["released_gbp"].sum())

    @property
    def reinvested_gbp(self) -> float:
        """Spend on the new lines (hubs, community links, IPS, direct payments)."""
        new = self.lines["line_type"] != "existing"
        return float(self.lines.loc[new, "plan_gbp"].sum())

    @property
    def plan_gbp(self) -> float:
        """The plan's total spend in this year."""
        return float(self.lines["plan_gbp"].sum())

    @property
    def headroom_gbp(self) -> float:
        """Spend today less the plan's total: above 0 is money to spare, below 0 a gap."""
        return self.current_gbp - self.plan_gbp


def release_fraction(contract_year: int | None, transition_months: float) -> float:
    """Share of a service's to-be-released budget that is free in a contract year.

    ``min(1, max(0, (12 * year - months) / 12))``: the old service is paid for the
    transition months while the new services start. None means a full year after
    the transition, when everything is released.
    """
    if contract_year is None:
        return 1.0
    return min(1.0, max(0.0, (12.0 * contract_year - transition_months) / 12.0))


def retained_fraction(decision: ServiceDecision, assumptions: Assumptions) -> float:
    """Share of a service's budget it keeps for good: keep 1, reshape the assumed share, else 0."""
    if decision == "keep":
        return 1.0
    if decision == "reshape":
        return assumptions["reshape_keep_fraction"]
    return 0.0


def staff_cost_gbp(fte: float, salary_gbp: float, on_costs_fraction: float) -> float:
    """Yearly cost of ``fte`` full-time staff on ``salary_gbp`` with employer on-costs."""
    return fte * salary_gbp * (1.0 + on_costs_fraction)


def hub_running_cost_gbp(hub: PlannedHub, assumptions: Assumptions) -> float:
    """Yearly cost of a hub: its support workers, premises and outreach points (not links)."""
    workers = assumptions["hub_workers_per_hub"] if hub.hub_workers is None else hub.hub_workers
    staff = staff_cost_gbp(workers, assumptions["salary_hub_worker_gbp"],
                           assumptions["on_costs_fraction"])
    outreach = hub.outreach_points * assumptions["outreach_point_cost_gbp"]
    return staff + assumptions["hub_running_cost_gbp"] + outreach


def links_workers(hub: PlannedHub, assumptions: Assumptions) -> float:
    """Community links workers (FTE) based in ``hub``."""
    return assumptions["links_workers_per_hub"] if hub.links_workers is None else hub.links_workers


def links_cost_gbp(workers: float, assumptions: Assumptions) -> float:
    """Yearly cost of ``workers`` community links workers."""
    return staff_cost_gbp(workers, assumptions["salary_links_worker_gbp"],
                          assumptions["on_costs_fraction"])


def ips_cost_gbp(specialists: float, managers: float, assumptions: Assumptions) -> float:
    """Yearly cost of the IPS service: its managers and employment specialists."""
    on_costs = assumptions["on_costs_fraction"]
    return (staff_cost_gbp(managers, assumptions["salary_ips_manager_gbp"], on_costs)
            + staff_cost_gbp(specialists, assumptions["salary_employment_specialist_gbp"],
                             on_costs))


def investment_ledger(
    services: pd.DataFrame,
    plan: InvestmentPlan,
    assumptions: Assumptions,
    *,
    district_lots: Mapping[str, str],
    contract_year: int | None = None,
) -> InvestmentLedger:
    """Cost a plan against today's services for one contract year.

    ``services`` is the demo ``services`` layer (or any table with its budget columns);
    ``district_lots`` maps each district to its contract lot, or to any grouping the
    user defines. See the module docstring for the costing formula.
    """
    columns = service_columns(services)
    _check_decisions(columns["service_id"], plan)
    _check_contract_year(contract_year, assumptions)
    transition = assumptions["transition_months"]
    released_share = release_fraction(contract_year, transition)
    rows: list[dict[str, Any]] = []

    for i, service_id in enumerate(columns["service_id"]):
        decision = plan.service_decisions.get(service_id, "keep")
        district = columns["district"][i]
        lot = _lot(district_lots, district, f"service {service_id!r}")
        to_release = 1.0 - retained_fraction(decision, assumptions)
        for model, column in SERVICE_BUDGET_COLUMNS.items():
            budget = columns[column][i]
            if budget == 0:
                continue
            released = budget * to_release * released_share
            rows.append(_row(
                service_id, "existing", columns["name"][i], decision, district, lot,
                columns["town"][i], None, model,
                current=budget, plan=budget - released, released=released,
            ))

    for hub in plan.hubs:
        lot = _lot(district_lots, hub.district, f"hub {hub.hub_id!r}")
        town = hub.town or NO_TOWN
        set_up = assumptions["hub_set_up_cost_gbp"] if hub.new_site and contract_year == 1 else 0.0
        name = hub.name or hub.hub_id
        rows.append(_row(
            hub.hub_id, "hub", name, None, hub.district, lot, town, hub.area_code,
            NEW_LINE_MODELS["hub"], plan=hub_running_cost_gbp(hub, assumptions) + set_up,
            set_up=set_up,
        ))
        workers = links_workers(hub, assumptions)
        if workers > 0:
            rows.append(_row(
                f"{hub.hub_id}-links", "community_links", f"Community links at {name}", None,
                hub.district, lot, town, hub.area_code, NEW_LINE_MODELS["community_links"],
                plan=links_cost_gbp(workers, assumptions),
            ))

    if plan.ips_specialists > 0 or plan.ips_managers > 0:
        rows.append(_row(
            "ips", "ips", LINE_TYPE_LABELS["ips"], None, LOCALITY_WIDE, LOCALITY_WIDE,
            LOCALITY_WIDE, None, NEW_LINE_MODELS["ips"],
            plan=ips_cost_gbp(plan.ips_specialists, plan.ips_managers, assumptions),
        ))
    if plan.direct_payments_gbp > 0:
        rows.append(_row(
            "direct_payments", "direct_payments", LINE_TYPE_LABELS["direct_payments"], None,
            LOCALITY_WIDE, LOCALITY_WIDE, LOCALITY_WIDE, None,
            NEW_LINE_MODELS["direct_payments"], plan=plan.direct_payments_gbp,
        ))

    lines = pd.DataFrame(rows, columns=list(LEDGER_COLUMNS))
    if lines.empty:
        lines = lines.astype(dict.fromkeys(_AMOUNTS, float))
    return InvestmentLedger(lines=lines, contract_year=contract_year,
                            assumptions_version=assumptions.version)


def ledger_by_year(
    services: pd.DataFrame,
    plan: InvestmentPlan,
    assumptions: Assumptions,
    *,
    district_lots: Mapping[str, str],
) -> pd.DataFrame:
    """Return the plan's totals for each contract year, so double running and set-up show.

    Columns: contract_year, current_gbp, released_gbp, reinvested_gbp, set_up_gbp,
    plan_gbp, headroom_gbp (spend today less the plan's total).
    """
    rows = []
    for year in range(1, int(assumptions["contract_years"]) + 1):
        ledger = investment_ledger(services, plan, assumptions, district_lots=district_lots,
                                   contract_year=year)
        rows.append({
            "contract_year": year,
            "current_gbp": ledger.current_gbp,
            "released_gbp": ledger.released_gbp,
            "reinvested_gbp": ledger.reinvested_gbp,
            "set_up_gbp": float(ledger.lines["set_up_gbp"].sum()),
            "plan_gbp": ledger.plan_gbp,
            "headroom_gbp": ledger.headroom_gbp,
        })
    return pd.DataFrame(rows)


def spend_by(ledger: InvestmentLedger, by: str) -> pd.DataFrame:
    """Return today against the plan grouped by one ledger column (model, district, lot, town...).

    Columns: ``by``, current_gbp, plan_gbp, released_gbp, change_gbp (plan less today),
    current_share and plan_share (0 to 1 of each total; NaN when the total is 0).
    """
    if by not in ledger.lines.columns:
        raise _fail("spend_by by", f"one of {', '.join(LEDGER_COLUMNS)}", by)
    return _grouped(by, _entries(ledger, ledger.lines[by].tolist()))


def spend_by_model(ledger: InvestmentLedger) -> pd.DataFrame:
    """Return today's split of spend by service model against the plan's (the 88/10/2 view).

    Every model in :data:`MODELS` has a row, in that order, with its plain-English label.
    """
    table = _grouped("model", _entries(ledger, ledger.lines["model"].tolist()), order=MODELS)
    table.insert(1, "label", [MODEL_LABELS[model] for model in MODELS])
    return table


def spend_by_district(
    ledger: InvestmentLedger, *, locality_wide_weights: Mapping[str, float] | None = None
) -> pd.DataFrame:
    """Return today against the plan by district.

    Locality-wide lines (IPS, direct payments) form their own row unless
    ``locality_wide_weights`` (district -> weight, e.g. need) is given, in which case
    their money is shared among the districts in proportion to the weights.
    """
    districts = ledger.lines["district"].tolist()
    if locality_wide_weights is None:
        return _grouped("district", _entries(ledger, districts))
    weights = _weights(locality_wide_weights)
    entries = []
    for district, current, plan, released in _entries(ledger, districts):
        if district != LOCALITY_WIDE:
            entries.append((district, current, plan, released))
            continue
        entries.extend(
            (name, current * share, plan * share, released * share)
            for name, share in weights.items()
        )
    return _grouped("district", entries)


def spend_by_lot(
    ledger: InvestmentLedger, *, district_lots: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Return today against the plan by contract lot.

    By default the lots the ledger was built with; pass ``district_lots`` to regroup
    districts into other user-defined groupings without re-costing.
    """
    lots = ledger.lines["lot"].tolist()
    if district_lots is not None:
        lines = ledger.lines
        lots = [
            LOCALITY_WIDE if district == LOCALITY_WIDE
            else _lot(district_lots, district, f"ledger line {line_id!r}")
            for district, line_id in zip(lines["district"], lines["line_id"], strict=True)
        ]
    return _grouped("lot", _entries(ledger, lots))


def waterfall(ledger: InvestmentLedger) -> pd.DataFrame:
    """Return the steps from spend today to the plan's total, ready for a waterfall chart.

    Columns: step (a key), label (plain English), measure ("absolute", "relative" or
    "total", as Plotly's waterfall expects), amount_gbp (released is negative) and
    running_total_gbp. The steps always add up to the plan's total.
    """
    lines = ledger.lines
    current = sum(lines["current_gbp"].tolist())
    released = sum(lines["released_gbp"].tolist())
    reinvested = dict.fromkeys(("hub", "community_links", "ips", "direct_payments"), 0.0)
    for line_type, plan in zip(lines["line_type"], lines["plan_gbp"].tolist(), strict=True):
        if line_type in reinvested:
            reinvested[line_type] += plan
    steps = [
        ("current", "Spend today", "absolute", current),
        ("released", "Released from old services", "relative", -released),
        ("hub", "Resource hubs", "relative", reinvested["hub"]),
        ("community_links", "Community links", "relative", reinvested["community_links"]),
        ("ips", "IPS employment service", "relative", reinvested["ips"]),
        ("direct_payments", "Direct payments and individual budgets", "relative",
         reinvested["direct_payments"]),
    ]
    rows = []
    running = 0.0
    for step, label, measure, amount in steps:
        running += amount
        rows.append((step, label, measure, amount, running))
    rows.append(("plan", "Plan total", "total", running, running))
    return pd.DataFrame(
        rows, columns=["step", "label", "measure", "amount_gbp", "running_total_gbp"]
    )


def block_contract_gbp(ledger: InvestmentLedger) -> float:
    """Plan spend on block-contract lines (kept services, hubs, community links).

    These are the lines direct payments draw money away from; the IPS service is a
    single locality-wide specialist contract and is left out.
    """
    lines = ledger.lines
    return float(lines.loc[lines["line_type"].isin(BLOCK_CONTRACT_LINES), "plan_gbp"].sum())


def district_lots_from_frame(
    districts: pd.DataFrame, *, district_column: str = "district", lot_column: str = "lot"
) -> dict[str, str]:
    """Return ``{district: lot}`` from the demo ``districts`` (or ``areas``) layer."""
    for column in (district_column, lot_column):
        if column not in districts.columns:
            raise _fail("districts table", f"a column {column!r}", list(districts.columns))
    pairs = districts[[district_column, lot_column]].drop_duplicates()
    clashes = pairs[district_column][pairs[district_column].duplicated()]
    if not clashes.empty:
        raise _fail(f"districts table, district {clashes.iloc[0]!r}", "one lot",
                    "more than one")
    return {str(d): str(lot) for d, lot in zip(pairs[district_column], pairs[lot_column],
                                                strict=True)}


def plan_from_scenario(
    content: ScenarioContent,
    *,
    hub_districts: Mapping[str, str],
    hub_towns: Mapping[str, str] | None = None,
    hub_area_codes: Mapping[str, str] | None = None,
    assumptions: Assumptions | None = None,
    ips_managers: float = DEFAULT_IPS_MANAGERS,
) -> InvestmentPlan:
    """Build the ledger's plan from a saved scenario.

    The scenario's hubs have map positions only, so the caller says which district
    (and optionally town and area) each lies in. The money settings come from the
    scenario's :class:`geo.money.PlanMoney`: IPS specialists, direct payments, and the
    community links workers of each hub (the assumptions' figure, when the plan sets none,
    is left to the ledger's ``assumptions``; give ``assumptions`` to fix it here).
    """
    money = content.money
    links = (money.links_workers_per_hub_fte if assumptions is None
             else links_workers_per_hub(money, assumptions["links_workers_per_hub"]))
    hubs = []
    for hub in content.hubs:
        if hub.hub_id not in hub_districts:
            raise _fail(f"hub_districts[{hub.hub_id!r}]", "the district the hub lies in",
                        "no entry")
        hubs.append(PlannedHub(
            hub_id=hub.hub_id,
            district=hub_districts[hub.hub_id],
            name=hub.name,
            town=None if hub_towns is None else hub_towns.get(hub.hub_id),
            area_code=None if hub_area_codes is None else hub_area_codes.get(hub.hub_id),
            outreach_points=len(hub.outreach_points),
            links_workers=links,
            capacity_places=hub.capacity_places,
        ))
    return InvestmentPlan(
        service_decisions=content.service_decisions,
        hubs=tuple(hubs),
        ips_specialists=money.ips_specialists_fte,
        ips_managers=ips_managers if money.ips_specialists_fte > 0 else 0.0,  # no service, no manager
        direct_payments_gbp=money.direct_payments_gbp,
    )


def _row(
    line_id: str, line_type: str, name: str, decision: str | None, district: str, lot: str,
    town: str, area_code: str | None, model: str, *, current: float = 0.0, plan: float,
    released: float = 0.0, set_up: float = 0.0,
) -> dict[str, Any]:
    return {
        "line_id": line_id, "line_type": line_type, "name": name, "decision": decision,
        "district": district, "lot": lot, "town": town, "area_code": area_code,
        "model": model, "current_gbp": current, "plan_gbp": plan, "released_gbp": released,
        "set_up_gbp": set_up,
    }


def _entries(ledger: InvestmentLedger, keys: list[Any]) -> list[tuple[Any, float, float, float]]:
    lines = ledger.lines
    return list(zip(keys, lines["current_gbp"].tolist(), lines["plan_gbp"].tolist(),
                    lines["released_gbp"].tolist(), strict=True))


def _grouped(
    by: str, entries: list[tuple[Any, float, float, float]], *, order: tuple[str, ...] = ()
) -> pd.DataFrame:
    """Sum the amounts by key in plain Python (ledgers are small; pandas' overhead is not)."""
    sums: dict[Any, list[float]] = {key: [0.0, 0.0, 0.0] for key in order}
    for key, current, plan, released in entries:
        total = sums.setdefault(key, [0.0, 0.0, 0.0])
        total[0] += current
        total[1] += plan
        total[2] += released
    keys = list(order) if order else sorted(sums, key=str)
    all_current = sum(total[0] for total in sums.values())
    all_plan = sum(total[1] for total in sums.values())
    rows = [
        (key, current, plan, released, plan - current,
         current / all_current if all_current > 0 else math.nan,
         plan / all_plan if all_plan > 0 else math.nan)
        for key in keys
        for current, plan, released in [sums[key]]
    ]
    return pd.DataFrame(rows, columns=[by, "current_gbp", "plan_gbp", "released_gbp",
                                       "change_gbp", "current_share", "plan_share"])


def _lot(district_lots: Mapping[str, str], district: str, where: str) -> str:
    try:
        return str(district_lots[district])
    except KeyError:
        raise PlannerInputError(
            f"{where}: district {district!r} has no contract lot in district_lots "
            f"(which covers {', '.join(sorted(district_lots)) or 'no districts'})"
        ) from None


def _weights(weights: Mapping[str, float]) -> dict[str, float]:
    checked = {str(k): _count(f"locality_wide_weights[{k!r}]", v) for k, v in weights.items()}
    total = sum(checked.values())
    if total <= 0:
        raise _fail("locality_wide_weights", "weights adding up to more than 0", dict(weights))
    return {district: weight / total for district, weight in checked.items()}


def service_columns(
    services: pd.DataFrame, columns: tuple[str, ...] = REQUIRED_SERVICE_COLUMNS
) -> dict[str, list[Any]]:
    """Check the services table and return the named columns as plain lists.

    Ids, names, districts and towns come back as text, budgets and clients as floats.
    Reading columns once as lists keeps a ledger fast enough to redo on every hub move
    (pandas' per-call overhead dwarfs the arithmetic for 13 services).
    """
    missing = [c for c in columns if c not in services.columns]
    if missing:
        raise PlannerInputError(f"services: missing column(s) {', '.join(missing)}")
    lists: dict[str, list[Any]] = {}
    for column in columns:
        values = services[column].tolist()
        if column in _SERVICE_NUMBERS:
            lists[column] = [_service_amount(values, row, column, lists) for row in
                             range(len(values))]
        else:
            lists[column] = [str(value) for value in values]
    ids = lists["service_id"]
    if len(set(ids)) != len(ids):
        duplicated = next(i for i in ids if ids.count(i) > 1)
        raise _fail("services, column service_id", "each id once", duplicated)
    if all(column in lists for column in ("budget_gbp", *SERVICE_BUDGET_COLUMNS.values())):
        for row, budget in enumerate(lists["budget_gbp"]):
            parts = sum(lists[column][row] for column in SERVICE_BUDGET_COLUMNS.values())
            if abs(parts - budget) > 1.0:
                raise _fail(
                    f"services, row {row + 1} (service {ids[row]}), column budget_gbp",
                    f"the sum of the three budget lines ({parts:,.0f})", budget,
                )
    return lists


_SERVICE_NUMBERS = {"budget_gbp", *SERVICE_BUDGET_COLUMNS.values(), "clients",
                    "clients_female", "clients_18_24", "clients_bme"}


def _service_amount(values: list[Any], row: int, column: str, lists: dict[str, list[Any]]) -> float:
    value = values[row]
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if isinstance(value, bool) or not math.isfinite(number) or number < 0:
        service = lists["service_id"][row] if "service_id" in lists else f"#{row + 1}"
        raise _fail(f"services, row {row + 1} (service {service}), column {column}",
                    "a number of at least 0", value)
    return number


def _check_decisions(service_ids: list[str], plan: InvestmentPlan) -> None:
    known = set(service_ids)
    unknown = sorted(set(plan.service_decisions) - known)
    if unknown:
        raise _fail("plan service_decisions",
                    f"ids of existing services ({', '.join(sorted(known))})", unknown[0])


def _check_contract_year(contract_year: int | None, assumptions: Assumptions) -> None:
    if contract_year is None:
        return
    years = int(assumptions["contract_years"])
    if isinstance(contract_year, bool) or not isinstance(contract_year, numbers.Integral) or not (
        1 <= contract_year <= years
    ):
        raise _fail("contract_year", f"a whole number from 1 to {years} or None", contract_year)


"""A plan's money settings, each in its own unit: pounds a year, staff in full-time equivalents.

Until scenario format 2 a plan kept its staff numbers in ``budgets_gbp`` beside its pounds
(``{"ips_specialists": 10, "links_workers_per_hub": 2, "direct_payments": 0}``), and
anything that added up that mapping counted people as money: ten IPS specialists and two
links workers a hub became "£12 a year". Here each setting is a field with its unit in its
name, and only pounds are ever added together. :func:`money_from_budget_lines` reads the
old mapping, so scenarios saved before the change open with the same settings.

What a plan costs is not here: :func:`geo.investment.investment_ledger` works it out from
these settings, the hubs and the assumptions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from geo.errors import PlannerInputError

# The papers' IPS service: one manager and ten employment specialists.
DEFAULT_IPS_SPECIALISTS_FTE = 10.0
DEFAULT_IPS_MANAGERS_FTE = 1.0

# Keys of the old ``budgets_gbp`` mapping (scenario format 1) that were not pounds.
OLD_IPS_SPECIALISTS_KEY = "ips_specialists"
OLD_LINKS_PER_HUB_KEY = "links_workers_per_hub"
OLD_DIRECT_PAYMENTS_KEY = "direct_payments"

MAX_LINE_NAME_CHARS = 200
_MONEY_KEYS = {"direct_payments_gbp", "ips_specialists_fte", "links_workers_per_hub_fte", "other_budget_lines_gbp",
               "budget_cap_gbp"}


def _fail(where: str, expected: str, found: object) -> PlannerInputError:
    return PlannerInputError(f"{where}: expected {expected}, found {found!r}")


def _at_least_zero(where: str, value: object, unit: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _fail(where, f"a finite number of {unit}", value)
    if value < 0:
        raise _fail(where, f"{unit} >= 0", value)
    return float(value)


@dataclass(frozen=True)
class PlanMoney:
    """The money settings a plan saves, each with its unit.

    ``direct_payments_gbp``: pounds a year set aside for direct payments and individual
    budgets. ``ips_specialists_fte``: IPS employment specialists, full-time equivalents.
    ``links_workers_per_hub_fte``: community links workers in each hub, full-time
    equivalents; None follows the assumptions table's figure (so editing that assumption
    changes the plan). ``other_budget_lines_gbp``: pound lines a scenario file named that
    the planner does not cost (kept as saved, so nothing is lost). ``budget_cap_gbp``: the
    most the plan should cost a year, in pounds; None means today's spend (see
    :func:`budget_gbp`).
    """

    direct_payments_gbp: float = 0.0
    ips_specialists_fte: float = DEFAULT_IPS_SPECIALISTS_FTE
    links_workers_per_hub_fte: float | None = None
    other_budget_lines_gbp: Mapping[str, float] = field(default_factory=dict)
    budget_cap_gbp: float | None = None

    def __post_init__(self) -> None:
        if self.budget_cap_gbp is not None:
            object.__setattr__(self, "budget_cap_gbp",
                               _at_least_zero("money budget_cap_gbp", self.budget_cap_gbp, "pounds"))
        object.__setattr__(self, "direct_payments_gbp",
                           _at_least_zero("money direct_payments_gbp", self.direct_payments_gbp, "pounds"))
        object.__setattr__(self, "ips_specialists_fte",
                           _at_least_zero("money ips_specialists_fte", self.ips_specialists_fte, "staff (FTE)"))
        if self.links_workers_per_hub_fte is not None:
            object.__setattr__(self, "links_workers_per_hub_fte", _at_least_zero(
                "money links_workers_per_hub_fte", self.links_workers_per_hub_fte, "staff (FTE)"))
        lines = self.other_budget_lines_gbp
        if not isinstance(lines, Mapping):
            raise _fail("money other_budget_lines_gbp", "a mapping of budget line to pounds", lines)
        checked: dict[str, float] = {}
        for name, amount in lines.items():
            if not isinstance(name, str) or not name.strip() or len(name) > MAX_LINE_NAME_CHARS:
                raise _fail("money other_budget_lines_gbp key",
                            f"a budget line's name (1 to {MAX_LINE_NAME_CHARS} characters)", name)
            checked[name] = _at_least_zero(f"money other_budget_lines_gbp[{name!r}]", amount, "pounds")
        object.__setattr__(self, "other_budget_lines_gbp", MappingProxyType(checked))

    @property
    def budget_lines_gbp(self) -> dict[str, float]:
        """Every pound line the plan sets, by name (direct payments first): pounds only."""
        return {OLD_DIRECT_PAYMENTS_KEY: self.direct_payments_gbp, **self.other_budget_lines_gbp}

    @property
    def budget_lines_total_gbp(self) -> float:
        """The pound lines added up (never a head-count): not the plan's cost, which the ledger gives."""
        return math.fsum(self.budget_lines_gbp.values())


def budget_gbp(money: PlanMoney, today_gbp: float) -> float:
    """The plan's yearly budget in pounds: its own cap, else what today's services cost."""
    return today_gbp if money.budget_cap_gbp is None else money.budget_cap_gbp


def links_workers_per_hub(money: PlanMoney, assumptions_figure: float) -> float:
    """Community links workers in each hub (FTE): the plan's own figure, else the assumptions'."""
    return assumptions_figure if money.links_workers_per_hub_fte is None else money.links_workers_per_hub_fte


def money_to_dict(money: PlanMoney) -> dict[str, Any]:
    """The stored form (scenario format 2): plain JSON, units in the names."""
    return {
        "direct_payments_gbp": money.direct_payments_gbp,
        "ips_specialists_fte": money.ips_specialists_fte,
        "links_workers_per_hub_fte": money.links_workers_per_hub_fte,
        "other_budget_lines_gbp": dict(money.other_budget_lines_gbp),
        "budget_cap_gbp": money.budget_cap_gbp,
    }


def money_from_dict(data: object, *, where: str = "scenario money") -> PlanMoney:
    """Read the stored form, naming the first thing wrong; missing fields take their defaults."""
    if not isinstance(data, Mapping):
        raise _fail(where, "a mapping", data)
    unknown = sorted(set(data) - _MONEY_KEYS)
    if unknown:
        raise _fail(where, f"only the keys {sorted(_MONEY_KEYS)}", f"unknown keys {unknown}")
    defaults = PlanMoney()
    return PlanMoney(
        direct_payments_gbp=data.get("direct_payments_gbp", defaults.direct_payments_gbp),
        ips_specialists_fte=data.get("ips_specialists_fte", defaults.ips_specialists_fte),
        links_workers_per_hub_fte=data.get("links_workers_per_hub_fte"),
        other_budget_lines_gbp=data.get("other_budget_lines_gbp", {}),
        budget_cap_gbp=data.get("budget_cap_gbp"),
    )


def money_from_budget_lines(budgets: object) -> PlanMoney:
    """Read format 1's ``budgets_gbp`` mapping, where staff counts sat beside pounds.

    ``ips_specialists`` and ``links_workers_per_hub`` were full-time equivalents (absent:
    the papers' 10 specialists, and the assumptions' links figure); ``direct_payments``
    was pounds a year; any other line was pounds and is kept as it was.
    """
    if not isinstance(budgets, Mapping):
        raise _fail("scenario budgets_gbp", "a mapping of budget line to a number", budgets)
    for name, value in budgets.items():
        if not isinstance(name, str) or not name.strip():
            raise _fail("scenario budgets_gbp key", "non-blank text", name)
        _at_least_zero(f"scenario budgets_gbp[{name!r}]", value, "a number")
    others = {name: value for name, value in budgets.items()
              if name not in (OLD_IPS_SPECIALISTS_KEY, OLD_LINKS_PER_HUB_KEY, OLD_DIRECT_PAYMENTS_KEY)}
    return PlanMoney(
        direct_payments_gbp=budgets.get(OLD_DIRECT_PAYMENTS_KEY, 0.0),
        ips_specialists_fte=budgets.get(OLD_IPS_SPECIALISTS_KEY, DEFAULT_IPS_SPECIALISTS_FTE),
        links_workers_per_hub_fte=budgets.get(OLD_LINKS_PER_HUB_KEY),
        other_budget_lines_gbp=others,
    )

"""Everything the compare, present and follow views show about one scenario, worked out once.

A scenario's figures are its access to hubs (``dashboard.engine.score_plan``), what its
money costs in a full year once the changeover is over and how fairly that spend falls
against need (both through ``dashboard.plan_money``, so they match the planner's money
panels). Also here: opening the scenarios a view asks for as the person asking, the
headline figures every view shares, each knowing whether more is better, and the
plain-words difference between two scenarios.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from dashboard import plan_money, words
from dashboard.engine import DEFAULT_MODE, score_plan
from geo import investment
from geo.access import AccessResult
from geo.equity import SpendEquity
from geo.errors import PlannerInputError
from geo.network import Mode
from geo.scenarios import ScenarioContent, scenario_from_dict
from geo.workspace.accounts import User
from geo.workspace.store import ScenarioStore

CURRENT_PLAN = "current"  # the key of the unsaved plan in the browser, in ?ids= lists
CURRENT_PLAN_TITLE = "Current plan (not saved)"
MAX_COMPARED = 4
MODES: tuple[Mode, ...] = ("drive", "bus", "walk")


# ---------------------------------------------------------------------------------------
# Which scenarios: keys in the address bar
# ---------------------------------------------------------------------------------------
def parse_keys(text: str | None) -> list[str]:
    """Scenario keys from "?ids=a,b@2,current": slugs, slug@version or "current", deduplicated."""
    keys: list[str] = []
    for part in (text or "").split(","):
        key = part.strip()
        if key and key not in keys:
            keys.append(key)
    return keys


def split_key(key: str) -> tuple[str, int | None]:
    """("slug", version) from "slug@3"; version None means the newest."""
    slug, _, version = key.partition("@")
    if not version:
        return slug, None
    if not (version.isascii() and version.isdigit()) or len(version) > 9 or int(version) < 1:
        raise PlannerInputError(f"scenario {key!r}: expected a version number after '@', found {version!r}")
    return slug, int(version)


@dataclass(frozen=True)
class Chosen:
    """A scenario picked for a view: its key, a title to show and its content."""

    key: str
    title: str
    content: ScenarioContent


def open_chosen(store: ScenarioStore, user: User | None, key: str, plan_data: object | None = None) -> Chosen:
    """Open ``key`` as ``user`` (the store refuses what they may not see); "current" is the browser's plan."""
    if key == CURRENT_PLAN:
        if plan_data is None:
            raise PlannerInputError("the current plan is only available in the planner's own browser tab")
        return Chosen(key, CURRENT_PLAN_TITLE, scenario_from_dict(plan_data))
    slug, version = split_key(key)
    opened = store.open_version(user, slug, version)
    title = opened.scenario.title if opened.is_current else f"{opened.scenario.title} (version {opened.version})"
    return Chosen(key, title, opened.content)


def scenario_options(store: ScenarioStore, user: User | None, *, with_current: bool) -> list[dict[str, str]]:
    """Dropdown options: the scenarios ``user`` may see (and the unsaved plan when asked)."""
    options = [{"label": CURRENT_PLAN_TITLE, "value": CURRENT_PLAN}] if with_current else []
    visibility = {"draft": "draft", "group": "steering group, confidential", "public": "public"}
    for record in store.scenarios(user):
        options.append({"label": f"{record.title} ({visibility[record.visibility]}, by {record.author})",
                        "value": record.slug})
    return options


# ---------------------------------------------------------------------------------------
# Working the figures out
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class ScenarioFigures:
    """One scenario's access, money and fairness of spend, for one travel mode."""

    key: str
    title: str
    content: ScenarioContent
    mode: Mode
    access: AccessResult
    ledger: investment.InvestmentLedger
    equity: SpendEquity


def scenario_figures(folder: str, chosen: Chosen, mode: str | None = None) -> ScenarioFigures:
    """Work out every figure the views show for ``chosen`` travelling by ``mode``."""
    travel: Mode = mode if mode in MODES else DEFAULT_MODE
    ledger = plan_money.costed_plan(folder, chosen.content).ledger
    access = score_plan(folder, chosen.content.hubs, travel)
    equity = plan_money.plan_equity(folder, chosen.content, ledger, access, travel)
    return ScenarioFigures(chosen.key, chosen.title, chosen.content, travel, access, ledger, equity)


# ---------------------------------------------------------------------------------------
# Headline figures and the difference between two scenarios
# ---------------------------------------------------------------------------------------
Better = Literal["lower", "higher"] | None


@dataclass(frozen=True)
class Headline:
    """A figure every view shows: how to read it off, print it, and which way is better."""

    key: str
    label: str
    note: str
    value: Callable[[ScenarioFigures], float]
    text: Callable[[float], str]
    better: Better
    same_within: float  # differences smaller than this count as "about the same"
    change: Callable[[float], str]  # the size of a difference, in words with units


def _summary(group: str, column: str) -> Callable[[ScenarioFigures], float]:
    def read(figures: ScenarioFigures) -> float:
        return figures.access.figure(group, column)
    return read


def share_text(value: float) -> str:
    return "-" if not math.isfinite(value) else f"{100 * value:.0f}%"


def money_text(value: float) -> str:
    """Pounds as the Money tab writes them (to the pound)."""
    return words.pounds(value)


HEADLINES: tuple[Headline, ...] = (
    Headline("mean_minutes", "Average journey to the nearest hub", "everyone, by where they live",
             _summary("population", "mean_minutes"), words.minutes, "lower", 0.05,
             lambda d: f"{abs(d):.1f} min"),
    Headline("share_within_30", "Residents within 30 minutes of a hub", "share of everyone",
             _summary("population", "share_within_30"), share_text, "higher", 0.005,
             lambda d: f"{100 * abs(d):.0f} percentage points"),
    Headline("p90_minutes", "9 in 10 residents are within", "the 90th percentile journey",
             _summary("population", "p90_minutes"), words.minutes, "lower", 0.05,
             lambda d: f"{abs(d):.1f} min"),
    Headline("mean_minutes_need", "Average journey, weighted by need", "people in greater need count more",
             _summary("need", "mean_minutes"), words.minutes, "lower", 0.05,
             lambda d: f"{abs(d):.1f} min"),
    Headline("mean_minutes_deprived", "Average journey from the most deprived fifth of areas",
             "areas in England's most deprived 20%",
             _summary("most_deprived_fifth", "mean_minutes"), words.minutes, "lower", 0.05,
             lambda d: f"{abs(d):.1f} min"),
    Headline("hubs", "Resource hubs", "main sites; outreach points not counted",
             lambda f: float(len(f.content.hubs)), lambda v: f"{v:.0f}", None, 0.5,
             lambda d: f"{abs(d):.0f}"),
    Headline("plan_gbp", "Yearly cost of the plan", "a full year after the move; today's services cost "
             "the same in every scenario",
             lambda f: f.ledger.plan_gbp, money_text, "lower", 500.0, lambda d: money_text(abs(d))),
    Headline("gini", words.GINI_SPEND, words.GINI_SPEND_NOTE,
             lambda f: f.equity.gini, words.gini, "lower", 0.0005,
             lambda d: words.gini(abs(d))),
)


@dataclass(frozen=True)
class Difference:
    """How one scenario's figure differs from the first one's, in a symbol and in words."""

    verdict: Literal["better", "worse", "same", "changed", "unknown"]
    symbol: str  # "▲" higher, "▼" lower, "=" about the same, "?" cannot tell
    words: str


def difference(headline: Headline, base: float, other: float) -> Difference:
    """Say whether ``other`` is better, worse or about the same as ``base`` for ``headline``."""
    if not (math.isfinite(base) and math.isfinite(other)):
        return Difference("unknown", "?", "cannot compare")
    delta = other - base
    if abs(delta) < headline.same_within:
        return Difference("same", "=", "about the same")
    symbol, direction = ("▲", "higher") if delta > 0 else ("▼", "lower")
    size = headline.change(delta)
    if headline.better is None:
        return Difference("changed", symbol, f"{size} {'more' if delta > 0 else 'fewer'}")
    good = (delta < 0) == (headline.better == "lower")
    return Difference("better" if good else "worse", symbol,
                      f"{size} {direction}: {'better' if good else 'worse'}")

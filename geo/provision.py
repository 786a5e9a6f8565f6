"""Today's provision: what existing services cost, whom they serve, and where the money goes."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from geo.locality import Locality

# The three service models the papers split spend into, with their budget columns.
SERVICE_MODELS = {
    "Day activity and support": "budget_day_activity_gbp",
    "Specialist employment support": "budget_employment_gbp",
    "Support into mainstream activities": "budget_mainstream_gbp",
}


@dataclass(frozen=True)
class ProvisionSummary:
    """Headline figures for the existing services.

    ``by_model`` has columns model, spend_gbp, share; ``by_district`` has district,
    spend_gbp, spend_share, need_share, clients, residents.
    """

    total_spend_gbp: float
    clients: int
    services: int
    by_model: pd.DataFrame
    by_district: pd.DataFrame
    biggest_town: str
    biggest_town_spend_share: float
    biggest_town_population_share: float
    biggest_town_need_share: float
    services_without_figures: int = 0  # on record, but with no budget or clients known: left out of the sums


def with_known_figures(services: pd.DataFrame) -> pd.DataFrame:
    """The services whose budget and number of clients are known: the ones money and outcomes count.

    An upload may leave them unknown (empty, never 0); such a service stays on the map and in
    journey times, and the figures that leave it out say so.
    """
    known = pd.to_numeric(services["budget_gbp"], errors="coerce").notna() & pd.to_numeric(
        services["clients"], errors="coerce").notna()
    return services[known]


def _share(part: float, whole: float) -> float:
    """``part`` as a share of ``whole``; NaN (not known) when there is no whole: no services on record."""
    return part / whole if whole > 0 else float("nan")


def summarise_provision(locality: Locality) -> ProvisionSummary:
    """Summarise spend by service model and district, and the biggest town's share.

    A locality with no services on record (an upload of areas alone) has no spend: its
    shares of spend are NaN (not known), never a division by zero.
    """
    areas, on_record = locality.areas, locality.services
    services = with_known_figures(on_record)
    total = float(services["budget_gbp"].sum())
    by_model = pd.DataFrame({
        "model": list(SERVICE_MODELS),
        "spend_gbp": [float(services[column].sum()) for column in SERVICE_MODELS.values()],
    })
    by_model["share"] = [_share(spend, total) for spend in by_model["spend_gbp"]]

    spend = services.groupby("district")["budget_gbp"].sum()
    clients = services.groupby("district")["clients"].sum()
    need = areas.groupby("district")["need_weight"].sum()
    residents = areas.groupby("district")["pop_total"].sum()
    by_district = pd.DataFrame({"district": sorted(areas["district"].unique())})
    by_district["spend_gbp"] = by_district["district"].map(spend).fillna(0.0).astype(float)
    by_district["spend_share"] = [_share(spend, total) for spend in by_district["spend_gbp"]]
    by_district["need_share"] = by_district["district"].map(need) / need.sum()
    by_district["clients"] = by_district["district"].map(clients).fillna(0).astype(int)
    by_district["residents"] = by_district["district"].map(residents).astype(int)

    town = locality.biggest_town
    in_town = areas["town"] == town
    return ProvisionSummary(
        total_spend_gbp=total,
        clients=int(services["clients"].sum()),
        services=len(on_record),
        services_without_figures=len(on_record) - len(services),
        by_model=by_model,
        by_district=by_district.sort_values("spend_gbp", ascending=False, ignore_index=True),
        biggest_town=town,
        biggest_town_spend_share=_share(float(services.loc[services["town"] == town, "budget_gbp"].sum()), total),
        biggest_town_population_share=float(areas.loc[in_town, "pop_total"].sum() / areas["pop_total"].sum()),
        biggest_town_need_share=float(areas.loc[in_town, "need_weight"].sum() / areas["need_weight"].sum()),
    )

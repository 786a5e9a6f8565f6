"""Road networks: how much of an OpenStreetMap extract joins up into one network."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from geo.ingest.report import Issue

# Share of road nodes left out of the main network above which the extract is refused.
NETWORK_DROPPED_ERROR_SHARE = 0.5


class ComponentSummary(Protocol):
    """What the largest-connected-part step left out (``geo.network.ComponentReport`` fits)."""

    @property
    def nodes_total(self) -> int:
        """Junctions in the extract."""

    @property
    def nodes_dropped(self) -> int:
        """Junctions outside the largest connected part, left out."""


@dataclass(frozen=True)
class NetworkSummary:
    """The numbers of a network build, when no ``ComponentReport`` object is at hand."""

    nodes_total: int
    nodes_dropped: int


def check_network(summary: ComponentSummary, *, file: str) -> list[Issue]:
    """Report road junctions left out because they are not connected to the main network.

    A few dropped nodes are normal (private roads, a border cut); more than half means the
    extract does not cover the locality's roads, and is refused.
    """
    total, dropped = int(summary.nodes_total), int(summary.nodes_dropped)
    if total <= 0:
        return [Issue("error", file, None, None, "expected a road network, found no road junctions",
                      "empty_network")]
    if dropped <= 0:
        return []
    share = dropped / total
    if share > NETWORK_DROPPED_ERROR_SHARE:
        return [Issue("error", file, None, None,
                      f"{dropped:,} of {total:,} road junctions ({share:.0%}) are not connected to "
                      "the main road network; expected most roads to join up (is the extract for "
                      "the right place?)", "disconnected_roads")]
    return [Issue("warning", file, None, None,
                  f"{dropped:,} of {total:,} road junctions ({share:.1%}) are in parts not "
                  "connected to the main road network and were left out", "disconnected_roads")]

"""Today's provision on the demo reproduces the papers' figures."""

from __future__ import annotations

import pytest

from geo.ingest.locality_files import load_locality
from geo.provision import summarise_provision


def test_demo_split_and_biggest_town_share() -> None:
    summary = summarise_provision(load_locality())
    shares = dict(zip(summary.by_model["model"], summary.by_model["share"], strict=True))
    assert shares["Day activity and support"] == pytest.approx(0.88, abs=0.005)
    assert shares["Specialist employment support"] == pytest.approx(0.10, abs=0.005)
    assert shares["Support into mainstream activities"] == pytest.approx(0.02, abs=0.005)
    assert summary.biggest_town == "Kingsmere"
    assert 0.35 <= summary.biggest_town_spend_share < 0.40
    assert summary.biggest_town_spend_share > summary.biggest_town_need_share  # the skew
    assert summary.by_district["spend_share"].sum() == pytest.approx(1.0)
    assert summary.by_district["need_share"].sum() == pytest.approx(1.0)
    assert summary.total_spend_gbp == summary.by_model["spend_gbp"].sum()


def test_a_locality_with_no_services_has_no_spend_to_share_out() -> None:
    from dataclasses import replace

    demo = load_locality()
    summary = summarise_provision(replace(demo, services=demo.services.iloc[0:0]))
    assert (summary.total_spend_gbp, summary.clients, summary.services) == (0.0, 0, 0)
    assert summary.by_model["share"].isna().all() and summary.by_district["spend_share"].isna().all()
    assert summary.biggest_town_spend_share != summary.biggest_town_spend_share  # not known (NaN), not 0
    assert summary.by_district["need_share"].sum() == pytest.approx(1.0)

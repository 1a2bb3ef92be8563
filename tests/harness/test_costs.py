"""The credit model, against the Consumption Table's rates (semantics sections 4.6, 5, 6)."""

from __future__ import annotations

import pytest

from backends.pricing import GB
from sim.costs import cost_summary, ingestion_credits
from sim.ingest.base import Usage
from sim.scenario import Pricing


@pytest.mark.parametrize(("ingestion", "pricing", "usage", "expected"), [
    ("snowpipe", Pricing(), Usage(files=1000, bytes_billed=10 * GB), {"snowpipe per GB": 0.037}),
    ("snowpipe", Pricing(snowpipe="legacy"), Usage(files=1000, load_seconds=3600),
     {"snowpipe files": 0.06, "snowpipe compute": 1.25}),
    ("streaming_high_performance", Pricing(), Usage(bytes_billed=GB), {"streaming per GB": 0.0037}),
    ("streaming_classic", Pricing(classic_migration_seconds_per_gb=36),
     Usage(bytes_billed=100 * GB, client_seconds=7200),
     {"streaming client hours": 0.02, "streaming migration": 1.0}),
])
def test_ingestion_credits(ingestion, pricing, usage, expected) -> None:
    assert ingestion_credits(ingestion, usage, pricing) == pytest.approx(expected)


def test_a_summary_prices_credits_per_million_events_and_per_month() -> None:
    summary = cost_summary({"snowpipe per GB": 0.5}, {"warehouse": 1.0}, Pricing(edition="standard"), 500_000, 3600)
    assert summary["credits"] == 1.5 and summary["dollars"] == 3.0  # $2.00 a credit, Standard, AWS us-east-1
    assert summary["dollars_per_million_events"] == pytest.approx(6.0)
    assert summary["credits_per_month"] == pytest.approx(1.5 * 24 * 30)


def test_monthly_rates_scale_compute_from_the_steady_state_and_ingestion_by_events() -> None:
    # An hour's run: 1.1 warehouse credits in all (warm-up and drain included), 0.75 in the last 45 minutes.
    summary = cost_summary({"streaming per GB": 0.2}, {"warehouse": 1.1}, Pricing(edition="standard"), 100_000, 3600,
                           steady=({"warehouse": 0.75}, 2700))
    assert summary["credits"] == pytest.approx(1.3)  # what the run used
    assert summary["credits_per_month"] == pytest.approx((0.2 + 1.0) * 720)  # 1 credit an hour in steady state
    assert summary["credits_per_million_events"] == pytest.approx(1.2 / 100_000 * 1e6)
    # The breakdown the report's tables and chart show is the same steady rate, component by component.
    assert summary["dollars_per_month_by_component"] == pytest.approx({"streaming per GB": 0.2 * 720 * 2,
                                                                       "warehouse": 1.0 * 720 * 2})
    assert sum(summary["dollars_per_month_by_component"].values()) == pytest.approx(summary["dollars_per_month"])


def test_an_explicit_price_per_credit_wins() -> None:
    assert Pricing(price_per_credit=2.5, edition="business_critical").dollars_per_credit == 2.5
    assert Pricing(region="aws_eu_central_1", edition="enterprise").dollars_per_credit == 3.90

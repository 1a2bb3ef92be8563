"""The TMDb medallion pipeline (scenarios/tmdb/pipeline.sql) end to end on the virtual clock.

Movie records from the TMDb feed go through a Snowpipe Streaming channel. Silver, the fact table
and the marts are checked against what the test derives from the same records in Python (silver's
cleaning rules, gold's ROI, tiers, seasons and ranks); the SCD2 snapshot against silver and its own
invariants; then the reference's data tests (dbt's schema tests and its three custom SQL tests) run.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pytest

from backends import duckdb as local
from backends.scripts import split_with_lines
from sim.workloads.rates import arrivals
from sim.workloads.tmdb_feed import TmdbFeed

PIPELINE = Path(__file__).parents[2] / "scenarios" / "tmdb" / "pipeline.sql"
START = datetime(2025, 6, 2, 8, 0, tzinfo=UTC)
TIERS = [("MICRO", 0), ("LOW", 1_000_000), ("MID", 15_000_000), ("HIGH", 60_000_000), ("BLOCKBUSTER", 150_000_000)]


def _run(minutes: int, rate: float) -> tuple[local.Connection, list[dict]]:
    conn = local.connect(start=START)
    cur = conn.cursor()
    cur.execute("CREATE DATABASE LECTURE_DE")  # the reference's database, so its queries run as printed
    for statement, _ in split_with_lines(PIPELINE.read_text()):
        cur.execute(statement)
    channel = conn.open_channel("BRONZE.RAW_MOVIES", "test")
    feed, rng = TmdbFeed(seed=8, new_share=0.3, invalid_share=0.1), np.random.default_rng(8)
    events: list[dict] = []
    t = conn.clock.now()
    for _ in range(minutes * 6):
        batch = feed.batch(arrivals(rng, t, t + 10_000, rate))
        t += 10_000
        conn.clock.run_until(t)
        channel.insert_rows(batch, str(feed.events))
        events += batch.to_pylist()
    conn.clock.run_until(t + 12 * 60_000)  # the marts' 5-minute lag, twice over
    return conn, events


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _silver(events: list[dict]) -> dict[int, dict]:
    """Each movie's last record, cleaned by silver's rules."""
    last = {e["movie_id"]: e for e in sorted(events, key=lambda e: e["event_id"])}
    silver = {}
    for movie, event in last.items():
        raw = event["raw_data"]
        released = _date(raw["release_date"])
        if raw["status"] == "Released" and released and released > event["source_ts"].date():
            released = None
        silver[movie] = {
            "title": raw["title"], "release_date": released, "status": raw["status"],
            "budget": raw["budget"] or None, "revenue": raw["revenue"] if raw["revenue"] > 0 else None,
            "runtime": raw["runtime"] or None, "vote_average": Decimal(str(raw["vote_average"])),
            "vote_count": raw["vote_count"], "popularity": Decimal(str(raw["popularity"])),
            "genre": raw["genres"][0]["name"].upper(),
        }
    return silver


def _round(value: Decimal | float, places: int = 2) -> Decimal:
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _number(value: Decimal | float | None) -> float | None:
    return None if value is None else round(float(value), 2)


def _facts(silver: dict[int, dict]) -> dict[int, tuple]:
    facts = {}
    for movie, m in silver.items():
        if m["status"] != "Released" or m["release_date"] is None:
            continue
        budget, revenue = m["budget"], m["revenue"]
        known = budget is not None and revenue is not None
        flag = "UNKNOWN" if not known else "PROFITABLE" if revenue > budget else "LOSS"
        tier = None if budget is None else [name for name, low in TIERS if budget >= low][-1]
        season = {12: "WINTER", 1: "WINTER", 2: "WINTER", 3: "SPRING", 4: "SPRING", 5: "SPRING", 6: "SUMMER",
                  7: "SUMMER", 8: "SUMMER"}.get(m["release_date"].month, "FALL")
        facts[movie] = (m["title"], m["genre"], m["release_date"].year, season, budget, revenue,
                        revenue - budget if known else None,
                        _round(Decimal(revenue - budget) * 100 / budget) if known else None, flag, tier)
    return facts


@pytest.fixture(scope="module")
def pipeline() -> tuple[local.Connection, list[dict]]:
    conn, events = _run(minutes=10, rate=3)
    yield conn, events
    conn.close()


def test_silver_holds_each_movies_last_record_cleaned(pipeline) -> None:
    conn, events = pipeline
    rows = conn.cursor().execute(
        "SELECT MOVIE_ID, TITLE, RELEASE_DATE, STATUS, BUDGET_USD, REVENUE_USD, RUNTIME_MINUTES, VOTE_AVERAGE, "
        "VOTE_COUNT, POPULARITY_SCORE, GENRES[0]:name::STRING FROM SILVER.SILVER_MOVIES").fetchall()
    expected = _silver(events)
    assert {r[0]: (r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10].upper()) for r in rows} == {
        movie: tuple(m.values()) for movie, m in expected.items()}
    flaws = [e["raw_data"] for e in events]
    assert any(_date(r["release_date"]) is None for r in flaws) and any(r["revenue"] < 0 for r in flaws)
    assert len(events) > 2 * len(expected)  # most movies were fetched again, changed


def test_fact_movies_are_released_movies_with_roi_tier_and_season(pipeline) -> None:
    conn, events = pipeline
    rows = conn.cursor().execute(
        "SELECT f.MOVIE_ID, f.TITLE, g.GENRE_NAME, f.RELEASE_YEAR, f.RELEASE_SEASON, f.BUDGET_USD, f.REVENUE_USD, "
        "f.PROFIT_USD, f.ROI_PCT, f.PROFITABILITY_FLAG, f.BUDGET_TIER FROM GOLD.FACT_MOVIES f "
        "JOIN GOLD.DIM_GENRES g ON g.GENRE_SK = f.GENRE_SK").fetchall()
    facts = _facts(_silver(events))
    # ROI compares as a float: the emulator's division gives a double where Snowflake gives NUMBER (docs/emulator.md).
    assert {r[0]: (*r[1:8], _number(r[8]), *r[9:]) for r in rows} == {m: (*f[:7], _number(f[7]), *f[8:])
                                                                      for m, f in facts.items()}
    assert {f[8] for f in facts.values()} == {"PROFITABLE", "LOSS", "UNKNOWN"}


def test_marts_aggregate_and_rank_the_facts(pipeline) -> None:
    conn, events = pipeline
    facts = _facts(_silver(events))
    by_genre = defaultdict(list)
    by_year = defaultdict(list)
    for fact in facts.values():
        by_genre[fact[1]].append(fact)
        by_year[fact[2]].append(fact)
    cur = conn.cursor()
    genres = {r[0]: (r[1], _number(r[2]), r[3]) for r in cur.execute(
        "SELECT GENRE_NAME, TOTAL_MOVIES, AVG_ROI_PCT, ROI_RANK FROM GOLD.KPI_GENRE_PERFORMANCE").fetchall()}
    roi = {g: _number(np.mean([float(f[7]) for f in fs if f[7] is not None])) if any(f[7] is not None for f in fs)
           else None for g, fs in by_genre.items()}
    ranked = sorted((r for r in roi.values() if r is not None), reverse=True)
    assert genres == {g: (len(fs), roi[g], ranked.index(roi[g]) + 1 if roi[g] is not None else len(ranked) + 1)
                      for g, fs in by_genre.items()}
    years = {
        r[0]: r[1:]
        for r in cur.execute(
            "SELECT RELEASE_YEAR, TOTAL_MOVIES_RELEASED, YOY_BUDGET_CHANGE_MILLIONS FROM GOLD.KPI_YEARLY_TRENDS"
        ).fetchall()
    }
    assert {y: n for y, (n, _) in years.items()} == {y: len(fs) for y, fs in by_year.items()}
    budget = {y: np.mean([f[4] for f in fs if f[4] is not None]) / 1e6 for y, fs in by_year.items()}
    ordered = sorted(years)
    for before, year in zip(ordered, ordered[1:], strict=False):
        assert float(years[year][1]) == pytest.approx(budget[year] - budget[before], abs=0.011)
    top = cur.execute("SELECT MOVIE_ID FROM GOLD.KPI_TOP_MOVIES WHERE REVENUE_RANK_ALL_TIME <= 5 "
                      "ORDER BY REVENUE_RANK_ALL_TIME").fetchall()
    assert [r[0] for r in top] == sorted((m for m in facts if facts[m][5] is not None), key=lambda m: -facts[m][5])[:5]


def test_the_snapshot_keeps_a_version_per_change_of_a_tracked_attribute(pipeline) -> None:
    conn, _ = pipeline
    cur = conn.cursor()
    tracked = "BUDGET_USD, REVENUE_USD, VOTE_AVERAGE, POPULARITY_SCORE, STATUS, RUNTIME_MINUTES"
    current = cur.execute(f"SELECT MOVIE_ID, {tracked} FROM DBT_STAGING.SNAP_SILVER_MOVIES WHERE DBT_VALID_TO IS NULL"
                          ).fetchall()
    assert sorted(current) == sorted(cur.execute(f"SELECT MOVIE_ID, {tracked} FROM SILVER.SILVER_MOVIES").fetchall())
    history = defaultdict(list)
    for movie, *values, valid_from, valid_to in cur.execute(
            f"SELECT MOVIE_ID, {tracked}, DBT_VALID_FROM, DBT_VALID_TO FROM DBT_STAGING.SNAP_SILVER_MOVIES "
            "ORDER BY MOVIE_ID, DBT_VALID_FROM").fetchall():
        history[movie].append((values, valid_from, valid_to))
    assert sum(len(v) > 1 for v in history.values()) > 10
    for versions in history.values():
        for (values, _, valid_to), (later, valid_from, _) in zip(versions, versions[1:], strict=False):
            assert valid_to == valid_from and values != later  # back to back, and something changed


# The reference's data tests: dbt schema tests (unique, not_null, relationships, accepted_values) and
# its custom SQL tests, each a query that must return no rows.
DATA_TESTS = {
    "silver movie_id unique and not null":
        "SELECT MOVIE_ID FROM SILVER.SILVER_MOVIES GROUP BY MOVIE_ID HAVING COUNT(*) > 1 OR MOVIE_ID IS NULL",
    "silver status accepted values":
        "SELECT * FROM SILVER.SILVER_MOVIES WHERE STATUS NOT IN ('Planned', 'In Production', 'Post Production', "
        "'Released')",
    "fact genre_sk relationship":
        "SELECT * FROM GOLD.FACT_MOVIES f WHERE NOT EXISTS (SELECT 1 FROM GOLD.DIM_GENRES g WHERE g.GENRE_SK = "
        "f.GENRE_SK)",
    "fact release date in dim_dates":
        "SELECT * FROM GOLD.FACT_MOVIES f WHERE NOT EXISTS (SELECT 1 FROM GOLD.DIM_DATES d WHERE d.DATE_SK = "
        "f.RELEASE_DATE_SK)",
    "assert_revenue_not_negative": "SELECT * FROM GOLD.FACT_MOVIES WHERE REVENUE_USD < 0",
    "assert_profit_equals_revenue_minus_budget":
        "SELECT * FROM GOLD.FACT_MOVIES WHERE PROFIT_USD IS DISTINCT FROM REVENUE_USD - BUDGET_USD",
    "assert_silver_movies_no_future_releases":
        "SELECT * FROM SILVER.SILVER_MOVIES WHERE STATUS = 'Released' AND RELEASE_DATE > TO_DATE(_SOURCE_TS)",
    "snapshot one current version per movie":
        "SELECT MOVIE_ID FROM DBT_STAGING.SNAP_SILVER_MOVIES WHERE DBT_VALID_TO IS NULL GROUP BY MOVIE_ID HAVING "
        "COUNT(*) > 1",
}


# Every query the reference prints against the bronze, gold and marts layers and the snapshot, as printed.
REFERENCE_QUERIES = [
    "SELECT COUNT(*) FROM LECTURE_DE.BRONZE.RAW_MOVIES",
    "SELECT COUNT(*) FROM LECTURE_DE.BRONZE.RAW_GENRES",
    "SELECT MOVIE_ID, RAW_DATA:title::VARCHAR AS title\nFROM LECTURE_DE.BRONZE.RAW_MOVIES LIMIT 5",
    "SELECT title, release_year, revenue_usd / 1000000 AS revenue_millions, vote_average\n"
    "FROM LECTURE_DE.GOLD.KPI_TOP_MOVIES\nWHERE revenue_rank_all_time <= 10\nORDER BY revenue_rank_all_time",
    "SELECT genre_name, total_movies, avg_revenue_millions, avg_roi_pct, roi_rank\n"
    "FROM LECTURE_DE.GOLD.KPI_GENRE_PERFORMANCE\nORDER BY avg_roi_pct DESC NULLS LAST\nLIMIT 10",
    "SELECT release_year, total_movies_released, avg_budget_millions,\n"
    "       avg_revenue_millions, yoy_budget_change_millions, avg_rating\nFROM LECTURE_DE.GOLD.KPI_YEARLY_TRENDS\n"
    "WHERE release_year >= 2000\nORDER BY release_year",
    "SELECT m.title, m.release_year,\n       m.budget_usd / 1e6 AS budget_m,\n       m.revenue_usd / 1e6 AS "
    "revenue_m,\n"
    "       m.roi_pct\nFROM LECTURE_DE.GOLD.FACT_MOVIES m\nJOIN LECTURE_DE.GOLD.DIM_GENRES g ON m.genre_sk = "
    "g.genre_sk\n"
    "WHERE g.genre_name = 'ACTION'\n  AND m.roi_pct IS NOT NULL\nORDER BY m.roi_pct DESC\nLIMIT 20",
    "SELECT * FROM GOLD.KPI_GENRE_PERFORMANCE ORDER BY avg_roi_pct DESC",
    "SELECT release_year, avg_budget_millions FROM GOLD.KPI_YEARLY_TRENDS WHERE release_year >= 2000",
    "SELECT profitability_flag, COUNT(*) FROM GOLD.FACT_MOVIES GROUP BY 1",
    "SELECT release_season, AVG(roi_pct) FROM GOLD.FACT_MOVIES GROUP BY 1",
    "SELECT * FROM DBT_STAGING.SNAP_SILVER_MOVIES WHERE movie_id = 123 ORDER BY dbt_valid_from",
]


@pytest.mark.parametrize("sql", REFERENCE_QUERIES, ids=lambda s: " ".join(s.split())[:60])
def test_reference_queries_run_as_printed(pipeline, sql) -> None:
    cur = pipeline[0].cursor()
    assert cur.execute(sql).fetchall()  # every one finds rows after ten minutes of fetches
    assert cur.description is not None


@pytest.mark.parametrize("name", DATA_TESTS)
def test_reference_data_tests_pass(pipeline, name) -> None:
    assert pipeline[0].cursor().execute(DATA_TESTS[name]).fetchall() == []


def test_dim_dates_span_2000_to_2030_with_seasons(pipeline) -> None:
    cur = pipeline[0].cursor()
    assert cur.execute("SELECT MIN(DATE_DAY), MAX(DATE_DAY), COUNT(*), COUNT(DISTINCT DATE_SK) FROM GOLD.DIM_DATES"
                       ).fetchall() == [(date(2000, 1, 1), date(2030, 12, 31), 11323, 11323)]
    assert cur.execute("SELECT DATE_SK, SEASON, IS_WEEKEND FROM GOLD.DIM_DATES WHERE DATE_DAY IN "
                       "('2024-12-01', '2025-06-07') ORDER BY 1").fetchall() == [(20241201, "WINTER", True),
                                                                                (20250607, "SUMMER", True)]

"""The TMDb workload: movie records that move on as a real catalogue does, and a short run end to end."""

from __future__ import annotations

from datetime import date

import pytest

from sim.workloads.tmdb_feed import GENRES, SCHEMA, STATUSES, TmdbFeed

from .feeds import feed_events, short_run

START = 1_748_851_200_000  # 2025-06-02T08:00Z
ORDER = {status: rank for rank, status in enumerate(STATUSES)}


def _events(feed: TmdbFeed, batches: int = 120, per_batch: int = 50) -> list[dict]:
    return feed_events(feed, SCHEMA, START, batches, per_batch)


@pytest.fixture(scope="module")
def events() -> list[dict]:
    return _events(TmdbFeed(seed=3, invalid_share=0.05))


def test_records_have_the_apis_shape_and_ids_are_gap_free(events) -> None:
    assert [e["event_id"] for e in events] == list(range(1, len(events) + 1))
    names = dict(GENRES)
    for event in events:
        raw = event["raw_data"]
        assert raw["id"] == event["movie_id"] and raw["status"] in ORDER
        assert 1 <= len(raw["genres"]) <= 3 and all(names[g["id"]] == g["name"] for g in raw["genres"])
        assert len({g["id"] for g in raw["genres"]}) == len(raw["genres"])
        assert 1 <= len(raw["production_companies"]) <= 3


def test_a_movie_moves_on_between_fetches_and_never_back(events) -> None:
    last: dict[int, dict] = {}
    fetched_again = 0
    for event in events:
        raw = event["raw_data"]
        before = last.get(event["movie_id"])
        if before is not None:
            fetched_again += 1
            assert ORDER[raw["status"]] >= ORDER[before["status"]]
            assert raw["title"] == before["title"] and raw["genres"] == before["genres"]
            if before["status"] == "Released":
                assert raw["vote_count"] >= before["vote_count"]
                assert raw["revenue"] >= before["revenue"] or before["revenue"] < 0  # a flawed revenue stays flawed
                assert raw["budget"] >= before["budget"]
        last[event["movie_id"]] = raw
    assert fetched_again > len(events) / 2


def test_released_movies_are_dated_before_their_fetch_but_for_the_flawed_share(events) -> None:
    released = [(e, e["raw_data"]) for e in events if e["raw_data"]["status"] == "Released"]
    def day(text: str) -> date | None:
        try:
            return date.fromisoformat(text)
        except ValueError:
            return None
    future = sum(
        1 for e, raw in released if day(raw["release_date"]) and day(raw["release_date"]) > e["source_ts"].date()
    )
    not_a_date = sum(1 for _, raw in released if day(raw["release_date"]) is None)
    negative = len({e["movie_id"] for e, raw in released if raw["revenue"] < 0})
    new_movies = len({e["movie_id"] for e in events})
    assert future and not_a_date and negative
    assert len({e["movie_id"] for e, raw in released if day(raw["release_date"]) is None}) < 0.05 * new_movies
    upcoming = [raw for raw in (e["raw_data"] for e in events) if raw["status"] != "Released"]
    assert upcoming and all(raw["revenue"] == 0 for raw in upcoming)


def test_the_same_seed_gives_the_same_records() -> None:
    assert _events(TmdbFeed(seed=2), 10) == _events(TmdbFeed(seed=2), 10)
    assert _events(TmdbFeed(seed=2), 10) != _events(TmdbFeed(seed=4), 10)


def test_a_tmdb_run_lands_every_fetch_once_and_reaches_the_marts(tmp_path) -> None:
    files, hp = short_run(tmp_path, "tmdb_medallion.yaml", "tmdb/pipeline.sql", "4 min",
                          [{"name": "files", "ingestion": "snowpipe", "rotate_every": "30s"},
                           {"name": "hp", "ingestion": "streaming_high_performance"}])
    for variant in (files, hp):
        assert variant["conserved"] and variant["events"] > 1000
        assert all(count == 0 for count in variant["not_visible"].values())
        assert not variant["untraced_layers"]
    assert hp["latency"]["GOLD.KPI_GENRE_PERFORMANCE"]["p50"] < files["latency"]["GOLD.KPI_GENRE_PERFORMANCE"]["p50"]

"""Movie records as The Movie Database's API returns them, for the medallion pipeline of `tmdb-medallion-dbt.md`.

Each event is one fetch of a movie's details: its `id`, the whole record as an object for a VARIANT
column (`title`, `release_date` as text, `status`, `budget` and `revenue` in dollars with 0 for
unknown, `runtime`, `vote_average`, `vote_count`, `popularity`, `genres` and
`production_companies` as arrays of objects) and when it was fetched. A new movie is released
(most) or announced (Planned, In Production, Post Production: no revenue, a release date ahead);
a fetch of a known movie finds it moved on: an announced movie one status further (released on
the day it is fetched), a released one with more box office and votes; popularity changes every
time and a budget is sometimes revised. A share of new records is flawed (a release date that is
not a date, a released movie dated after the fetch, a negative revenue), for silver's rules to catch.
Deterministic for a seed; built with numpy and Arrow compute, no Python object per event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from faker import Faker

from sim.workloads.rows import grow

#: TMDb's movie genres (id, name): the reference data its /genre/movie/list endpoint returns.
GENRES = [(28, "Action"), (12, "Adventure"), (16, "Animation"), (35, "Comedy"), (80, "Crime"), (99, "Documentary"),
          (18, "Drama"), (10751, "Family"), (14, "Fantasy"), (36, "History"), (27, "Horror"), (10402, "Music"),
          (9648, "Mystery"), (10749, "Romance"), (878, "Science Fiction"), (10770, "TV Movie"), (53, "Thriller"),
          (10752, "War"), (37, "Western")]
STATUSES = np.array(["Planned", "In Production", "Post Production", "Released"])
RELEASED = 3
LANGUAGES = np.array(["en", "en", "en", "en", "fr", "es", "ja", "ko", "de", "hi"])
COUNTRIES = np.array(["US", "US", "US", "GB", "FR", "JP", "KR", "DE", "IN", "CA"])
GENRE = pa.struct([("id", pa.int64()), ("name", pa.string())])
COMPANY = pa.struct([("id", pa.int64()), ("name", pa.string()), ("origin_country", pa.string())])
MOVIE = pa.struct([
    ("id", pa.int64()), ("title", pa.string()), ("original_language", pa.string()), ("release_date", pa.string()),
    ("status", pa.string()), ("budget", pa.int64()), ("revenue", pa.int64()), ("runtime", pa.int64()),
    ("vote_average", pa.float64()), ("vote_count", pa.int64()), ("popularity", pa.float64()),
    ("genres", pa.list_(GENRE)), ("production_companies", pa.list_(COMPANY)),
])
#: The landing table's columns: what both ingestion paths deliver (RAW_DATA becomes a VARIANT object).
SCHEMA = pa.schema([("event_id", pa.int64()), ("movie_id", pa.int64()), ("raw_data", MOVIE),
                    ("source_ts", pa.timestamp("ms"))])
DAY_MS = 86_400_000
EPOCH_2000 = 10_957  # days from 1970-01-01 to 2000-01-01
_COMPANIES = 48
_WORDS = 200
_STATE = ("title_a", "title_b", "language", "release_day", "flaw", "status", "budget", "revenue", "runtime",
          "vote_tenths", "votes", "popularity_cents", "genres", "genre_count", "companies", "company_count")


@dataclass
class TmdbFeed:
    """Seeded generator of movie fetches; `batch(times)` makes one event per time given."""

    #: The column with each event's source time, which the ingestion models time rows by.
    time_column: ClassVar[str] = "source_ts"
    #: The events' columns, as the landing table must have them.
    schema: ClassVar[pa.Schema] = SCHEMA

    seed: int = 0
    #: Share of fetches that find a new movie (the rest find a known one changed).
    new_share: float = 0.3
    invalid_share: float = 0.02
    counts: dict[str, int] = field(default_factory=lambda: {"new": 0, "update": 0})
    _rng: np.random.Generator = field(init=False, repr=False)
    _next_event: int = field(init=False, repr=False, default=1)
    _movies: int = field(init=False, repr=False, default=0)

    def __post_init__(self) -> None:
        self._rng = np.random.default_rng([self.seed, 5])
        fake = Faker("en_US")
        fake.seed_instance(self.seed)
        self._words = np.array([fake.word().title() for _ in range(_WORDS)])
        self._company_names = np.array([fake.company() for _ in range(_COMPANIES)])
        self._company_countries = COUNTRIES[self._rng.integers(0, len(COUNTRIES), _COMPANIES)]
        self._s = {
            name: np.zeros(1024 if name not in ("genres", "companies") else (1024, 3), np.int64) for name in _STATE
        }

    @property
    def events(self) -> int:
        return self._next_event - 1

    def batch(self, times: np.ndarray) -> pa.Table:
        """One fetch per time (epoch ms, sorted), as an Arrow table with `SCHEMA`.

        A batch fetches a known movie at most once, so each record is the movie as the batch leaves it."""
        n = len(times)
        rng = self._rng
        new = rng.random(n) < self.new_share
        known = np.flatnonzero(~new)
        take = min(len(known), self._movies)
        new[known[take:]] = True  # not enough movies yet: the rest are new
        movie = np.empty(n, dtype=np.int64)
        movie[known[:take]] = rng.choice(self._movies, size=take, replace=False) if take else known[:0]
        movie[new] = self._create(times[new])
        self._move(movie[~new], times[~new])
        self.counts["new"] += int(new.sum())
        self.counts["update"] += take
        first = self._next_event
        self._next_event += n
        return pa.Table.from_arrays([pa.array(np.arange(first, first + n, dtype=np.int64)), pa.array(movie + 1),
                                     self._record(movie), pa.array(times, pa.timestamp("ms"))], schema=SCHEMA)

    def _create(self, times: np.ndarray) -> np.ndarray:
        """New movies fetched at `times`: released (70 %) or announced, with a flawed record now and then."""
        rng, s, count = self._rng, self._s, len(times)
        ids = np.arange(self._movies, self._movies + count, dtype=np.int64)
        self._movies += count
        grow(s, self._movies)
        today = times // DAY_MS
        flaw = np.where(rng.random(count) < self.invalid_share, rng.integers(1, 4, count), 0)
        released = (rng.random(count) < 0.7) | (flaw >= 2)  # 1: not a date, 2: released later, 3: revenue < 0
        s["title_a"][ids], s["title_b"][ids] = rng.integers(0, _WORDS, count), rng.integers(0, _WORDS, count)
        s["language"][ids] = rng.integers(0, len(LANGUAGES), count)
        s["status"][ids] = np.where(released, RELEASED, rng.integers(0, RELEASED, count))
        s["release_day"][ids] = np.where(released, rng.integers(EPOCH_2000, np.maximum(today, EPOCH_2000 + 1)),
                                         today + rng.integers(30, 400, count))
        budget = np.round(np.exp(rng.normal(np.log(30e6), 1.0, count)), -5).astype(np.int64)
        s["budget"][ids] = np.where(rng.random(count) < 0.2, 0, budget)  # TMDb's 0: unknown
        revenue = np.round(budget * np.exp(rng.normal(np.log(2.0), 0.8, count)), -3).astype(np.int64)
        s["revenue"][ids] = np.where(released & (rng.random(count) >= 0.15), revenue, 0)
        s["runtime"][ids] = np.where(released, rng.integers(80, 181, count), 0)
        s["vote_tenths"][ids] = np.clip(np.round(rng.normal(65, 10, count)), 10, 100)
        s["votes"][ids] = np.where(released, np.round(np.exp(rng.normal(np.log(500), 1.2, count))), 0)
        s["popularity_cents"][ids] = np.round(np.exp(rng.normal(np.log(2_000), 0.8, count)))
        s["genre_count"][ids] = rng.integers(1, 4, count)
        s["genres"][ids] = np.argsort(rng.random((count, len(GENRES))), axis=1)[:, :3]  # three distinct genres
        s["company_count"][ids] = rng.integers(1, 4, count)
        s["companies"][ids] = np.argsort(rng.random((count, _COMPANIES)), axis=1)[:, :3]
        s["flaw"][ids] = flaw
        s["release_day"][ids[flaw == 2]] = today[flaw == 2] + 100
        s["revenue"][ids[flaw == 3]] = -np.abs(s["revenue"][ids[flaw == 3]]) - 1000
        return ids

    def _move(self, movies: np.ndarray, times: np.ndarray) -> None:
        """What a later fetch finds: announced movies a status further, released ones with more box office and votes."""
        rng, s, count = self._rng, self._s, len(movies)
        announced = s["status"][movies] < RELEASED
        advance = movies[announced & (rng.random(count) < 0.5)]
        s["status"][advance] += 1
        now_released = advance[s["status"][advance] == RELEASED]
        s["release_day"][now_released] = times[np.isin(movies, now_released)] // DAY_MS
        s["runtime"][now_released] = rng.integers(80, 181, len(now_released))
        s["revenue"][now_released] = np.round(s["budget"][now_released] * rng.uniform(0.05, 0.3, len(now_released)), -3)
        running = movies[~announced]
        s["revenue"][running] += np.round(s["revenue"][running] * rng.uniform(0, 0.05, len(running)), -3).astype(
            np.int64
        )
        s["votes"][running] += rng.integers(0, 50, len(running))
        s["vote_tenths"][running] = np.clip(s["vote_tenths"][running] + rng.integers(-1, 2, len(running)), 10, 100)
        s["popularity_cents"][movies] = np.maximum(
            1, np.round(s["popularity_cents"][movies] * np.exp(rng.normal(0, 0.2, count)))).astype(np.int64)
        revised = movies[(rng.random(count) < 0.05) & (s["budget"][movies] > 0)]
        s["budget"][revised] = np.round(s["budget"][revised] * rng.uniform(1.0, 1.3, len(revised)), -5).astype(np.int64)

    def _record(self, movies: np.ndarray) -> pa.StructArray:
        """The API's record of each movie as it is now."""
        s = self._s
        title = pc.binary_join_element_wise(self._words[s["title_a"][movies]], self._words[s["title_b"][movies]], " ")
        day = s["release_day"][movies]
        date = pc.cast(pa.array(day.astype("datetime64[D]")), pa.string())
        flaw = s["flaw"][movies]
        date = (
            pc.if_else(
                pa.array(flaw == 1), pc.binary_join_element_wise(pc.utf8_slice_codeunits(date, 0, 8), "31", ""), date
            )
            if (flaw == 1).any()
            else date
        )  # e.g. 2019-02-31
        genres = _lists(
            s["genres"][movies],
            s["genre_count"][movies],
            lambda index: pa.StructArray.from_arrays(
                [
                    pa.array(np.array([g for g, _ in GENRES])[index]),
                    pa.array(np.array([name for _, name in GENRES])[index]),
                ],
                fields=list(GENRE),
            ),
        )
        companies = _lists(s["companies"][movies], s["company_count"][movies], lambda index: pa.StructArray.from_arrays(
            [pa.array(index + 1), pa.array(self._company_names[index]), pa.array(self._company_countries[index])],
            fields=list(COMPANY)))
        return pa.StructArray.from_arrays([
            pa.array(movies + 1), title, pa.array(LANGUAGES[s["language"][movies]]), date,
            pa.array(STATUSES[s["status"][movies]]), pa.array(s["budget"][movies]), pa.array(s["revenue"][movies]),
            pa.array(s["runtime"][movies]), pa.array(s["vote_tenths"][movies] / 10), pa.array(s["votes"][movies]),
            pa.array(s["popularity_cents"][movies] / 100), genres, companies,
        ], fields=list(MOVIE))


def _lists(chosen: np.ndarray, counts: np.ndarray, items) -> pa.ListArray:
    """A list per row of the first `counts[i]` of `chosen[i]`, each item built by `items(indexes)`."""
    keep = np.arange(chosen.shape[1]) < counts[:, None]
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), items(chosen[keep]))

"""Videos from the film table that `bokeh-sampledata` ships (a Wikidata snapshot, CC0).

`bokeh_sampledata/_data/movies.db` is SQLite with the legacy `omdb` table (one
row per film) and a `tomatoes` table keyed by the same ID. The database is
opened read-only; each film becomes a `Video` whose url is its IMDb page.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from tools.catalog import Video
from tools.sources.locate import (
    RowRejected,
    SourceReport,
    clean_text,
    package_file,
    package_version,
    short_validation_error,
    unreadable,
)

DISTRIBUTION = "bokeh-sampledata"
MODULE = "bokeh_sampledata"
RELATIVE = "_data/movies.db"
IMDB = "https://www.imdb.com/title/"
CAST_SHOWN = 4
_IMDB_ID = re.compile(r"^tt\d{5,10}$")
_QUERY = """
SELECT o.ID, o.imdbID, o.Title, o.Year, o.Runtime, o.Genre, o.Released, o.Director,
       o."Cast", o.Language, o.Country, o.Awards, o.Rating, t.Consensus, t.Production,
       t.Rating AS CriticRating, t.Reviews
FROM omdb AS o LEFT JOIN tomatoes AS t ON t.ID = o.ID
ORDER BY o.ID
"""


class FilmRow(BaseModel):
    """One joined omdb/tomatoes row, as stored (empty strings and NULLs included)."""

    model_config = ConfigDict(frozen=True)

    ID: int | None = None
    imdbID: str | None = None
    Title: str | None = None
    Year: int | None = None
    Runtime: float | None = None
    Genre: str | None = None
    Released: str | None = None
    Director: str | None = None
    Cast: str | None = None
    Language: str | None = None
    Country: str | None = None
    Awards: str | None = None
    Rating: str | None = None
    Consensus: str | None = None
    Production: str | None = None
    CriticRating: float | None = None
    Reviews: int | None = None


PRIOR_REVIEWS = 20
PRIOR_RATING = 6.0


def critic_score(rating: float | None, reviews: int | None) -> float | None:
    """Critics' mean rating (0-10) shrunk toward 6.0 by 20 reviews' weight, on a 0-5 scale.

    A film with 3 glowing reviews should not outrank one with 200 good ones.
    """
    if rating is None or not reviews or reviews <= 0 or not 0 <= rating <= 10:
        return None
    shrunk = (reviews * rating + PRIOR_REVIEWS * PRIOR_RATING) / (reviews + PRIOR_REVIEWS)
    return round(shrunk / 2, 3)


def split_list(raw: str | None) -> list[str]:
    """'Drama, Crime' -> ['Drama', 'Crime']; empty, NULL and 'N/A' give []."""
    if not raw:
        return []
    parts = (clean_text(p) for p in raw.split(","))
    return [p for p in parts if p and p.upper() != "N/A"]


def release_date(released: str | None, year: int | None) -> date | None:
    """The release date, else 1 January of the year, else None."""
    if released:
        try:
            return date.fromisoformat(released.strip()[:10])
        except ValueError:
            pass
    if year and 1800 <= year <= 2100:
        return date(year, 1, 1)
    return None


def describe_film(row: FilmRow, directors: list[str], cast: list[str]) -> str:
    """Consensus (when present), then 'Directed by ...; starring ...', awards and studio;
    genres and year when none of those is known."""
    parts = [clean_text(row.Consensus)] if row.Consensus else []
    credits = f"Directed by {', '.join(directors)}" if directors else ""
    if cast:
        starring = f"starring {', '.join(cast[:CAST_SHOWN])}"
        credits = f"{credits}; {starring}" if credits else starring[0].upper() + starring[1:]
    if credits:
        parts.append(credits + ".")
    if row.Awards:
        parts.append(clean_text(row.Awards))
    if row.Production:
        parts.append(f"Produced by {clean_text(row.Production)}.")
    if not parts:
        kind = ", ".join(split_list(row.Genre)) or "Film"
        parts.append(f"{kind} ({row.Year})." if row.Year else f"{kind}.")
    return " ".join(parts)


def video_from_row(row: FilmRow) -> Video:
    """One film as a Video; raises `RowRejected` with the reason when it cannot be."""
    title = clean_text(row.Title or "")
    if not title:
        raise RowRejected("missing title")
    imdb_id = (row.imdbID or "").strip()
    if not _IMDB_ID.match(imdb_id):
        raise RowRejected("missing or malformed imdbID")
    genres = split_list(row.Genre)
    directors = split_list(row.Director)
    cast = split_list(row.Cast)
    runtime = row.Runtime
    try:
        return Video(
            id=f"imdb-{imdb_id}",
            title=title,
            description=describe_film(row, directors, cast),
            duration_s=round(runtime * 60) if runtime and runtime > 0 else None,
            creator=", ".join(directors) or None,
            published=release_date(row.Released, row.Year),
            genre=genres,
            rating=critic_score(row.CriticRating, row.Reviews),
            tags=[*genres, *split_list(row.Language), *split_list(row.Country)],
            url=f"{IMDB}{imdb_id}/",
        )
    except ValidationError as exc:
        raise RowRejected(short_validation_error(exc)) from exc


def movies_report() -> tuple[Path, SourceReport]:
    """Locate the film database and open its report; raises `SourceUnavailable` when absent."""
    path = package_file(DISTRIBUTION, MODULE, RELATIVE)
    report = SourceReport(
        name="wikidata-films",
        vertical="video",
        package=DISTRIBUTION,
        version=package_version(DISTRIBUTION),
        licence="CC0-1.0 (Wikidata); package BSD-3-Clause",
        origin="Wikidata film statements (snapshot in bokeh-sampledata's movies.db)",
        path=str(path),
    )
    return path, report


def read_movies(path: Path, report: SourceReport, limit: int | None = None) -> Iterator[Video]:
    """Yield films from `path` (opened read-only), counting every row in `report`."""
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise unreadable(path, exc) from exc
    try:
        cursor = connection.execute(_QUERY)
        names = [column[0] for column in cursor.description]
        seen: set[str] = set()
        for values in cursor:
            if limit is not None and report.items >= limit:
                report.truncated = True
                return
            report.rows_read += 1
            ref = f"ID {values[0]}"
            try:
                row = FilmRow.model_validate(dict(zip(names, values, strict=True)))
                ref = f"ID {row.ID} {row.Title!r}"
                video = video_from_row(row)
            except ValidationError as exc:
                report.skip(short_validation_error(exc), ref)
                continue
            except RowRejected as exc:
                report.skip(str(exc), ref)
                continue
            if video.id in seen:
                report.skip("duplicate imdbID (first row kept)", ref)
                continue
            seen.add(video.id)
            report.rows_kept += 1
            report.items += 1
            yield video
    except sqlite3.Error as exc:
        raise unreadable(path, exc) from exc
    finally:
        connection.close()

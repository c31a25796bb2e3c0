"""Readers for the public datasets the benchmarks use, turned into rapport records."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def require_dir(path: Path, files: list[str]) -> Path:
    missing = [name for name in files if not (path / name).exists()]
    if missing:
        raise FileNotFoundError(f"{path} is missing {', '.join(missing)}")
    return path


MOVIELENS_FORMATS = (
    "ratings.csv (MovieLens small, 20M, 25M, 32M), ratings.dat (1M, 10M), u.data (100k) or "
    "RecBole atomic files (<name>.inter, <name>.item)"
)
GENRES_100K = [
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
    "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance",
    "Sci-Fi", "Thriller", "War", "Western",
]  # fmt: skip
"""ML-100k's genre flag columns, in order (its u.genre file, when present, says the same)."""


@dataclass(frozen=True)
class Rating:
    user: str
    movie: str
    stars: float
    timestamp: int


@dataclass(frozen=True)
class Movie:
    id: str
    title: str
    genres: list[str]

    @property
    def year(self) -> int | None:
        """The release year MovieLens titles end with ("Heat (1995)"), when there is one."""
        year = self.title[-5:-1]
        return int(year) if self.title.endswith(")") and year.isdigit() else None


def _lines(path: Path) -> list[str]:
    """The non-blank lines of a small file; the older releases (100k, 1M) are Latin-1, the
    newer ones UTF-8."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return [line for line in text.splitlines() if line.strip()]


def _atomic(folder: Path, suffix: str) -> Path | None:
    """The folder's RecBole atomic file of this kind (`.inter`, `.item`), if it has one."""
    return next(iter(sorted(folder.glob(f"*{suffix}"))), None)


def _atomic_rows(path: Path) -> Iterator[dict[str, str]]:
    """Rows of a RecBole atomic file by field name: its header names fields `name:type`."""
    with path.open(encoding="utf-8", newline="") as handle:
        header = [field.split(":")[0] for field in next(handle).rstrip("\r\n").split("\t")]
        for line in handle:
            if line.strip():
                yield dict(zip(header, line.rstrip("\r\n").split("\t"), strict=False))


def movielens_ratings(folder: Path, limit: int | None = None) -> Iterator[Rating]:
    """The ratings of a MovieLens release folder, in file order, whichever format it has."""
    formats = (("ratings.csv", ","), ("ratings.dat", "::"), ("u.data", "\t"))
    found = next(((name, sep) for name, sep in formats if (folder / name).exists()), None)
    if found is None:
        atomic = _atomic(folder, ".inter")
        if atomic is None:
            raise FileNotFoundError(
                f"{folder} has no MovieLens ratings: expected {MOVIELENS_FORMATS}"
            )
        for number, row in enumerate(_atomic_rows(atomic)):
            if limit is not None and number >= limit:
                return
            yield Rating(
                row["user_id"], row["item_id"], float(row["rating"]), int(float(row["timestamp"]))
            )
        return
    name, separator = found
    # Rating files hold digits only, so streaming them as Latin-1 is safe for every release.
    with (folder / name).open(encoding="latin-1") as handle:
        if name.endswith(".csv"):
            next(handle, None)  # the header: userId,movieId,rating,timestamp
        for number, line in enumerate(handle):
            if limit is not None and number >= limit:
                return
            if line.strip():
                user, movie, stars, stamp = line.rstrip("\r\n").split(separator)
                yield Rating(user, movie, float(stars), int(stamp))


def movielens_movies(folder: Path) -> Iterator[Movie]:
    """The movies of a MovieLens release folder: movies.csv, movies.dat, u.item or a RecBole
    .item file."""
    if (folder / "movies.csv").exists():
        with (folder / "movies.csv").open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                yield Movie(row["movieId"], row["title"].strip(), _genres(row["genres"]))
    elif (folder / "movies.dat").exists():
        for line in _lines(folder / "movies.dat"):
            movie, title, genre_field = line.split("::")
            yield Movie(movie, title.strip(), _genres(genre_field))
    elif (folder / "u.item").exists():
        for line in _lines(folder / "u.item"):
            fields = line.split("|")
            flags = fields[-len(GENRES_100K) :]
            genres = [g for g, flag in zip(GENRES_100K, flags, strict=True) if flag == "1"]
            yield Movie(fields[0], fields[1].strip(), [g for g in genres if g != "unknown"])
    elif (atomic := _atomic(folder, ".item")) is not None:
        for row in _atomic_rows(atomic):
            year = row.get("release_year", "")
            title = row["movie_title"].strip() + (f" ({year})" if year else "")
            yield Movie(row["item_id"], title, row.get("class", "").split())
    else:
        raise FileNotFoundError(
            f"{folder} has no MovieLens movies: expected movies.csv, movies.dat, u.item or "
            "a RecBole .item file"
        )


def _genres(field: str) -> list[str]:
    return [g for g in field.split("|") if g and g != "(no genres listed)"]


def movielens_tags(folder: Path) -> dict[str, list[str]]:
    """Users' tags per movie (tags.csv or tags.dat), lower-cased; none for 100k and 1M."""
    pairs: list[tuple[str, str]] = []
    if (folder / "tags.csv").exists():
        with (folder / "tags.csv").open(newline="", encoding="utf-8") as handle:
            pairs = [(row["movieId"], row["tag"]) for row in csv.DictReader(handle)]
    elif (folder / "tags.dat").exists():
        fields = [line.split("::") for line in _lines(folder / "tags.dat")]
        pairs = [(movie, tag) for _, movie, tag, *_ in fields]
    tags: dict[str, list[str]] = {}
    for movie, tag in pairs:
        tags.setdefault(movie, []).append(tag.strip().lower())
    return tags


def movielens_events(folder: Path, limit: int | None = None) -> Iterator[dict[str, Any]]:
    """MovieLens ratings as `rate` events (the value is the star rating)."""
    for rating in movielens_ratings(folder, limit):
        yield {
            "id": f"ml-{rating.user}-{rating.movie}",
            "user_id": rating.user,
            "item_id": rating.movie,
            "type": "rate",
            "value": rating.stars,
            "timestamp": rating.timestamp,
        }


def movielens_items(folder: Path) -> Iterator[dict[str, Any]]:
    """MovieLens movies as items: title, genres as categories, user tags as tags."""
    tags = movielens_tags(folder)
    for movie in movielens_movies(folder):
        yield {
            "id": movie.id,
            "kind": "movie",
            "title": movie.title,
            "categories": movie.genres,
            "tags": list(dict.fromkeys(tags.get(movie.id, [])))[:20],
            "attributes": {"year": movie.year} if movie.year else {},
        }


def write_jsonl(rows: Iterator[dict[str, Any]], path: Path) -> int:
    count = 0
    with path.open("w") as handle:
        for row in rows:
            handle.write(json.dumps(row) + "\n")
            count += 1
    return count

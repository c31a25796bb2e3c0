"""Readers for the public datasets the benchmarks use, turned into rapport records."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def require_dir(path: Path, files: list[str]) -> Path:
    missing = [name for name in files if not (path / name).exists()]
    if missing:
        raise FileNotFoundError(f"{path} is missing {', '.join(missing)}")
    return path


def movielens_events(folder: Path, limit: int | None = None) -> Iterator[dict[str, Any]]:
    """MovieLens ratings as `rate` events (the value is the star rating)."""
    require_dir(folder, ["ratings.csv"])
    with (folder / "ratings.csv").open(newline="") as handle:
        for number, row in enumerate(csv.DictReader(handle)):
            if limit is not None and number >= limit:
                return
            yield {
                "id": f"ml-{row['userId']}-{row['movieId']}",
                "user_id": row["userId"],
                "item_id": row["movieId"],
                "type": "rate",
                "value": float(row["rating"]),
                "timestamp": int(row["timestamp"]),
            }


def movielens_items(folder: Path) -> Iterator[dict[str, Any]]:
    """MovieLens movies as items: title, genres as categories, user tags as tags."""
    require_dir(folder, ["movies.csv"])
    tags: dict[str, list[str]] = {}
    if (folder / "tags.csv").exists():
        with (folder / "tags.csv").open(newline="") as handle:
            for row in csv.DictReader(handle):
                tags.setdefault(row["movieId"], []).append(row["tag"].strip().lower())
    with (folder / "movies.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            title = row["title"].strip()
            year = title[-5:-1] if title.endswith(")") and title[-5:-1].isdigit() else None
            genres = [g for g in row["genres"].split("|") if g and g != "(no genres listed)"]
            yield {
                "id": row["movieId"],
                "kind": "movie",
                "title": title,
                "categories": genres,
                "tags": list(dict.fromkeys(tags.get(row["movieId"], [])))[:20],
                "attributes": {"year": int(year)} if year else {},
            }


def write_jsonl(rows: Iterator[dict[str, Any]], path: Path) -> int:
    count = 0
    with path.open("w") as handle:
        for row in rows:
            handle.write(json.dumps(row) + "\n")
            count += 1
    return count

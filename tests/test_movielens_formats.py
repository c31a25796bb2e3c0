"""Every MovieLens release, as unpacked, is read the same way: the benchmarks take any of them
with `--movielens`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from rapport.bench.datasets import (
    GENRES_100K,
    movielens_events,
    movielens_items,
    movielens_ratings,
)
from tests.conftest import Cli

# user, movie, stars, timestamp
RATINGS = [("1", "10", 4.0, 964982703), ("1", "20", 2.5, 964982931), ("2", "10", 5.0, 964983815)]
# movie, title (not ASCII: the older releases are Latin-1), genres
MOVIES = [("10", "Amélie (2001)", ["Comedy", "Romance"]), ("20", "Heat (1995)", ["Action"])]


def _small(folder: Path) -> Path:
    folder.mkdir()
    rows = "".join(f"{u},{m},{r},{t}\n" for u, m, r, t in RATINGS)
    (folder / "ratings.csv").write_text("userId,movieId,rating,timestamp\n" + rows)
    movies = "".join(f'{m},"{title}",{"|".join(g)}\n' for m, title, g in MOVIES)
    (folder / "movies.csv").write_text("movieId,title,genres\n" + movies, encoding="utf-8")
    return folder


def _one_m(folder: Path) -> Path:
    folder.mkdir()
    rows = "".join(f"{u}::{m}::{r:g}::{t}\n" for u, m, r, t in RATINGS)
    (folder / "ratings.dat").write_text(rows)
    movies = "".join(f"{m}::{title}::{'|'.join(g)}\n" for m, title, g in MOVIES)
    (folder / "movies.dat").write_bytes(movies.encode("latin-1"))
    return folder


def _hundred_k(folder: Path) -> Path:
    folder.mkdir()
    rows = "".join(f"{u}\t{m}\t{r:g}\t{t}\n" for u, m, r, t in RATINGS)
    (folder / "u.data").write_text(rows)
    lines = []
    for movie, title, genres in MOVIES:
        flags = "|".join("1" if g in genres else "0" for g in GENRES_100K)
        lines.append(f"{movie}|{title}|01-Jan-1995||http://example.org/|{flags}\n")
    (folder / "u.item").write_bytes("".join(lines).encode("latin-1"))
    return folder


def _recbole(folder: Path) -> Path:
    """RecBole's atomic files (its wheel ships ML-100k so), typed headers, title and year apart."""
    folder.mkdir()
    head = "user_id:token\titem_id:token\trating:float\ttimestamp:float\n"
    rows = "".join(f"{u}\t{m}\t{r:g}\t{t}\n" for u, m, r, t in RATINGS)
    (folder / "ml.inter").write_text(head + rows)
    lines = ["item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\n"]
    for movie, title, genres in MOVIES:
        name, year = title[:-7], title[-5:-1]
        lines.append(f"{movie}\t{name}\t{year}\t{' '.join(genres)}\n")
    (folder / "ml.item").write_text("".join(lines), encoding="utf-8")
    return folder


@pytest.mark.parametrize("make", [_small, _one_m, _hundred_k, _recbole])
def test_each_release_format_gives_the_same_events_and_items(
    make: Callable[[Path], Path], tmp_path: Path
) -> None:
    folder = make(tmp_path / "ml")
    events = list(movielens_events(folder))
    assert [(e["user_id"], e["item_id"], e["value"], e["timestamp"]) for e in events] == RATINGS
    assert events[1]["id"] == "ml-1-20" and events[1]["type"] == "rate"
    items = list(movielens_items(folder))
    assert [(i["id"], i["title"], i["categories"]) for i in items] == MOVIES
    assert items[0]["attributes"] == {"year": 2001}
    assert [r.movie for r in movielens_ratings(folder, limit=2)] == ["10", "20"]


def test_ten_m_tags_become_item_tags(tmp_path: Path) -> None:
    folder = _one_m(tmp_path / "ml")
    (folder / "tags.dat").write_text("1::10::Whimsical::1139045764\n2::10::paris::1139045765\n")
    tags = {item["id"]: item["tags"] for item in movielens_items(folder)}
    assert tags == {"10": ["whimsical", "paris"], "20": []}


def test_a_folder_without_ratings_names_the_files_it_expects(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(
        FileNotFoundError, match=r"ratings\.dat \(1M, 10M\), u\.data \(100k\) or RecBole"
    ):
        list(movielens_events(tmp_path / "empty"))
    ran = Cli(tmp_path / "data")("bench", "ingest", "--movielens", str(tmp_path / "empty"))
    assert ran.returncode == 1 and "has no MovieLens ratings" in ran.stderr


def test_bench_ingest_reads_a_hundred_k_folder(tmp_path: Path) -> None:
    folder = _hundred_k(tmp_path / "ml-100k")
    ran = Cli(tmp_path / "data")("bench", "ingest", "--movielens", str(folder), "--json")
    assert ran.returncode == 0, ran.stderr
    result = json.loads(ran.stdout)
    assert result["events"] == 3 and result["counts_after_repeat"] == 3

"""The benchmark modules at toy size: the synthetic world, `bench scale` end to end, `bench
ann`, `bench recommend`'s data variants and the BEIR variants. Real parts throughout (the
MiniLM model, SQLite through the engine, hnswlib); sizes are small enough to run in seconds.
"""

from __future__ import annotations

import collections
import csv
import gzip
import json
import math
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import Stemmer

from rapport.bench import ann as ann_module
from rapport.bench import recommend as recommend_module
from rapport.bench.ann import bench_ann, user_queries
from rapport.bench.collections import build_collection
from rapport.bench.plots import phase_seconds, scale_chart
from rapport.bench.recommend import VARIANTS, _variant, bench_recommend
from rapport.bench.retrieval import _documents, chunk_corpus
from rapport.bench.scale import SKIPPED, ScaleBench, bench_scale
from rapport.bench.synthetic import (
    BLOCK,
    EVENT_TYPES,
    TOPICS,
    VectorSource,
    World,
    msmarco_source,
    real_vectors,
)
from rapport.bench.variants import FORUM_QUERIES, forum_topics, paraphrase_queries
from rapport.core.interactions import Interactions
from rapport.core.models import Item
from rapport.core.vectors.local import SentenceTransformerEmbedder
from rapport.evaluation.beir import BeirData, load_beir
from rapport.interfaces.api.server import serving
from tests.conftest import Cli, CountingEmbedder, shared_data
from tests.test_models import interactions, synthetic_events

PASSAGES = 200
"""Passages of the tiny msmarco folder: enough for 64 k-means topics, and for some words to
count as content words in the paraphraser (rarer than 2% of passages)."""
WORDS = 40
"""Each passage is cut to its first words, so embedding the folder takes a few seconds."""
TINY_QUERIES = ("19335", "1121709", "146187")
"""msmarco-5k queries with few relevant passages: theirs all fit in the tiny corpus."""


def _read_jsonl(path: Path) -> list[dict[str, object]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _write_jsonl(path: Path, rows: list[dict[str, object]]) -> None:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


@pytest.fixture(scope="module")
def tiny_msmarco(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A BEIR folder cut from msmarco-5k: three queries, their judgements, the passages
    they judge relevant and the first others, 200 passages in all, each cut short."""
    source = shared_data("msmarco-5k")
    folder = tmp_path_factory.mktemp("msmarco-tiny")
    (folder / "qrels").mkdir()
    lines = (source / "qrels" / "test.tsv").read_text(encoding="utf-8").splitlines()
    judged = [line.split("\t") for line in lines if line.split("\t")[0] in TINY_QUERIES]
    relevant = {doc for _, doc, grade in judged if int(grade) > 0}
    corpus = _read_jsonl(source / "corpus.jsonl")
    kept = [d for d in corpus if d["_id"] in relevant]
    kept += [d for d in corpus if d["_id"] not in relevant][: PASSAGES - len(kept)]
    ids = {d["_id"] for d in kept}
    for doc in kept:
        doc["text"] = " ".join(str(doc["text"]).split()[:WORDS])
    _write_jsonl(folder / "corpus.jsonl", kept)
    queries = [q for q in _read_jsonl(source / "queries.jsonl") if q["_id"] in TINY_QUERIES]
    _write_jsonl(folder / "queries.jsonl", queries)
    rows = ["\t".join(row) for row in judged if row[1] in ids]
    (folder / "qrels" / "test.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def vector_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory whose vector cache `msmarco_source` reads."""
    return tmp_path_factory.mktemp("bench-data")


@pytest.fixture(scope="module")
def base(tiny_msmarco: Path, vector_cache: Path, minilm: SentenceTransformerEmbedder) -> np.ndarray:
    """Real MiniLM vectors of the tiny corpus (cached where `msmarco_source` looks)."""
    return real_vectors(tiny_msmarco, minilm, vector_cache / "cache" / "vectors")


@pytest.fixture(scope="module")
def source(base: np.ndarray) -> VectorSource:
    return VectorSource(base, seed=0)


@pytest.fixture(scope="module")
def world(source: VectorSource) -> World:
    return World(source, items=2_000, events=20_000, users=400, seed=0)


def _events(world: World, batch: int = 50_000) -> list[dict[str, object]]:
    return [event for part in world.event_log(batch) for event in part]


# -- synthetic world -------------------------------------------------------------------------


def test_real_vectors_are_unit_norm_and_cached(
    tiny_msmarco: Path, base: np.ndarray, vector_cache: Path, embedder: CountingEmbedder
) -> None:
    assert base.shape == (PASSAGES, 384)
    np.testing.assert_allclose(np.linalg.norm(base, axis=1), 1.0, atol=1e-5)
    cached = real_vectors(tiny_msmarco, embedder, vector_cache / "cache" / "vectors")
    assert embedder.calls == []  # read from the cache the fixture filled
    np.testing.assert_array_equal(cached, base)
    (saved,) = (vector_cache / "cache" / "vectors").glob("scale-*-all-MiniLM-L6-v2.npy")
    np.testing.assert_array_equal(np.load(saved), base)


def test_an_item_is_the_same_whichever_range_asks_for_it(source: VectorSource) -> None:
    whole = source.vectors(0, 300)
    np.testing.assert_allclose(whole[150:200], source.vectors(150, 50), rtol=0, atol=1e-6)
    np.testing.assert_array_equal(source.topics(0, 300)[150:200], source.topics(150, 50))
    np.testing.assert_array_equal(source.anchors(0, 300)[150:200], source.anchors(150, 50))
    # Across a block boundary too: items BLOCK - 10 .. BLOCK + 10 come from two blocks.
    straddling = source.vectors(BLOCK - 10, 20)
    np.testing.assert_allclose(straddling[:10], source.vectors(0, BLOCK)[-10:], rtol=0, atol=1e-6)
    np.testing.assert_allclose(straddling[10:], source.vectors(BLOCK, 10), rtol=0, atol=1e-6)
    assert source.vectors(5, 0).shape == (0, 384)


def test_item_vectors_are_unit_norm_seeded_and_follow_their_topics(
    source: VectorSource, base: np.ndarray
) -> None:
    vectors = source.vectors(0, 2_000)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert source.vectors(0, 2_000).tobytes() == vectors.tobytes()  # deterministic
    other = VectorSource(base, seed=1).vectors(0, 2_000)
    assert not np.allclose(other, vectors)
    # Items are distinct points, not copies of their anchors.
    assert float(np.max(np.sum(vectors * base[source.anchors(0, 2_000)], axis=1))) < 0.999
    # Categories follow the vectors: items of one topic are closer than items of two.
    topics = source.topics(0, 2_000)
    assert topics.min() >= 0 and topics.max() < TOPICS
    similarity = vectors @ vectors.T
    same = topics[:, None] == topics[None, :]
    np.fill_diagonal(same, False)
    different = topics[:, None] != topics[None, :]
    assert similarity[same].mean() > similarity[different].mean() + 0.1


def test_event_log_is_deterministic_and_as_long_as_asked(world: World) -> None:
    events = _events(world)
    assert len(events) == world.events
    assert [e["id"] for e in events] == [f"e{n:09d}" for n in range(world.events)]
    again = _events(World(world.vectors, items=2_000, events=20_000, users=400, seed=0))
    assert again == events
    reseeded = _events(World(world.vectors, items=2_000, events=20_000, users=400, seed=1))
    assert len(reseeded) == world.events and reseeded != events
    assert {e["user_id"] for e in events} == {world.user_id(n) for n in range(world.users)}
    assert all(0 <= world.index_of(str(e["item_id"])) < world.items for e in events)
    assert {e["type"] for e in events} <= set(EVENT_TYPES)
    assert all(("value" in e) == (e["type"] == "rate") for e in events)
    now = world.now.timestamp()
    stamps = np.array([float(e["timestamp"]) for e in events])  # type: ignore[arg-type]
    assert stamps.max() <= now + 8 * 120 and stamps.min() >= now - 366 * 86400


def test_event_log_batches_cover_all_events(world: World) -> None:
    batches = list(world.event_log(3_000))
    assert len(batches) > 5
    assert sum(len(b) for b in batches) == world.events
    ids = [e["id"] for b in batches for e in b]
    assert ids == [f"e{n:09d}" for n in range(world.events)]


def test_popularity_is_skewed(world: World) -> None:
    counts = np.bincount(
        [world.index_of(str(e["item_id"])) for e in _events(world)], minlength=world.items
    )
    top = np.sort(counts)[::-1][: world.items // 10]
    assert top.sum() / counts.sum() > 0.35  # uniform popularity would give about 0.1
    # Users keep to their topics: most of a user's events fall in their three main topics.
    topic_of = world.topic
    per_user: dict[str, collections.Counter[int]] = collections.defaultdict(collections.Counter)
    for e in _events(world):
        per_user[str(e["user_id"])][int(topic_of[world.index_of(str(e["item_id"]))])] += 1
    busy = [c for c in per_user.values() if c.total() >= 40]
    share = sum(sum(n for _, n in c.most_common(3)) for c in busy) / sum(c.total() for c in busy)
    assert len(busy) > 20 and share > 0.7


def test_catalogue_records_are_valid_items(world: World) -> None:
    records = world.catalogue(100, 50)
    items = [Item.model_validate(r) for r in records]
    assert [i.id for i in items] == [world.item_id(n) for n in range(100, 150)]
    assert world.index_of(items[7].id) == 107
    assert all(r["categories"] == [f"topic-{world.topic[100 + n]}"] for n, r in enumerate(records))
    assert world.catalogue(100, 50) == records  # deterministic
    # Titles and categories follow the item, whatever range asks for it.
    wider = world.catalogue(0, 150)[100:]
    assert [r["title"] for r in wider] == [r["title"] for r in records]
    assert [r["categories"] for r in wider] == [r["categories"] for r in records]
    kinds = collections.Counter(r["kind"] for r in world.catalogue(0, 1_000))
    assert kinds["course"] > kinds["post"] > 0
    events = [r for r in world.catalogue(0, 1_000) if r["kind"] == "event"]
    assert events and all(r["ends_at"] > r["starts_at"] for r in events)


# -- bench scale -----------------------------------------------------------------------------


def test_bench_scale_end_to_end(
    tiny_msmarco: Path,
    vector_cache: Path,
    base: np.ndarray,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The bench builds its own settings: the torch model (loaded once per process) and the
    # vector cache the `base` fixture filled.
    monkeypatch.setenv("RAPPORT_EMBEDDING_PROVIDER", "sentence-transformers")
    monkeypatch.setenv("RAPPORT_DATA", str(vector_cache))
    source, titles = msmarco_source(tiny_msmarco)
    np.testing.assert_array_equal(source.base, base)
    assert len(titles) == PASSAGES and all(0 < len(t.split()) <= 6 for t in titles)

    results = tmp_path / "scale.json"
    workdir = tmp_path / "work"
    result = bench_scale(
        tiny_msmarco,
        items=300,
        events=3_000,
        serve=serving,
        requests=12,
        data=workdir,
        train=False,
        results=results,
    )
    assert result.failures == []
    assert result.users == 100 and result.training == "skipped"
    assert result.events_stored == 3_000
    assert [p.name for p in result.phases] == [
        "import items and vectors",
        "import events",
        "build vector index",
        "first request (catalogue frame, model mapping)",
        "exact peer: all vectors in memory",
    ]
    assert all(p.seconds >= 0 and p.note == "" for p in result.phases)
    assert [t.name for t in result.timings] == [
        "peer: exact search + top-10 (numpy)",
        "rapport recommend (in process)",
        "rapport similar (in process)",
        "rapport REST GET /users/{id}/recommendations",
        "rapport REST GET /items/{id}/similar",
    ]
    for timing in result.timings:
        assert timing.requests == 12
        assert 0 < timing.p50_ms <= timing.p99_ms
    assert result.index == "exact"  # 300 vectors: below the ANN threshold
    assert result.recall_queries == 200
    assert result.recall_at_10 == 1.0
    assert ScaleBench.model_validate_json(results.read_text()) == result

    # Again on the same work directory: the imports are skipped, the answers are the same.
    again = bench_scale(
        tiny_msmarco, items=300, events=3_000, serve=serving, requests=3, data=workdir, train=False
    )
    notes = {p.name: p.note for p in again.phases}
    assert notes["import items and vectors"] == "already in the work directory: skipped"
    assert notes["import events"] == "already in the work directory: skipped"
    assert again.recall_at_10 == 1.0 and again.events_stored == 3_000


def test_bench_scale_through_the_hnsw_index_without_events(
    tiny_msmarco: Path,
    vector_cache: Path,
    base: np.ndarray,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RAPPORT_EMBEDDING_PROVIDER", "sentence-transformers")
    monkeypatch.setenv("RAPPORT_DATA", str(vector_cache))
    monkeypatch.setenv("RAPPORT_ANN_MIN_VECTORS", "100")  # 500 items: served by the graph
    result = bench_scale(
        tiny_msmarco, items=500, events=0, serve=serving, requests=8, data=tmp_path / "work"
    )
    assert result.failures == [] and result.events_stored == 0
    assert result.index == "hnswlib HNSW"
    assert list((tmp_path / "work" / "indexes").rglob("graph-*.bin"))  # a graph was built
    assert "import events" not in {p.name for p in result.phases}
    assert [t.name for t in result.timings] == [
        "peer: exact search + top-10 (numpy)",
        "rapport similar (in process)",
        "rapport REST GET /items/{id}/similar",
    ]
    assert result.recall_at_10 is not None and 0.9 <= result.recall_at_10 <= 1.0


# -- bench ann -------------------------------------------------------------------------------


def test_user_queries_are_unit_means_of_one_topic(source: VectorSource) -> None:
    matrix = source.vectors(0, 1_000)
    queries = user_queries(source, matrix, 30, seed=17)
    assert queries.shape == (30, 384)
    np.testing.assert_allclose(np.linalg.norm(queries, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(queries, user_queries(source, matrix, 30, seed=17))
    # A mean of a few items of one topic lies closer to that topic's items than to others.
    topics = source.topics(0, 1_000)
    nearest = np.argsort(-(matrix @ queries.T), axis=0)[:10]
    agreement = np.mean([np.bincount(topics[column]).max() / 10 for column in nearest.T])
    assert agreement > 0.6


@pytest.mark.parametrize(
    ("library", "module"),
    [
        ("hnswlib", "hnswlib"),
        ("usearch", "usearch"),
        ("faiss-hnsw", "faiss"),
        ("faiss-ivf", "faiss"),
    ],
)
def test_bench_ann_recall_against_exact(source: VectorSource, library: str, module: str) -> None:
    pytest.importorskip(module)
    result = bench_ann(source, 3_000, queries=40, libraries=[library])
    assert (result.vectors, result.dim, result.queries, result.missing) == (3_000, 384, 40, [])
    assert 0 < result.exact_p50_ms <= result.exact_p99_ms
    assert len(result.runs) == 4
    for run in result.runs:
        assert 0 < run.p50_ms <= run.p99_ms
        assert run.size_mb > 3_000 * 384 * 4 / 2**20 * 0.9  # the vectors are in the file
    best = result.runs[-1]
    assert best.item_recall_at_10 >= 0.95 and best.user_recall_at_10 >= 0.9
    assert best.item_recall_at_10 >= result.runs[0].item_recall_at_10 - 0.02


def test_exact_search_is_its_own_truth(source: VectorSource) -> None:
    matrix = source.vectors(0, 500)
    picked = np.array([3, 77, 410])
    truth, samples = ann_module._exact(matrix, matrix[picked])
    np.testing.assert_array_equal(truth[:, 0], picked)  # an item is its own nearest
    scores = matrix[picked] @ matrix.T
    expected = np.argsort(-scores, axis=1)[:, :10]
    assert ann_module._recall(truth, expected) == 1.0
    assert ann_module._recall(expected[:, ::-1], truth) == 1.0  # order does not matter
    assert ann_module._recall(np.full_like(truth, -1), truth) == 0.0
    assert len(samples) == 3


def test_bench_ann_reports_a_missing_library(
    source: VectorSource, monkeypatch: pytest.MonkeyPatch
) -> None:
    def absent() -> ann_module._Library:
        raise ImportError("No module named 'nothere'")

    monkeypatch.setitem(ann_module.LIBRARIES, "nothere", absent)
    result = bench_ann(source, 500, queries=10, libraries=["nothere"])
    assert result.missing == ["nothere"] and result.runs == []


# -- bench recommend variants ----------------------------------------------------------------


@pytest.fixture(scope="module")
def ratings() -> Interactions:
    return interactions()


def test_implicit_variant_drops_ratings(ratings: Interactions) -> None:
    assert np.isfinite(ratings.rating).all() and not (ratings.strength == 1).all()
    implicit = _variant(ratings, "implicit")
    assert len(implicit) == len(ratings)
    assert (implicit.strength == 1).all() and np.isnan(implicit.rating).all()
    np.testing.assert_array_equal(implicit.users, ratings.users)
    np.testing.assert_array_equal(implicit.items, ratings.items)
    np.testing.assert_array_equal(implicit.time, ratings.time)
    assert implicit.strength.dtype == ratings.strength.dtype
    assert _variant(ratings, "full") is ratings


def test_user_halves_partition_the_users(ratings: Interactions) -> None:
    a, b = _variant(ratings, "users-a"), _variant(ratings, "users-b")
    users_a, users_b = set(a.users.tolist()), set(b.users.tolist())
    assert not users_a & users_b
    assert users_a | users_b == set(range(len(ratings.user_ids)))
    assert len(users_a) == len(ratings.user_ids) // 2
    assert len(a) + len(b) == len(ratings)
    rows = {(u, i) for u, i in zip(ratings.users.tolist(), ratings.items.tolist(), strict=True)}
    split = [set(zip(half.users.tolist(), half.items.tolist(), strict=True)) for half in (a, b)]
    assert not split[0] & split[1] and split[0] | split[1] == rows
    # The same halves every time (seed 0), whatever else ran before.
    np.testing.assert_array_equal(_variant(ratings, "users-a").users, a.users)
    assert set(VARIANTS) == {"full", "implicit", "users-a", "users-b"}


def _ratings_csv(folder: Path, users: int = 30) -> Path:
    with (folder / "ratings.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["userId", "movieId", "rating", "timestamp"])
        for event in synthetic_events(users):
            stamp = datetime.fromisoformat(event["timestamp"]).timestamp()
            writer.writerow([event["user_id"], event["item_id"], event["value"], int(stamp)])
    return folder


def test_bench_recommend_rejects_an_unknown_variant(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown variant 'bogus'"):
        bench_recommend(_ratings_csv(tmp_path), peers=["popularity"], variant="bogus")


def test_bench_recommend_on_a_user_half(tmp_path: Path) -> None:
    folder = _ratings_csv(tmp_path, users=40)
    full = recommend_module.load_movielens(folder)
    result = bench_recommend(folder, peers=["popularity"], variant="users-a")
    assert result.variant == "users-a"
    assert result.interactions == len(_variant(full, "users-a")) < len(full)
    assert result.users == 20  # the half's users, not every id it keeps
    assert [run.model for run in result.comparison.runs] == ["popularity", "rapport"]
    assert result.chosen and isinstance(result.chosen, dict)
    own = next(r for r in result.comparison.runs if r.model == "rapport")
    assert result.chosen == own.params


# -- BEIR variants ---------------------------------------------------------------------------


def _posts(forum: str, count: int) -> list[dict[str, object]]:
    return [
        {"id": f"{forum}-{n}", "text": f"post {n} in {forum}", "subreddit": forum}
        for n in range(count)
    ]


def test_forum_topics_writes_a_beir_folder(tmp_path: Path) -> None:
    crisis = tmp_path / "crisis"
    crisis.mkdir()
    posts = _posts("adhd", 3) + _posts("guns", 2) + _posts("personalfinance", 4)
    _write_jsonl(crisis / "reddit27-dev.jsonl", posts)
    variant = forum_topics(crisis, tmp_path / "out")
    assert (variant.name, variant.documents, variant.queries) == ("reddit-forums", 9, 3)
    data = load_beir(variant.folder)
    assert data.queries == {
        "adhd": "ADHD",
        "guns": "guns",
        "personalfinance": FORUM_QUERIES["personalfinance"],
    }
    assert data.qrels["personalfinance"] == {f"personalfinance-{n}": 1 for n in range(4)}
    assert data.corpus["guns-1"] == "post 1 in guns"


def test_forum_topics_refuses_an_unknown_forum(tmp_path: Path) -> None:
    _write_jsonl(tmp_path / "reddit27-dev.jsonl", _posts("adhd", 1) + _posts("cats", 1))
    with pytest.raises(ValueError, match=r"no query written for forum.*cats"):
        forum_topics(tmp_path, tmp_path / "out")
    with pytest.raises(FileNotFoundError, match=r"reddit27-dev\.jsonl"):
        forum_topics(tmp_path / "nowhere", tmp_path / "out")


def test_paraphrased_queries_replace_content_words(
    tiny_msmarco: Path, tmp_path: Path, minilm: SentenceTransformerEmbedder
) -> None:
    variant = paraphrase_queries(tiny_msmarco, tmp_path, minilm)
    original = load_beir(tiny_msmarco)
    rewritten = load_beir(variant.folder)
    assert (variant.documents, variant.queries) == (PASSAGES, len(TINY_QUERIES))
    assert rewritten.corpus == original.corpus and rewritten.qrels == original.qrels
    assert [before for before, _ in variant.examples] == list(original.queries.values())
    word = re.compile(r"[a-z0-9]+")
    frequency: collections.Counter[str] = collections.Counter()
    for text in original.corpus.values():
        frequency.update(set(word.findall(text.lower())))
    stem = Stemmer.Stemmer("english").stemWord
    changed = 0
    for qid, query in original.queries.items():
        before, after = word.findall(query.lower()), rewritten.queries[qid].split()
        assert len(after) == len(before)
        for old, new in zip(before, after, strict=True):
            if old == new:
                continue
            changed += 1
            # Only content words change, each to another corpus word of another stem.
            assert 0 < frequency[old] < 0.02 * PASSAGES and len(old) >= 3
            assert frequency[new] >= 2 and stem(new) != stem(old) and new[:4] != old[:4]
    assert changed >= 1
    again = paraphrase_queries(tiny_msmarco, tmp_path / "again", minilm)
    assert load_beir(again.folder).queries == rewritten.queries  # deterministic


def test_bench_retrieval_gives_each_ratio_an_interval_over_the_queries(
    tiny_msmarco: Path,
    tmp_path: Path,
    stub_url: tuple[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, stub = stub_url
    reranker = {"base_url": url, "model": "word-overlap", "api_key": "test-key", "depth": 7}
    monkeypatch.setenv("RAPPORT_RETRIEVER", json.dumps({"reranker": reranker}))
    ran = Cli(tmp_path)(
        "bench", "retrieval", str(tiny_msmarco), "--backend", "torch", "--no-latency",
        "--seed", "3", "--hindsight", "--reranker", "--json",
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    result = json.loads(ran.stdout)
    assert result["seed"] == 3
    runs = {run["name"]: run for run in result["runs"]}
    assert len(runs) == 6 and sum(run["peer"] for run in runs.values()) == 3
    # The re-ranker read the top 7 chunks of every judged query.
    assert "rapport + re-ranker word-overlap" in runs
    assert [(model, n) for model, _, n in stub.state.reranked] == [("word-overlap", 7)] * len(
        TINY_QUERIES
    )
    monkeypatch.delenv("RAPPORT_RETRIEVER")
    unset = Cli(tmp_path)("bench", "retrieval", str(tiny_msmarco), "--reranker")
    assert unset.returncode == 1 and "no re-ranker configured" in unset.stderr
    best = max((run for run in runs.values() if run["peer"]), key=lambda r: r["ratio_to_best_peer"])
    assert best["ratio_to_best_peer"] == 1.0 and best["interval_to_best_peer"] == [1.0, 1.0]
    for run in runs.values():
        each = run["query_ndcg_at_10"]
        assert sorted(each) == sorted(TINY_QUERIES)
        assert np.mean(list(each.values())) == pytest.approx(run["metrics"]["ndcg_at_10"], abs=1e-5)
        low, high = run["interval_to_best_peer"]
        ratios = [
            each[q] / best["query_ndcg_at_10"][q] for q in each if best["query_ndcg_at_10"][q]
        ]
        assert low <= high and low >= min(ratios) - 1e-9 and high <= max(ratios) + 1e-9

    # Hindsight: every setting the choice weighed, on the judged queries, best first.
    weighed = [c["settings"] for c in result["choice"]["candidates"]]
    hindsight = result["hindsight"]
    assert len(hindsight) == len(weighed) >= 2
    scores = [h["ndcg_at_10"] for h in hindsight]
    assert scores == sorted(scores, reverse=True)
    (chosen,) = [h for h in hindsight if h["chosen"]]
    rapport = next(run for name, run in runs.items() if name.startswith("rapport"))
    assert chosen["ndcg_at_10"] == pytest.approx(rapport["metrics"]["ndcg_at_10"], abs=1e-6)
    for h in hindsight:
        assert h["ratio_to_best_peer"] == pytest.approx(
            h["ndcg_at_10"] / best["metrics"]["ndcg_at_10"], abs=1e-4
        )


def test_bench_retrieval_chunks_documents_as_kb_add_does() -> None:
    long = " ".join(f"Sentence {n} about tides and the moon." for n in range(60))
    data = BeirData(
        corpus={"short": "One line.", "long": f"Tides. {long}"},
        queries={},
        qrels={},
        titles={"long": "Tides"},
    )
    label = BeirData(corpus={"label": "Tide tables. "}, queries={}, qrels={}, titles={})
    label.titles["label"] = "Tide tables"
    titled_only = chunk_corpus(label)  # a title alone is the document's text
    assert (titled_only.ids, titled_only.texts) == (["label#0"], ["Tide tables"])
    chunks = chunk_corpus(data)
    assert chunks.ids[0] == "short#0" and chunks.texts[0] == "One line."
    long_ids = [i for i in chunks.ids if i.startswith("long#")]
    bodies = [t.removeprefix("Tides\n\n") for t in chunks.texts[1:]]
    assert len(long_ids) >= 3 and all(len(b) <= 1000 for b in bodies)  # 1,000 characters
    assert all(t.startswith("Tides\n\nSentence") for t in chunks.texts[1:])  # title on each
    assert bodies[0].startswith("Sentence 0 ") and bodies[-1].endswith(
        "Sentence 59 about tides and the moon."
    )
    assert [row.document for row in chunks.rows] == ["short"] + ["long"] * len(long_ids)
    assert chunks.fetch(10) == math.ceil(10 * len(chunks.ids) / 2)
    hits = [("long#2", 0.9), ("short#0", 0.8), ("long#0", 0.7)]
    assert _documents(hits, 10) == ["long", "short"] and _documents(hits, 1) == ["long"]


def test_scale_chart_leaves_out_skipped_phases(tmp_path: Path) -> None:
    def run(items: int, skipped: bool) -> ScaleBench:
        note = SKIPPED if skipped else ""
        return ScaleBench.model_validate(
            {
                "items": items,
                "events": 10 * items,
                "users": items // 5,
                "seed": 0,
                "vectors": "synthetic",
                "training": "skipped",
                "phases": [
                    {
                        "name": "import items and vectors",
                        "seconds": 0.2,
                        "peak_mb": 1,
                        "note": note,
                    },
                    {"name": "build vector index", "seconds": 3.0, "peak_mb": 1, "note": ""},
                ],
                "timings": [
                    {"name": "rapport similar", "p50_ms": 1.0, "p99_ms": 2.0, "requests": 9}
                ],
                "peak_mb": 1,
            }
        )

    resumed, fresh = run(1000, skipped=True), run(10000, skipped=False)
    assert phase_seconds(resumed) == {"build vector index": 3.0}
    assert phase_seconds(fresh) == {"import items and vectors": 0.2, "build vector index": 3.0}
    scale_chart([resumed, fresh], tmp_path / "scale.png")
    assert (tmp_path / "scale.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# -- bench churn ---------------------------------------------------------------------------


def test_bench_churn_at_toy_size(tmp_path: Path) -> None:
    from rapport.bench.churn import VARIANTS as CHURN_VARIANTS
    from rapport.bench.churn import bench_churn, load_movielens, variant
    from tests.churn_world import ChurnWorld

    world = ChurnWorld(users=50, days=70)
    with (tmp_path / "ratings.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["userId", "movieId", "rating", "timestamp"])
        for event in world.events:
            stamp = datetime.fromisoformat(str(event["timestamp"])).timestamp()
            row = [event["user_id"], event["item_id"], event["value"] or 3.0, int(stamp)]
            writer.writerow(row)
    log = load_movielens(tmp_path)
    assert len(log) == len(world.events) and len(log.user_ids) == 50
    half_a, half_b = variant(log, "users-a"), variant(log, "users-b")
    assert set(half_a.users.tolist()).isdisjoint(half_b.users.tolist())
    assert len(half_a) + len(half_b) == len(log)
    hours = variant(log, "hours")
    span = (log.times[-1] - log.times[0]) / 24
    assert hours.times[-1] - hours.times[0] == pytest.approx(span)
    with pytest.raises(ValueError, match="unknown variant"):
        bench_churn(tmp_path, ["bogus"])

    result = bench_churn(tmp_path, ["full", "hours"])
    assert [r.variant for r in result.runs] == ["full", "hours"]
    full, scaled = result.runs
    assert full.description == CHURN_VARIANTS["full"]
    assert full.test_cutoffs >= 2 and full.rapport.rows == full.peer.rows > 0
    assert full.auc_difference == pytest.approx(full.rapport.roc_auc - full.peer.roc_auc, abs=1e-4)
    # The world's users fade before they stop: rapport sees it, recency alone less so.
    assert full.rapport.roc_auc >= 0.85
    assert full.rapport.roc_auc > full.peer.roc_auc
    # A tenant whose users return 24 times faster gets a horizon 24 times shorter.
    assert scaled.horizon_days < full.horizon_days / 10


def _ir_axioms(root: Path) -> Path:
    """The layout of ir-axioms' source package, two topics of two passages each."""
    (root / "data" / "crowd").mkdir(parents=True)
    topics = [
        {"topic": "t1", "query": "what is vicarious trauma?", "references_ids": ["p#1_a", "p#2_b"],
         "references_texts": ["Trauma felt through others.", "Coping with stress."]},
        {"topic": "t2", "query": "how do tides work?", "references_ids": ["q#0_c", "p#2_b"],
         "references_texts": ["The moon pulls the sea.", "Coping with stress."]},
    ]  # fmt: skip
    with gzip.open(root / "data" / "crowd" / "study1_retrieval.jsonl.gz", "wt") as out:
        out.writelines(json.dumps(topic) + "\n" for topic in topics)
    (root / "data" / "2024-retrieval-qrels.txt").write_text(
        "t1 0 p#1_a 2\nt1 0 p#2_b 0\nt2 0 q#0_c 1\nt2 0 unknown 3\n"
    )
    (root / "data" / "qrels.rag24.test-umbrela-all.txt").write_text("t1 Q0 p#2_b 1\n")
    return root


def test_bench_collection_writes_trec_rag24_and_semanlink_as_beir(tmp_path: Path) -> None:
    source = _ir_axioms(tmp_path / "ir_axioms-1.2.5")
    built = build_collection("trec-rag24-nist", source, tmp_path / "out")
    assert (built.documents, built.queries, built.judgements) == (3, 2, 2)
    data = load_beir(tmp_path / "out" / "trec-rag24-nist")
    assert data.qrels == {"t1": {"p#1_a": 2}, "t2": {"q#0_c": 1}}  # grade 0 and unknowns out
    assert data.queries["t2"] == "how do tides work?" and "p#2_b" in data.corpus
    umbrela = build_collection("trec-rag24-umbrela", source, tmp_path / "out")
    assert (umbrela.queries, umbrela.judgements) == (1, 1)

    semanlink = tmp_path / "cherche" / "cherche" / "data" / "semanlink"
    semanlink.mkdir(parents=True)
    tag = "http://www.semanlink.net/tag/"
    (semanlink / "tags.json").write_text(json.dumps({
        f"{tag}nlp": {"prefLabel": ["NLP"], "altLabel": ["Natural language processing"]},
        f"{tag}attention": {"prefLabel": ["Attention"], "broader": [f"{tag}nlp"],
                            "comment": "Weights over inputs."},
        f"{tag}arxiv_doc": {"prefLabel": ["Arxiv Doc"]},
    }))  # fmt: skip
    (semanlink / "arxiv.json").write_text(json.dumps([
        {"document": "d1", "tag": [f"{tag}attention", f"{tag}arxiv_doc"],
         "arxiv_title": "Attention", "arxiv_summary": "We attend."},
        {"document": "d2", "tag": [f"{tag}arxiv_doc"], "arxiv_title": "X", "arxiv_summary": "Y"},
    ]))  # fmt: skip
    ran = Cli(tmp_path / "data")(
        "bench", "collection", "semanlink-tags", str(tmp_path / "cherche"), str(tmp_path / "out"),
        "--json",
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)["queries"] == 1  # d2 has only the generic tag
    tags = load_beir(tmp_path / "out" / "semanlink-tags")
    assert tags.qrels == {"d1": {f"{tag}attention": 1}}
    assert tags.queries["d1"] == "Attention We attend."
    assert tags.corpus[f"{tag}attention"].endswith("broader: NLP Weights over inputs.")
    wrong = Cli(tmp_path / "data")("bench", "collection", "nope", str(source), str(tmp_path))
    assert wrong.returncode == 2 and "unknown collection" in wrong.stderr

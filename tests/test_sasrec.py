"""SASRec, the sequential peer: an optional extra. What it learns runs only where its library
is installed; how it is left out where it is not runs everywhere."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from rapport.bench import recommend as bench_module
from rapport.bench.recommend import default_peers
from rapport.core.errors import Unavailable
from rapport.core.histories import Histories
from rapport.core.interactions import Interactions
from rapport.evaluation.metrics import top_k
from rapport.services.recommend.models import OPTIONAL_PEERS, PEERS
from rapport.services.recommend.models import sasrec as sasrec_module
from rapport.services.recommend.models.sasrec import SASRec
from tests.test_models import SMALL, interactions, synthetic_events

MISSING = sasrec_module.missing_library()
needs_library = pytest.mark.skipif(MISSING is not None, reason=f"sasrec: {MISSING}")

TINY = SMALL["sasrec"]
"""Settings for the synthetic data: 840 interactions, 90 items."""


@pytest.fixture(scope="module")
def data() -> Interactions:
    return interactions()


@pytest.fixture(scope="module")
def model(data: Interactions) -> SASRec:
    if MISSING is not None:
        pytest.skip(f"sasrec: {MISSING}")
    return SASRec(TINY).fit(data)


@needs_library
def test_same_seed_same_model(data: Interactions) -> None:
    settings = TINY | {"epochs": 5}
    histories = Histories.from_interactions(data, np.arange(10))
    first = SASRec(settings).fit(data).score(histories)
    second = SASRec(settings).fit(data).score(histories)
    assert np.array_equal(first, second)
    other_seed = SASRec(settings | {"seed": 1}).fit(data).score(histories)
    assert not np.array_equal(first, other_seed)


def test_ranks_each_walks_next_step_first(model: SASRec, data: Interactions) -> None:
    # Users walk their cluster's items in order (with some noise): after ..., a18, a19 comes
    # a20. The sequential counterpart of TestEveryModel's cluster test.
    histories = Histories.from_interactions(data, np.arange(len(data.user_ids)))
    first = [row[0] for row in top_k(model.score(histories), 1, histories.seen())]
    hits = []
    for row, end in enumerate(histories.ends):
        last = data.item_ids[histories.items[end - 1]]
        own = "abc"[int(data.user_ids[histories.users[row]][1:]) % 3]
        if last[0] == own:  # the walk's newest step, not a detour into another cluster
            hits.append(data.item_ids[first[row]] == f"{own}{(int(last[1:]) + 1) % 30}")
    assert len(hits) >= 40 and np.mean(hits) >= 0.8, np.mean(hits)


def test_order_matters(model: SASRec, data: Interactions) -> None:
    index = {item: i for i, item in enumerate(data.item_ids)}
    walk = np.array([index[f"a{n}"] for n in (3, 4, 5)])

    def history(items: np.ndarray) -> Histories:
        return Histories.single(
            len(data.item_ids), items, np.ones(3), np.full(3, 5.0), np.arange(3.0), 3.0
        )

    forwards, backwards = history(walk), history(walk[::-1])
    assert top_k(model.score(forwards), 1, forwards.seen())[0][0] == index["a6"]
    assert not np.allclose(model.score(forwards), model.score(backwards))


@needs_library
def test_empty_history_gets_training_frequency(data: Interactions) -> None:
    model = SASRec(TINY | {"epochs": 1}).fit(data)
    empty = Histories.single(
        len(data.item_ids), np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0), 0.0
    )
    scores = model.score(empty)[0]
    counts = np.bincount(data.items, minlength=len(data.item_ids))
    assert np.argmax(scores) == np.argmax(counts)


def test_without_its_library_it_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sasrec_module, "_installed", lambda name: name != "replay")
    assert "rapport[sequential]" in str(sasrec_module.missing_library())
    with pytest.raises(Unavailable, match=r"rapport\[sequential\]"):
        SASRec().fit(interactions(9))


def test_default_peers_include_it_only_where_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(OPTIONAL_PEERS, "sasrec", lambda: None)
    assert default_peers() == ([*PEERS, "sasrec"], {})
    monkeypatch.setitem(OPTIONAL_PEERS, "sasrec", lambda: "replay not installed: pip ...")
    assert default_peers() == (PEERS, {"sasrec": "replay not installed: pip ..."})


def test_bench_says_which_peer_it_left_out(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with (tmp_path / "ratings.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["userId", "movieId", "rating", "timestamp"])
        for event in synthetic_events(30):
            stamp = datetime.fromisoformat(event["timestamp"]).timestamp()
            writer.writerow([event["user_id"], event["item_id"], event["value"], int(stamp)])
    monkeypatch.setitem(OPTIONAL_PEERS, "sasrec", lambda: "replay not installed: pip ...")
    monkeypatch.setattr(bench_module, "PEERS", ["popularity"])
    result = bench_module.bench_recommend(tmp_path)
    assert result.skipped == {"sasrec": "replay not installed: pip ..."}
    assert [run.model for run in result.comparison.runs] == ["popularity", "rapport"]
    with pytest.raises(Unavailable, match="sasrec: replay not installed"):
        bench_module.bench_recommend(tmp_path, peers=["popularity", "sasrec"])

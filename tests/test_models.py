"""Every registered recommendation model follows the one protocol: strict config with a valid
search space, fit, score over the training catalogue, parameters saved and restored. And the
pieces of the evaluation package: split, metrics, tuning and peer comparison."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from rapport.core.components import RankingModel
from rapport.core.histories import Histories
from rapport.core.interactions import Interactions
from rapport.core.models import Event
from rapport.evaluation.metrics import mrr_at_k, ndcg_at_k, recall_at_k, top_k
from rapport.evaluation.peers import compare
from rapport.evaluation.protocol import evaluate_model
from rapport.evaluation.splits import relevant_sets, split_by_time, time_fold
from rapport.evaluation.tuning import TuningConfig, tune
from rapport.services.recommend.models import MODELS, OPTIONAL_PEERS

START = datetime(2026, 1, 1, tzinfo=UTC)
CLUSTERS = {"a": 30, "b": 30, "c": 30}


def synthetic_events(users: int = 60, seed: int = 3) -> list[dict]:
    """Each user follows one cluster, walking its items mostly in order (a sequence a model
    can learn), with some noise from other clusters."""
    rng = random.Random(seed)
    events = []
    for u in range(users):
        cluster = "abc"[u % 3]
        position = rng.randrange(CLUSTERS[cluster])
        for step in range(14):
            if rng.random() < 0.85:
                item = f"{cluster}{position % CLUSTERS[cluster]}"
                position += 1
            else:
                other = rng.choice([c for c in "abc" if c != cluster])
                item = f"{other}{rng.randrange(CLUSTERS[other])}"
            events.append(
                {
                    "id": f"u{u}-{step}",
                    "user_id": f"u{u}",
                    "item_id": item,
                    "type": "rate",
                    "value": rng.choice([4, 4.5, 5, 3]),
                    "timestamp": (START + timedelta(days=step, hours=u)).isoformat(),
                }
            )
    return events


def interactions(users: int = 60) -> Interactions:
    return Interactions.from_events(Event.model_validate(e) for e in synthetic_events(users))


@pytest.fixture(scope="module")
def data() -> Interactions:
    return interactions()


SMALL: dict[str, dict[str, object]] = {
    "als": {"factors": 8, "iterations": 30},
    "bpr": {"factors": 8, "iterations": 30},
    "sasrec": {
        "hidden_size": 16,
        "max_len": 8,
        "dropout": 0.1,
        "learning_rate": 0.01,
        "epochs": 40,
    },
}
"""Settings for few users and items (the defaults suit real catalogues)."""


@pytest.fixture(scope="module", params=sorted(MODELS))
def fitted(request: pytest.FixtureRequest, data: Interactions) -> RankingModel:
    if missing := OPTIONAL_PEERS.get(request.param, lambda: None)():
        pytest.skip(f"{request.param}: {missing}")
    return MODELS[request.param](SMALL.get(request.param, {})).fit(data)


class TestEveryModel:
    def test_scores_every_training_item_for_any_history(
        self, fitted: RankingModel, data: Interactions
    ) -> None:
        assert fitted.item_ids == data.item_ids
        histories = Histories.from_interactions(data, np.arange(5))
        scores = fitted.score(histories)
        assert scores.shape == (5, len(data.item_ids))
        assert np.isfinite(scores).any(axis=1).all()
        assert set(fitted.sources(histories)) <= set(fitted.weights())

    def test_parameters_survive_save_and_load(
        self, fitted: RankingModel, data: Interactions, tmp_path: Path
    ) -> None:
        fitted.save(tmp_path / "model")
        restored = type(fitted).load(tmp_path / "model")
        assert restored.config == fitted.config and restored.item_ids == fitted.item_ids
        histories = Histories.from_interactions(data, np.arange(8))
        before, after = fitted.score(histories), restored.score(histories)
        finite = np.isfinite(before)
        assert (finite == np.isfinite(after)).all()
        assert np.allclose(before[finite], after[finite], atol=1e-5)

    def test_config_is_strict_and_its_search_space_valid(self, fitted: RankingModel) -> None:
        config = type(fitted.config)
        with pytest.raises(ValidationError, match="extra"):
            config.model_validate({"not_a_setting": 1})
        for name, values in config.search_space.items():
            assert name in config.model_fields and values
            for value in values:
                config.model_validate({name: value})
        assert fitted.reconfigure(fitted.config)

    def test_learns_the_users_cluster(self, fitted: RankingModel, data: Interactions) -> None:
        if fitted.name == "popularity":
            pytest.skip("popularity is the same for everyone by design")
        if fitted.name == "sasrec":
            pytest.skip(
                "a next-item model ranks each walk's next step first, not the whole cluster "
                "(test_sasrec.py checks that)"
            )
        users = np.arange(0, 30, 3)  # cluster "a" users (u0, u3, ...)
        histories = Histories.from_interactions(data, users)
        ranked = top_k(fitted.score(histories), 5, histories.seen())
        share = np.mean([data.item_ids[i].startswith("a") for row in ranked for i in row])
        assert share >= 0.6, share


def test_split_holds_out_the_newest_share_per_user(data: Interactions) -> None:
    train, test = split_by_time(data, 0.2)
    assert len(train) + len(test) == len(data)
    for user in range(5):
        held = test.time[test.users == user]
        kept = train.time[train.users == user]
        assert len(held) == round(0.2 * (len(held) + len(kept)))
        assert held.min() >= kept.max()


def test_metrics_on_known_lists() -> None:
    grades = {"a": 3, "b": 1, "c": 0}
    assert ndcg_at_k(["a", "b", "x"], grades) == pytest.approx(1.0)
    assert ndcg_at_k(["x", "a"], grades, gain="linear") == pytest.approx(
        (3 / np.log2(3)) / (3 + 1 / np.log2(3))
    )
    assert recall_at_k(["b", "x"], grades, 2) == pytest.approx(0.5)
    assert recall_at_k(["b"], grades, 1, capped=True) == pytest.approx(1.0)
    assert mrr_at_k(["x", "y", "b"], grades) == pytest.approx(1 / 3)
    scores = np.array([[0.1, 0.9, np.nan, 0.5], [1.0, 0.0, 0.2, -np.inf]])
    scores[0, 2] = -np.inf
    assert [r.tolist() for r in top_k(scores, 2)] == [[1, 3], [0, 2]]


def test_evaluation_protocol_on_oracle_and_worst_models() -> None:
    # Nine users each rate ten distinct items; the last two of each are held out.
    events = [
        Event(
            user_id=f"u{u}",
            item_id=f"i{(u * 3 + n) % 40}",
            type="rate",
            value=5 if n % 3 else 2,
            timestamp=START + timedelta(days=n),
        )
        for u in range(9)
        for n in range(10)
    ]
    data = Interactions.from_events(events)
    train, test = split_by_time(data)
    assert len(test) == 18
    relevant = relevant_sets(test)
    assert all(len(found) == 1 for found in relevant.values())  # the 2-star one is not

    class Oracle:
        sign = 1.0

        def score(self, histories: Histories) -> np.ndarray:
            scores = np.zeros((len(histories), len(data.item_ids)))
            for row, user in enumerate(histories.users):
                scores[row, list(relevant[int(user)])] = self.sign
            return scores

    perfect = evaluate_model(Oracle(), train, test)
    assert perfect.ndcg_at_10 == pytest.approx(1.0)
    assert perfect.recall_at_20 == pytest.approx(1.0) and perfect.users == 9
    worst = Oracle()
    worst.sign = -1.0
    assert evaluate_model(worst, train, test).ndcg_at_10 == pytest.approx(0.0)


def test_tuning_searches_small_spaces_exhaustively(data: Interactions) -> None:
    tuned = tune(MODELS["ease"], data)
    assert len(tuned.tried) == len(MODELS["ease"].Config.search_space["regularization"])
    assert tuned.validation_ndcg == max(score for _, score in tuned.tried)
    assert tuned.validation_ndcg >= tuned.baseline_ndcg > 0


def test_tuning_ascends_large_spaces_from_every_start(data: Interactions) -> None:
    tuned = tune(MODELS["hybrid"], data, TuningConfig(passes=1))
    starts = [{}, *MODELS["hybrid"].Config.search_starts]
    assert len(tuned.tried) >= sum(len(v) for v in MODELS["hybrid"].Config.search_space.values())
    assert len(starts) == 2 and tuned.validation_ndcg >= tuned.baseline_ndcg
    fixed = tune(MODELS["hybrid"], data, TuningConfig(passes=1), base={"min_support": 3})
    assert fixed.config.min_support == 3  # type: ignore[attr-defined]


def test_rapport_beats_popularity_under_the_protocol() -> None:
    comparison = compare(
        {"popularity": MODELS["popularity"], "rapport": MODELS["hybrid"]}, interactions(90)
    )
    runs = {r.model: r for r in comparison.runs}
    ours, popularity = runs["rapport"].metrics, runs["popularity"].metrics
    assert comparison.ratios["rapport"] > 1 == comparison.ratios["popularity"]
    low, high = comparison.intervals["rapport"]
    assert low <= comparison.ratios["rapport"] <= high and low > 1
    assert comparison.intervals["popularity"] == [1.0, 1.0]
    assert ours.users == popularity.users > 0
    assert ours.ndcg_at_10 > popularity.ndcg_at_10 + 0.1
    assert 0 < ours.coverage <= 1 and ours.novelty > 0


def test_rolling_time_folds_step_back_one_period_each() -> None:
    data = interactions(12)
    _, first_valid = time_fold(data, 0.2, 0)
    second_train, second_valid = time_fold(data, 0.2, 1)
    assert len(first_valid) == len(split_by_time(data)[1])
    for user in range(5):
        newest = first_valid.time[first_valid.users == user]
        earlier = second_valid.time[second_valid.users == user]
        kept = second_train.time[second_train.users == user]
        total = int((data.users == user).sum())
        assert len(newest) == len(earlier) == round(0.2 * total)
        assert kept.max() <= earlier.min() and earlier.max() <= newest.min()
        assert len(kept) + 2 * len(newest) == total  # what followed the period is left out


def test_half_life_grows_with_the_history() -> None:
    data = interactions(3)
    histories = Histories.from_interactions(data, np.arange(3))
    fixed = histories.matrix(half_life=1.0).toarray()
    grown = histories.matrix(half_life=1.0, half_life_share=0.5).toarray()
    n = int(histories.lengths()[0])
    # A half-life of n / 2 instead of 1: the oldest interaction still counts about 1/4.
    assert fixed[0][fixed[0] > 0].min() == pytest.approx(0.5 ** (n - 1), rel=1e-3)
    assert grown[0][grown[0] > 0].min() == pytest.approx(0.5 ** ((n - 1) / (n / 2)), rel=1e-3)


def test_activity_levels_score_each_user_with_their_level_settings(data: Interactions) -> None:
    # Even users keep half of their history: two clearly different activity levels.
    thin = (data.users % 2 == 0) & (np.arange(len(data)) % 2 == 0)
    data = Interactions(
        data.user_ids,
        data.item_ids,
        data.users[~thin],
        data.items[~thin],
        data.strength[~thin],
        data.rating[~thin],
        data.time[~thin],
    )
    histories = Histories.from_interactions(data, np.arange(12))
    lengths = histories.lengths()
    edge = int(lengths.min() + lengths.max()) // 2
    light = {"half_life": 2.0, "sequence_weight": 0.5}
    leveled = MODELS["hybrid"]({"activity_edges": [edge], "by_activity": [light, {}]}).fit(data)
    plain = MODELS["hybrid"]().fit(data)
    special = MODELS["hybrid"](light).fit(data)
    scores = leveled.score(histories)
    below = lengths < edge
    assert below.any() and (~below).any()
    assert np.allclose(scores[below], special.score(histories.take(np.flatnonzero(below))))
    assert np.allclose(scores[~below], plain.score(histories.take(np.flatnonzero(~below))))
    one = histories.take(np.flatnonzero(below)[:1])
    assert leveled.specialise(one).weights()["sequence"] == 0.5
    with pytest.raises(ValueError, match="one at a time"):
        leveled.sources(histories)
    with pytest.raises(ValidationError, match="one entry per activity level"):
        MODELS["hybrid"].Config.model_validate({"activity_edges": [5], "by_activity": [{}]})
    with pytest.raises(ValidationError, match="may only set"):
        MODELS["hybrid"].Config.model_validate(
            {"activity_edges": [], "by_activity": [{"regularization": 1.0}]}
        )


def test_tuning_keeps_to_its_time_and_size_budgets(data: Interactions) -> None:
    cut = tune(MODELS["hybrid"], data, TuningConfig(max_seconds=1e-9))
    assert not cut.complete and len(cut.tried) >= 1  # the starting point is always judged
    assert cut.validation_ndcg == max(score for _, score in cut.tried)
    full = tune(MODELS["ease"], data)
    assert full.complete
    few = tune(MODELS["ease"], data, TuningConfig(max_validation_cells=1000, folds=1, max_folds=1))
    assert few.validation_users == 1000 // len(data.item_ids)

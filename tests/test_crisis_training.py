"""Training the crisis classifier: background (non-crisis web) passages as extra negatives
and the threshold choice, on small vectors from a fixed embedding (no model needed)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from rapport.services.safety.crisis import train
from rapport.services.safety.crisis.train import Pair, Post
from tests.conftest import Cli

DIM = 8


def embed(texts: list[str]) -> np.ndarray:
    """A fixed vector per text: a topic direction from its first word plus a hash jitter,
    so texts of a forum cluster and nothing depends on a model."""
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    for i, text in enumerate(texts):
        digest = hashlib.sha256(text.encode()).digest()
        out[i] = [b / 255.0 - 0.5 for b in digest[:DIM]]
        topic = {"crisis": 0, "money": 1, "law": 2, "sad": 3, "web": 4}.get(text.split()[0], 5)
        out[i, topic] += 2.0
    return out


def corpus() -> list[Post]:
    forums = {
        "suicidewatch": "crisis",
        "personalfinance": "money",
        "legaladvice": "law",
        "depression": "sad",
    }
    return [
        Post(f"{forum}-{i}", f"{word} post number {i} about things", forum)
        for forum, word in forums.items()
        for i in range(12)
    ]


PAIRS = [Pair("p1", "negated", "crisis I want to die", "money I do not want to die", False)]
BACKGROUND = [f"web passage {i} on gardening and tax" for i in range(30)]


def test_background_trains_as_none_with_a_bounded_weight() -> None:
    posts = corpus()
    data = train.training_set(posts, PAIRS, embed, DIM, 3.0, BACKGROUND, 0.5)
    rows = len(posts) + 2 + len(BACKGROUND)
    assert data.vectors.shape == (rows, DIM)
    assert data.forum[-len(BACKGROUND) :] == [train.BACKGROUND] * len(BACKGROUND)
    assert set(data.labels[-len(BACKGROUND) :].tolist()) == {0}
    none_posts = float(data.weights[: len(posts)][data.labels[: len(posts)] == 0].sum())
    assert np.isclose(float(data.weights[-len(BACKGROUND) :].sum()), 0.5 * none_posts)
    # Without background the rows and weights are those of the forums and pairs alone.
    plain = train.training_set(posts, PAIRS, embed, DIM, 3.0)
    assert plain.vectors.shape[0] == len(posts) + 2
    assert np.array_equal(plain.weights, data.weights[: len(posts) + 2])


def test_background_is_never_scored_out_of_fold() -> None:
    posts = corpus()
    data = train.training_set(posts, PAIRS, embed, DIM, 3.0, BACKGROUND, 1.0)
    fold = np.concatenate(
        [
            train.folds_by_forum([p.forum for p in posts], 2),
            np.full(len(data.labels) - len(posts), -1),
        ]
    )
    oof = train.out_of_fold(data, fold, 2, l2=1.0)
    assert oof.shape == (len(posts), 5)
    classifier = train.train_classifier(
        posts, PAIRS, embed, "fixed", DIM, l2_grid=(1.0,), folds=2, background=BACKGROUND
    )
    assert classifier.info["background"] == len(BACKGROUND)
    assert classifier.info["background_share"] == 0.5
    # Background text is read as none by the trained model.
    proba = classifier.proba(embed(["web another passage on tax"]))
    assert int(np.argmax(proba[0])) == 0


def test_none_rate_raises_the_threshold_to_the_false_flag_target() -> None:
    posts = corpus()
    data = train.training_set(posts, PAIRS, embed, DIM, 3.0)
    rng = np.random.default_rng(0)
    oof = rng.dirichlet(np.ones(5), size=len(posts))
    crisis = np.array([p.forum == "suicidewatch" for p in posts])
    oof[crisis, 1] = 0.05  # crisis posts score low: 97% recall needs a low threshold
    [plain] = train.choose(oof, data, posts, 1.0, (0.0,), 0.97)
    [capped] = train.choose(oof, data, posts, 1.0, (0.0,), 0.97, none_rate=0.1)
    none = data.labels[: len(posts)] == 0
    risk = oof[:, 1]
    assert plain.threshold <= 0.05 + 1e-9
    assert capped.threshold > plain.threshold
    # At most the target share, give or take the one post the quantile interpolates over.
    assert float((risk[none] >= capped.threshold).mean()) <= 0.1 + 1 / none.sum()
    assert capped.flagged == plain.flagged  # the ranking figure stays the recall point's


def test_load_background_reads_the_text_field(tmp_path: Path) -> None:
    path = tmp_path / "corpus.jsonl"
    rows = [{"_id": "1", "title": "", "text": "Tax bands."}, {"_id": "2", "text": "Roses."}]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n")
    assert train.load_background(path) == ["Tax bands.", "Roses."]


def test_cli_train_rejects_a_missing_background_file(cli: Cli, tmp_path: Path) -> None:
    forums = tmp_path / "forums.jsonl"
    forums.write_text(json.dumps({"id": "1", "text": "x", "subreddit": "teaching"}) + "\n")
    output = tmp_path / "weights.json"
    ran = cli(
        "safety",
        "train",
        "--forums",
        str(forums),
        "--background",
        str(tmp_path / "missing.jsonl"),
        "--output",
        str(output),
    )
    assert ran.returncode == 2
    assert "missing.jsonl" in ran.stderr
    assert not output.exists()


def test_forum_balanced_weights_count_each_forum_alike() -> None:
    labels = [0] * 6 + [0] * 2 + [1] * 4
    forums = ["money"] * 6 + ["law"] * 2 + ["crisis"] * 4
    weights = train.forum_balanced(labels, forums)
    names = np.array(forums)
    assert np.isclose(weights[names == "money"].sum(), weights[names == "law"].sum())
    assert np.isclose(weights[:8].sum(), weights[8:].sum())  # classes weigh alike
    # Forums of equal size: the plain class balance (each row n / (classes * count)).
    even = train.forum_balanced([0, 0, 0, 0, 1, 1], ["a", "a", "b", "b", "c", "c"])
    assert np.allclose(even, [6 / (5 * 4)] * 4 + [6 / (5 * 2)] * 2)

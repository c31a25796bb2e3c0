"""Training the crisis classifier: background (non-crisis web) passages as extra negatives
and the threshold choice, on small vectors from a fixed embedding (no model needed)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

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


def word_corpus() -> list[Post]:
    """Forums whose words tell them apart: crisis posts say different things than money
    and law posts, so the word view learns from the words alone."""
    phrases = {
        "suicidewatch": ["cannot go on tonight", "no way out anymore", "goodbye everyone tonight"],
        "personalfinance": ["mortgage rate question", "pension and savings", "credit card debt"],
        "legaladvice": ["landlord kept deposit", "court date letter", "tenant rights question"],
        "depression": ["feel empty every day", "no energy every day", "sad and tired again"],
    }
    return [
        Post(f"{forum}-{i}", f"{texts[i % 3]} {forum} post {i}", forum)
        for forum, texts in phrases.items()
        for i in range(12)
    ]


def test_sparse_and_dense_logistic_fits_agree() -> None:
    from scipy import sparse

    from rapport.services.safety.crisis.logistic import fit_logistic

    rng = np.random.default_rng(1)
    x = rng.random((30, 6)) * (rng.random((30, 6)) > 0.6)
    y = np.arange(30) % 3
    dense = fit_logistic(x, y, 3, l2=1.0)
    sparse_fit = fit_logistic(sparse.csr_matrix(x), y, 3, l2=1.0)
    assert np.allclose(dense.weights, sparse_fit.weights, atol=1e-5)
    assert np.allclose(dense.proba(x), sparse_fit.proba(sparse.csr_matrix(x)), atol=1e-6)


def test_word_view_round_trips_through_json() -> None:
    from rapport.services.safety.crisis.words import MAX_FEATURES, WordModel, fit_words

    posts = word_corpus()
    texts = [p.text for p in posts] + ["a rareword here", "a rareword there"]
    labels = np.array([train.FORUM_CLASSES.get(p.forum, 0) for p in posts] + [0, 0])
    model = fit_words(texts, labels, 5, l2=1.0, sample_weight=np.ones(len(texts)))
    terms = model.vectorizer.vocabulary_
    assert "mortgage" in terms and "no way" in terms  # words and word pairs
    assert "suicidewatch post" in terms and "rareword" not in terms  # min_df 3
    assert len(terms) <= MAX_FEATURES
    again = WordModel.from_json(json.loads(json.dumps(model.to_json())))
    probe = ["no way out tonight", "my landlord and the court", "", "words never seen"]
    assert np.allclose(model.proba(probe), again.proba(probe), atol=1e-3)
    proba = model.proba(probe)
    assert int(np.argmax(proba[0])) == 1 and int(np.argmax(proba[1])) == 0
    # Unknown words only: the bias alone, the same as an empty text.
    assert np.allclose(proba[2], proba[3])


def test_word_view_out_of_fold_never_knows_the_held_out_forums_words() -> None:
    posts = word_corpus() + [
        Post(f"gardening-{i}", ["zebra", "quokka"][i % 2] + " wombat", "gardening")
        for i in range(8)
    ]
    data = train.training_set(posts, PAIRS, embed, DIM, 3.0)
    fold = np.concatenate(
        [
            train.folds_by_forum([p.forum for p in posts], 2),
            np.full(len(data.labels) - len(posts), -1),
        ]
    )
    oof = train.out_of_fold_words(data, fold, 2, l2=1.0)
    garden = [i for i, p in enumerate(posts) if p.forum == "gardening"]
    # Its words occur in no other forum: out of fold they are all unknown, so every post
    # of it gets the same probabilities, whatever it says.
    assert np.allclose(oof[garden], oof[garden[0]])
    suicide = [i for i, p in enumerate(posts) if p.forum == "suicidewatch"]
    assert float(oof[suicide, 1].mean()) > float(oof[garden, 1].mean())


def test_fused_classifier_averages_its_views_and_saves_both(tmp_path: Path) -> None:
    from rapport.services.safety.crisis.classifier import CrisisClassifier, words_path

    posts = word_corpus()
    classifier = train.train_classifier(
        posts,
        PAIRS,
        embed,
        "fixed",
        DIM,
        l2_grid=(1.0,),
        folds=2,
        words="mean",
        words_l2_grid=(1.0, 3.0),
    )
    assert classifier.words is not None and classifier.fusion == "mean"
    assert classifier.info["words_l2"] in (1.0, 3.0)
    texts = ["no way out anymore tonight", "mortgage rate question"]
    vectors = embed(texts)
    expected = (classifier.model.proba(vectors) + classifier.words.proba(texts)) / 2
    assert np.allclose(classifier.proba(vectors, texts), expected)
    with pytest.raises(ValueError, match="texts"):
        classifier.proba(vectors)
    target = tmp_path / "weights.json"
    classifier.save(target)
    assert words_path(target).exists()
    again = CrisisClassifier.load(target)
    assert again.fusion == "mean"
    assert np.allclose(again.proba(vectors, texts), expected, atol=1e-3)
    # Retrained without a word view: the old word file goes, the weights read alone.
    plain = train.train_classifier(posts, PAIRS, embed, "fixed", DIM, l2_grid=(1.0,), folds=2)
    plain.save(target)
    assert not words_path(target).exists()
    assert CrisisClassifier.load(target).words is None


def test_geometric_fusion_needs_both_views() -> None:
    from rapport.services.safety.crisis.classifier import fuse

    a = np.array([[0.1, 0.9, 0.0, 0.0, 0.0], [0.5, 0.5, 0.0, 0.0, 0.0]])
    b = np.array([[0.9, 0.1, 0.0, 0.0, 0.0], [0.5, 0.5, 0.0, 0.0, 0.0]])
    mean, geometric = fuse(a, b, "mean"), fuse(a, b, "geometric")
    assert np.allclose(mean[0, :2], [0.5, 0.5])
    assert np.allclose(geometric.sum(axis=1), 1.0)
    assert np.allclose(geometric[0, :2], [0.5, 0.5], atol=1e-5)
    assert np.allclose(geometric[1, :2], [0.5, 0.5], atol=1e-5)


def test_word_view_scores_as_the_vectorizer_transforms() -> None:
    from rapport.services.safety.crisis.words import fit_words

    posts = word_corpus()
    labels = np.array([train.FORUM_CLASSES.get(p.forum, 0) for p in posts])
    model = fit_words([p.text for p in posts], labels, 5, l2=1.0, sample_weight=np.ones(48))
    texts = ["No way out, no way out tonight!", "Mortgage: rate question", "", "unseen words"]
    reference = model.model.proba(model.vectorizer.transform(texts))
    assert np.allclose(model.proba(texts), reference, atol=1e-12)


def test_cli_train_rejects_an_unknown_fusion(cli: Cli, tmp_path: Path) -> None:
    forums = tmp_path / "forums.jsonl"
    forums.write_text(json.dumps({"id": "1", "text": "x", "subreddit": "teaching"}) + "\n")
    output = tmp_path / "weights.json"
    ran = cli("safety", "train", "--forums", str(forums), "--words", "max", "--output", str(output))
    assert ran.returncode == 2
    assert "--words must be mean or geometric" in ran.stderr
    assert not output.exists()


def test_bench_means_over_splits_per_method_and_kind() -> None:
    from rapport.bench.safety import ForumRow, mean_rows

    def row(method: str, split: str, recall: float, unrelated: float) -> ForumRow:
        return ForumRow(
            method=method,
            split=split,
            recall=recall,
            unrelated_flagged=unrelated,
            other_flagged=0.1,
            support_flagged=0.5,
            posts=100,
        )

    rows = [
        row("rapport", "by post", 0.9, 0.02),
        row("rapport", "by forum", 0.96, 0.05),
        row("rapport", "by post, split 2", 1.0, 0.04),
        row("rapport", "by forum, split 2", 0.92, 0.03),
        row("keywords", "by forum", 0.5, 0.0),
        row("keywords", "by forum, split 2", 0.6, 0.01),
    ]
    found = {(r.method, r.split): (r.recall, r.unrelated_flagged) for r in mean_rows(rows, 2)}
    assert found[("rapport", "by post, mean of 2 splits")] == pytest.approx((0.95, 0.03))
    assert found[("rapport", "by forum, mean of 2 splits")] == pytest.approx((0.94, 0.04))
    assert found[("keywords", "by forum, mean of 2 splits")] == pytest.approx((0.55, 0.005))

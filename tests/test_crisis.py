"""The crisis screen: rules, the shipped classifier on the real MiniLM model, the library,
REST and CLI batch screens, and `/ask` never generating for a high-severity question."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import numpy as np
import pytest

from rapport.engine import Engine
from rapport.services.safety.crisis import rules
from rapport.services.safety.crisis.classifier import CrisisClassifier
from rapport.services.safety.crisis.logistic import fit_logistic
from rapport.services.safety.crisis.train import folds_by_forum
from tests.conftest import Cli, LiveServer

# Short first-person crisis statements (none of them in the training pairs).
CRISES = [
    "I want to kill myself.",
    "I have a plan to end my life tomorrow night.",
    "honestly i just want to die, nothing matters",
    "I don't want to live anymore.",
    "I've been cutting myself again and I can't stop.",
    "Tonight I'm going to take all my pills.",
]
# The same topics, not the writer's crisis: negated, past, reported, quoted.
NOT_CRISES = [
    "I don't want to kill myself, I'm doing much better now.",
    "I used to want to die, but therapy really helped.",
    "My friend told me she wants to kill herself; how do I support her?",
    'The book opens with the line "I want to die" and we discussed it in class.',
    "I'm not suicidal, just stressed about exams.",
]
# Everyday text from unrelated topics.
UNRELATED = [
    "How do I file my self-assessment tax return before the deadline?",
    "What's the best way to teach fractions to ten-year-olds?",
    "My landlord is keeping my deposit without a reason. What are my rights?",
    "Should I pay off my credit card or invest in an index fund?",
    "The debate about the new housing bill went on all night in parliament.",
]


def test_rules_drop_what_does_not_speak_for_the_writer() -> None:
    quoted = rules.read('She sang "I want to die" at the concert.')
    assert "want to die" not in quoted.kept and not quoted.explicit

    reported = rules.read("My brother said he wants to end his life, but I feel fine.")
    assert "end his life" not in reported.kept
    assert "I feel fine" in reported.kept

    negated = rules.read("I don't want to die anymore, things are better.")
    assert negated.negated == 1 and not negated.explicit
    assert negated.kept == "things are better."

    past = rules.read("Three years ago I wanted to end my life.")
    assert past.negated == 1 and past.kept == ""


def test_rules_find_explicit_statements_and_plans() -> None:
    plain = rules.read("I want to kill myself.")
    assert plain.explicit and not plain.plan
    planned = rules.read("I'm going to kill myself tonight, I bought a rope.")
    assert planned.explicit and planned.plan
    # A negated will to live is a crisis statement; "can't stop" is not a negation.
    assert rules.read("I don't want to live anymore.").explicit
    assert rules.read("I can't stop thinking about suicide.").explicit
    # A negation does not reach over "and".
    assert rules.read("I never asked to be born and I want to end it all.").explicit


def test_rules_negation_scope() -> None:
    # Negated after the predicate, in the same clause.
    for text in (
        "Thoughts of ending my life don't come anymore.",
        "Ending it all is off the table for me.",
        "The thought of hurting myself hasn't crossed my mind in months.",
        "I have zero plans to end my life.",
        "I have no desire to die.",
        "I'm past wanting to die.",
    ):
        reading = rules.read(text)
        assert not reading.explicit and reading.negated == 1, text
    # A new statement after "and"/"so" is not a negation of the crisis before it.
    assert rules.read("I want to die and it is not fair.").explicit
    assert rules.read("I want to die so it doesn't matter anymore").explicit
    assert rules.read("For the past week I've wanted to die.").explicit
    assert rules.read("I have never wanted to kill myself more than tonight.").explicit
    assert rules.read("Nothing is stopping me from hurting myself tonight.").explicit
    # A question about a reason to live is kept for the classifier, not taken as affirmed.
    asked = rules.read("Honestly, is there any reason to keep living?")
    assert asked.negated == 0 and "reason to keep living" in asked.kept
    # A negated dark state is recovery; a negation further away is not.
    assert rules.read("I'm not hopeless anymore.").kept == ""
    assert rules.read("I don't know why I'm so depressed.").negated == 0
    assert rules.read("I can't stop feeling empty").kept == "I can't stop feeling empty"


def test_rules_quotes_others_suppositions_topics_and_idioms() -> None:
    # Straight single quotes are quotes; apostrophes and clipped words are not.
    lyric = rules.read("Can't stop humming 'I wanna die tonight' from that album.")
    assert "die" not in lyric.kept and not lyric.explicit and lyric.negated == 1
    assert rules.read("'cause I want to die and my parents' car is gone").explicit
    # Someone else's self-harm, said without a verb of speech.
    other = rules.read("My sister cut herself yesterday and I'm scared.")
    assert other.kept == "" and other.negated == 1 and not other.explicit
    # Only supposed: dropped; a plain "if" with a threat is still explicit.
    supposed = rules.read("If I ever get suicidal again, what should I do?")
    assert not supposed.explicit and supposed.negated == 1
    assert supposed.kept == "what should I do?"
    assert rules.read("If this fails I'm going to kill myself.").explicit
    assert rules.read("If anyone reads this, I'm going to kill myself tonight.").explicit
    assert rules.read("What if it's easier just to be dead?").negated == 0
    # A crisis noun asked about, no first person: kept for the classifier, not explicit.
    topic = rules.read("Why do people attempt suicide?")
    assert not topic.explicit and topic.negated == 1 and topic.kept == topic.text
    assert not rules.read("Checks like these prevent suicides.").explicit
    assert rules.read("Thinking about killing myself again.").explicit
    # The nearest subject decides whose crisis it is, unless the words name the writer.
    assert rules.read("I asked her if she was planning to end it all.").negated == 1
    assert not rules.read("He told me he's going to end it all").explicit
    assert rules.read("She left and I want to end it all.").explicit
    assert rules.read("They laughed when I said I'd kill myself.").explicit
    # Everyday words that only look like crisis words.
    for text in (
        "I cut myself off from social media.",
        "I want to jump with joy.",
        "Her link ends in ?sh=abc and my brain jumps from one thing to the next.",
    ):
        reading = rules.read(text)
        assert not reading.explicit and reading.negated == 0, text
    # Past and negated-after forms.
    for text in (
        "I once planned to end my life.",
        "When I was at my lowest I wanted to die.",
        "Self-harm has never been my way of coping.",
    ):
        reading = rules.read(text)
        assert not reading.explicit and reading.negated == 1 and reading.kept == "", text
    # Idioms are removed before scoring.
    assert "killing" not in rules.read("My back is killing me.").kept
    assert rules.read("Mum is going to kill me if I'm late.").kept.split() == [
        "Mum",
        "is",
        "I'm",
        "late.",
    ]


def test_forum_folds_hold_forums_out_whole() -> None:
    forums = ["suicidewatch"] * 8 + ["teaching"] * 5 + ["depression"] * 5 + ["guns"] * 3
    fold = folds_by_forum(forums, 2)
    for forum in ("teaching", "depression", "guns"):
        assert len({int(f) for f, name in zip(fold, forums, strict=True) if name == forum}) == 1
    crisis = [int(f) for f, name in zip(fold, forums, strict=True) if name == "suicidewatch"]
    assert sorted(crisis) == [0, 0, 0, 0, 1, 1, 1, 1]
    assert np.array_equal(fold, folds_by_forum(forums, 2))


def test_logistic_fit_is_deterministic_and_separates() -> None:
    rng = np.random.default_rng(0)
    x = np.vstack([rng.normal(-1, 1, (40, 5)), rng.normal(1, 1, (40, 5))])
    y = np.array([0] * 40 + [1] * 40)
    first, second = fit_logistic(x, y, 2), fit_logistic(x, y, 2)
    assert np.array_equal(first.weights, second.weights)
    accuracy = float((first.proba(x).argmax(axis=1) == y).mean())
    assert accuracy > 0.9


def test_shipped_weights_load_and_round_trip(tmp_path: Path) -> None:
    classifier = CrisisClassifier.load()
    assert classifier.fits("all-MiniLM-L6-v2", 384)
    assert classifier.fits("all-MiniLM-L6-v2+onnx-int8-v2", 384)
    assert not classifier.fits("nomic-embed-text", 768)
    assert 0.0 < classifier.thresholds["crisis"] < 1.0
    classifier.save(tmp_path / "w.json")
    again = CrisisClassifier.load(tmp_path / "w.json")
    assert np.allclose(again.model.weights, classifier.model.weights, atol=1e-6)
    assert again.thresholds == classifier.thresholds


def test_whole_text_score_needs_a_supporting_passage() -> None:
    from rapport.services.safety.crisis.screen import decide

    thresholds = {"crisis": 0.3, "negated": 0.7, "high": 0.9, "topic": 0.8, "distress": 0.25}
    proba = np.array([0.5, 0.4, 0.0, 0.0, 0.1])  # risk 0.425: over the crisis threshold
    vague = rules.read("Debt again. Work is hard. I am so tired of all of it.")
    assert decide(vague, proba, thresholds).crisis
    unsupported = decide(vague, proba, thresholds, supported=False)
    assert not unsupported.crisis and unsupported.severity is None
    assert unsupported.score == 0.425
    # Explicit words never need support; acute cues still count.
    explicit = decide(rules.read("I want to kill myself."), proba, thresholds, supported=False)
    assert explicit.crisis and explicit.severity == "high"
    acute = rules.read("I relapsed last night and I can't stop drinking.")
    assert decide(acute, proba, thresholds, supported=False).category == "substance_abuse"


def test_screen_on_real_minilm(sqlite_engine: Engine) -> None:
    records = [
        {"id": f"{kind}-{i}", "text": text}
        for kind, texts in (("crisis", CRISES), ("not", NOT_CRISES), ("unrelated", UNRELATED))
        for i, text in enumerate(texts)
    ]
    results = {r.id: r for r in sqlite_engine.safety.screen_many(records)}
    for i, text in enumerate(CRISES):
        result = results[f"crisis-{i}"]
        assert result.crisis, text
        assert result.category == "suicide_self_harm" and result.severity == "high", text
    for i, text in enumerate(NOT_CRISES):
        assert not results[f"not-{i}"].crisis, text
    for i, text in enumerate(UNRELATED):
        assert not results[f"unrelated-{i}"].crisis, text
    planned = results["crisis-1"]
    assert planned.score >= 0.9


def test_domestic_violence_and_topics(sqlite_engine: Engine) -> None:
    violence = sqlite_engine.safety.screen("My husband hits me when he drinks and I'm scared.")
    assert violence.crisis and violence.category == "domestic_violence"
    assert violence.severity == "high"
    empty = sqlite_engine.safety.screen("")
    assert not empty.crisis and empty.category is None and empty.score == 0.0


def test_batch_rejects_bad_records(sqlite_engine: Engine) -> None:
    from rapport.engine.schemas import InvalidInput

    with pytest.raises(InvalidInput) as caught:
        sqlite_engine.safety.screen_many([{"id": "a", "text": "fine"}, {"id": "b"}])
    assert caught.value.errors[0].record == "record 2"
    assert caught.value.errors[0].field == "text"


def test_rest_screen_matches_library(sqlite_engine: Engine) -> None:
    records = [{"id": "a", "text": CRISES[0]}, {"id": "b", "text": UNRELATED[0]}]
    with LiveServer(sqlite_engine) as server, httpx.Client(base_url=server.url, timeout=60) as http:
        response = http.post("/safety/screen", json=records)
        assert response.status_code == 200
        body = response.json()
        bad = http.post("/safety/screen", json=[{"id": "x", "text": 3}])
        assert bad.status_code == 422
    library = [r.model_dump(mode="json") for r in sqlite_engine.safety.screen_many(records)]
    assert body == library
    assert body[0]["crisis"] is True and body[1]["crisis"] is False


def test_cli_batch_screen_jsonl(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "texts.jsonl"
    source.write_text(
        "\n".join(
            json.dumps({"id": f"t{i}", "text": t}) for i, t in enumerate(CRISES[:2] + UNRELATED[:2])
        )
        + "\n"
    )
    ran = cli("safety", "screen", str(source), "--jsonl")
    assert ran.returncode == 0, ran.stderr
    lines = [json.loads(line) for line in ran.stdout.splitlines()]
    assert [line["id"] for line in lines] == ["t0", "t1", "t2", "t3"]
    assert set(lines[0]) == {"id", "crisis", "category", "severity", "score"}
    assert [line["crisis"] for line in lines] == [True, True, False, False]

    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"id": "a", "text": "x"}\nnot json\n')
    failed = cli("safety", "screen", str(broken), "--jsonl")
    assert failed.returncode == 2
    assert "broken.jsonl:line 2" in failed.stderr and failed.stdout == ""


def test_ask_never_generates_for_a_crisis(sqlite_engine: Engine) -> None:
    sqlite_engine.kb.add_records(
        [{"id": "faq", "title": "Refunds", "text": "Refunds are paid within 14 days of a return."}]
    )
    answer = sqlite_engine.kb.ask("I want to end my life tonight", locale="en-US")
    assert answer.mode == "crisis"
    assert "988" in answer.answer and not answer.citations
    assert answer.safety is not None and answer.safety.escalation_id
    escalations = sqlite_engine.escalations.list()
    assert escalations.total == 1
    assert escalations.items[0].source == "ask"

    normal = sqlite_engine.kb.ask("How long do refunds take?")
    assert normal.mode == "extractive" and normal.citations
    assert normal.safety is None
    assert sqlite_engine.escalations.list().total == 1


def test_statement_pairs_are_varied_and_partly_held_out() -> None:
    from rapport.bench.safety import STATEMENTS, KeywordPeer
    from rapport.services.safety.crisis.train import load_pairs

    pairs = load_pairs(STATEMENTS)
    assert len(pairs) >= 60
    assert len({p.id for p in pairs}) == len(pairs)
    held = [p for p in pairs if p.held_out]
    assert 20 <= len(held) <= len(pairs) // 2
    assert {p.kind for p in held} >= {"negation", "reported", "quotation", "past"}
    flags = KeywordPeer().flags(["I want to die.", "Should I remortgage?"])
    assert flags.tolist() == [True, False]


def test_probe_sentences_cover_the_hard_kinds_and_are_split() -> None:
    from rapport.bench.safety import load_probes

    probes = load_probes()
    assert len({p["id"] for p in probes}) == len(probes) >= 80
    for split in ("dev", "held_out"):
        part = [p for p in probes if p["split"] == split]
        kinds = {p["kind"] for p in part}
        assert kinds >= {"statement", "negation", "reported", "quotation", "past"}
        assert kinds >= {"hypothetical", "lyrics", "idiom"}
        assert sum(p["crisis"] for p in part) == sum(p["kind"] == "statement" for p in part)
    texts = [p["text"] for p in probes]
    assert len(set(texts)) == len(texts)

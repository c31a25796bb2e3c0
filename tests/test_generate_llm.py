"""Content generation with a language model (the local OpenAI-compatible stub): structured
replies are used, checked against the facts and limits, and replaced by templates when they
are invalid, too long or off-topic."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from rapport.core.vectors.local import SentenceTransformerEmbedder
from rapport.engine import Engine
from tests.generate_data import load
from tests.llm_stub import LLMStub, llm_settings


@pytest.fixture(scope="module")
def llm() -> Iterator[LLMStub]:
    stub = LLMStub(name="local").start()
    yield stub
    stub.stop()


@pytest.fixture(scope="module")
def engine_llm(
    tmp_path_factory: pytest.TempPathFactory, minilm: SentenceTransformerEmbedder, llm: LLMStub
) -> Iterator[Engine]:
    data: Path = tmp_path_factory.mktemp("generate-llm")
    with Engine(
        data=data,
        embedder=minilm,
        **llm_settings(llm),
    ) as built:
        load(built)
        yield built


@pytest.fixture
def stub(llm: LLMStub) -> Iterator[LLMStub]:
    llm.replies, llm.requests, llm.fail_status = [], [], None
    yield llm
    llm.replies, llm.fail_status = [], None


def test_resume_written_by_the_model_keeps_the_facts(engine_llm: Engine, stub: LLMStub) -> None:
    stub.replies = [
        json.dumps(
            {
                "headline": "Data-minded guitarist",
                "summary": "Zoë turns data into insight.",
                "descriptions": [
                    {"item_id": "py1", "description": "Wrote first Python programs."},
                    {"item_id": "invented", "description": "A course that does not exist."},
                ],
            }
        )
    ]
    resume = engine_llm.generate.resume("ana")
    assert (resume.mode, resume.model) == ("llm", "tiny")
    assert resume.headline == "Data-minded guitarist"
    assert [e.item_id for e in resume.experience] == ["py2", "py1"]  # facts stay the data's
    assert resume.experience[1].description == "Wrote first Python programs."
    assert resume.experience[0].description == "Clean, reshape and analyse data with pandas."
    prompt = stub.requests[-1]["messages"]
    assert (
        "<data>" in prompt[-1]["content"] and "Data Analysis with Pandas" in prompt[-1]["content"]
    )
    logged = engine_llm.generate.recent(kind="resume")[0]
    assert (logged.mode, logged.model, logged.id) == ("llm", "tiny", resume.generation_id)


def test_too_long_post_is_retried_then_used(engine_llm: Engine, stub: LLMStub) -> None:
    fits = {"text": "Finished Data Analysis with Pandas!", "hashtags": ["#Pandas", "data science"]}
    stub.replies = [
        json.dumps({"text": "So proud! " * 40, "hashtags": ["pandas"]}),
        json.dumps(fits),
    ]
    post = engine_llm.generate.post("ana", platform="x", achievement="finished the Pandas course")
    assert post.mode == "llm" and len(stub.requests) == 2
    assert post.text == "Finished Data Analysis with Pandas!\n\n#Pandas #DataScience"
    assert "under 168 characters" in json.dumps(stub.requests[1]["messages"])


def test_post_still_too_long_falls_back_to_the_template(engine_llm: Engine, stub: LLMStub) -> None:
    stub.replies = [json.dumps({"text": "word " * 600, "hashtags": ["a"]})] * 2
    post = engine_llm.generate.post("ana", platform="x", achievement="finished the Pandas course")
    assert post.mode == "template" and post.characters <= 280
    assert post.text.startswith("Just finished the Pandas course!")


def test_long_post_is_trimmed_when_most_of_it_fits(engine_llm: Engine, stub: LLMStub) -> None:
    body = "I finished the course. " * 12  # 276 characters: with a hashtag, over 280
    stub.replies = [json.dumps({"text": body, "hashtags": ["pandas"]})] * 2
    post = engine_llm.generate.post("ana", platform="x", achievement="finished the course")
    assert post.mode == "llm" and post.characters <= 280
    assert post.body.endswith("course.") and post.hashtags == ["#Pandas"]


def test_invalid_json_falls_back_to_templates(engine_llm: Engine, stub: LLMStub) -> None:
    stub.replies = ["{'text': oops"] * 3  # the first reply and both repair requests
    post = engine_llm.generate.post("ana", platform="linkedin", achievement="won a hackathon")
    assert post.mode == "template" and len(stub.requests) == 3
    stub.fail_status = 500
    draft = engine_llm.generate.draft(category="spa", place="Lisbon", price=50, discount=20)
    assert draft.mode == "template" and draft.reduced_price == 40


def test_opted_out_users_never_reach_the_model(engine_llm: Engine, stub: LLMStub) -> None:
    assert engine_llm.generate.resume("bo").mode == "template"
    assert engine_llm.generate.post("bo", platform="x", achievement="won").mode == "template"
    assert engine_llm.generate.learning_path("bo", passion="guitar").mode == "template"
    assert stub.requests == []


def test_draft_text_from_the_model_must_stay_on_topic(engine_llm: Engine, stub: LLMStub) -> None:
    stub.replies = [
        json.dumps({"title": "Cheap flights!", "description": "Fly anywhere for less."})
    ]
    off_topic = engine_llm.generate.draft(category="spa", place="Lisbon", price=50, discount=20)
    assert off_topic.mode == "template" and "spa" in off_topic.title
    stub.replies = [
        json.dumps(
            {"title": "Unwind at a Lisbon spa", "description": "A calm spa afternoon, 20% off."}
        )
    ]
    on_topic = engine_llm.generate.draft(category="spa", place="Lisbon", price=50, discount=20)
    assert on_topic.mode == "llm" and on_topic.title == "Unwind at a Lisbon spa"
    assert on_topic.reduced_price == 40 and on_topic.item.title == on_topic.title


def test_model_tags_outside_the_vocabulary_are_dropped(engine_llm: Engine, stub: LLMStub) -> None:
    stub.replies = [json.dumps({"tags": ["Guitar", "unicorns"], "key_phrases": ["jazz chords"]})]
    tags = engine_llm.generate.tags(text="Learning jazz chords on my guitar every evening")
    assert tags.mode == "llm" and tags.tags[0] == "guitar" and "unicorns" not in tags.tags
    assert 3 <= len(tags.tags) <= 5 and tags.key_phrases[0] == "jazz chords"


def test_learning_path_summary_from_the_model(engine_llm: Engine, stub: LLMStub) -> None:
    stub.replies = [json.dumps({"summary": "From first chords to jazz.", "reasons": ["only one"]})]
    path = engine_llm.generate.learning_path("ana", passion="guitar")
    assert path.mode == "llm" and path.summary == "From first chords to jazz."
    # One reason for four steps does not line up: the template reasons stay.
    assert all(s.why.lower().startswith(s.level) for s in path.steps)

"""The onboarding interview end to end: sessions stored and resumable, the profile written
to the user and embedded, first matches with next steps, over the library, REST, the CLI,
and with an LLM (the local stub) that answers or fails."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from rapport.engine import Engine
from rapport.engine.schemas import Conflict, InvalidInput, NotFound
from tests.conftest import Cli, CountingEmbedder, LiveServer
from tests.llm_stub import LLMStub, llm_settings

DATA = Path(__file__).parent / "data" / "onboarding"
CATALOGUE = [json.loads(line) for line in (DATA / "catalogue.jsonl").read_text().splitlines()]
ANSWERS = [
    "I love photography and hiking. I'd like to sell my prints one day.",
    "I'm a beginner at photography but pretty good at hiking.",
    "Two or three evenings of an hour.",
    "Videos work best for me.",
]


def _interview(engine: Engine, user_id: str, answers: list[str]) -> object:
    state = engine.onboarding.start(user_id)
    for text in answers:
        state = engine.onboarding.answer(state.session_id, text)
    return state


def test_interview_writes_profile_and_returns_first_matches(engine: Engine) -> None:
    engine.items.add(CATALOGUE)
    first = engine.onboarding.start("zoe")
    assert (first.step, first.total_steps, first.done) == (1, 4, False)
    assert first.topic == "passions" and first.question
    assert engine.users.get("zoe").profile.passions == []  # the user now exists

    second = engine.onboarding.answer(first.session_id, ANSWERS[0])
    assert second.step == 2 and second.topic == "skills"
    # The question adapts to what was understood.
    assert "photography" in second.question and "hiking" in second.question
    assert second.understood.passions == ["photography", "hiking"]

    # Resumable: another engine on the same store sees the same question.
    resumed = engine.onboarding.get(first.session_id)
    assert resumed.question == second.question and resumed.step == 2

    state = second
    for text in ANSWERS[1:]:
        state = engine.onboarding.answer(state.session_id, text)
    assert state.done and state.question is None and state.mode == "rules"
    profile = engine.users.get("zoe").profile
    assert profile.passions == ["photography", "hiking"]
    assert set(profile.interests) >= {"photography", "hiking"}
    assert {(s.name, s.level) for s in profile.skills} == {
        ("photography", "beginner"),
        ("hiking", "advanced"),
    }
    assert profile.goals == ["sell my prints"]
    assert profile.hours_per_week == pytest.approx(2.5)
    assert profile.learning_style == "visual"
    assert state.profile == profile

    ids = [r.item_id for r in state.recommendations]
    assert len(ids) == 5 and {"photo-1", "hike-1"} <= set(ids)
    assert all(r.reasons for r in state.recommendations)
    assert state.next_steps and {s.category for s in state.next_steps} & {"arts", "outdoors"}
    # Categories holding a passion come first, and say so.
    assert state.next_steps[0].category in {"arts", "outdoors"}
    assert "passion for" in state.next_steps[0].reason
    for step in state.next_steps:
        assert step.item_ids and set(step.item_ids) <= set(ids)

    # The dry run reads the same from the same answers.
    assert engine.onboarding.extract(ANSWERS) == state.understood

    done = engine.onboarding.get(first.session_id)
    assert done.done and done.profile == profile
    with pytest.raises(Conflict):
        engine.onboarding.answer(first.session_id, "one more")


def test_profile_vector_uses_every_field_and_leaves_with_the_user(sqlite_engine: Engine) -> None:
    engine = sqlite_engine
    engine.items.add(CATALOGUE)
    engine.users.add(
        [
            {"id": "a", "profile": {"passions": ["python"], "goals": ["become a data analyst"]}},
            {"id": "b", "profile": {"passions": ["python"], "goals": ["build web apps"]}},
            {"id": "c", "profile": {"passions": ["python"]}},
        ]
    )
    for user in ("a", "b", "c"):
        engine.recommendations.for_user(user)
    store = engine._services.store
    model = engine._services.embedder.name
    vectors = {r.ref_id: r.vector for r in store.load_vectors("default", "user", model)}
    assert set(vectors) == {"a", "b"}  # interests alone are embedded as interests
    assert float(vectors["a"] @ vectors["b"]) < 0.99  # goals change the profile vector
    text = engine.users.get("a").profile.embedding_text()
    assert "python" in text and "become a data analyst" in text
    assert engine.users.delete("a").deleted["vectors"] == 1


def test_bad_input_writes_nothing(sqlite_engine: Engine) -> None:
    engine = sqlite_engine
    state = engine.onboarding.start("ana")
    with pytest.raises(InvalidInput) as raised:
        engine.onboarding.answer(state.session_id, "   ")
    assert raised.value.errors[0].field == "text"
    assert engine.onboarding.get(state.session_id).step == 1
    with pytest.raises(NotFound):
        engine.onboarding.answer("onb_missing", "hello")
    with pytest.raises(InvalidInput):
        engine.onboarding.start("x" * 300)
    assert engine.stats().users == 1


def test_rest_start_answer_resume(sqlite_engine: Engine) -> None:
    engine = sqlite_engine
    engine.items.add(CATALOGUE)
    with LiveServer(engine) as live, httpx.Client(base_url=live.url, timeout=60) as http:
        started = http.post("/users/rita/onboarding").json()
        assert {"session_id", "step", "total_steps", "question"} <= set(started)
        assert (started["step"], started["total_steps"]) == (1, 4)
        sid = started["session_id"]
        assert http.post(f"/onboarding/{sid}/answers", json={"text": ""}).status_code == 422
        assert http.get("/onboarding/nope").status_code == 404
        reply = http.post(f"/onboarding/{sid}/answers", json={"text": ANSWERS[0]}).json()
        assert reply["step"] == 2 and not reply["done"]
        assert http.get(f"/onboarding/{sid}").json()["question"] == reply["question"]
        for text in ANSWERS[1:]:
            reply = http.post(f"/onboarding/{sid}/answers", json={"text": text}).json()
        assert reply["done"] is True
        assert reply["profile"]["passions"] == ["photography", "hiking"]
        assert reply["recommendations"] and reply["next_steps"]
        assert http.get("/users/rita").json()["profile"]["learning_style"] == "visual"
        library = engine.onboarding.get(sid).model_dump(mode="json")
        assert http.get(f"/onboarding/{sid}").json() == library


def test_cli_answers_file(cli: Cli, tmp_path: Path) -> None:
    items = tmp_path / "items.jsonl"
    items.write_text((DATA / "catalogue.jsonl").read_text())
    assert cli("items", "import", str(items)).returncode == 0
    answers = tmp_path / "answers.txt"
    answers.write_text("\n".join(ANSWERS) + "\n")
    out = cli("onboard", "new-user", "--answers-file", str(answers), "--json").json()
    assert out["done"] is True
    assert out["profile"]["hours_per_week"] == pytest.approx(2.5)
    assert out["recommendations"] and out["next_steps"]
    assert cli("users", "get", "new-user", "--json").json()["profile"]["passions"] == [
        "photography",
        "hiking",
    ]
    short = tmp_path / "short.txt"
    short.write_text("python\n")
    assert cli("onboard", "other", "--answers-file", str(short)).returncode == 2
    assert cli("users", "get", "other").returncode != 0  # nothing was written


@pytest.fixture
def llm_engine(tmp_path: Path, embedder: CountingEmbedder, llm: LLMStub) -> Iterator[Engine]:
    with Engine(
        data=tmp_path,
        embedder=embedder,
        **llm_settings(llm),
    ) as built:
        built.items.add(CATALOGUE)
        yield built


LLM_PROFILE = {
    "passions": ["Photography", "landscape hiking"],
    "skills": [{"name": "photography", "level": "beginner"}, {"name": "hiking", "level": "expert"}],
    "goals": ["sell prints at a local market"],
    "hours_per_week": 3,
    "learning_style": "social",
}


def test_llm_writes_questions_and_structured_profile(llm_engine: Engine, llm: LLMStub) -> None:
    llm.replies = [
        "Lovely! How far along are you with photography and hiking?",
        "And how many hours a week can you spare?",
        "How do you like to learn?",
        json.dumps(LLM_PROFILE),
    ]
    state = llm_engine.onboarding.start("lia")
    state = llm_engine.onboarding.answer(state.session_id, ANSWERS[0])
    assert state.question == "Lovely! How far along are you with photography and hiking?"
    assert state.mode == "llm"
    for text in ANSWERS[1:]:
        state = llm_engine.onboarding.answer(state.session_id, text)
    assert state.done and state.mode == "llm"
    profile = llm_engine.users.get("lia").profile
    # The model's passions in the tenant's spelling where they name a label.
    assert profile.passions == ["photography", "hiking"]
    assert {(s.name, s.level) for s in profile.skills} == {
        ("photography", "beginner"),
        ("hiking", "expert"),
    }
    assert profile.learning_style == "social" and profile.hours_per_week == 3
    # The extraction request asked for the profile schema and quoted the interview.
    last = llm.requests[-1]
    assert "learning_style" in json.dumps(last) and ANSWERS[2] in json.dumps(last)


def test_llm_failure_falls_back_to_rules(llm_engine: Engine, llm: LLMStub) -> None:
    # Questions come from the model; the profile reply is never valid (three tries).
    llm.replies = ["Q2?", "Q3?", "Q4?", "not json", "{'still': no", '{"hours_per_week": -4}']
    state = llm_engine.onboarding.start("max")
    for text in ANSWERS:
        state = llm_engine.onboarding.answer(state.session_id, text)
    assert state.done and state.mode == "rules"
    profile = llm_engine.users.get("max").profile
    assert profile.passions == ["photography", "hiking"]
    assert profile.hours_per_week == pytest.approx(2.5)
    assert profile.learning_style == "visual"


def test_opted_out_users_are_interviewed_without_the_llm(llm_engine: Engine, llm: LLMStub) -> None:
    llm_engine.users.add([{"id": "opt", "ai_opt_out": True}])
    state = llm_engine.onboarding.start("opt")
    for text in ANSWERS:
        state = llm_engine.onboarding.answer(state.session_id, text)
    assert state.done and state.mode == "rules" and llm.requests == []

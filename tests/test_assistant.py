"""The assistant without a language model: tools chosen by intent, template replies in the
persona's voice, memory with a running summary, the screen seam, and errors."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from rapport.core.errors import InvalidInput, NotFound
from rapport.engine import Engine
from rapport.engine.schemas import MessageScreening, User
from tests.assistant_world import populate


@pytest.fixture
def world(sqlite_engine: Engine) -> Engine:
    return populate(sqlite_engine)


def test_rules_reply_recommends_with_reasons_and_greets_once(world: Engine) -> None:
    first = world.assistant.chat("maya", "What should I learn next? Suggest something.")
    assert first.mode == "rules" and first.escalation is None
    assert [a.tool for a in first.actions] == ["recommend"]
    items = first.actions[0].result["items"]
    assert items[0]["item_id"] == "py101"  # her stated interest
    assert "matches your interest in python" in items[0]["reasons"]
    assert first.reply.startswith("Hi maya, lovely to hear from you.")  # default warm tone
    assert "Python for Beginners" in first.reply
    second = world.assistant.chat(
        "maya", "find a running course", conversation_id=first.conversation_id
    )
    assert second.conversation_id == first.conversation_id
    assert not second.reply.startswith("Hi maya")  # greeting only on the first turn
    assert second.actions[0].tool == "search_items"
    assert second.actions[0].result["items"][0]["item_id"] == "run"


def test_a_kind_named_in_the_message_narrows_the_recommendations(world: Engine) -> None:
    asked = world.assistant.chat("maya", "Suggest a mentor for me")
    assert [a.tool for a in asked.actions] == ["recommend"]
    assert [i["item_id"] for i in asked.actions[0].result["items"]] == ["ana"]  # the mentor
    courses = world.assistant.chat("maya", "Recommend me some courses please")
    assert {i["item_id"] for i in courses.actions[0].result["items"]} <= {"py101", "run"}


def test_questions_are_answered_from_the_knowledge_base_with_citations(world: Engine) -> None:
    reply = world.assistant.chat("maya", "How do refunds for event tickets work?")
    assert reply.actions[0].tool == "knowledge_answer"
    assert reply.citations and {c.document_id for c in reply.citations} == {"refunds"}
    assert "48 hours" in reply.reply and "[1]" in reply.reply


def test_profile_updates_are_stored_and_explanations_use_real_reasons(world: Engine) -> None:
    reply = world.assistant.chat("maya", "My goal is to run a 10k race")
    assert reply.actions[0].tool == "update_profile" and reply.actions[0].status == "done"
    assert world.users.get("maya").profile.goals == [
        "get a junior developer job",
        "run a 10k race",
    ]
    again = world.assistant.chat("maya", "I'm now interested in yoga and running")
    assert world.users.get("maya").profile.interests == ["python", "yoga", "running"]
    assert again.actions[0].result["changed"]["interests"] == ["python", "yoga", "running"]
    why = world.assistant.chat("maya", "why did you show me python for beginners")
    assert why.actions[0].tool == "explain_recommendation"
    assert why.actions[0].result["item_id"] == "py101"
    assert "matches your interest in python" in why.reply


def test_intents_without_a_tool_say_so_and_keep_the_parameters(world: Engine) -> None:
    reply = world.assistant.chat("maya", "Book a session with Ana next Friday at 3pm")
    # Booking is a tool now (tests/test_schedule_assistant.py); this Ana has no availability.
    assert [(a.tool, a.status) for a in reply.actions] == [("book_session", "failed")]
    assert "providers with availability: none yet" in reply.reply
    assert reply.intent is not None and reply.intent.intent == "schedule_session"
    assert reply.intent.parameters["with"] == "Ana"
    assert reply.intent.parameters["when"].endswith("15:00:00+00:00")


def test_persona_sets_the_voice_of_template_replies(world: Engine) -> None:
    assert world.persona.get().name == "Rapport"  # the default until set
    world.persona.set(
        name="Coach Lena",
        expertise="career change",
        tone="professional",
        greeting="Good day {name}, Coach Lena here.",
    )
    assert world.persona.get().tone == "professional"
    reply = world.assistant.chat("maya", "recommend something for me")
    assert reply.reply.startswith("Good day maya, Coach Lena here.")
    assert reply.reply.endswith("Let me know if there is anything else I can do.")
    with pytest.raises(InvalidInput) as bad:
        world.persona.set(name="X", tone="sarcastic")
    assert bad.value.errors[0].record == "persona" and bad.value.errors[0].field == "tone"
    assert world.persona.get().name == "Coach Lena"  # nothing written


def test_brief_users_get_no_greeting_or_sign_off(world: Engine) -> None:
    reply = world.assistant.chat("brief", "suggest something")
    assert reply.reply.startswith("Here is what I found for you:")
    assert "I'm here whenever" not in reply.reply


def test_the_screen_sees_the_message_first_and_can_answer_alone(world: Engine) -> None:
    seen: list[tuple[str, str, str]] = []

    def screen(tenant: str, user: User, message: str) -> MessageScreening | None:
        seen.append((tenant, user.id, message))
        if "hopeless" in message:
            return MessageScreening(escalation={"level": "crisis"}, reply="A person will call you.")
        return None

    # The documented seam the safety checks use (docs/assistant.md).
    world._services.assistant.screen = screen
    calm = world.assistant.chat("maya", "recommend something")
    assert calm.escalation is None and calm.actions
    crisis = world.assistant.chat("maya", "I feel hopeless", conversation_id=calm.conversation_id)
    assert crisis.reply == "A person will call you." and crisis.actions == []
    assert crisis.escalation == {"level": "crisis"}
    assert seen == [
        ("default", "maya", "recommend something"),
        ("default", "maya", "I feel hopeless"),
    ]
    stored = world.assistant.conversation(calm.conversation_id).messages[-1]
    assert stored.data["escalation"] == {"level": "crisis"}


def test_errors_name_what_is_wrong_and_write_nothing(world: Engine) -> None:
    with pytest.raises(NotFound):
        world.assistant.chat("nobody", "hello")
    with pytest.raises(NotFound):
        world.assistant.chat("maya", "hello", conversation_id="missing")
    with pytest.raises(ValidationError):
        world.assistant.chat("maya", "")
    theirs = world.assistant.chat("brief", "suggest something")
    with pytest.raises(NotFound):  # another user's conversation
        world.assistant.chat("maya", "hello", conversation_id=theirs.conversation_id)
    assert world.assistant.conversation(theirs.conversation_id).total_messages == 2


def test_memory_keeps_ten_exchanges_and_summarises_older_ones(engine: Engine) -> None:
    engine.users.add([{"id": "sam"}])
    conversation = None
    for n in range(12):
        reply = engine.assistant.chat(
            "sam", f"Tell Maria note number {n} please", conversation_id=conversation
        )
        conversation = reply.conversation_id
    assert conversation is not None
    stored = engine.assistant.conversation(conversation)
    assert stored.total_messages == 24 and len(stored.messages) == 24
    assert [m.role for m in stored.messages[:2]] == ["user", "assistant"]
    assert [m.position for m in stored.messages] == list(range(24))
    # Exchanges 0 and 1 left the 10-exchange window after turns 10 and 11: summarised.
    lines = stored.summary.splitlines()
    assert len(lines) == 2
    assert "note number 0" in lines[0] and "note number 1" in lines[1]
    assert "note number 2" not in stored.summary
    assert stored.messages[1].data["mode"] == "rules"
    assert stored.messages[1].data["intent"]["intent"] == "send_message"


def test_delete_my_data_removes_conversations(world: Engine) -> None:
    reply = world.assistant.chat("brief", "suggest something")
    kept = world.assistant.chat("maya", "suggest something")
    removed = world.users.delete("brief")
    assert removed.deleted["conversations"] == 1 and removed.deleted["users"] == 1
    with pytest.raises(NotFound):
        world.assistant.conversation(reply.conversation_id)
    assert world.assistant.conversation(kept.conversation_id).total_messages == 2


def test_a_rules_reply_streams_in_words_and_is_stored(world: Engine) -> None:
    stream = world.assistant.stream("brief", "find a running course")
    assert stream.reply is not None and stream.reply.mode == "rules"
    text = "".join(stream.pieces)
    assert text == stream.reply.reply and "Couch to 10k" in text
    stored = world.assistant.conversation(stream.conversation_id)
    assert stored.messages[-1].content == text


def test_greetings_and_thanks_get_small_talk_not_a_tool(world: Engine) -> None:
    world.persona.set(name="Coach Lena", expertise="career change")
    hello = world.assistant.chat("maya", "Hello!")
    assert hello.actions == [] and hello.reply.startswith("Hi maya, lovely to hear from you.")
    assert "I can suggest what to do next" in hello.reply
    who = world.assistant.chat("maya", "who are you?", conversation_id=hello.conversation_id)
    assert who.reply.startswith("I'm Coach Lena, here for career change.")
    thanks = world.assistant.chat("maya", "thanks a lot", conversation_id=hello.conversation_id)
    assert thanks.actions == [] and thanks.reply.startswith("Glad to help.")

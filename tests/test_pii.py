"""Personal data: found and replaced before text reaches a language model or a log line, and
users without consent kept out of training data."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import structlog

from rapport.core.llm import GatewayConfig, LLMGateway, ProviderConfig
from rapport.core.logging import configure_logging
from rapport.core.pii import find_pii, redact
from rapport.engine import Engine
from tests.conftest import CountingEmbedder
from tests.llm_stub import LLMStub, llm_settings

PERSONAL = {
    "email": "jane.doe+events@example.co.uk",
    "phone": "+44 20 7946 0958",
    "card": "4111 1111 1111 1111",
    "iban": "DE89 3704 0044 0532 0130 00",
    "address": "221B Baker Street",
}
MESSAGE = (
    f"Hi, I am Jane ({PERSONAL['email']}, {PERSONAL['phone']}). Charge my card "
    f"{PERSONAL['card']} or use IBAN {PERSONAL['iban']}; I live at {PERSONAL['address']}, "
    "London."
)


def test_each_kind_of_personal_data_is_found_and_replaced() -> None:
    kinds = [f.kind for f in find_pii(MESSAGE)]
    assert kinds == ["email", "phone", "card", "iban", "address"]
    redacted = redact(MESSAGE)
    assert not any(value in redacted for value in PERSONAL.values())
    assert redacted.startswith("Hi, I am Jane ([EMAIL], [PHONE]). Charge my card [CARD]")
    assert "[IBAN]" in redacted and "[ADDRESS], London." in redacted


@pytest.mark.parametrize(
    "text",
    [
        "Order 1234567890123 ships on 2024-05-12 at 18:00.",  # fails Luhn: not a card
        "Tickets cost 25 EUR for 3 people; doors open at 7 pm in room 12.",
        "Refunds arrive within 10 business days, version 2.3.1, ticket #48213.",
        "Mentors act as mentors for new members.",
    ],
)
def test_ordinary_numbers_are_left_alone(text: str) -> None:
    assert redact(text) == text


def test_other_formats_are_found() -> None:
    text = (
        "Call (415) 555-2671, pay GB82WEST12345698765432, visit Hauptstraße 5 or 12 rue de la Paix."
    )
    assert redact(text) == "Call [PHONE], pay [IBAN], visit [ADDRESS] or [ADDRESS]."


def test_the_gateway_sends_no_personal_data(llm: LLMStub) -> None:
    provider = ProviderConfig(name="p", base_url=llm.url, model="tiny", api_key="test-key")
    with LLMGateway(GatewayConfig(providers=[provider])) as gateway:
        gateway.chat(
            [{"role": "system", "content": "Be brief."}, {"role": "user", "content": MESSAGE}]
        )
        list(gateway.stream([{"role": "user", "content": [{"type": "text", "text": MESSAGE}]}]))
    sent = json.dumps(llm.requests)
    assert len(llm.requests) == 2 and "[EMAIL]" in sent and "[CARD]" in sent
    assert not any(value in sent for value in PERSONAL.values())


def test_answers_send_no_personal_data_from_documents(
    tmp_path: Path, embedder: CountingEmbedder, llm: LLMStub
) -> None:
    with Engine(
        data=tmp_path,
        embedder=embedder,
        **llm_settings(llm),
    ) as engine:
        engine.kb.add_records(
            [
                {
                    "id": "contact",
                    "title": "Contacting the host",
                    "text": f"Write to the host at {PERSONAL['email']} "
                    f"or call {PERSONAL['phone']}.",
                }
            ]
        )
        llm.replies = ["Write to the host [1]."]
        engine.kb.ask(f"How do I contact the host? My card is {PERSONAL['card']}.")
    sent = json.dumps(llm.requests[-1]["messages"])
    assert "[EMAIL]" in sent and "[PHONE]" in sent and "[CARD]" in sent
    assert not any(value in sent for value in PERSONAL.values())


def test_logs_carry_no_personal_data(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("info")
    structlog.get_logger().info("user wrote", message=MESSAGE, nested={"to": [PERSONAL["email"]]})
    logged = capsys.readouterr().err
    assert "user wrote" in logged and "[EMAIL]" in logged and "[IBAN]" in logged
    assert not any(value in logged for value in PERSONAL.values())


def test_training_reads_only_consented_users(engine: Engine) -> None:
    engine.users.add([{"id": "yes"}, {"id": "no", "consent": False}])
    start = datetime(2024, 1, 1, tzinfo=UTC)
    engine.items.add([{"id": f"i{n}", "title": f"Item {n}"} for n in range(3)])
    engine.events.add(
        [
            {
                "id": f"{user}-{n}",
                "user_id": user,
                "item_id": f"i{n}",
                "type": "view",
                "timestamp": (start + timedelta(hours=n)).isoformat(),
            }
            for user in ("yes", "no", "unknown")  # "unknown" is registered with consent
            for n in range(3)
        ]
    )
    data = engine.models.interactions()
    assert sorted(data.user_ids) == ["unknown", "yes"] and len(data) == 6

"""`engine.safety`: the crisis screen; `engine.escalations`: crises handed to humans."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import Field

from rapport.core.errors import FieldError, InvalidInput, validated
from rapport.core.models import Page, Strict
from rapport.core.store.escalations import Escalation, Status
from rapport.engine.services import Services
from rapport.services.safety.crisis.guard import SOURCES, CrisisReply, SafetyCheck
from rapport.services.safety.crisis.models import ScreenedText, Screening

MAX_TEXT = 100_000
"""Characters screened per text; longer input is an error, not silently cut."""


class ScreenRecord(Strict):
    """One text of a batch screen."""

    id: str = Field(min_length=1, max_length=256)
    """Returned with its screening."""
    text: str = Field(max_length=MAX_TEXT)
    """The text to screen."""


class SafetyArea:
    def __init__(self, services: Services) -> None:
        self._s = services

    def screen(self, text: str) -> Screening:
        """The crisis screen's verdict on one text (nothing is stored)."""
        return self.screen_many([{"id": "text", "text": text}])[0]

    def screen_many(self, records: Iterable[dict[str, Any] | ScreenRecord]) -> list[ScreenedText]:
        """Screen `{"id", "text"}` records; one bad record rejects the batch."""
        checked = _records(records)
        screenings = self._s.crisis_screen.screen_many([r.text for r in checked])
        return [
            ScreenedText(id=r.id, **s.model_dump())
            for r, s in zip(checked, screenings, strict=True)
        ]

    def check(
        self,
        text: str,
        *,
        source: str,
        user_id: str | None = None,
        locale: str | None = None,
        tenant: str | None = None,
    ) -> SafetyCheck:
        """Screen a user's text before replying to it. When `blocked`, send `reply` (the
        tenant's fixed crisis message and resources) and never a generated answer; an
        escalation has been recorded and posted to the tenant's webhook."""
        tenant = self._s.tenant(tenant)
        if source not in SOURCES:
            raise InvalidInput(
                [FieldError(record="request", field="source", message=f"one of {SOURCES}")]
            )
        _records([{"id": "text", "text": text}])
        return self._s.crisis_guard.check(
            tenant, text, source=source, user_id=user_id, locale=locale
        )

    def reply(self, *, locale: str | None = None, tenant: str | None = None) -> CrisisReply:
        """The tenant's fixed crisis message and resources for `locale`."""
        return self._s.crisis_guard.reply(self._s.tenant(tenant), locale)


class EscalationsArea:
    def __init__(self, services: Services) -> None:
        self._s = services

    def list(
        self,
        *,
        status: Status | None = None,
        limit: int = 50,
        offset: int = 0,
        tenant: str | None = None,
    ) -> Page[Escalation]:
        """Escalations, newest first, optionally of one status."""
        return self._s.escalations.list(self._s.tenant(tenant), status, limit, offset)

    def get(self, escalation_id: str, *, tenant: str | None = None) -> Escalation:
        return self._s.escalations.get(self._s.tenant(tenant), escalation_id)

    def ack(self, escalation_id: str, *, note: str = "", tenant: str | None = None) -> Escalation:
        """A human has seen it and is on it."""
        return self._set(escalation_id, "acknowledged", note, tenant)

    def resolve(
        self, escalation_id: str, *, note: str = "", tenant: str | None = None
    ) -> Escalation:
        """Done; resolved escalations stay resolved."""
        return self._set(escalation_id, "resolved", note, tenant)

    def _set(self, escalation_id: str, status: Status, note: str, tenant: str | None) -> Escalation:
        tenant = self._s.tenant(tenant)
        escalation = self._s.escalations.set_status(tenant, escalation_id, status, note)
        self._s.crisis_guard.notify(escalation, f"escalation.{status}")
        return escalation


def _records(records: Iterable[dict[str, Any] | ScreenRecord]) -> Sequence[ScreenRecord]:
    checked, problems = validated(ScreenRecord, records, "record")
    if problems:
        raise InvalidInput(problems)
    return checked

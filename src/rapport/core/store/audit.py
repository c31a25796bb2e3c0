"""`AuditLog`: every AI action (generated answers, assistant actions, nudges sent,
escalations) with the model, a hash of the prompt, the output, a hash of the user id and
the time, on the `Store`'s database."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime

from sqlalchemy import insert

from rapport.core.errors import FieldError, InvalidInput
from rapport.core.models import Page, Schema, utcnow
from rapport.core.pii import redact
from rapport.core.store.paging import page_of
from rapport.core.store.repository import Store
from rapport.core.store.schema import audit_log

ACTIONS = ("answer", "assistant", "nudge", "escalation", "generation")


def user_hash(tenant: str, user_id: str | None) -> str:
    """A stable pseudonym of a user: entries about one user can be found by hashing their
    id again, but the log itself does not name anyone."""
    if not user_id:
        return ""
    return hashlib.sha256(f"{tenant}\x00{user_id}".encode()).hexdigest()


class AuditEntry(Schema):
    """One AI action, as recorded."""

    id: str
    """Entry id."""
    action: str
    """What was done: answer, assistant, nudge, escalation or generation."""
    user_hash: str
    """SHA-256 of the tenant and user id ("" when no user was involved)."""
    model: str
    """The model that produced the output (`extractive`, `template` or `rules` when none)."""
    prompt_hash: str
    """SHA-256 of the prompt or input the output was made from."""
    output: str
    """What was produced and shown or sent, with personal data redacted."""
    created_at: datetime
    """When (UTC)."""


class AuditLog:
    def __init__(self, store: Store) -> None:
        self.store = store

    def record(
        self,
        tenant: str,
        action: str,
        *,
        user_id: str | None,
        model: str,
        prompt: str,
        output: str,
    ) -> AuditEntry:
        if action not in ACTIONS:
            raise ValueError(f"unknown audit action {action!r}: use one of {', '.join(ACTIONS)}")
        entry = AuditEntry(
            id=uuid.uuid4().hex,
            action=action,
            user_hash=user_hash(tenant, user_id),
            model=model,
            prompt_hash=hashlib.sha256(prompt.encode()).hexdigest(),
            output=redact(output),  # a log: no emails, phone or card numbers, IBANs, addresses
            created_at=utcnow(),
        )
        with self.store.engine.begin() as conn:
            conn.execute(insert(audit_log).values(tenant_id=tenant, **entry.model_dump()))
        return entry

    def list(
        self,
        tenant: str,
        *,
        action: str | None = None,
        user_id: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Page[AuditEntry]:
        """Entries newest first, optionally of one action or about one user."""
        if action is not None and action not in ACTIONS:
            raise InvalidInput(
                [
                    FieldError(
                        record="request", field="action", message=f"use one of {', '.join(ACTIONS)}"
                    )
                ]
            )
        where = [audit_log.c.tenant_id == tenant]
        if action is not None:
            where.append(audit_log.c.action == action)
        if user_id is not None:
            where.append(audit_log.c.user_hash == user_hash(tenant, user_id))
        order = [audit_log.c.created_at.desc(), audit_log.c.id]
        return page_of(
            self.store.engine, audit_log, where, order, limit, offset, AuditEntry.model_validate
        )

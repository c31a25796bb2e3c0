"""`engine.process`: operations on a process proposed from a chat message (seed 003)."""

from __future__ import annotations

from typing import Any

from rapport.core.store.generations import GenerationStore
from rapport.engine.services import Services, options
from rapport.services.assistant.process import ProcessOperations, ProcessRequest


class ProcessArea:
    def __init__(self, services: Services) -> None:
        self._s = services

    def operations(
        self,
        request: ProcessRequest | None = None,
        *,
        user_id: str | None = None,
        tenant: str | None = None,
        **request_options: Any,
    ) -> ProcessOperations:
        """Proposed operations (`process`, `message`); nothing is changed. A user who opted
        out of AI features gets the rules, not the language model. Logged as `process_ops`."""
        request = options(ProcessRequest, request, request_options)
        return self.operations_many([request], user_id=user_id, tenant=tenant)[0]

    def operations_many(
        self,
        requests: list[ProcessRequest],
        *,
        user_id: str | None = None,
        tenant: str | None = None,
    ) -> list[ProcessOperations]:
        """`operations` for several messages (evaluation sets, replayed chats): without a
        language model their texts are embedded in one batch."""
        tenant = self._s.tenant(tenant)
        allow = self._s.llm_allowed_for(tenant, user_id)
        results = self._s.process_assistant.operations_many(requests, allow_llm=allow)
        log = GenerationStore(self._s.store)
        for request, result in zip(requests, results, strict=True):
            log.add(
                tenant,
                "process_ops",
                request.model_dump(mode="json"),
                result.model_dump(mode="json"),
                mode="llm" if result.mode == "llm" else "template",
                model=result.model,
                user_id=user_id,
            )
        return results

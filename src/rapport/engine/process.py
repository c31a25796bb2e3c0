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
        tenant = self._s.tenant(tenant)
        allow = user_id is None or not self._s.store.get_user(tenant, user_id).ai_opt_out
        result = self._s.process_assistant.operations(request, allow_llm=allow)
        GenerationStore(self._s.store).add(
            tenant,
            "process_ops",
            request.model_dump(mode="json"),
            result.model_dump(mode="json"),
            mode="llm" if result.mode == "llm" else "template",
            model=result.model,
            user_id=user_id,
        )
        return result

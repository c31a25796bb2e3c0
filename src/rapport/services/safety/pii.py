"""Personal data in free text, for services: the detection itself is `rapport.core.pii`
(core, because the LLM gateway and the log processor redact with it)."""

from __future__ import annotations

from rapport.core.pii import Finding, find_pii, redact, redact_value

__all__ = ["Finding", "find_pii", "redact", "redact_value"]

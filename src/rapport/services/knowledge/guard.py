"""Retrieved text is data, never instructions: spotting sentences that try to steer the
assistant, so they are neither quoted as answers nor shown to a language model."""

from __future__ import annotations

import re

# Phrases that address the assistant rather than inform the reader.
_INJECTION = re.compile(
    r"(ignore|disregard|forget|override)\b[^.!?\n]{0,40}\b(previous|prior|above|earlier|all|"
    r"your|the)\b[^.!?\n]{0,30}\b(instructions?|rules|prompts?|directions)"
    r"|\b(system prompt|developer message|you are now|act as|pretend to be|jailbreak)\b"
    r"|\b(as an ai|ai assistant|language model)\b[^.!?\n]{0,40}\b(must|should|will|always)\b"
    r"|\b(respond|reply|answer|say)\s+only\s+(with|in)\b"
    r"|<\s*/?\s*(system|assistant|instructions?)\s*>",
    re.IGNORECASE,
)


def looks_like_injection(text: str) -> bool:
    """True when the text contains an instruction aimed at the assistant."""
    return bool(_INJECTION.search(text))

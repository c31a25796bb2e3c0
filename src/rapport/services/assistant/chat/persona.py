"""The tenant's persona: who the assistant speaks as, and how.

With a language model the persona becomes the system prompt; without one its greeting,
sign-off and tone words are what the reply templates say."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from rapport.core.models import Strict

Tone = Literal["warm", "friendly", "professional", "direct", "playful", "calm"]

# Template wording per tone, used when no language model writes the reply.
_TONE_WORDS: dict[str, dict[str, str]] = {
    "warm": {
        "greeting": "Hi {name}, lovely to hear from you.",
        "sign_off": "I'm here whenever you need me.",
        "found": "Here is what I found for you",
        "none": "I couldn't find anything for that yet, but let's keep looking together.",
    },
    "friendly": {
        "greeting": "Hey {name}!",
        "sign_off": "Talk soon!",
        "found": "Here's what I found",
        "none": "Nothing turned up for that yet. Want to try it another way?",
    },
    "professional": {
        "greeting": "Hello {name}.",
        "sign_off": "Let me know if there is anything else I can do.",
        "found": "These are the results",
        "none": "I did not find anything matching that request.",
    },
    "direct": {
        "greeting": "Hi {name}.",
        "sign_off": "",
        "found": "Results",
        "none": "Nothing found.",
    },
    "playful": {
        "greeting": "Hey there {name}!",
        "sign_off": "Onwards and upwards!",
        "found": "Ta-da, look what turned up",
        "none": "Hmm, came up empty on that one. Shall we try a different angle?",
    },
    "calm": {
        "greeting": "Hello {name}, take your time.",
        "sign_off": "One step at a time.",
        "found": "Here is what I found",
        "none": "I didn't find anything for that. That's alright, we can try another way.",
    },
}


class Persona(Strict):
    """Who the assistant speaks as (one per tenant): `PUT /persona`, `rapport persona set`."""

    name: str = Field(default="Rapport", min_length=1, max_length=100)
    """The name the assistant uses for itself (a coach, a brand, a mentor)."""
    expertise: str = Field(default="", max_length=500)
    """What the persona is an expert in ("career coaching for designers")."""
    methodology: str = Field(default="", max_length=4000)
    """How the persona works with people: principles, steps, what it insists on."""
    tone: Tone = "warm"
    """warm, friendly, professional, direct, playful or calm: the voice of every reply."""
    language: str = Field(default="en", min_length=2, max_length=16)
    """Language to reply in (a code such as `en`, `fr`); templates are written in English."""
    sample_texts: list[str] = Field(default_factory=list, max_length=10)
    """A few texts in the persona's own voice, for the model to imitate."""
    greeting: str | None = Field(default=None, max_length=300)
    """Opening line of a conversation; `{name}` becomes the user's name or id. Default: by
    tone."""
    sign_off: str | None = Field(default=None, max_length=300)
    """Closing line of template replies. Default: by tone."""

    def wording(self, key: str) -> str:
        """Template wording for this persona's tone (the persona's own greeting and
        sign-off win over the tone's)."""
        if key == "greeting" and self.greeting is not None:
            return self.greeting
        if key == "sign_off" and self.sign_off is not None:
            return self.sign_off
        return _TONE_WORDS[self.tone][key]

    def system_prompt(self) -> str:
        """The part of the system prompt that sets the voice."""
        lines = [f"You are {self.name}, an assistant on a personalised coaching platform."]
        if self.expertise:
            lines.append(f"Your expertise: {self.expertise}.")
        if self.methodology:
            lines.append(f"Your methodology, which every answer follows:\n{self.methodology}")
        lines.append(
            f"Your tone is {self.tone}. Reply in the language with code '{self.language}'."
        )
        if self.sample_texts:
            samples = "\n".join(f"- {text}" for text in self.sample_texts[:5])
            lines.append(
                f"Examples of how you write (imitate the voice, not the content):\n{samples}"
            )
        return "\n".join(lines)

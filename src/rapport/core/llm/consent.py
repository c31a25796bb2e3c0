"""Whether the language model may make a user's output: one switch every feature asks."""

from __future__ import annotations

from collections.abc import Callable

from rapport.core.models import User

LlmAllowed = Callable[[str, User], bool]
"""`(tenant, user) -> bool`: may the language model write for this user."""


def opted_in(tenant: str, user: User) -> bool:
    """The user's own switch alone: no language model after opting out of AI features."""
    return not user.ai_opt_out

"""rapport: a self-hosted, local-first AI personalization engine."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rapport.engine import Engine

__all__ = ["Engine"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # Imported lazily so `rapport --help` does not load the whole engine.
    if name == "Engine":
        from rapport.engine import Engine

        return Engine
    raise AttributeError(name)

"""Retrieved text is data, never instructions. The detector lives in
`rapport.services.safety.injection` (rules, Unicode normalisation and embedding similarity);
this module keeps the rules-only check for callers without an embedding model."""

from __future__ import annotations

from rapport.services.safety.injection import looks_like_injection

__all__ = ["looks_like_injection"]

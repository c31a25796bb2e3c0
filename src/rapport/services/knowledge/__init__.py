"""Knowledge base: per-tenant documents, loaded from files or records, chunked and embedded."""

from rapport.services.knowledge.base import ChunkHit, KnowledgeBase, KnowledgeReport
from rapport.services.knowledge.chunking import Chunker, ChunkingConfig
from rapport.services.knowledge.loaders import discover, load_paths, record_documents

__all__ = [
    "ChunkHit",
    "Chunker",
    "ChunkingConfig",
    "KnowledgeBase",
    "KnowledgeReport",
    "discover",
    "load_paths",
    "record_documents",
]

"""Search over a tenant's chunks: hybrid dense + BM25 retrieval with pseudo-relevance feedback."""

from rapport.services.search.retriever import Hit, HybridRetriever, RetrieverConfig

__all__ = ["Hit", "HybridRetriever", "RetrieverConfig"]

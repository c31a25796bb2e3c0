"""Vectors: text embedding back ends, the content-hash cache and vector search indexes."""

"""Core: domain models, configuration, storage, vectors and the LLM gateway."""

"""A local server speaking the OpenAI HTTP protocol, standing in for Ollama/vLLM/hosted APIs,
and the rerank protocol those servers share.

Embeddings are deterministic hashed bags of words, so similar texts get similar vectors;
rerank scores are the share of the query's words a document holds.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import numpy as np
from fastapi import FastAPI, Header, HTTPException

DIM = 256


def bag_of_words(text: str) -> list[float]:
    vector = np.zeros(DIM)
    for word in re.findall(r"[a-z]+", text.lower()):
        vector[int(hashlib.md5(word.encode()).hexdigest(), 16) % DIM] += 1.0
    return vector.tolist()


def create_stub(api_key: str = "test-key") -> FastAPI:
    app = FastAPI()
    app.state.requests = []
    app.state.reranked = []

    @app.post("/v1/embeddings")
    def embeddings(body: dict[str, Any], authorization: str = Header("")) -> dict[str, Any]:
        if authorization != f"Bearer {api_key}":
            raise HTTPException(401, "bad key")
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        app.state.requests.append(len(texts))
        data = [
            {"object": "embedding", "index": i, "embedding": bag_of_words(t)}
            for i, t in reversed(list(enumerate(texts)))
        ]  # out of order on purpose
        return {
            "object": "list",
            "data": data,
            "model": body["model"],
            "usage": {"prompt_tokens": 0, "total_tokens": 0},
        }

    @app.post("/v1/rerank")
    def rerank(body: dict[str, Any], authorization: str = Header("")) -> dict[str, Any]:
        if authorization != f"Bearer {api_key}":
            raise HTTPException(401, "bad key")
        if "fail" in body["query"]:
            raise HTTPException(503, "model not loaded")
        app.state.reranked.append((body["model"], body["query"], len(body["documents"])))
        scores = [overlap(body["query"], text) for text in body["documents"]]
        best = sorted(range(len(scores)), key=lambda n: -scores[n])[: body["top_n"]]
        return {"results": [{"index": n, "relevance_score": scores[n]} for n in best]}

    return app


def overlap(query: str, text: str) -> float:
    """Share of the query's words found in `text`."""
    asked = set(re.findall(r"[a-z]+", query.lower()))
    return len(asked & set(re.findall(r"[a-z]+", text.lower()))) / max(len(asked), 1)

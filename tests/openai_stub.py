"""A local server speaking the OpenAI HTTP protocol, standing in for Ollama/vLLM/hosted APIs.

Embeddings are deterministic hashed bags of words, so similar texts get similar vectors.
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

    return app

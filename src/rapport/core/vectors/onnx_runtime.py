"""`OnnxEmbedder`: a local sentence-transformers model run by ONNX Runtime, optionally int8.

`SentenceTransformer(..., backend="onnx")` is not used because it needs `optimum-onnx`, whose
only release pins `transformers<4.58` while sentence-transformers needs `transformers>=5`.

Pooling (mean over the attention mask) and L2 normalisation replicate the sentence-transformers
modules, so fp32 vectors equal the torch ones (cosine 1.0000) and share their model name; int8
vectors (mean cosine ~0.995, -0.7% nDCG@10 on msmarco-5k) get a name of their own so stored
vectors of the two never mix.
"""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from typing import Any

import numpy as np
import structlog

from rapport.core.vectors.model_files import MINILM, resolve_model_path
from rapport.core.vectors.onnx_export import (
    INT8_SUFFIX,
    atomic_target,
    default_cache_dir,
    export_onnx,
    fingerprint,
    quantize_int8,
)

log = structlog.get_logger(__name__)

TOKENS_PER_BATCH = 512
"""Cap on padded tokens per ONNX Runtime call, on top of `batch_size`: on a 2-core CPU, int8
MiniLM runs ~1.5x faster in batches of ~512 tokens than in batches of 32 passages (~2,500)."""


class OnnxEmbedder:
    """A sentence-transformers model (mean pooling + normalisation) on ONNX Runtime's CPU.

    Export and quantisation happen on the first call that needs the model, into
    `cache_dir/<model folder>-<fingerprint>/` (the per-user cache by default; the fingerprint
    covers the model files and the export recipe); later constructions, in any process and
    for any data directory, only load the files.
    """

    def __init__(
        self,
        model: str = MINILM,
        cache_dir: Path | str | None = None,
        *,
        quantize: bool = True,
        batch_size: int = 32,
        threads: int = 2,
    ) -> None:
        self.model = model
        self.name = model + INT8_SUFFIX if quantize else model
        self.cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
        self.quantize = quantize
        self.batch_size = batch_size
        self.threads = threads
        self._session: Any = None
        self._tokenizer: Any = None
        self._dim: int | None = None
        self._lock = threading.Lock()

    # -- loading -----------------------------------------------------------------------------

    def model_dir(self) -> Path:
        path = Path(resolve_model_path(self.model))
        if not path.is_dir():
            raise FileNotFoundError(f"embedding model not found on disk: {path}")
        return path

    def onnx_path(self) -> Path:
        """The ONNX file this embedder runs, exported and quantised first when missing."""
        model_dir = self.model_dir()
        slug = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(self.model).name)
        folder = self.cache_dir / f"{slug}-{fingerprint(model_dir)}"
        folder.mkdir(parents=True, exist_ok=True)
        fp32 = folder / "model.onnx"
        if not fp32.exists():
            log.info("exporting embedding model to ONNX", model=self.model, path=str(fp32))
            with atomic_target(fp32) as temporary:
                export_onnx(model_dir, temporary)
        if not self.quantize:
            return fp32
        int8 = folder / "model_int8_per_channel.onnx"
        if not int8.exists():
            log.info("quantising ONNX embedding model", model=self.model, path=str(int8))
            with atomic_target(int8) as temporary:
                quantize_int8(fp32, temporary)
        return int8

    def _load(self) -> tuple[Any, Any]:
        with self._lock:
            if self._session is None:
                self._session, self._tokenizer, self._dim = self._build()
        return self._session, self._tokenizer

    def _build(self) -> tuple[Any, Any, int]:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        model_dir = self.model_dir()
        _check_pooling(model_dir)
        path = self.onnx_path()
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        if (model_dir / "tokenizer.json").exists():
            tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        else:  # older folders ship vocab.txt only: transformers builds the fast tokenizer
            from transformers import AutoTokenizer

            tokenizer = AutoTokenizer.from_pretrained(str(model_dir)).backend_tokenizer
        # tokenizer.json says 128 tokens; sentence-transformers truncates at max_seq_length.
        tokenizer.enable_truncation(max_length=_max_seq_length(model_dir))
        tokenizer.no_padding()  # padding is done per batch below, to the longest text
        config = json.loads((model_dir / "config.json").read_text())
        return session, tokenizer, int(config["hidden_size"])

    # -- Embedder protocol -------------------------------------------------------------------

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._load()
        assert self._dim is not None
        return self._dim

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        session, tokenizer = self._load()
        # Tokenise once and sort longest first by token count: batches of equal length pad
        # least (character counts are only a rough proxy).
        encodings = tokenizer.encode_batch(texts)
        lengths = np.array([len(encoding.ids) for encoding in encodings])
        order = np.argsort(-lengths, kind="stable")
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        start = 0
        while start < len(texts):
            longest = int(lengths[order[start]])
            size = max(1, min(self.batch_size, TOKENS_PER_BATCH // longest))
            rows = order[start : start + size]
            out[rows] = self._embed_batch(session, [encodings[i].ids for i in rows], longest)
            start += size
        return out

    def _embed_batch(self, session: Any, token_ids: list[list[int]], length: int) -> np.ndarray:
        ids = np.zeros((len(token_ids), length), dtype=np.int64)
        mask = np.zeros((len(token_ids), length), dtype=np.int64)
        for row, row_ids in enumerate(token_ids):
            ids[row, : len(row_ids)] = row_ids
            mask[row, : len(row_ids)] = 1
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        tokens = session.run(None, feed)[0]
        # Masked mean as one batched matmul: (batch, 1, tokens) @ (batch, tokens, dim).
        weights = mask.astype(np.float32)
        pooled = np.matmul(weights[:, None, :], tokens)[:, 0]
        pooled /= np.maximum(weights.sum(axis=1, keepdims=True), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)


def _max_seq_length(model_dir: Path) -> int:
    config = model_dir / "sentence_bert_config.json"
    if config.exists():
        return int(json.loads(config.read_text()).get("max_seq_length") or 256)
    return 256


def _check_pooling(model_dir: Path) -> None:
    """Only mean pooling is replicated; other models would silently get different vectors."""
    config = model_dir / "1_Pooling" / "config.json"
    if config.exists() and not json.loads(config.read_text()).get("pooling_mode_mean_tokens"):
        raise ValueError(f"{model_dir} does not use mean pooling, which OnnxEmbedder assumes")

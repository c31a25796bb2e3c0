"""`OnnxEmbedder`: a local sentence-transformers model run by ONNX Runtime, optionally int8.

The model is exported from its local folder with `torch.onnx.export` at first use and cached;
`onnxruntime.quantization` then quantises the weight matrices to int8, per channel. Nothing is
downloaded. `SentenceTransformer(..., backend="onnx")` is not used because it needs
`optimum-onnx`, whose only release pins `transformers<4.58` while sentence-transformers needs
`transformers>=5`.

Pooling (mean over the attention mask) and L2 normalisation replicate the sentence-transformers
modules, so fp32 vectors equal the torch ones (cosine 1.0000) and share their model name; int8
vectors (mean cosine ~0.995, -0.7% nDCG@10 on msmarco-5k) get a name of their own so stored
vectors of the two never mix.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import structlog

from rapport.core.vectors.embedders import MINILM, resolve_model_path

log = structlog.get_logger(__name__)

INT8_SUFFIX = "+onnx-int8"
EXPORT_VERSION = "1"
"""Bump when the export or quantisation recipe changes, so old cached files are not reused."""


def _fingerprint(model_dir: Path) -> str:
    """Identity of a model folder's weights: a changed model gets a fresh cache entry."""
    digest = hashlib.sha1(EXPORT_VERSION.encode())
    for name in ("config.json", "model.safetensors", "pytorch_model.bin", "tokenizer.json"):
        path = model_dir / name
        if path.exists():
            stat = path.stat()
            digest.update(f"{name}:{stat.st_size}:{int(stat.st_mtime)}".encode())
    return digest.hexdigest()[:12]


@contextmanager
def _atomic_target(final: Path) -> Iterator[Path]:
    """A temporary path next to `final`, renamed onto it on success: concurrent processes
    exporting the same model never see half-written files."""
    handle, name = tempfile.mkstemp(dir=final.parent, prefix=final.stem + ".", suffix=".tmp")
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        temporary.replace(final)
    finally:
        temporary.unlink(missing_ok=True)


def export_onnx(model_dir: Path, target: Path, opset: int = 17) -> None:
    """Export the transformer encoder (token embeddings) with dynamic batch and length axes."""
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(model_dir))
    model.eval()

    class TokenEmbeddings(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(
            self,
            input_ids: torch.Tensor,
            attention_mask: torch.Tensor,
            token_type_ids: torch.Tensor,
        ) -> torch.Tensor:
            return self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    ids = torch.ones((2, 16), dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    names = ["input_ids", "attention_mask", "token_type_ids"]
    with torch.no_grad():
        # The TorchScript exporter (dynamo=False) needs no extra packages and handles BERT.
        torch.onnx.export(
            TokenEmbeddings(model),
            (ids, torch.ones_like(ids), torch.zeros_like(ids)),
            str(target),
            input_names=names,
            output_names=["token_embeddings"],
            dynamic_axes={name: axes for name in [*names, "token_embeddings"]},
            opset_version=opset,
            do_constant_folding=True,
            dynamo=False,
        )


def quantize_int8(source: Path, target: Path) -> None:
    """Dynamic int8 quantisation of the weight matrices, one scale per output channel."""
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.quantization.shape_inference import quant_pre_process

    prepared = target.with_name(target.stem + ".pre.onnx")
    try:
        quant_pre_process(str(source), str(prepared), skip_symbolic_shape=True)
        quant_input = prepared
    except Exception:  # pre-processing only helps quantisation; the raw graph also works
        quant_input = source
    try:
        # Per channel is essential: per tensor drops cosine to torch from 0.995 to 0.958 and
        # costs 2.8% nDCG@10. MatMulConstBOnly leaves activation x activation products fp32.
        quantize_dynamic(
            str(quant_input),
            str(target),
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul", "Gemm"],
            extra_options={"MatMulConstBOnly": True},
        )
    finally:
        prepared.unlink(missing_ok=True)


class OnnxEmbedder:
    """A sentence-transformers model (mean pooling + normalisation) on ONNX Runtime's CPU.

    Export and quantisation happen on the first call that needs the model, into
    `cache_dir/<model folder>-<fingerprint>/`; later constructions only load the files.
    """

    def __init__(
        self,
        model: str = MINILM,
        cache_dir: Path | str = Path("rapport-data") / "cache" / "onnx",
        *,
        quantize: bool = True,
        batch_size: int = 32,
        threads: int = 2,
    ) -> None:
        self.model = model
        self.name = model + INT8_SUFFIX if quantize else model
        self.cache_dir = Path(cache_dir)
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
        folder = self.cache_dir / f"{slug}-{_fingerprint(model_dir)}"
        folder.mkdir(parents=True, exist_ok=True)
        fp32 = folder / "model.onnx"
        if not fp32.exists():
            log.info("exporting embedding model to ONNX", model=self.model, path=str(fp32))
            with _atomic_target(fp32) as temporary:
                export_onnx(model_dir, temporary)
        if not self.quantize:
            return fp32
        int8 = folder / "model_int8_per_channel.onnx"
        if not int8.exists():
            log.info("quantising ONNX embedding model", model=self.model, path=str(int8))
            with _atomic_target(int8) as temporary:
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
        # Longest first, like sentence-transformers: batches of similar length pad little.
        order = np.argsort([-len(text) for text in texts], kind="stable")
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), self.batch_size):
            rows = order[start : start + self.batch_size]
            out[rows] = self._embed_batch(session, tokenizer, [texts[i] for i in rows])
        return out

    def _embed_batch(self, session: Any, tokenizer: Any, texts: list[str]) -> np.ndarray:
        encodings = tokenizer.encode_batch(texts)
        length = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(texts), length), dtype=np.int64)
        mask = np.zeros((len(texts), length), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        tokens = session.run(
            None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        )[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (tokens * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
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


def make_onnx_embedder(
    embedding_model: str = MINILM,
    data: Path | str = Path("rapport-data"),
    embedding_batch_size: int = 32,
    *,
    quantize: bool = True,
    threads: int = 2,
) -> OnnxEmbedder:
    """The `onnx` embedding provider, from the same settings the other providers read;
    the export cache lives in `<data>/cache/onnx`."""
    return OnnxEmbedder(
        embedding_model,
        Path(data) / "cache" / "onnx",
        quantize=quantize,
        batch_size=embedding_batch_size,
        threads=threads,
    )

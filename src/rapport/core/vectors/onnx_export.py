"""Turning a local sentence-transformers model into a fused ONNX graph, and quantising it to
int8: run once per model and recipe, by `OnnxEmbedder` on first use.

The export uses `torch.onnx.export` from the model's local folder; attention, LayerNorm and
GELU subgraphs are fused by `onnxruntime.transformers.optimizer`; `onnxruntime.quantization`
then quantises the weight matrices (fused attention included) to int8, per channel. Nothing
is downloaded.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

EXPORT_VERSION = "2"
"""Bump when the export or quantisation recipe changes: old cached files are not reused, and
int8 vectors of different recipes never mix (the version is part of their model name)."""
INT8_SUFFIX = f"+onnx-int8-v{EXPORT_VERSION}"


def default_cache_dir() -> Path:
    """The per-user cache (e.g. `~/.cache/rapport/onnx` on Linux): one export per machine,
    shared by every data directory, test and command."""
    from platformdirs import user_cache_path

    return user_cache_path("rapport", appauthor=False) / "onnx"


def fingerprint(model_dir: Path) -> str:
    """Identity of a model folder's weights: a changed model gets a fresh cache entry."""
    digest = hashlib.sha1(EXPORT_VERSION.encode())
    for name in ("config.json", "model.safetensors", "pytorch_model.bin", "tokenizer.json"):
        path = model_dir / name
        if path.exists():
            stat = path.stat()
            digest.update(f"{name}:{stat.st_size}:{int(stat.st_mtime)}".encode())
    return digest.hexdigest()[:12]


@contextmanager
def atomic_target(final: Path) -> Iterator[Path]:
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
    """Export the transformer encoder (token embeddings) with dynamic batch and length axes,
    then fuse it for ONNX Runtime's CPU kernels."""
    import torch
    from transformers import AutoModel

    # Eager attention exports the matmul/softmax pattern the fusion below recognises; the
    # default SDPA export is left unfused and runs ~1.2x slower.
    model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager")
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
    raw = target.with_name(target.stem + ".raw.onnx")
    try:
        with torch.no_grad():
            # The TorchScript exporter (dynamo=False) needs no extra packages and handles BERT.
            torch.onnx.export(
                TokenEmbeddings(model),
                (ids, torch.ones_like(ids), torch.zeros_like(ids)),
                str(raw),
                input_names=names,
                output_names=["token_embeddings"],
                dynamic_axes={name: axes for name in [*names, "token_embeddings"]},
                opset_version=opset,
                do_constant_folding=True,
                dynamo=False,
            )
        _fuse(raw, target, model.config.num_attention_heads, model.config.hidden_size)
    finally:
        raw.unlink(missing_ok=True)


@contextmanager
def root_logging_kept() -> Iterator[None]:
    """onnxruntime's tools log through the root logger with `logging.warning`, which installs
    a stderr handler for the whole process; other libraries' debug lines (bm25s) then print.
    Put the root logger back as it was."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def _fuse(source: Path, target: Path, num_heads: int, hidden_size: int) -> None:
    """Fused Attention, EmbedLayerNormalization, SkipLayerNormalization and BiasGelu nodes:
    fewer, faster kernels, and an Attention node that int8 quantisation turns into QAttention.
    Exact in fp32 (cosine to torch 1.0000)."""
    from onnxruntime.transformers.optimizer import optimize_model

    # opt_level=1 keeps the saved graph free of hardware-specific rewrites; the session
    # applies the rest (ORT_ENABLE_ALL) at load time.
    with root_logging_kept():
        fused = optimize_model(
            str(source),
            model_type="bert",
            num_heads=num_heads,
            hidden_size=hidden_size,
            opt_level=1,
        )
        fused.save_model_to_file(str(target))


def quantize_int8(source: Path, target: Path) -> None:
    """Dynamic int8 quantisation of the weight matrices, one scale per output channel."""
    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # Per channel is essential: per tensor drops cosine to torch from 0.995 to 0.958 and
    # costs 2.8% nDCG@10. MatMulConstBOnly leaves activation x activation products fp32;
    # fused Attention nodes become QAttention. Shape inference cannot type the outputs of
    # the fused (com.microsoft) nodes, hence DefaultTensorType.
    with root_logging_kept():
        quantize_dynamic(
            str(source),
            str(target),
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul", "Attention", "Gemm"],
            extra_options={"MatMulConstBOnly": True, "DefaultTensorType": TensorProto.FLOAT},
        )

"""Grouped-query attention: H query heads share K < H key/value heads, shrinking the KV cache H/K times.

Seed, day 14. Ainslie et al., "GQA: Training Generalized Multi-Query Transformer Models from
Multi-Head Checkpoints" (2023); Shazeer, "Fast Transformer Decoding: One Write-Head is All You
Need" (2019). K = H is multi-head attention, K = 1 multi-query attention. A pure-numpy
decoder-only transformer (picoGPT style) with rotary embeddings and a KV cache that rolls back,
exact KV memory accounting, safetensors checkpoints, MHA-to-GQA conversion by mean-pooling, and the
uptraining of a trained byte-level MHA model's conversions (``uptraining``).
"""

from livingspec.gqa.attention import (
    KVCache,
    LayerCache,
    apply_rope,
    causal_mask,
    grouped_attention,
    reference_attention,
    rope_tables,
)
from livingspec.gqa.checkpoint import load_model, save_model
from livingspec.gqa.config import DTYPES, GPTConfig
from livingspec.gqa.convert import convert_params, convert_to_gqa, mean_pool_heads
from livingspec.gqa.errors import CacheError, CheckpointError, ConfigError, GQAError, ShapeError, UnknownModelError
from livingspec.gqa.examples import LAYER_HEAD_DIM, attention_inputs, seeded_prompt, tiny_transformer
from livingspec.gqa.fused import FusedCache, FusedTransformer
from livingspec.gqa.memory import (
    DESCRIPTION_FIELDS,
    DTYPE_BYTES,
    GB,
    GIB,
    NAMED_MODELS,
    AttentionShape,
    KVMemory,
    accounting_records,
    attention_kind,
    decode_bytes_read,
    dtype_bytes,
    kv_cache_memory,
    named_model,
)
from livingspec.gqa.model import (
    Params,
    Transformer,
    attention_block,
    check_params,
    greedy_generate,
    init_params,
    param_shapes,
    rms_norm,
)
from livingspec.gqa.quality import ConversionError, conversion_errors
from livingspec.gqa.uptraining import (
    TRAINED_TARGET_FILE,
    UPTRAINING_FILE,
    UptrainingRun,
    load_uptraining,
    original_steps,
    pooled_loss,
    validation_loss,
    validation_windows,
)

__all__ = [
    "DESCRIPTION_FIELDS",
    "DTYPES",
    "DTYPE_BYTES",
    "GB",
    "GIB",
    "LAYER_HEAD_DIM",
    "NAMED_MODELS",
    "TRAINED_TARGET_FILE",
    "UPTRAINING_FILE",
    "AttentionShape",
    "CacheError",
    "CheckpointError",
    "ConfigError",
    "ConversionError",
    "FusedCache",
    "FusedTransformer",
    "GPTConfig",
    "GQAError",
    "KVCache",
    "KVMemory",
    "LayerCache",
    "Params",
    "ShapeError",
    "Transformer",
    "UnknownModelError",
    "UptrainingRun",
    "accounting_records",
    "apply_rope",
    "attention_block",
    "attention_inputs",
    "attention_kind",
    "causal_mask",
    "check_params",
    "conversion_errors",
    "convert_params",
    "convert_to_gqa",
    "decode_bytes_read",
    "dtype_bytes",
    "greedy_generate",
    "grouped_attention",
    "init_params",
    "kv_cache_memory",
    "load_model",
    "load_uptraining",
    "mean_pool_heads",
    "named_model",
    "original_steps",
    "param_shapes",
    "pooled_loss",
    "reference_attention",
    "rms_norm",
    "rope_tables",
    "save_model",
    "seeded_prompt",
    "tiny_transformer",
    "validation_loss",
    "validation_windows",
]

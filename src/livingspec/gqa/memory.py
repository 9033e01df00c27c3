"""Exact KV cache accounting: bytes per token, per layer and in total, for any shape and dtype.

Every layer caches, for every token of every sequence in the batch, one key and one value vector
of head_dim numbers per key/value head:

    bytes per token per layer = 2 (K and V) x n_kv_heads x head_dim x bytes per number
    total = that x tokens x batch x layers

Query heads do not appear: that is why sharing key/value heads (GQA, MQA) shrinks the cache by
n_heads / n_kv_heads, whatever the context length.
"""

from __future__ import annotations

from dataclasses import dataclass

from livingspec.gqa.config import GPTConfig
from livingspec.gqa.errors import ConfigError, UnknownModelError

GIB = 1024**3
GB = 1000**3

#: bytes per number for the dtypes a KV cache is commonly held in.
DTYPE_BYTES: dict[str, int] = {"float32": 4, "float16": 2, "bfloat16": 2, "int8": 1, "fp8": 1}


@dataclass(frozen=True)
class AttentionShape:
    """What the KV cache depends on: layers, query heads, key/value heads, head width."""

    name: str
    n_layers: int
    n_heads: int
    n_kv_heads: int
    head_dim: int

    def __post_init__(self) -> None:
        for field in ("n_layers", "n_heads", "n_kv_heads", "head_dim"):
            value = getattr(self, field)
            if not isinstance(value, int) or value < 1:
                raise ConfigError(field, value, "must be a positive integer")
        if self.n_heads % self.n_kv_heads:
            raise ConfigError("n_kv_heads", self.n_kv_heads, f"must divide n_heads={self.n_heads}")

    @property
    def group_size(self) -> int:
        """Query heads per key/value head."""
        return self.n_heads // self.n_kv_heads

    def with_kv_heads(self, n_kv_heads: int) -> AttentionShape:
        """The same model with another number of key/value heads (n_heads is MHA, 1 is MQA)."""
        label = "MHA" if n_kv_heads == self.n_heads else "MQA" if n_kv_heads == 1 else f"GQA-{n_kv_heads}"
        return AttentionShape(f"{self.name} as {label}", self.n_layers, self.n_heads, n_kv_heads, self.head_dim)

    @classmethod
    def of(cls, config: GPTConfig, name: str = "model") -> AttentionShape:
        """The shape of a GPTConfig."""
        return cls(name, config.n_layer, config.n_head, config.n_kv_head, config.head_dim)


#: Published configurations (layers, query heads, KV heads, head dim).
NAMED_MODELS: dict[str, AttentionShape] = {
    shape.name: shape
    for shape in (
        AttentionShape("Llama 2 7B", 32, 32, 32, 128),
        AttentionShape("Llama 2 13B", 40, 40, 40, 128),
        AttentionShape("Llama 2 70B", 80, 64, 8, 128),
        AttentionShape("Llama 3 8B", 32, 32, 8, 128),
        AttentionShape("Llama 3 70B", 80, 64, 8, 128),
        AttentionShape("Mistral 7B", 32, 32, 8, 128),
        # The seed's LanguageModelWithGQA: 80 layers, 32 heads onto 8 KV heads, head dim 128.
        AttentionShape("seed model", 80, 32, 8, 128),
    )
}


def named_model(name: str) -> AttentionShape:
    """A published configuration by name (see NAMED_MODELS)."""
    if name not in NAMED_MODELS:
        raise UnknownModelError("model", name, sorted(NAMED_MODELS))
    return NAMED_MODELS[name]


def dtype_bytes(dtype: str) -> int:
    """Bytes per cached number for a dtype name."""
    if dtype not in DTYPE_BYTES:
        raise UnknownModelError("dtype", dtype, sorted(DTYPE_BYTES))
    return DTYPE_BYTES[dtype]


@dataclass(frozen=True)
class KVMemory:
    """The KV cache of one shape at one context length, batch and dtype; all sizes in bytes."""

    shape: AttentionShape
    tokens: int
    batch: int
    dtype: str
    per_token_per_layer: int  # 2 x n_kv_heads x head_dim x dtype bytes
    per_token: int  # all layers
    per_layer: int  # all tokens of all sequences
    total: int

    @property
    def total_gib(self) -> float:
        """Total in GiB (2^30 bytes)."""
        return self.total / GIB

    @property
    def total_gb(self) -> float:
        """Total in GB (10^9 bytes)."""
        return self.total / GB


def kv_cache_memory(shape: AttentionShape, tokens: int, batch: int = 1, dtype: str = "float16") -> KVMemory:
    """Exact KV cache bytes for a shape holding ``tokens`` tokens for each of ``batch`` sequences."""
    if tokens < 0 or batch < 1:
        raise ConfigError("tokens" if tokens < 0 else "batch", tokens if tokens < 0 else batch, "out of range")
    per_token_per_layer = 2 * shape.n_kv_heads * shape.head_dim * dtype_bytes(dtype)
    per_layer = per_token_per_layer * tokens * batch
    return KVMemory(
        shape=shape,
        tokens=tokens,
        batch=batch,
        dtype=dtype,
        per_token_per_layer=per_token_per_layer,
        per_token=per_token_per_layer * shape.n_layers,
        per_layer=per_layer,
        total=per_layer * shape.n_layers,
    )


def decode_bytes_read(shape: AttentionShape, context: int, dtype: str = "float16", batch: int = 1) -> int:
    """KV bytes one decode step reads: the whole cache once (what bounds decode speed by bandwidth)."""
    return kv_cache_memory(shape, context, batch, dtype).total

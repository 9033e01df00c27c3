"""The model configuration: one dataclass, a comment per field on the trade-off it sets (nanoGPT style)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from livingspec.gqa.errors import ConfigError

#: dtypes a model can hold its weights and KV cache in.
DTYPES = ("float32", "float16")


@dataclass(frozen=True)
class GPTConfig:
    """A decoder-only transformer with grouped-query attention (Llama-shaped, tiny by default)."""

    vocab_size: int = 64  # tokens the embedding and output head know; the head costs vocab_size * n_embd
    n_layer: int = 2  # blocks; each adds a KV cache of its own, so cache bytes grow linearly with it
    n_embd: int = 32  # residual width = n_head * head_dim
    n_head: int = 4  # query heads: more heads, more attention patterns, same FLOPs at fixed n_embd
    n_kv_head: int = 4  # key/value heads: n_head is MHA, 1 is MQA; the KV cache shrinks by n_head/n_kv_head
    mlp_hidden: int = 64  # SwiGLU hidden width; the MLP dominates parameters in real models
    max_seq_len: int = 128  # RoPE table length and KV cache capacity (tokens)
    rope_base: float = 10000.0  # RoPE frequency base; larger stretches the longest wavelength
    norm_eps: float = 1e-5  # RMSNorm epsilon: guards the division for an all-zero residual
    tied_head: bool = True  # output head = embedding transposed (fewer weights) or its own matrix
    dtype: str = "float32"  # weights and KV cache; float16 halves memory, numpy computes it more slowly
    init_std: float = 0.02  # standard deviation of the seeded normal initialisation

    def __post_init__(self) -> None:
        for name in ("vocab_size", "n_layer", "n_embd", "n_head", "n_kv_head", "mlp_hidden", "max_seq_len"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(name, value, "must be a positive integer")
        if self.n_embd % self.n_head:
            raise ConfigError("n_head", self.n_head, f"must divide n_embd={self.n_embd}")
        if self.head_dim % 2:
            raise ConfigError("n_embd", self.n_embd, f"head_dim={self.head_dim} must be even for rotary embeddings")
        if self.n_kv_head > self.n_head or self.n_head % self.n_kv_head:
            raise ConfigError("n_kv_head", self.n_kv_head, f"must divide n_head={self.n_head}")
        if self.dtype not in DTYPES:
            raise ConfigError("dtype", self.dtype, f"must be one of {', '.join(DTYPES)}")
        if not self.rope_base > 1.0:
            raise ConfigError("rope_base", self.rope_base, "must be greater than 1")

    @property
    def head_dim(self) -> int:
        """Width of one attention head."""
        return self.n_embd // self.n_head

    @property
    def group_size(self) -> int:
        """Query heads sharing one key/value head."""
        return self.n_head // self.n_kv_head

    @property
    def np_dtype(self) -> np.dtype[Any]:
        """The numpy dtype of weights and cache."""
        return np.dtype(self.dtype)

    def replace(self, **changes: Any) -> GPTConfig:
        """A copy with some fields changed (validated again)."""
        return GPTConfig(**{**asdict(self), **changes})

    def to_dict(self) -> dict[str, Any]:
        """The fields as plain values (stored in checkpoint metadata)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GPTConfig:
        """Rebuild from to_dict(); unknown keys raise ConfigError."""
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ConfigError(sorted(unknown)[0], data[sorted(unknown)[0]], "is not a configuration field")
        return cls(**data)

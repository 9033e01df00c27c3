"""Exact KV cache accounting: bytes per token, per layer and in total, for any shape and dtype.

Every layer caches, for every token of every sequence in the batch, one key and one value vector
of head_dim numbers per key/value head:

    bytes per token per layer = 2 (K and V) x n_kv_heads x head_dim x bytes per number
    total = that x tokens x batch x layers

Query heads do not appear: that is why sharing key/value heads (GQA, MQA) shrinks the cache by
n_heads / n_kv_heads, whatever the context length.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from livingspec.gqa.config import GPTConfig
from livingspec.gqa.errors import ConfigError, UnknownModelError

GIB = 1024**3
GB = 1000**3

#: The columns of a described model, in the order AttentionShape takes them.
DESCRIPTION_FIELDS = ("layers", "query heads", "key/value heads", "head dimension")


def attention_kind(n_heads: int, n_kv_heads: int) -> str:
    """MHA when every query head has its KV head, MQA with one KV head, GQA-<K> between."""
    return "MHA" if n_kv_heads == n_heads else "MQA" if n_kv_heads == 1 else f"GQA-{n_kv_heads}"


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

    @property
    def kind(self) -> str:
        """MHA (a KV head per query head), MQA (one KV head) or GQA-<K>."""
        return attention_kind(self.n_heads, self.n_kv_heads)

    def kv_head_of(self, query_head: int) -> int:
        """The key/value head query head ``query_head`` reads: h // group size."""
        if not 0 <= query_head < self.n_heads:
            raise ConfigError("query head", query_head, f"must lie in 0..{self.n_heads - 1}")
        return query_head // self.group_size

    def describe(self) -> dict[str, str]:
        """The description a scenario writes for this shape (the table's columns)."""
        return {
            "name": self.name,
            "layers": str(self.n_layers),
            "query heads": str(self.n_heads),
            "key/value heads": str(self.n_kv_heads),
            "head dimension": str(self.head_dim),
        }

    @classmethod
    def described(cls, description: Mapping[str, str], default_name: str = "described model") -> AttentionShape:
        """A shape from a description (the columns of ``describe()``; name optional); bad fields name themselves."""
        unknown = sorted(set(description) - set(DESCRIPTION_FIELDS) - {"name"})
        if unknown:
            raise ConfigError(unknown[0], description[unknown[0]], f"is not one of {', '.join(DESCRIPTION_FIELDS)}")
        missing = [f for f in DESCRIPTION_FIELDS if f not in description]
        if missing:
            raise ConfigError(missing[0], None, "is missing from the description")
        values: list[int] = []
        for label in DESCRIPTION_FIELDS:
            text = description[label].strip()
            if not text.isdigit():
                raise ConfigError(label, text, "must be a positive integer")
            values.append(int(text))
        name = description.get("name", "").strip() or default_name
        return cls(name, *values)

    def with_kv_heads(self, n_kv_heads: int) -> AttentionShape:
        """The same model with another number of key/value heads (n_heads is MHA, 1 is MQA)."""
        label = attention_kind(self.n_heads, n_kv_heads)
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

    def record(self) -> dict[str, str]:
        """One row of the accounting table: the shape, the formula's factors and every total."""
        s = self.shape
        return {
            "model": s.name,
            "layers": str(s.n_layers),
            "heads/KV": f"{s.n_heads}/{s.n_kv_heads}",
            "head dim": str(s.head_dim),
            "dtype": self.dtype,
            "tokens x batch": f"{self.tokens} x {self.batch}",
            "K,V x heads x dim x bytes": f"2 x {s.n_kv_heads} x {s.head_dim} x {DTYPE_BYTES[self.dtype]}",
            "bytes/token/layer": str(self.per_token_per_layer),
            "bytes/layer": str(self.per_layer),
            "total bytes": str(self.total),
            "GiB": f"{self.total_gib:.2f}",
            "GB": f"{self.total_gb:.2f}",
        }


def accounting_records(memories: Sequence[KVMemory]) -> list[dict[str, str]]:
    """The accounting table of several caches (e.g. a model and its MHA twin)."""
    return [memory.record() for memory in memories]


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

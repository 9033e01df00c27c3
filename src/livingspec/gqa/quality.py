"""How much a mean-pooled GQA conversion changes a model, before any uptraining.

The error of the first layer's attention output (and of the final logits) against the original
multi-head model, on one fixed input: larger groups average more heads together, so the error
grows from MHA (zero) through GQA to MQA. Ainslie et al. report the same order for quality.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from livingspec.gqa.attention import Array
from livingspec.gqa.convert import convert_to_gqa
from livingspec.gqa.memory import attention_kind
from livingspec.gqa.model import Transformer, attention_block, rms_norm


@dataclass(frozen=True)
class ConversionError:
    """Relative errors of a converted model against the original on one input."""

    n_kv_heads: int
    label: str  # MHA, GQA-<n>, MQA
    attention_error: float  # ||attn_gqa - attn_mha|| / ||attn_mha|| in layer 0
    logits_error: float  # the same for the final logits
    kv_bytes_ratio: float  # cache size against MHA


def _layer0_attention(model: Transformer, tokens: Array) -> Array:
    c, p = model.config, model.params
    x = p["tok_embeddings.weight"][tokens].astype(np.float32)  # [T, E]
    return attention_block(rms_norm(x, p["layers.0.attention_norm.weight"], c.norm_eps), p, 0, c, 0)  # [T, E]


def _relative(a: Array, b: Array) -> float:
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def conversion_errors(model: Transformer, tokens: Array, kv_heads: list[int]) -> list[ConversionError]:
    """The errors of mean-pooled conversions of ``model`` (MHA) to each key/value head count."""
    base_attention = _layer0_attention(model, tokens)
    base_logits = model.forward(tokens)
    rows = []
    for n_kv in kv_heads:
        converted = convert_to_gqa(model, n_kv)
        rows.append(
            ConversionError(
                n_kv_heads=n_kv,
                label=attention_kind(model.config.n_head, n_kv),
                attention_error=_relative(_layer0_attention(converted, tokens), base_attention),
                logits_error=_relative(converted.forward(tokens), base_logits),
                kv_bytes_ratio=n_kv / model.config.n_kv_head,
            )
        )
    return rows

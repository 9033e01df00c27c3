"""Steps of grouped-query attention: attention layers, tiny GQA transformers, KV cache accounting.

Phrases: a grouped-query attention layer with <h> query heads and <k> key/value heads; the attention
reads a random input of <t> tokens; the grouped attention equals multi-head attention on keys and
values repeated per group; the grouped attention maps query heads <list> to key/value head <k>; the
named attention configuration "<name>"; an attention model with <l> layers, <h> query heads, <k>
key/value heads and head dimension <d>; the attention model: (table); its KV cache is sized for <t>
tokens of batch <b> in <dtype>; the KV cache totals <x> GiB; a tiny GQA transformer with ...; the
transformer prefills / decodes / is rolled back / is converted / is saved as safetensors; a decode
step runs at a context of ...
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
from behave import given, then, when

from livingspec.gqa import (
    DTYPE_BYTES,
    DTYPES,
    GIB,
    LAYER_HEAD_DIM,
    NAMED_MODELS,
    TRAINED_TARGET_FILE,
    AttentionShape,
    ConfigError,
    ConversionError,
    GPTConfig,
    KVCache,
    KVMemory,
    Transformer,
    UptrainingRun,
    accounting_records,
    attention_inputs,
    conversion_errors,
    decode_bytes_read,
    grouped_attention,
    kv_cache_memory,
    load_model,
    load_uptraining,
    named_model,
    original_steps,
    pooled_loss,
    reference_attention,
    save_model,
    seeded_prompt,
    tiny_transformer,
    validation_windows,
)
from livingspec.gqa.attention import Array
from livingspec.runner import evidence, types
from livingspec.runner.types import choice
from livingspec.runner.world import need, world

types.register(
    GqaModel=choice("attention configuration", sorted(NAMED_MODELS), pattern=r"[^\"]+"),
    GqaDtype=choice("cache dtype", sorted(DTYPE_BYTES)),
    GqaWeightDtype=choice("weight dtype", DTYPES),
    UptrainingPhase=choice("uptraining phase", ["before", "after"]),
    SeedVerdict=choice("verdict", ["holds", "does not hold"], pattern=r"[a-z][a-z ]*[a-z]"),
)

MIB = 1024**2
SHAPE_GIVEN = 'Given the named attention configuration "Llama 2 70B"'
LAYER_GIVEN = "Given a grouped-query attention layer with 8 query heads and 2 key/value heads"
MODEL_GIVEN = "Given a tiny GQA transformer with 2 layers, 8 query heads and 2 key/value heads in float32"


@dataclass
class GqaWorld:
    """One scenario: an attention shape and its cache sizes, or a tiny transformer and its cache."""

    shape: AttentionShape | None = None  # what KV cache sizing reads (a layer, a named or described model)
    layer: tuple[Array, Array] | None = None  # grouped and reference attention outputs [H, T, D]
    memory: KVMemory | None = None  # the shape's KV cache
    mha_memory: KVMemory | None = None  # the same shape with a KV head per query head
    read: tuple[int, int] | None = None  # bytes one decode step reads: GQA, MHA
    model: Transformer | None = None
    cache: KVCache | None = None
    tokens: list[int] = field(default_factory=list)  # prompt and decoded tokens
    logits: list[Array] = field(default_factory=list)  # per prefill/decode call, [T, V]
    conversions: list[ConversionError] | None = None
    configured: GPTConfig | ConfigError | None = None  # a configuration attempt and its outcome
    loaded: Transformer | None = None
    trained: Transformer | None = None  # the committed byte-level MHA target
    uptraining: list[UptrainingRun] | None = None  # the committed uptraining table

    def sized(self) -> tuple[KVMemory, KVMemory]:
        gqa = need(self.memory, "a sized KV cache", "When its KV cache is sized for 2048 tokens of batch 1 in float32")
        return gqa, need(self.mha_memory, "a sized KV cache", "When its KV cache is sized for ...")

    def transformer(self) -> Transformer:
        return need(self.model, "a tiny transformer", MODEL_GIVEN)

    def kv_cache(self) -> KVCache:
        return need(self.cache, "a transformer's KV cache", MODEL_GIVEN)

    def converted(self) -> list[ConversionError]:
        return need(
            self.conversions,
            "a conversion",
            "When the transformer is converted by mean-pooling to 32, 8 key/value heads",
        )


def _w(context: Any) -> GqaWorld:
    return world(context, GqaWorld)


# --- attention layers -------------------------------------------------------------------------


@given("a grouped-query attention layer with {heads:d} query heads and {kv_heads:d} key/value heads")
def step_attention_layer(context: Any, heads: int, kv_heads: int) -> None:
    """One attention layer of H query heads on K key/value heads (head dimension 16); its KV cache can be sized too."""
    _w(context).shape = AttentionShape("attention layer", 1, heads, kv_heads, LAYER_HEAD_DIM)


@when("the attention reads a random input of {tokens:d} tokens")
def step_attention_input(context: Any, tokens: int) -> None:
    """Draw seeded queries [H, T, D], keys and values [K, T, D] and run both attention paths."""
    w = _w(context)
    shape = need(w.shape, "an attention layer", LAYER_GIVEN)
    q, k, v = attention_inputs(shape.n_heads, shape.n_kv_heads, tokens)
    w.layer = grouped_attention(q, k, v), reference_attention(q, k, v)


@then("the grouped attention equals multi-head attention on keys and values repeated per group")
def step_attention_equal(context: Any) -> None:
    """Compare the grouped path with the repeat-then-MHA reference to float32 tolerance (1e-5)."""
    fast, reference = need(
        _w(context).layer, "attention outputs", "When the attention reads a random input of 5 tokens"
    )
    diff = float(np.abs(fast - reference).max())
    evidence.attach_text("largest difference", f"max |grouped - repeated MHA| = {diff:.2e}")
    assert diff < 1e-5, f"expected the grouped attention to equal repeated MHA, largest difference {diff:.2e}"


@then('the grouped attention is called "{kind}"')
def step_attention_kind(context: Any, kind: str) -> None:
    """Check the name of the grouping (MHA, GQA-<k>, MQA)."""
    shape = need(_w(context).shape, "an attention layer", LAYER_GIVEN)
    assert shape.kind == kind, f"expected {kind}, {shape.n_heads} heads on {shape.n_kv_heads} KV heads is {shape.kind}"


@then("the grouped attention maps query heads {heads:Ints} to key/value head {kv:d}")
def step_attention_map(context: Any, heads: list[int], kv: int) -> None:
    """Check which key/value head each query head reads (h // group size), shown as a table."""
    shape = need(_w(context).shape, "an attention layer", LAYER_GIVEN)
    rows = [(h, shape.kv_head_of(h)) for h in range(shape.n_heads)]
    evidence.attach_table("query head to key/value head", ["query head", "key/value head"], rows)
    seen = {h: shape.kv_head_of(h) for h in heads}
    assert all(value == kv for value in seen.values()), f"expected all to read KV head {kv}, saw {seen}"


# --- memory accounting ------------------------------------------------------------------------


@given('the named attention configuration "{name:GqaModel}"')
def step_named(context: Any, name: str) -> None:
    """A published configuration, a preset of the attention model description (layers, heads, KV heads, head dim)."""
    shape = named_model(name)
    evidence.attach_records(f"{name}, described", [shape.describe()])
    _w(context).shape = shape


@given(
    "an attention model with {layers:d} layers, {heads:d} query heads, {kv_heads:d} key/value heads "
    "and head dimension {head_dim:d}"
)
def step_described(context: Any, layers: int, heads: int, kv_heads: int, head_dim: int) -> None:
    """A model you describe: layers, query heads, key/value heads (dividing the query heads), head dimension."""
    _w(context).shape = AttentionShape("described model", layers, heads, kv_heads, head_dim)


@given("the attention model:")
def step_described_table(context: Any) -> None:
    """A model described by a table: columns layers, query heads, key/value heads, head dimension (name optional)."""
    rows = [{h: row[h] for h in context.table.headings} for row in context.table]
    if len(rows) != 1:
        raise ConfigError("attention model", len(rows), "is described by exactly one row")
    _w(context).shape = AttentionShape.described(rows[0])


@when("its KV cache is sized for {tokens:d} tokens of batch {batch:d} in {dtype:GqaDtype}")
def step_size(context: Any, tokens: int, batch: int, dtype: str) -> None:
    """Size the KV cache of the configuration and of its MHA twin (tokens of context, sequences, cache dtype)."""
    w = _w(context)
    shape = need(w.shape, "an attention model", SHAPE_GIVEN)
    w.memory = kv_cache_memory(shape, tokens, batch, dtype)
    w.mha_memory = kv_cache_memory(shape.with_kv_heads(shape.n_heads), tokens, batch, dtype)
    evidence.attach_records("KV cache accounting", accounting_records([w.memory, w.mha_memory]))


@then("the KV cache takes {mib:d} MiB per layer")
def step_per_layer(context: Any, mib: int) -> None:
    """Check the per-layer size in MiB (2^20 bytes)."""
    seen = _w(context).sized()[0].per_layer / MIB
    assert seen == mib, f"expected {mib} MiB per layer, computed {seen}"


@then("the KV cache totals {gib:Decimal} GiB")
def step_total(context: Any, gib: Decimal) -> None:
    """Check the total size in GiB (2^30 bytes, to the two decimals written)."""
    memory = _w(context).sized()[0]
    seen = round(Decimal(memory.total) / GIB, 2)
    assert seen == gib, f"expected {gib} GiB, computed {seen} GiB ({memory.total} bytes)"


@then("the same model with full multi-head attention needs a KV cache of {gib:Decimal} GiB")
def step_total_mha(context: Any, gib: Decimal) -> None:
    """Check the MHA twin's total in GiB (2^30 bytes)."""
    seen = round(Decimal(_w(context).sized()[1].total) / GIB, 2)
    assert seen == gib, f"expected MHA to need {gib} GiB, computed {seen} GiB"


@then("the KV cache saving against full multi-head attention is {gib:Decimal} GiB, a {ratio:d}x reduction")
def step_saving(context: Any, gib: Decimal, ratio: int) -> None:
    """Check the saving in GiB and the ratio of MHA to GQA (query heads per KV head)."""
    gqa, mha = _w(context).sized()
    saving = round(Decimal(mha.total - gqa.total) / GIB, 2)
    seen_ratio = mha.total / gqa.total
    assert saving == gib, f"expected a saving of {gib} GiB, computed {saving}"
    assert seen_ratio == ratio, f"expected a {ratio}x reduction, computed {seen_ratio}x"


@then("the seed's printed KV cache figures of {gqa:Decimal} GB and {mha:Decimal} GB do not follow from its formula")
def step_seed_wrong(context: Any, gqa: Decimal, mha: Decimal) -> None:
    """Show the seed's figures beside the formula's, in GiB and GB, and check they differ."""
    gqa_mem, mha_mem = _w(context).sized()
    rows = [
        ("GQA (8 KV heads)", str(gqa), f"{gqa_mem.total_gib:.2f}", f"{gqa_mem.total_gb:.2f}"),
        ("MHA (32 KV heads)", str(mha), f"{mha_mem.total_gib:.2f}", f"{mha_mem.total_gb:.2f}"),
    ]
    evidence.attach_table("the seed against its own formula", ["cache", "seed prints", "GiB", "GB"], rows)
    for printed, memory in ((gqa, gqa_mem), (mha, mha_mem)):
        options = {round(Decimal(memory.total_gib), 2), round(Decimal(memory.total_gb), 2)}
        assert printed not in options, f"the seed's {printed} matches the formula ({options}) after all"
    assert mha / gqa == 4, f"the seed's own ratio {mha / gqa} should be the 4x that holds"
    evidence.seed_correction(
        f"{gqa} GB (GQA) and {mha} GB (MHA)",
        f"{gqa_mem.total_gib:.2f} GiB and {mha_mem.total_gib:.2f} GiB ({gqa_mem.total_gb:.2f} and {mha_mem.total_gb:.2f} GB)",
        "2 x 8 KV heads x 2048 tokens x 128 x 4 bytes x 80 layers; the seed's 4x ratio holds, its figures do not",
    )


@when("a decode step runs at a context of {tokens:d} tokens in {dtype:GqaDtype}")
def step_decode_bytes(context: Any, tokens: int, dtype: str) -> None:
    """Count the KV bytes one decode step reads, for the configuration and its MHA twin (tokens of context)."""
    w = _w(context)
    shape = need(w.shape, "an attention model", SHAPE_GIVEN)
    w.read = (
        decode_bytes_read(shape, tokens, dtype),
        decode_bytes_read(shape.with_kv_heads(shape.n_heads), tokens, dtype),
    )


@then("the decode step reads {gqa:d} MiB of KV cache with {kv:d} KV heads and {mha:d} MiB with {heads:d}")
def step_decode_read(context: Any, gqa: int, kv: int, mha: int, heads: int) -> None:
    """Check the bytes read per decode step (MiB) for both head counts."""
    w = _w(context)
    shape = need(w.shape, "an attention model", SHAPE_GIVEN)
    read = need(w.read, "a decode step", "When a decode step runs at a context of 512 tokens in float16")
    assert (shape.n_kv_heads, shape.n_heads) == (kv, heads), f"the configuration has {shape}"
    seen = (read[0] / MIB, read[1] / MIB)
    evidence.attach_table("bytes read per decode step", ["attention", "MiB"], [(shape.kind, seen[0]), ("MHA", seen[1])])
    assert seen == (gqa, mha), f"expected {gqa} and {mha} MiB read per step, computed {seen}"


# --- the transformer --------------------------------------------------------------------------


@given(
    "a tiny GQA transformer with {layers:d} layers, {heads:d} query heads and {kv_heads:d} key/value heads "
    "in {dtype:GqaWeightDtype}"
)
def step_tiny(context: Any, layers: int, heads: int, kv_heads: int, dtype: str) -> None:
    """Build a seeded tiny transformer (head dim 8, vocabulary 64) and an empty KV cache."""
    w = _w(context)
    w.model = tiny_transformer(layers, heads, kv_heads, dtype)
    w.cache, w.tokens, w.logits = w.model.new_cache(), [], []


@when("the transformer prefills a prompt of {tokens:d} tokens into its KV cache")
def step_prefill(context: Any, tokens: int) -> None:
    """Run a seeded prompt through the empty cache."""
    w = _w(context)
    w.tokens = seeded_prompt(tokens)
    w.logits = [w.transformer().prefill(w.tokens, w.kv_cache())]


@when("the transformer decodes {count:d} more tokens one at a time with its KV cache")
def step_decode(context: Any, count: int) -> None:
    """Decode greedily, one token per step, through the cache."""
    w = _w(context)
    need(w.logits or None, "a prefilled prompt", "When the transformer prefills a prompt of 6 tokens into its KV cache")
    for _ in range(count):
        token = int(np.argmax(w.logits[-1][-1]))
        w.tokens.append(token)
        w.logits.append(w.transformer().decode([token], w.kv_cache()))


@when("the transformer's KV cache is rolled back to {length:d} tokens")
def step_rollback(context: Any, length: int) -> None:
    """Forget the cache from a position on (and the tokens after it)."""
    w = _w(context)
    w.kv_cache().rollback(length)
    w.tokens = w.tokens[:length]


@then("the transformer's KV cache holds {bytes_:d} bytes, as the accounting predicts")
def step_cache_bytes(context: Any, bytes_: int) -> None:
    """Compare the cache's own size with the stated bytes and with the accounting formula."""
    w = _w(context)
    model, cache = w.transformer(), w.kv_cache()
    predicted = kv_cache_memory(AttentionShape.of(model.config), cache.length, 1, model.config.dtype).total
    evidence.attach_text("cache", f"{cache.length} tokens, {cache.nbytes} bytes held, {predicted} predicted")
    assert cache.nbytes == bytes_ == predicted, f"expected {bytes_}, cache holds {cache.nbytes}, formula {predicted}"


@then("the transformer's KV cache holds {length:d} tokens")
def step_cache_length(context: Any, length: int) -> None:
    """Check the number of cached positions."""
    held = _w(context).kv_cache().length
    assert held == length, f"expected {length} cached tokens, the cache holds {held}"


@then("the cached logits equal a full recomputation of all {count:d} tokens")
def step_cached_equal(context: Any, count: int) -> None:
    """Recompute the whole sequence without a cache and compare every position's logits (to 1e-4)."""
    w = _w(context)
    cached = np.vstack(w.logits)[:count]
    full = w.transformer().forward(w.tokens[:count])
    diff = float(np.abs(cached - full).max())
    evidence.attach_text("largest logit difference", f"{diff:.2e} over {count} positions")
    assert cached.shape == full.shape, f"expected {full.shape} logits, the cache gave {cached.shape}"
    assert diff < 1e-4, f"expected cached logits to equal the full pass, largest difference {diff:.2e}"


@then("decoding other tokens from there gives the logits of a fresh run")
def step_rollback_equal(context: Any) -> None:
    """Decode different tokens after the rollback and compare with a fresh cache that never saw the old ones."""
    w = _w(context)
    model, others = w.transformer(), seeded_prompt(3, seed=99)
    after = model.decode(others, w.kv_cache())
    fresh_cache = model.new_cache()
    model.prefill(w.tokens, fresh_cache)
    fresh = model.decode(others, fresh_cache)
    diff = float(np.abs(after - fresh).max())
    evidence.attach_text("largest logit difference", f"{diff:.2e} after rollback against a fresh cache")
    assert diff < 1e-5, f"expected identical logits after rollback, largest difference {diff:.2e}"


@given("a tiny multi-head transformer with {heads:d} query heads")
def step_tiny_mha(context: Any, heads: int) -> None:
    """Build a seeded one-layer MHA transformer with head dim 8."""
    _w(context).model = tiny_transformer(1, heads, heads)


@when("the transformer is converted by mean-pooling to {counts:Ints} key/value heads")
def step_convert(context: Any, counts: list[int]) -> None:
    """Convert the MHA model to each KV head count and measure the errors on a fixed 16-token input."""
    w = _w(context)
    w.conversions = conversion_errors(w.transformer(), np.array(seeded_prompt(16)), counts)
    rows = [
        (r.label, r.n_kv_heads, f"{r.kv_bytes_ratio:.3f}", f"{r.attention_error:.4f}", f"{r.logits_error:.4f}")
        for r in w.conversions
    ]
    heads = ["attention", "KV heads", "KV cache vs MHA", "attention error", "logits error"]
    evidence.attach_table("mean-pooled conversion error (relative L2, before uptraining)", heads, rows)
    figure = evidence.new_figure(5, 3)
    axes = figure.add_subplot()
    labels = [r.label for r in w.conversions]
    axes.plot(labels, [r.attention_error for r in w.conversions], "o-", label="layer-0 attention")
    axes.plot(labels, [r.logits_error for r in w.conversions], "s--", label="logits")
    axes.set_ylabel("relative error against MHA")
    axes.legend()
    evidence.attach_figure("conversion error by grouping", figure)


@then("the attention error against the original grows as the groups grow: {order}")
def step_convert_order(context: Any, order: str) -> None:
    """Check the errors are strictly increasing in the written order of labels (MHA < GQA-8 < ...)."""
    by_label = {r.label: r.attention_error for r in _w(context).converted()}
    labels = [part.strip() for part in order.split("<")]
    missing = [label for label in labels if label not in by_label]
    assert not missing, f"no conversion labelled {missing}; converted: {', '.join(by_label)}"
    errors = [by_label[label] for label in labels]
    assert all(a < b for a, b in pairwise(errors)), f"expected {order}, errors {by_label}"


@then("the conversion with {kv:d} key/value heads is exactly the original model")
def step_convert_identity(context: Any, kv: int) -> None:
    """Check the identity conversion has zero error."""
    row = next((r for r in _w(context).converted() if r.n_kv_heads == kv), None)
    assert row is not None, f"no conversion to {kv} key/value heads was made"
    assert row.attention_error == 0.0 == row.logits_error, f"expected no change, saw {row}"


@then(
    "without uptraining the mean-pooled conversions change the attention output by {errors:Numbers} of its norm "
    "for {labels:Words}"
)
def step_convert_not_close(context: Any, errors: list[Decimal], labels: list[str]) -> None:
    """Check each conversion's attention error (relative L2, two decimals) and set it against the seed's quality claim."""
    by_label = {r.label: r.attention_error for r in _w(context).converted()}
    missing = [label for label in labels if label not in by_label]
    assert not missing, f"no conversion labelled {missing}; converted: {', '.join(by_label)}"
    seen = [round(Decimal(by_label[label]), 2) for label in labels]
    figures = ", ".join(f"{label} {error}" for label, error in zip(labels, seen, strict=True))
    evidence.seed_correction(
        "Quality preservation: better than MQA, close to full MHA performance",
        f"mean-pooled without uptraining, layer-0 attention error (relative L2): {figures}; MHA 0. "
        "Ainslie et al. (2023): close to MHA only after uptraining with 5% of the pre-training compute "
        "(T5-XXL average 47.1 for GQA-8 against 47.2 for MHA and 46.6 for MQA)",
        "the seed states as a property of GQA what the paper reports after uptraining; conversion alone keeps "
        "'better than MQA' but changes most of the attention output, far from MHA",
    )
    assert seen == list(errors), f"expected errors {errors} for {labels}, measured {seen}"
    mqa = by_label.get("MQA", float("inf"))
    assert all(error < mqa for label, error in by_label.items() if label != "MQA"), (
        f"expected every GQA conversion to change less than MQA: {by_label}"
    )


@when("a GQA transformer is configured with {heads:d} query heads and {kv_heads:d} key/value heads")
def step_configure(context: Any, heads: int, kv_heads: int) -> None:
    """Try to build a configuration (head dim 8); keep it or the error."""
    w = _w(context)
    try:
        w.configured = GPTConfig(n_embd=8 * heads, n_head=heads, n_kv_head=kv_heads)
    except ConfigError as error:
        w.configured = error


@then("the GQA configuration is accepted with groups of {group:d}")
def step_accepted(context: Any, group: int) -> None:
    """Check the configuration was built with the stated group size (query heads per KV head)."""
    seen = need(
        _w(context).configured,
        "a configuration attempt",
        "When a GQA transformer is configured with 8 query heads and 2 key/value heads",
    )
    assert isinstance(seen, GPTConfig), f"expected acceptance, got {seen}"
    assert seen.group_size == group, f"expected groups of {group}, got {seen.group_size}"


@then("the GQA configuration is rejected naming {field}")
def step_rejected(context: Any, field: str) -> None:
    """Check a ConfigError naming the bad field was raised."""
    seen = need(
        _w(context).configured,
        "a configuration attempt",
        "When a GQA transformer is configured with 8 query heads and 3 key/value heads",
    )
    assert isinstance(seen, ConfigError), f"expected rejection, got {seen}"
    evidence.attach_text("error", str(seen))
    assert seen.field == field, f"expected the error to name {field}: {seen}"


@when("the transformer is saved as safetensors and loaded back")
def step_save_load(context: Any) -> None:
    """Write the weights to a temporary .safetensors file and read them back."""
    w = _w(context)
    folder = tempfile.TemporaryDirectory()
    context.add_cleanup(folder.cleanup)
    path = save_model(w.transformer(), Path(folder.name) / "model.safetensors")
    w.loaded = load_model(path)
    evidence.attach_text("checkpoint", f"{path.stat().st_size} bytes, {len(w.loaded.params)} tensors")


@then("the loaded transformer gives the same logits as the original")
def step_loaded_same(context: Any) -> None:
    """Compare weights and logits of the loaded and the original model."""
    w = _w(context)
    original = w.transformer()
    loaded = need(w.loaded, "a loaded checkpoint", "When the transformer is saved as safetensors and loaded back")
    assert loaded.config == original.config, f"expected config {original.config}, loaded {loaded.config}"
    tokens = seeded_prompt(8)
    same = np.array_equal(original.forward(tokens), loaded.forward(tokens))
    assert same, "expected identical logits from the loaded weights"


# --- uptraining a trained MHA model's conversions ------------------------------------------------

UPTRAINING_GIVEN = "Given the trained multi-head target and its committed uptraining table"


def _uptraining(w: GqaWorld) -> tuple[Transformer, list[UptrainingRun]]:
    model = need(w.trained, "the trained multi-head target", UPTRAINING_GIVEN)
    return model, need(w.uptraining, "the uptraining table", UPTRAINING_GIVEN)


def _run(runs: list[UptrainingRun], label: str) -> UptrainingRun:
    found = next((r for r in runs if r.label == label), None)
    assert found is not None, f"the uptraining table has no {label!r}; it has {', '.join(r.label for r in runs)}"
    return found


@given("the trained multi-head target and its committed uptraining table")
def step_uptraining_table(context: Any) -> None:
    """Load the committed byte-level MHA target and the uptraining table that make models wrote beside it."""
    w = _w(context)
    w.trained = load_model(TRAINED_TARGET_FILE)
    w.uptraining = load_uptraining()


@then(
    "the uptraining table shows MHA and each mean-pooled conversion before and after uptraining "
    "for {percent:d}% of the original steps"
)
def step_uptraining_shown(context: Any, percent: int) -> None:
    """Attach the table (validation loss, nats per byte) and the loss curves; check each run's step count."""
    model, runs = _uptraining(_w(context))
    mha = _run(runs, "MHA")
    rows = [
        (
            r.label,
            r.n_kv_heads,
            f"{r.n_kv_heads / model.config.n_head:.3f}",
            f"{r.before:.4f}",
            f"{r.after:.4f}",
            f"{100 * (r.before / mha.after - 1):+.1f}%",
            f"{100 * (r.after / mha.after - 1):+.1f}%",
        )
        for r in runs
    ]
    heads = ["model", "KV heads", "KV cache vs MHA", "loss before", "loss after", "before vs MHA", "after vs MHA"]
    evidence.attach_table(f"validation loss before and after {mha.steps} uptraining steps", heads, rows)
    figure = evidence.new_figure(5, 3.2)
    axes = figure.add_subplot()
    for r in runs:
        axes.plot([s for s, _ in r.curve], [v for _, v in r.curve], "o-", label=r.label, markersize=3)
    axes.set_xlabel("uptraining step")
    axes.set_ylabel("validation loss (nats / byte)")
    axes.legend()
    evidence.attach_figure("validation loss against uptraining steps", figure)
    expected = max(1, round(original_steps() * percent / 100))
    wrong = [(r.label, r.steps) for r in runs if r.steps != expected]
    assert not wrong, f"expected {expected} uptraining steps ({percent}% of {original_steps()}), saw {wrong}"


@then("mean-pooling the trained target to {kv:d} key/value heads gives the table's validation loss before uptraining")
def step_uptraining_recomputed(context: Any, kv: int) -> None:
    """Recompute in numpy, from the committed weights, one conversion's loss before uptraining (first windows, 0.1%)."""
    model, runs = _uptraining(_w(context))
    run = next((r for r in runs if r.n_kv_heads == kv), None)
    assert run is not None, f"the uptraining table has no conversion to {kv} key/value heads"
    seen = pooled_loss(model, kv, validation_windows()[: run.check_windows])
    evidence.attach_text(
        "recomputed",
        f"{run.label} on the first {run.check_windows} validation windows: the table (jax, make models) says "
        f"{run.check_before:.5f}, numpy on the committed weights gives {seen:.5f}",
    )
    assert abs(seen / run.check_before - 1) < 1e-3, f"expected {run.check_before:.5f} as in the table, got {seen:.5f}"


CLOSE = 0.05  # "close to MHA": validation loss within 5% of the multi-head model's


@then("after uptraining the validation losses are ordered {order}")
def step_uptraining_order(context: Any, order: str) -> None:
    """Check the losses after uptraining rise strictly in the written order of labels (MHA < GQA-4:1 < ...)."""
    _, runs = _uptraining(_w(context))
    labels = [part.strip() for part in order.split("<")]
    after = [_run(runs, label).after for label in labels]
    assert all(a < b for a, b in pairwise(after)), f"expected {order}, losses after uptraining {after}"


@then("{label} is between {low:d}% and {high:d}% above MHA's validation loss {phase:UptrainingPhase} uptraining")
def step_uptraining_gap(context: Any, label: str, low: int, high: int, phase: str) -> None:
    """Check a conversion's loss against MHA's at the same phase (before: the trained MHA; after: MHA uptrained alike)."""
    _, runs = _uptraining(_w(context))
    run, mha = _run(runs, label), _run(runs, "MHA")
    gap = 100 * ((run.before / mha.before) if phase == "before" else (run.after / mha.after)) - 100
    assert low <= gap <= high, f"expected {label} {low}..{high}% above MHA {phase} uptraining, it is {gap:+.1f}%"


@then('the seed\'s "close to full MHA performance" {verdict:SeedVerdict} after uptraining, "better than MQA" holds')
def step_uptraining_verdict(context: Any, verdict: str) -> None:
    """Judge the seed's claim by the table: close = a GQA conversion within 5% of MHA's loss; better = below MQA's."""
    _, runs = _uptraining(_w(context))
    mha, mqa = _run(runs, "MHA"), _run(runs, "MQA")
    grouped = [r for r in runs if r.label.startswith("GQA")]
    best = min(grouped, key=lambda r: r.after)
    gap = best.after / mha.after - 1
    figures = ", ".join(f"{r.label} {r.before:.3f} -> {r.after:.3f}" for r in runs)
    seen = "holds" if gap <= CLOSE else "does not hold"
    if seen == "does not hold":
        evidence.seed_correction(
            "Quality preservation: better than MQA, close to full MHA performance",
            f"validation loss (nats per byte) before -> after {best.steps} uptraining steps: {figures}; the closest "
            f"conversion, {best.label}, stays {gap:+.1%} from MHA",
            f"on this small byte-level model, uptraining for 5% of the original steps keeps GQA better than MQA but "
            f"not within {CLOSE:.0%} of MHA; Ainslie et al. report closeness for T5-XXL, a model and budget far larger",
        )
    assert all(r.after < mqa.after for r in grouped), f"expected every GQA conversion below MQA after: {figures}"
    assert seen == verdict, f"expected the claim to {verdict}; closest conversion {best.label} at {gap:+.1%} of MHA"

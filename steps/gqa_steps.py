"""Steps of grouped-query attention: attention layers, tiny GQA transformers, KV cache accounting.

Phrases: a grouped-query attention layer with <h> query heads and <k> key/value heads; the attention
reads a random input of <t> tokens; the grouped attention equals multi-head attention on keys and
values repeated per group; the grouped attention maps query heads <list> to key/value head <k>; the
named attention configuration "<name>"; its KV cache is sized for <t> tokens of batch <b> in <dtype>;
the KV cache totals <x> GiB; a tiny GQA transformer with ...; the transformer prefills / decodes /
is rolled back / is converted / is saved as safetensors; a decode step runs at a context of ...
"""

from __future__ import annotations

from decimal import Decimal
from itertools import pairwise

import numpy as np
from behave import given, then, when

from livingspec.gqa import (
    GIB,
    AttentionShape,
    ConfigError,
    GPTConfig,
    Transformer,
    conversion_errors,
    decode_bytes_read,
    grouped_attention,
    kv_cache_memory,
    load_model,
    named_model,
    reference_attention,
    save_model,
)
from livingspec.runner import evidence

MIB = 1024**2


def _kind(heads: int, kv_heads: int) -> str:
    return "MHA" if heads == kv_heads else "MQA" if kv_heads == 1 else f"GQA-{kv_heads}"


def _tiny(layers: int, heads: int, kv_heads: int, dtype: str = "float32") -> Transformer:
    config = GPTConfig(
        vocab_size=64, n_layer=layers, n_embd=8 * heads, n_head=heads, n_kv_head=kv_heads, mlp_hidden=64, dtype=dtype
    )
    return Transformer.init(config, seed=7)


def _prompt(count: int, seed: int = 1) -> list[int]:
    return [int(t) for t in np.random.default_rng(seed).integers(0, 64, count)]


# --- attention layers -------------------------------------------------------------------------


@given("a grouped-query attention layer with {heads:d} query heads and {kv_heads:d} key/value heads")
def step_attention_layer(context, heads, kv_heads):
    """Remember the head counts of an attention layer (head dimension 16)."""
    context.gqa_heads, context.gqa_kv_heads = heads, kv_heads


@when("the attention reads a random input of {tokens:d} tokens")
def step_attention_input(context, tokens):
    """Draw seeded queries [H, T, D], keys and values [K, T, D] and run both attention paths."""
    rng = np.random.default_rng(3)
    q = rng.standard_normal((context.gqa_heads, tokens, 16)).astype(np.float32)
    k = rng.standard_normal((context.gqa_kv_heads, tokens, 16)).astype(np.float32)
    v = rng.standard_normal((context.gqa_kv_heads, tokens, 16)).astype(np.float32)
    context.gqa_fast = grouped_attention(q, k, v)
    context.gqa_reference = reference_attention(q, k, v)


@then("the grouped attention equals multi-head attention on keys and values repeated per group")
def step_attention_equal(context):
    """Compare the grouped path with the repeat-then-MHA reference to float32 tolerance."""
    diff = float(np.abs(context.gqa_fast - context.gqa_reference).max())
    evidence.attach_text("largest difference", f"max |grouped - repeated MHA| = {diff:.2e}")
    assert diff < 1e-5, f"expected the grouped attention to equal repeated MHA, largest difference {diff:.2e}"


@then('the grouped attention is called "{kind}"')
def step_attention_kind(context, kind):
    """Check the name of the grouping (MHA, GQA-<k>, MQA)."""
    seen = _kind(context.gqa_heads, context.gqa_kv_heads)
    assert seen == kind, f"expected {kind}, {context.gqa_heads} heads on {context.gqa_kv_heads} KV heads is {seen}"


@then("the grouped attention maps query heads {heads:Ints} to key/value head {kv:d}")
def step_attention_map(context, heads, kv):
    """Check which key/value head each query head reads (h // group size), shown as a table."""
    group = context.gqa_heads // context.gqa_kv_heads
    rows = [(h, h // group) for h in range(context.gqa_heads)]
    evidence.attach_table("query head to key/value head", ["query head", "key/value head"], rows)
    seen = {h: h // group for h in heads}
    assert all(value == kv for value in seen.values()), f"expected all to read KV head {kv}, saw {seen}"


# --- memory accounting ------------------------------------------------------------------------


@given('the named attention configuration "{name}"')
def step_named(context, name):
    """Look a published configuration up (layers, query heads, KV heads, head dim)."""
    context.gqa_shape = named_model(name)


@when("its KV cache is sized for {tokens:d} tokens of batch {batch:d} in {dtype}")
def step_size(context, tokens, batch, dtype):
    """Size the KV cache of the configuration and of its MHA twin."""
    shape: AttentionShape = context.gqa_shape
    context.gqa_memory = kv_cache_memory(shape, tokens, batch, dtype)
    context.gqa_mha_memory = kv_cache_memory(shape.with_kv_heads(shape.n_heads), tokens, batch, dtype)
    rows = []
    for memory in (context.gqa_memory, context.gqa_mha_memory):
        s = memory.shape
        rows.append(
            (
                s.name,
                s.n_layers,
                f"{s.n_heads}/{s.n_kv_heads}",
                s.head_dim,
                f"2 x {s.n_kv_heads} x {s.head_dim} x {memory.per_token_per_layer // (2 * s.n_kv_heads * s.head_dim)}",
                memory.per_token_per_layer,
                memory.per_layer,
                memory.total,
                f"{memory.total_gib:.2f}",
                f"{memory.total_gb:.2f}",
            )
        )
    heads = ["model", "layers", "heads/KV", "head dim", "bytes/token/layer (K,V x heads x dim x bytes)"]
    heads += ["bytes/token/layer", "bytes/layer", "total bytes", "GiB", "GB"]
    evidence.attach_table("KV cache accounting", heads, rows)


@then("the KV cache takes {mib:d} MiB per layer")
def step_per_layer(context, mib):
    """Check the per-layer size in MiB."""
    seen = context.gqa_memory.per_layer / MIB
    assert seen == mib, f"expected {mib} MiB per layer, computed {seen}"


@then("the KV cache totals {gib:Decimal} GiB")
def step_total(context, gib):
    """Check the total size in GiB (to the two decimals written)."""
    seen = round(Decimal(context.gqa_memory.total) / GIB, 2)
    assert seen == gib, f"expected {gib} GiB, computed {seen} GiB ({context.gqa_memory.total} bytes)"


@then("the same model with full multi-head attention needs a KV cache of {gib:Decimal} GiB")
def step_total_mha(context, gib):
    """Check the MHA twin's total in GiB."""
    seen = round(Decimal(context.gqa_mha_memory.total) / GIB, 2)
    assert seen == gib, f"expected MHA to need {gib} GiB, computed {seen} GiB"


@then("the KV cache saving against full multi-head attention is {gib:Decimal} GiB, a {ratio:d}x reduction")
def step_saving(context, gib, ratio):
    """Check the saving in GiB and the ratio of MHA to GQA."""
    saving = round(Decimal(context.gqa_mha_memory.total - context.gqa_memory.total) / GIB, 2)
    seen_ratio = context.gqa_mha_memory.total / context.gqa_memory.total
    assert saving == gib, f"expected a saving of {gib} GiB, computed {saving}"
    assert seen_ratio == ratio, f"expected a {ratio}x reduction, computed {seen_ratio}x"


@then("the seed's printed KV cache figures of {gqa:Decimal} GB and {mha:Decimal} GB do not follow from its formula")
def step_seed_wrong(context, gqa, mha):
    """Show the seed's figures beside the formula's, in GiB and GB, and check they differ."""
    gqa_mem, mha_mem = context.gqa_memory, context.gqa_mha_memory
    rows = [
        ("GQA (8 KV heads)", str(gqa), f"{gqa_mem.total_gib:.2f}", f"{gqa_mem.total_gb:.2f}"),
        ("MHA (32 KV heads)", str(mha), f"{mha_mem.total_gib:.2f}", f"{mha_mem.total_gb:.2f}"),
    ]
    evidence.attach_table("the seed against its own formula", ["cache", "seed prints", "GiB", "GB"], rows)
    for printed, memory in ((gqa, gqa_mem), (mha, mha_mem)):
        options = {round(Decimal(memory.total_gib), 2), round(Decimal(memory.total_gb), 2)}
        assert printed not in options, f"the seed's {printed} matches the formula ({options}) after all"
    assert mha / gqa == 4, f"the seed's own ratio {mha / gqa} should be the 4x that holds"


@when("a decode step runs at a context of {tokens:d} tokens in {dtype}")
def step_decode_bytes(context, tokens, dtype):
    """Count the KV bytes one decode step reads, for the configuration and its MHA twin."""
    shape = context.gqa_shape
    context.gqa_read = decode_bytes_read(shape, tokens, dtype)
    context.gqa_read_mha = decode_bytes_read(shape.with_kv_heads(shape.n_heads), tokens, dtype)


@then("the decode step reads {gqa:d} MiB of KV cache with {kv:d} KV heads and {mha:d} MiB with {heads:d}")
def step_decode_read(context, gqa, kv, mha, heads):
    """Check the bytes read per decode step for both head counts."""
    shape = context.gqa_shape
    assert (shape.n_kv_heads, shape.n_heads) == (kv, heads), f"the configuration has {shape}"
    seen = (context.gqa_read / MIB, context.gqa_read_mha / MIB)
    assert seen == (gqa, mha), f"expected {gqa} and {mha} MiB read per step, computed {seen}"


# --- the transformer --------------------------------------------------------------------------


@given(
    "a tiny GQA transformer with {layers:d} layers, {heads:d} query heads and {kv_heads:d} key/value heads in {dtype}"
)
def step_tiny(context, layers, heads, kv_heads, dtype):
    """Build a seeded tiny transformer (head dim 8, vocabulary 64) and an empty KV cache."""
    context.gqa_model = _tiny(layers, heads, kv_heads, dtype)
    context.gqa_cache = context.gqa_model.new_cache()
    context.gqa_tokens = []
    context.gqa_logits = []


@when("the transformer prefills a prompt of {tokens:d} tokens into its KV cache")
def step_prefill(context, tokens):
    """Run a seeded prompt through the empty cache."""
    context.gqa_tokens = _prompt(tokens)
    context.gqa_logits = [context.gqa_model.prefill(context.gqa_tokens, context.gqa_cache)]


@when("the transformer decodes {count:d} more tokens one at a time with its KV cache")
def step_decode(context, count):
    """Decode greedily, one token per step, through the cache."""
    for _ in range(count):
        token = int(np.argmax(context.gqa_logits[-1][-1]))
        context.gqa_tokens.append(token)
        context.gqa_logits.append(context.gqa_model.decode([token], context.gqa_cache))


@when("the transformer's KV cache is rolled back to {length:d} tokens")
def step_rollback(context, length):
    """Forget the cache from a position on (and the tokens after it)."""
    context.gqa_cache.rollback(length)
    context.gqa_tokens = context.gqa_tokens[:length]


@then("the transformer's KV cache holds {bytes_:d} bytes, as the accounting predicts")
def step_cache_bytes(context, bytes_):
    """Compare the cache's own size with the stated bytes and with the accounting formula."""
    model, cache = context.gqa_model, context.gqa_cache
    predicted = kv_cache_memory(AttentionShape.of(model.config), cache.length, 1, model.config.dtype).total
    evidence.attach_text("cache", f"{cache.length} tokens, {cache.nbytes} bytes held, {predicted} predicted")
    assert cache.nbytes == bytes_ == predicted, f"expected {bytes_}, cache holds {cache.nbytes}, formula {predicted}"


@then("the transformer's KV cache holds {length:d} tokens")
def step_cache_length(context, length):
    """Check the number of cached positions."""
    assert context.gqa_cache.length == length, (
        f"expected {length} cached tokens, the cache holds {context.gqa_cache.length}"
    )


@then("the cached logits equal a full recomputation of all {count:d} tokens")
def step_cached_equal(context, count):
    """Recompute the whole sequence without a cache and compare every position's logits."""
    cached = np.vstack(context.gqa_logits)[:count]
    full = context.gqa_model.forward(context.gqa_tokens[:count])
    diff = float(np.abs(cached - full).max())
    evidence.attach_text("largest logit difference", f"{diff:.2e} over {count} positions")
    assert cached.shape == full.shape, f"expected {full.shape} logits, the cache gave {cached.shape}"
    assert diff < 1e-4, f"expected cached logits to equal the full pass, largest difference {diff:.2e}"


@then("decoding other tokens from there gives the logits of a fresh run")
def step_rollback_equal(context):
    """Decode different tokens after the rollback and compare with a fresh cache that never saw the old ones."""
    others = _prompt(3, seed=99)
    after = context.gqa_model.decode(others, context.gqa_cache)
    fresh_cache = context.gqa_model.new_cache()
    context.gqa_model.prefill(context.gqa_tokens, fresh_cache)
    fresh = context.gqa_model.decode(others, fresh_cache)
    diff = float(np.abs(after - fresh).max())
    assert diff < 1e-5, f"expected identical logits after rollback, largest difference {diff:.2e}"


@given("a tiny multi-head transformer with {heads:d} query heads")
def step_tiny_mha(context, heads):
    """Build a seeded one-layer MHA transformer with head dim 8."""
    context.gqa_model = _tiny(1, heads, heads)


@when("the transformer is converted by mean-pooling to {counts:Ints} key/value heads")
def step_convert(context, counts):
    """Convert the MHA model to each KV head count and measure the errors on a fixed 16-token input."""
    context.gqa_conversions = conversion_errors(context.gqa_model, np.array(_prompt(16)), counts)
    rows = [
        (r.label, r.n_kv_heads, f"{r.kv_bytes_ratio:.3f}", f"{r.attention_error:.4f}", f"{r.logits_error:.4f}")
        for r in context.gqa_conversions
    ]
    heads = ["attention", "KV heads", "KV cache vs MHA", "attention error", "logits error"]
    evidence.attach_table("mean-pooled conversion error (relative L2, before uptraining)", heads, rows)
    figure = evidence.new_figure(5, 3)
    axes = figure.add_subplot()
    labels = [r.label for r in context.gqa_conversions]
    axes.plot(labels, [r.attention_error for r in context.gqa_conversions], "o-", label="layer-0 attention")
    axes.plot(labels, [r.logits_error for r in context.gqa_conversions], "s--", label="logits")
    axes.set_ylabel("relative error against MHA")
    axes.legend()
    evidence.attach_figure("conversion error by grouping", figure)


@then("the attention error against the original grows as the groups grow: {order}")
def step_convert_order(context, order):
    """Check the errors are strictly increasing in the written order of labels."""
    by_label = {r.label: r.attention_error for r in context.gqa_conversions}
    labels = [part.strip() for part in order.split("<")]
    errors = [by_label[label] for label in labels]
    assert all(a < b for a, b in pairwise(errors)), f"expected {order}, errors {by_label}"


@then("the conversion with {kv:d} key/value heads is exactly the original model")
def step_convert_identity(context, kv):
    """Check the identity conversion has zero error."""
    row = next(r for r in context.gqa_conversions if r.n_kv_heads == kv)
    assert row.attention_error == 0.0 == row.logits_error, f"expected no change, saw {row}"


@when("a GQA transformer is configured with {heads:d} query heads and {kv_heads:d} key/value heads")
def step_configure(context, heads, kv_heads):
    """Try to build a configuration; keep it or the error."""
    try:
        context.gqa_config, context.gqa_error = GPTConfig(n_embd=8 * heads, n_head=heads, n_kv_head=kv_heads), None
    except ConfigError as error:
        context.gqa_config, context.gqa_error = None, error


@then("the GQA configuration is accepted with groups of {group:d}")
def step_accepted(context, group):
    """Check the configuration was built with the stated group size."""
    assert context.gqa_error is None, f"expected acceptance, got {context.gqa_error}"
    assert context.gqa_config.group_size == group, f"expected groups of {group}, got {context.gqa_config.group_size}"


@then("the GQA configuration is rejected naming {field}")
def step_rejected(context, field):
    """Check a ConfigError naming the bad field was raised."""
    assert context.gqa_error is not None, f"expected rejection, got {context.gqa_config}"
    evidence.attach_text("error", str(context.gqa_error))
    assert context.gqa_error.field == field, f"expected the error to name {field}: {context.gqa_error}"


@when("the transformer is saved as safetensors and loaded back")
def step_save_load(context):
    """Write the weights to a temporary .safetensors file and read them back."""
    import tempfile
    from pathlib import Path

    folder = tempfile.TemporaryDirectory()
    context.add_cleanup(folder.cleanup)
    path = save_model(context.gqa_model, Path(folder.name) / "model.safetensors")
    context.gqa_loaded = load_model(path)
    evidence.attach_text("checkpoint", f"{path.stat().st_size} bytes, {len(context.gqa_loaded.params)} tensors")


@then("the loaded transformer gives the same logits as the original")
def step_loaded_same(context):
    """Compare weights and logits of the loaded and the original model."""
    original, loaded = context.gqa_model, context.gqa_loaded
    assert loaded.config == original.config, f"expected config {original.config}, loaded {loaded.config}"
    tokens = _prompt(8)
    same = np.array_equal(original.forward(tokens), loaded.forward(tokens))
    assert same, "expected identical logits from the loaded weights"

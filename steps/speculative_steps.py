"""Steps of speculative decoding: a target transformer, its drafts, rounds, exactness and the theory.

Phrases: the speculative target transformer with its ... drafts; an unrelated draft transformer;
the target generates <n> tokens speculatively with the <draft> draft, gamma <g>, at temperature <t>
[with top-<k>] / greedily; the speculative chatbot ...; the target's / the draft's next-token
distribution p / q is <numbers>; a speculative acceptance rate of <alpha>, <gamma> draft tokens per
round and a draft costing <c> of a target pass; the speculative formula predicts ...; the
prompt-lookup draft looks at the context <ints> for <n> tokens.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
from behave import given, then, when

from livingspec.gqa import Transformer
from livingspec.runner import evidence
from livingspec.speculative import (
    GREEDY,
    TINY_TARGET,
    ChatBotWithSpeculativeDecoding,
    ModelDraft,
    PromptLookupDraft,
    Sampling,
    SelfSpeculativeDraft,
    acceptance_probability,
    cost_ratio_for_speedup,
    expected_speedup,
    expected_tokens_per_pass,
    model_pair,
    output_distribution,
    speculative_generate,
    target_only_generate,
    tokenize,
)

PROMPT = tokenize("User: what is the best approach \n Assistant:")
SEED = 2024


def _draft(context, name):
    pair = context.spec_pair
    if name == "small":
        return ModelDraft(pair.small_draft)
    if name == "self-speculative":
        return SelfSpeculativeDraft(pair.target, 1)
    if name == "prompt-lookup":
        return PromptLookupDraft(pair.target.config.vocab_size)
    if name == "unrelated":
        return ModelDraft(context.spec_unrelated, "unrelated")
    raise AssertionError(f"no draft called {name!r}: small, self-speculative, prompt-lookup or unrelated")


def _generate(context, count, draft, gamma, sampling):
    context.spec_sampling = sampling
    context.spec_generation = speculative_generate(
        context.spec_pair.target,
        _draft(context, draft),
        PROMPT,
        count,
        gamma,
        sampling,
        np.random.default_rng(SEED),
        eos_token=getattr(context, "spec_eos", None),
    )
    _attach_rounds(context.spec_generation)


def _attach_rounds(generation):
    rows = [
        (i + 1, " ".join(map(str, r.drafted)), r.accepted, "" if r.token is None else r.token, r.kind, r.rolled_back)
        for i, r in enumerate(generation.rounds)
    ]
    heads = ["round", "drafted", "kept", "target token", "kind", "rolled back"]
    evidence.attach_table("speculative rounds", heads, rows)
    evidence.attach_json("speculative statistics", generation.stats.as_dict())


def _target_only(context, count, sampling, eos=None):
    return target_only_generate(context.spec_pair.target, PROMPT, count, sampling, np.random.default_rng(SEED), eos)


@given("the speculative target transformer with its small, self-speculative and prompt-lookup drafts")
def step_pair(context):
    """Build (once per process) the tiny target and its distilled one-block draft."""
    context.spec_pair = model_pair()
    context.spec_eos = None


@given("an unrelated draft transformer that rarely agrees with the target")
def step_unrelated(context):
    """A one-block transformer with its own random weights, unrelated to the target."""
    context.spec_unrelated = Transformer.init(TINY_TARGET.replace(n_layer=1), seed=99)


@when(
    "the target generates {count:d} tokens speculatively with the {draft} draft, gamma {gamma:d}, "
    "at temperature {temperature:Decimal}"
)
def step_generate(context, count, draft, gamma, temperature):
    """Generate by speculative sampling at a temperature."""
    _generate(context, count, draft, gamma, Sampling(float(temperature)))


@when(
    "the target generates {count:d} tokens speculatively with the {draft} draft, gamma {gamma:d}, "
    "at temperature {temperature:Decimal} with top-{k:d}"
)
def step_generate_top_k(context, count, draft, gamma, temperature, k):
    """Generate by speculative sampling at a temperature, keeping the top k tokens."""
    _generate(context, count, draft, gamma, Sampling(float(temperature), k))


@when("the target generates {count:d} tokens speculatively with the {draft} draft, gamma {gamma:d}, greedily")
def step_generate_greedy(context, count, draft, gamma):
    """Generate by greedy speculative decoding."""
    _generate(context, count, draft, gamma, GREEDY)


@then("the small draft transformer has {draft_blocks:d} block against the target's {target_blocks:d}")
def step_blocks(context, draft_blocks, target_blocks):
    """Compare block counts of draft and target."""
    seen = (context.spec_pair.small_draft.config.n_layer, context.spec_pair.target.config.n_layer)
    assert seen == (draft_blocks, target_blocks), f"expected {draft_blocks} and {target_blocks} blocks, saw {seen}"


@then("the small draft transformer holds less than half the target's weights")
def step_weights(context):
    """Compare parameter counts."""
    draft, target = context.spec_pair.small_draft.n_params, context.spec_pair.target.n_params
    evidence.attach_table("model sizes", ["model", "weights"], [("target", target), ("small draft", draft)])
    assert draft < target / 2, f"expected the draft below {target / 2}, it holds {draft}"


@then("the speculative acceptance rate alpha lies between {low:Decimal} and {high:Decimal}")
def step_alpha(context, low, high):
    """Check the measured acceptance rate."""
    alpha = context.spec_generation.stats.alpha
    assert float(low) <= alpha <= float(high), f"expected alpha in [{low}, {high}], measured {alpha:.3f}"


@then("every speculative round made exactly one target pass")
def step_one_pass(context):
    """Compare target passes with rounds."""
    stats = context.spec_generation.stats
    assert stats.target_passes == stats.rounds, f"expected {stats.rounds} passes, saw {stats.target_passes}"


@then("every speculative round yielded between {low:d} and {high:d} tokens")
def step_round_yield(context, low, high):
    """Check each round's output count (kept drafts plus the target's token)."""
    sizes = [r.accepted + (r.token is not None) for r in context.spec_generation.rounds]
    assert all(low <= s <= high for s in sizes), f"expected {low}..{high} tokens per round, saw {sizes}"


@then("the speculative decoding made fewer target passes than the {count:d} of decoding alone")
def step_fewer_passes(context, count):
    """Compare target passes with the token count."""
    stats = context.spec_generation.stats
    assert stats.new_tokens == count, f"expected {count} tokens, got {stats.new_tokens}"
    assert stats.target_passes < count, f"expected fewer than {count} target passes, saw {stats.target_passes}"


@then("the target's KV cache dropped exactly the rejected draft tokens")
def step_rolled_back(context):
    """Per round, positions rolled back equal drafted minus kept."""
    for i, r in enumerate(context.spec_generation.rounds):
        rejected = len(r.drafted) - r.accepted
        assert r.rolled_back == rejected, f"round {i + 1}: expected {rejected} rolled back, saw {r.rolled_back}"


@then("some speculative rounds accepted no draft token at all")
def step_some_zero(context):
    """At least one round kept nothing and still produced the target's token."""
    zero = [r for r in context.spec_generation.rounds if r.accepted == 0]
    assert zero, "expected rounds with no accepted draft token"
    assert all(r.token is not None for r in zero), "a round with nothing accepted must still yield a target token"


@given("the speculative chatbot with the small draft and {gamma:d} draft tokens per round")
def step_chatbot(context, gamma):
    """The seed's chatbot class on the tiny pair."""
    context.spec_bot = ChatBotWithSpeculativeDecoding(_draft(context, "small"), context.spec_pair.target, gamma)


@when('the user asks the speculative chatbot "{message}"')
def step_ask(context, message):
    """Get the speculative response and the target-only one."""
    context.spec_response = context.spec_bot.generate_response(message)
    context.spec_reference = context.spec_bot.target_only_response(message)
    _attach_rounds(context.spec_response.generation)
    evidence.attach_text(
        "response", f"speculative: {context.spec_response.text}\ntarget only: {context.spec_reference.text}"
    )


@then("the speculative chatbot's response is token for token the target's greedy response")
def step_chat_same(context):
    """Compare the two token lists."""
    seen, expected = context.spec_response.generation.tokens, context.spec_reference.generation.tokens
    assert seen == expected, f"expected {expected}, speculative gave {seen}"


@then("the speculative chatbot needed fewer target passes than response tokens")
def step_chat_passes(context):
    """Compare target passes with the response length."""
    stats = context.spec_response.generation.stats
    assert stats.target_passes < stats.new_tokens, f"{stats.target_passes} passes for {stats.new_tokens} tokens"


@then("the speculative tokens equal the target's own greedy tokens")
def step_greedy_equal(context):
    """Compare with target-only greedy decoding of the same length."""
    generation = context.spec_generation
    expected = _target_only(context, len(generation.tokens), GREEDY).tokens
    assert generation.tokens == expected, f"expected {expected}, speculative gave {generation.tokens}"


@given("the target's next-token distribution p is {p:Numbers}")
def step_p(context, p):
    """Set the target's distribution."""
    context.spec_p = np.array([float(x) for x in p])


@given("the draft's next-token distribution q is {q:Numbers}")
def step_q(context, q):
    """Set the draft's distribution."""
    context.spec_q = np.array([float(x) for x in q])


@when("a speculative token is drafted from q and then accepted or resampled")
def step_one_step(context):
    """Compute, analytically, the keep probability and the output distribution of one step."""
    p, q = context.spec_p, context.spec_q
    context.spec_kept = sum(q[x] * acceptance_probability(p, q, x) for x in range(len(q)) if q[x] > 0)
    context.spec_out = output_distribution(p, q)
    rows = [(x, p[x], q[x], f"{min(p[x], q[x]):.4f}", f"{context.spec_out[x]:.4f}") for x in range(len(p))]
    evidence.attach_table("one step, exactly", ["token", "p", "q", "min(p, q)", "P(output)"], rows)


@then("the speculative step keeps the drafted token with probability {kept:Decimal}")
def step_kept(context, kept):
    """Check sum_x min(p(x), q(x))."""
    assert abs(context.spec_kept - float(kept)) < 1e-12, f"expected {kept}, computed {context.spec_kept}"


@then("the speculative step's output distribution is exactly p")
def step_exact(context):
    """Compare the output distribution with p."""
    diff = float(np.abs(context.spec_out - context.spec_p).max())
    assert diff < 1e-12, f"expected p = {context.spec_p}, the step emits {context.spec_out}"


@then("every speculative token is among the target's top {k:d} tokens at its position")
def step_top_k(context, k):
    """Recompute the target's logits on the whole output and check each token's rank."""
    tokens = context.spec_generation.tokens
    logits = context.spec_pair.target.forward(PROMPT + tokens)[len(PROMPT) - 1 : -1]  # [n, V]
    ranks = [int((row > row[t]).sum()) for row, t in zip(logits, tokens, strict=True)]
    assert max(ranks) < k, f"expected ranks below {k}, saw {ranks}"


@given(
    "a speculative acceptance rate of {alpha:Decimal}, {gamma:d} draft tokens per round "
    "and a draft costing {c:Decimal} of a target pass"
)
def step_theory(context, alpha, gamma, c):
    """Set alpha, gamma and the cost ratio c for the formulas."""
    context.spec_theory = (float(alpha), gamma, float(c))


@then("the speculative formula predicts {tokens:Decimal} tokens per target pass")
def step_theory_tokens(context, tokens):
    """(1 - alpha^(gamma+1)) / (1 - alpha), to two decimals."""
    alpha, gamma, _ = context.spec_theory
    seen = expected_tokens_per_pass(alpha, gamma)
    evidence.attach_text("tokens per pass", f"(1 - {alpha}^{gamma + 1}) / (1 - {alpha}) = {seen:.4f}")
    assert round(Decimal(seen), 2) == tokens, f"expected {tokens}, the formula gives {seen:.4f}"


@then("the speculative formula predicts a speed-up of {speedup:Decimal}x")
def step_theory_speedup(context, speedup):
    """(1 - alpha^(gamma+1)) / ((1 - alpha)(gamma c + 1)), to two decimals."""
    seen = expected_speedup(*context.spec_theory)
    assert round(Decimal(seen), 2) == speedup, f"expected {speedup}x, the formula gives {seen:.4f}x"


@then(
    "the speculative formula predicts a speed-up of {speedup:Decimal}x, so {before:Decimal} s becomes {after:Decimal} s"
)
def step_theory_seconds(context, speedup, before, after):
    """The speed-up and what it makes of the seed's 3.2 seconds."""
    seen = expected_speedup(*context.spec_theory)
    assert round(Decimal(seen), 2) == speedup, f"expected {speedup}x, the formula gives {seen:.4f}x"
    seconds = float(before) / seen
    evidence.attach_text("seed check", f"{before} s / {seen:.3f} = {seconds:.3f} s (the seed says 1.1 s)")
    assert round(Decimal(seconds), 2) == after, f"expected {after} s, the formula gives {seconds:.3f} s"


@then("the seed's {seconds:Decimal} s would need a draft costing {c:Decimal} of a target pass")
def step_theory_needed(context, seconds, c):
    """The cost ratio that would make the seed's figure come out of the formula."""
    alpha, gamma, _ = context.spec_theory
    needed = cost_ratio_for_speedup(alpha, gamma, 3.2 / float(seconds))
    assert round(Decimal(needed), 3) == c, f"expected c = {c}, the formula needs {needed:.4f}"


@then("the measured tokens per target pass is within {percent:d}% of the formula at the measured alpha")
def step_measured(context, percent):
    """Compare measured tokens per pass with (1 - alpha^(gamma+1)) / (1 - alpha)."""
    stats = context.spec_generation.stats
    gamma = max(len(r.drafted) for r in context.spec_generation.rounds)
    predicted = expected_tokens_per_pass(stats.alpha, gamma)
    rows = [
        ("alpha (kept / examined)", f"{stats.alpha:.3f}"),
        ("alpha (mean sum min(p, q))", f"{stats.expected_alpha:.3f}"),
    ]
    rows += [
        ("tokens per pass, measured", f"{stats.tokens_per_pass:.3f}"),
        ("tokens per pass, formula", f"{predicted:.3f}"),
    ]
    evidence.attach_table("theory beside measurement", ["quantity", "value"], rows)
    error = abs(stats.tokens_per_pass - predicted) / predicted
    assert error <= percent / 100, (
        f"expected within {percent}%, measured {stats.tokens_per_pass:.3f} vs {predicted:.3f}"
    )


@then("the speed-up against gamma is plotted for the measured alpha and cost ratio")
def step_plot(context):
    """Plot the formula's speed-up over gamma for the measured alpha and per-pass cost ratio."""
    stats = context.spec_generation.stats
    c = (stats.draft_seconds / stats.draft_passes) / (stats.target_seconds / stats.target_passes)
    gammas = list(range(11))
    figure = evidence.new_figure(5, 3)
    axes = figure.add_subplot()
    for cost in (c, 0.05, 0.2):
        label = f"c = {cost:.2f}" + (" (measured)" if cost == c else "")
        axes.plot(gammas, [expected_speedup(stats.alpha, g, cost) for g in gammas], "o-", label=label)
    axes.set_xlabel("gamma (draft tokens per round)")
    axes.set_ylabel("expected speed-up")
    axes.set_title(f"alpha = {stats.alpha:.2f}")
    axes.legend()
    evidence.attach_figure("speed-up against gamma", figure)
    assert expected_speedup(stats.alpha, 0, c) == 1.0, "gamma 0 must be plain decoding"


@then("the speculative tokens equal the target's own samples from the same seed")
def step_same_samples(context):
    """Compare with target-only sampling from the same generator seed."""
    generation = context.spec_generation
    expected = _target_only(context, len(generation.tokens), context.spec_sampling).tokens
    assert generation.tokens == expected, f"expected {expected}, speculative gave {generation.tokens}"


@then("the speculative decoding made {passes:d} target passes and no draft pass")
def step_passes(context, passes):
    """Count passes of both models."""
    stats = context.spec_generation.stats
    assert (stats.target_passes, stats.draft_passes) == (passes, 0), f"saw {stats.target_passes}, {stats.draft_passes}"


@when("a token that the small draft proposes mid-round is declared end-of-sequence")
def step_pick_eos(context):
    """Run greedily once and pick a kept draft token, not first in its round, seen for the first time there."""
    probe = speculative_generate(context.spec_pair.target, _draft(context, "small"), PROMPT, 30, 4, GREEDY)
    position = 0
    for r in probe.rounds:
        for j in range(1, r.accepted):
            token = r.drafted[j]
            if token not in probe.tokens[: position + j]:
                context.spec_eos = token
                return
        position += r.accepted + (r.token is not None)
    raise AssertionError("no round kept two or more draft tokens: cannot pick an end-of-sequence token")


@then("the speculative output ends with that end-of-sequence token, accepted from a draft")
def step_eos_end(context):
    """The output stops at the token, and the last round added no target token after it."""
    generation = context.spec_generation
    assert generation.stopped == "eos", f"expected to stop at end-of-sequence, stopped by {generation.stopped}"
    assert generation.tokens[-1] == context.spec_eos, f"expected to end with {context.spec_eos}: {generation.tokens}"
    assert generation.rounds[-1].token is None, "expected the end-of-sequence token to come from the draft"


@then("the speculative tokens equal the target's own greedy tokens up to that token")
def step_eos_equal(context):
    """Compare with target-only greedy decoding that stops at the same token."""
    expected = _target_only(context, 30, GREEDY, context.spec_eos).tokens
    assert context.spec_generation.tokens == expected, f"expected {expected}, got {context.spec_generation.tokens}"


@then("the speculative output has exactly {count:d} tokens")
def step_length(context, count):
    """Check the output length."""
    seen = len(context.spec_generation.tokens)
    assert seen == count, f"expected {count} tokens, got {seen}"


@when("the prompt-lookup draft looks at the context {tokens:Ints} for {count:d} tokens")
def step_lookup(context, tokens, count):
    """Ask prompt lookup for a continuation."""
    draft = PromptLookupDraft(context.spec_pair.target.config.vocab_size)
    context.spec_proposal = draft.propose(tokens, count, GREEDY, np.random.default_rng(0))


@then("the prompt-lookup draft proposes {tokens:Ints}")
def step_lookup_result(context, tokens):
    """Check the proposed tokens and that each q is one-hot."""
    proposal = context.spec_proposal
    assert proposal.tokens == tokens, f"expected {tokens}, proposed {proposal.tokens}"
    assert np.all(proposal.dists.max(axis=1) == 1.0), "prompt lookup's q must be one-hot"

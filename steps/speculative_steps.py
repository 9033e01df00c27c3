"""Steps of speculative decoding: a target transformer, its drafts, rounds, exactness and the theory.

Phrases: the speculative target transformer with its ... drafts / described by: (table); a
speculative draft "<name>" described by: (table); an unrelated draft transformer; the target
generates <n> tokens speculatively with the <draft> draft, gamma <g>, at temperature <t> [with
top-<k>] / greedily; the speculative chatbot ...; the target's / the draft's next-token distribution
p / q is <numbers>; a speculative acceptance rate of <alpha>, <gamma> draft tokens per round and a
draft costing <c> of a target pass; the speculative formula predicts ...; the seed's <alpha>
acceptance turns <s> s into ...; the prompt-lookup draft looks at the context <ints> for <n> tokens.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import parse
from behave import given, then, when

from livingspec.gqa.attention import Array
from livingspec.runner import evidence, types
from livingspec.runner.types import UnknownChoiceError
from livingspec.runner.world import need, world
from livingspec.speculative import (
    DRAFT_PRESETS,
    GREEDY,
    TINY,
    ChatBotWithSpeculativeDecoding,
    ChatResponse,
    Draft,
    DraftError,
    DraftSpec,
    Generation,
    ModelDraft,
    ModelPair,
    PromptLookupDraft,
    Proposal,
    Sampling,
    TargetSpec,
    TrainedPair,
    acceptance_probability,
    cost_ratio_for_speedup,
    expected_speedup,
    expected_tokens_per_pass,
    output_distribution,
    readings,
    round_records,
    round_text_records,
    speculative_generate,
    target_only_generate,
    tokenize,
    trained_pair,
)
from livingspec.training import decode, encode


@parse.with_pattern(r"[\w.+-]+")
def parse_draft(text: str) -> str:
    """a draft: small, self-speculative, prompt-lookup, unrelated, or one named by 'a speculative draft "<name>" described by:'"""
    return text


types.register(SpecDraft=parse_draft)

PROMPT = tokenize("User: what is the best approach \n Assistant:")
SEED = 2024
PAIR_GIVEN = "Given the speculative target transformer with its small, self-speculative and prompt-lookup drafts"
RUN_GIVEN = "When the target generates 40 tokens speculatively with the small draft, gamma 4, at temperature 1"
TRAINED_GIVEN = "Given the trained byte-level target and draft from the models folder"
THEORY_GIVEN = (
    "Given a speculative acceptance rate of 0.75, 5 draft tokens per round and a draft costing 0.1 of a target pass"
)


@dataclass
class SpeculativeWorld:
    """One scenario: the model pair, described drafts, the last generation, a one-step example, the theory."""

    pair: ModelPair | None = None
    drafts: dict[str, DraftSpec] = field(default_factory=dict)  # described drafts, by name
    eos: int | None = None  # an end-of-sequence token chosen by a step
    sampling: Sampling | None = None
    generation: Generation | None = None
    bot: ChatBotWithSpeculativeDecoding | None = None
    response: tuple[ChatResponse, ChatResponse] | None = None  # speculative, target only
    p: Array | None = None  # the target's next-token distribution
    q: Array | None = None  # the draft's
    step: tuple[float, Array] | None = None  # keep probability and output distribution of one step
    theory: tuple[float, int, float] | None = None  # alpha, gamma, cost ratio c
    proposal: Proposal | None = None
    prompt: list[int] = field(default_factory=lambda: list(PROMPT))  # the context generation continues
    trained: TrainedPair | None = None  # the trained byte-level pair, when a scenario uses it

    def models(self) -> ModelPair:
        return need(self.pair, "the target and its drafts", PAIR_GIVEN)

    def generated(self) -> Generation:
        return need(self.generation, "a speculative generation", RUN_GIVEN)

    def formula(self) -> tuple[float, int, float]:
        return need(self.theory, "alpha, gamma and c", THEORY_GIVEN)

    def draft(self, name: str) -> Draft:
        if name == "trained":
            trained = need(self.trained, "the trained draft", TRAINED_GIVEN)
            return ModelDraft(trained.draft, "trained draft")
        spec = self.drafts.get(name) or DRAFT_PRESETS.get(name)
        if spec is None:
            known = [*DRAFT_PRESETS, *self.drafts]
            raise UnknownChoiceError(f"unknown draft {name!r}; known: {', '.join(known)}")
        return spec.build(self.models())


def visible(tokens: list[int]) -> str:
    """Byte tokens as text in guillemets, newlines shown as a return sign."""
    return "«" + decode(tokens).replace("\n", "⏎") + "»" if tokens else ""


def _w(context: Any) -> SpeculativeWorld:
    return world(context, SpeculativeWorld)


def _attach_rounds(generation: Generation, text: bool = False, greedy: bool = False) -> None:
    evidence.attach_records("speculative rounds", round_records(generation.rounds))
    if text:  # byte tokens: the same rounds as readable text
        records = round_text_records(generation.rounds, visible, greedy)
        evidence.attach_records("speculative rounds as text", records)
    evidence.attach_json("speculative statistics", generation.stats.as_dict())


def _generate(context: Any, count: int, draft: str, gamma: int, sampling: Sampling) -> None:
    w = _w(context)
    w.sampling = sampling
    rng = np.random.default_rng(SEED)
    w.generation = speculative_generate(
        w.models().target, w.draft(draft), w.prompt, count, gamma, sampling, rng, eos_token=w.eos
    )
    _attach_rounds(w.generation, text=w.trained is not None, greedy=sampling.greedy)


def _target_only(w: SpeculativeWorld, count: int, sampling: Sampling, eos: int | None = None) -> Generation:
    return target_only_generate(w.models().target, w.prompt, count, sampling, np.random.default_rng(SEED), eos)


# --- models and drafts ----------------------------------------------------------------------------
def _one_row(context: Any, what: str) -> dict[str, str]:
    rows = [{h: row[h].strip() for h in context.table.headings} for row in context.table]
    if len(rows) != 1:
        raise DraftError(f"a {what} is described by a table of one row, got {len(rows)}")
    return rows[0]


@given("the speculative target transformer with its small, self-speculative and prompt-lookup drafts")
def step_pair(context: Any) -> None:
    """Build (once per process) the tiny target (4 blocks) and its distilled one-block draft: the preset target."""
    _w(context).pair = TINY.build()


@given("the speculative target transformer described by:")
def step_pair_described(context: Any) -> None:
    """A target you describe in one row: any of blocks, heads, kv_heads, width, refinement, seed (others as the preset)."""
    spec = TargetSpec.described(_one_row(context, "target"))
    evidence.attach_records("target, described", [vars(spec)])
    _w(context).pair = spec.build()


@given('a speculative draft "{name}" described by:')
def step_draft_described(context: Any, name: str) -> None:
    """A draft you describe in one row: kind (distilled, early exit, prompt lookup, random) and blocks, ngram, seed."""
    spec = DraftSpec.described(_one_row(context, "draft"))
    evidence.attach_records(f"draft {name}, described", [vars(spec)])
    _w(context).drafts[name] = spec


@given("an unrelated draft transformer that rarely agrees with the target")
def step_unrelated(context: Any) -> None:
    """A one-block transformer with its own random weights (the preset 'unrelated' draft: kind random, seed 99)."""
    _w(context).drafts["unrelated"] = DRAFT_PRESETS["unrelated"]


@when(
    "the target generates {count:d} tokens speculatively with the {draft:SpecDraft} draft, gamma {gamma:d}, "
    "at temperature {temperature:Decimal}"
)
def step_generate(context: Any, count: int, draft: str, gamma: int, temperature: Decimal) -> None:
    """Generate by speculative sampling at a temperature (count tokens, gamma drafts per round)."""
    _generate(context, count, draft, gamma, Sampling(float(temperature)))


@when(
    "the target generates {count:d} tokens speculatively with the {draft:SpecDraft} draft, gamma {gamma:d}, "
    "at temperature {temperature:Decimal} with top-{k:d}"
)
def step_generate_top_k(context: Any, count: int, draft: str, gamma: int, temperature: Decimal, k: int) -> None:
    """Generate by speculative sampling at a temperature, keeping the top k tokens."""
    _generate(context, count, draft, gamma, Sampling(float(temperature), k))


@when("the target generates {count:d} tokens speculatively with the {draft:SpecDraft} draft, gamma {gamma:d}, greedily")
def step_generate_greedy(context: Any, count: int, draft: str, gamma: int) -> None:
    """Generate by greedy speculative decoding."""
    _generate(context, count, draft, gamma, GREEDY)


@then("the small draft transformer has {draft_blocks:d} block against the target's {target_blocks:d}")
def step_blocks(context: Any, draft_blocks: int, target_blocks: int) -> None:
    """Compare block counts of draft and target."""
    pair = _w(context).models()
    seen = (pair.small_draft.config.n_layer, pair.target.config.n_layer)
    assert seen == (draft_blocks, target_blocks), f"expected {draft_blocks} and {target_blocks} blocks, saw {seen}"


@then("the small draft transformer holds less than half the target's weights")
def step_weights(context: Any) -> None:
    """Compare parameter counts."""
    pair = _w(context).models()
    draft, target = pair.small_draft.n_params, pair.target.n_params
    evidence.attach_table("model sizes", ["model", "weights"], [("target", target), ("small draft", draft)])
    assert draft < target / 2, f"expected the draft below {target / 2}, it holds {draft}"


# --- the trained byte-level pair ------------------------------------------------------------------


@given("the trained byte-level target and draft from the models folder")
def step_trained_pair(context: Any) -> None:
    """Load the committed trained target and draft (byte tokens, vocabulary 256) and show their manifest."""
    w = _w(context)
    w.trained = trained_pair()
    w.pair = ModelPair(w.trained.target, w.trained.draft, 1.0)
    rows = []
    for name in ("target", "draft"):
        record, config = w.trained.record(name), w.trained.record(name)["config"]
        shape = f"{config['n_layer']} blocks, width {config['n_embd']}, {config['n_head']} heads"
        losses = (record["final_train_loss"], record["validation_loss"])
        rows.append((name, shape, record["n_params"], record["recipe"]["steps"], *losses))
    heads = ["model", "shape", "weights", "training steps", "final train loss", "validation loss (nats/byte)"]
    evidence.attach_table("trained models (manifest)", heads, rows)
    corpus = w.trained.manifest["corpus"]
    evidence.attach_text("corpus", f"{', '.join(corpus['files'])}\nSHA-256 {corpus['sha256']}")


@given("the text to continue is:")
def step_text_prompt(context: Any) -> None:
    """The prompt, as text in a doc string (its UTF-8 bytes are the tokens); the line breaks are kept."""
    text = need(
        getattr(context, "text", None), "a doc string with the text", 'Given the text to continue is: """..."""'
    )
    _w(context).prompt = encode(text)


@then("the trained draft holds between {low:d}% and {high:d}% of the target's weights")
def step_trained_size(context: Any, low: int, high: int) -> None:
    """Compare the weight counts of the trained draft and target (percent of the target's)."""
    trained = need(_w(context).trained, "the trained pair", TRAINED_GIVEN)
    share = 100 * trained.draft.n_params / trained.target.n_params
    assert low <= share <= high, f"expected the draft at {low}..{high}% of the target, it is {share:.1f}%"


@then("the speculative rounds read as text: drafted bytes, the accepted ones and the target's own")
def step_rounds_text(context: Any) -> None:
    """Show the prompt and continuation as text with each round's drafts, kept part and target token; check they add up."""
    w = _w(context)
    generation = w.generated()
    pieces = [r.drafted[: r.accepted] + ([] if r.token is None else [r.token]) for r in generation.rounds]
    evidence.attach_text("prompt and continuation", f"{decode(w.prompt)}⟨{decode(generation.tokens)}⟩")
    joined = [t for piece in pieces for t in piece]
    assert joined == generation.tokens, "the rounds' accepted drafts and target tokens must make up the output"
    assert any(r.accepted for r in generation.rounds), "expected some drafted bytes to be accepted"


@then("prompt lookup copied at least {count:d} accepted bytes from earlier in the text")
def step_lookup_copied(context: Any, count: int) -> None:
    """Count the drafted bytes that prompt lookup copied from the context and the target accepted."""
    generation = _w(context).generated()
    copied = generation.stats.accepted
    assert copied >= count, f"expected at least {count} copied bytes accepted, saw {copied}"


# --- rounds ---------------------------------------------------------------------------------------


@then("the speculative acceptance rate alpha lies between {low:Decimal} and {high:Decimal}")
def step_alpha(context: Any, low: Decimal, high: Decimal) -> None:
    """Check the measured per-token acceptance rate (kept / examined drafts)."""
    stats = _w(context).generated().stats
    evidence.attach_table(
        "acceptance, both readings",
        ["reading", "measured"],
        [
            ("per-token rate alpha (kept / examined)", f"{stats.alpha:.3f}"),
            ("kept / drafted", f"{stats.kept_fraction:.3f}"),
        ],
    )
    assert float(low) <= stats.alpha <= float(high), f"expected alpha in [{low}, {high}], measured {stats.alpha:.3f}"


@then("the fraction of drafted tokens kept lies between {low:Decimal} and {high:Decimal}")
def step_kept_fraction(context: Any, low: Decimal, high: Decimal) -> None:
    """Check kept / drafted (every drafted token counts, those after a round's rejection as not kept)."""
    stats = _w(context).generated().stats
    kept = stats.kept_fraction
    assert float(low) <= kept <= float(high), f"expected kept / drafted in [{low}, {high}], measured {kept:.3f}"


@then("every speculative round made exactly one target pass")
def step_one_pass(context: Any) -> None:
    """Compare target passes with rounds."""
    stats = _w(context).generated().stats
    assert stats.target_passes == stats.rounds, f"expected {stats.rounds} passes, saw {stats.target_passes}"


@then("every speculative round yielded between {low:d} and {high:d} tokens")
def step_round_yield(context: Any, low: int, high: int) -> None:
    """Check each round's output count (kept drafts plus the target's token)."""
    sizes = [r.accepted + (r.token is not None) for r in _w(context).generated().rounds]
    assert all(low <= s <= high for s in sizes), f"expected {low}..{high} tokens per round, saw {sizes}"


@then("the speculative decoding made fewer target passes than the {count:d} of decoding alone")
def step_fewer_passes(context: Any, count: int) -> None:
    """Compare target passes with the token count."""
    stats = _w(context).generated().stats
    assert stats.new_tokens == count, f"expected {count} tokens, got {stats.new_tokens}"
    assert stats.target_passes < count, f"expected fewer than {count} target passes, saw {stats.target_passes}"


@then("the target's KV cache dropped exactly the rejected draft tokens")
def step_rolled_back(context: Any) -> None:
    """Per round, positions rolled back equal drafted minus kept."""
    rounds = _w(context).generated().rounds
    assert any(len(r.drafted) > r.accepted for r in rounds), "expected some rejected drafts to roll back"
    for i, r in enumerate(rounds):
        rejected = len(r.drafted) - r.accepted
        assert r.rolled_back == rejected, f"round {i + 1}: expected {rejected} rolled back, saw {r.rolled_back}"


@then("some speculative rounds accepted no draft token at all")
def step_some_zero(context: Any) -> None:
    """At least one round kept nothing and still produced the target's token."""
    zero = [r for r in _w(context).generated().rounds if r.accepted == 0]
    assert zero, "expected rounds with no accepted draft token"
    assert all(r.token is not None for r in zero), "a round with nothing accepted must still yield a target token"


# --- the chatbot and exactness --------------------------------------------------------------------


@given("the speculative chatbot with the small draft and {gamma:d} draft tokens per round")
def step_chatbot(context: Any, gamma: int) -> None:
    """The seed's chatbot class on the tiny pair."""
    w = _w(context)
    w.bot = ChatBotWithSpeculativeDecoding(w.draft("small"), w.models().target, gamma)


@when('the user asks the speculative chatbot "{message}"')
def step_ask(context: Any, message: str) -> None:
    """Get the speculative response and the target-only one."""
    w = _w(context)
    bot = need(w.bot, "the chatbot", "Given the speculative chatbot with the small draft and 5 draft tokens per round")
    w.response = bot.generate_response(message), bot.target_only_response(message)
    _attach_rounds(w.response[0].generation)
    evidence.attach_text("response", f"speculative: {w.response[0].text}\ntarget only: {w.response[1].text}")


def _responses(w: SpeculativeWorld) -> tuple[ChatResponse, ChatResponse]:
    return need(
        w.response, "a chatbot response", 'When the user asks the speculative chatbot "what is the best approach"'
    )


@then("the speculative chatbot's response is token for token the target's greedy response")
def step_chat_same(context: Any) -> None:
    """Compare the two token lists."""
    speculative, reference = _responses(_w(context))
    seen, expected = speculative.generation.tokens, reference.generation.tokens
    assert seen == expected, f"expected {expected}, speculative gave {seen}"


@then("the speculative chatbot needed fewer target passes than response tokens")
def step_chat_passes(context: Any) -> None:
    """Compare target passes with the response length."""
    stats = _responses(_w(context))[0].generation.stats
    assert stats.target_passes < stats.new_tokens, f"{stats.target_passes} passes for {stats.new_tokens} tokens"


@then("the speculative tokens equal the target's own greedy tokens")
def step_greedy_equal(context: Any) -> None:
    """Compare with target-only greedy decoding of the same length."""
    w = _w(context)
    generation = w.generated()
    expected = _target_only(w, len(generation.tokens), GREEDY).tokens
    assert generation.tokens == expected, f"expected {expected}, speculative gave {generation.tokens}"


@given("the target's next-token distribution p is {p:Numbers}")
def step_p(context: Any, p: list[Decimal]) -> None:
    """Set the target's distribution (probabilities summing to 1)."""
    _w(context).p = np.array([float(x) for x in p])


@given("the draft's next-token distribution q is {q:Numbers}")
def step_q(context: Any, q: list[Decimal]) -> None:
    """Set the draft's distribution (probabilities summing to 1)."""
    _w(context).q = np.array([float(x) for x in q])


@when("a speculative token is drafted from q and then accepted or resampled")
def step_one_step(context: Any) -> None:
    """Compute, analytically, the keep probability and the output distribution of one step."""
    w = _w(context)
    p = need(w.p, "the target's distribution", "Given the target's next-token distribution p is 0.5, 0.3, 0.2")
    q = need(w.q, "the draft's distribution", "Given the draft's next-token distribution q is 0.2, 0.3, 0.5")
    kept = sum(q[x] * acceptance_probability(p, q, x) for x in range(len(q)) if q[x] > 0)
    w.step = float(kept), output_distribution(p, q)
    rows = [(x, p[x], q[x], f"{min(p[x], q[x]):.4f}", f"{w.step[1][x]:.4f}") for x in range(len(p))]
    evidence.attach_table("one step, exactly", ["token", "p", "q", "min(p, q)", "P(output)"], rows)


def _one_step(w: SpeculativeWorld) -> tuple[float, Array]:
    return need(
        w.step,
        "one accept-or-resample step",
        "When a speculative token is drafted from q and then accepted or resampled",
    )


@then("the speculative step keeps the drafted token with probability {kept:Decimal}")
def step_kept(context: Any, kept: Decimal) -> None:
    """Check sum_x min(p(x), q(x))."""
    seen = _one_step(_w(context))[0]
    assert abs(seen - float(kept)) < 1e-12, f"expected {kept}, computed {seen}"


@then("the speculative step's output distribution is exactly p")
def step_exact(context: Any) -> None:
    """Compare the output distribution with p (to 1e-12)."""
    w = _w(context)
    out, p = _one_step(w)[1], need(w.p, "p", "Given the target's next-token distribution p is ...")
    diff = float(np.abs(out - p).max())
    assert diff < 1e-12, f"expected p = {p}, the step emits {out}"


@then("every speculative token is among the target's top {k:d} tokens at its position")
def step_top_k(context: Any, k: int) -> None:
    """Recompute the target's logits on the whole output and check each token's rank."""
    w = _w(context)
    tokens = w.generated().tokens
    logits = w.models().target.forward(w.prompt + tokens)[len(w.prompt) - 1 : -1]  # [n, V]
    ranks = [int((row > row[t]).sum()) for row, t in zip(logits, tokens, strict=True)]
    assert max(ranks) < k, f"expected ranks below {k}, saw {ranks}"


# --- the theory -----------------------------------------------------------------------------------


@given(
    "a speculative acceptance rate of {alpha:Decimal}, {gamma:d} draft tokens per round "
    "and a draft costing {c:Decimal} of a target pass"
)
def step_theory(context: Any, alpha: Decimal, gamma: int, c: Decimal) -> None:
    """Set alpha (per-token acceptance rate), gamma and the cost ratio c (draft pass / target pass) for the formulas."""
    _w(context).theory = (float(alpha), gamma, float(c))


@then("the speculative formula predicts {tokens:Decimal} tokens per target pass")
def step_theory_tokens(context: Any, tokens: Decimal) -> None:
    """(1 - alpha^(gamma+1)) / (1 - alpha), to two decimals."""
    alpha, gamma, _ = _w(context).formula()
    seen = expected_tokens_per_pass(alpha, gamma)
    evidence.attach_text("tokens per pass", f"(1 - {alpha}^{gamma + 1}) / (1 - {alpha}) = {seen:.4f}")
    assert round(Decimal(seen), 2) == tokens, f"expected {tokens}, the formula gives {seen:.4f}"


@then("the speculative formula predicts a speed-up of {speedup:Decimal}x")
def step_theory_speedup(context: Any, speedup: Decimal) -> None:
    """(1 - alpha^(gamma+1)) / ((1 - alpha)(gamma c + 1)), to two decimals."""
    seen = expected_speedup(*_w(context).formula())
    assert round(Decimal(seen), 2) == speedup, f"expected {speedup}x, the formula gives {seen:.4f}x"


@then(
    "the speculative formula predicts a speed-up of {speedup:Decimal}x, so {before:Decimal} s becomes {after:Decimal} s"
)
def step_theory_seconds(context: Any, speedup: Decimal, before: Decimal, after: Decimal) -> None:
    """The speed-up and what it makes of the seed's 3.2 seconds."""
    seen = expected_speedup(*_w(context).formula())
    assert round(Decimal(seen), 2) == speedup, f"expected {speedup}x, the formula gives {seen:.4f}x"
    seconds = float(before) / seen
    evidence.attach_text("seed check", f"{before} s / {seen:.3f} = {seconds:.3f} s (the seed says 1.1 s)")
    assert round(Decimal(seconds), 2) == after, f"expected {after} s, the formula gives {seconds:.3f} s"


@then("the seed's {seconds:Decimal} s would need a draft costing {c:Decimal} of a target pass")
def step_theory_needed(context: Any, seconds: Decimal, c: Decimal) -> None:
    """The cost ratio that would make the seed's figure come out of the formula."""
    alpha, gamma, _ = _w(context).formula()
    needed = cost_ratio_for_speedup(alpha, gamma, 3.2 / float(seconds))
    assert round(Decimal(needed), 3) == c, f"expected c = {c}, the formula needs {needed:.4f}"


@then(
    "the seed's {claimed:Decimal} acceptance turns {before:Decimal} s into {per_token:Decimal} s read as the "
    "per-token rate and {kept:Decimal} s read as the fraction of drafted tokens kept"
)
def step_two_readings(context: Any, claimed: Decimal, before: Decimal, per_token: Decimal, kept: Decimal) -> None:
    """Work the claimed acceptance out as Leviathan et al.'s per-token alpha and as kept / drafted (seconds)."""
    _alpha, gamma, c = _w(context).formula()
    both = readings(float(claimed), gamma, c, float(before))
    rows = [
        (
            r.name,
            f"{r.alpha:.3f}",
            f"{r.kept:.3f}",
            f"{r.tokens_per_pass:.2f}",
            f"{r.speedup:.2f}x",
            f"{r.seconds:.2f} s",
        )
        for r in both
    ]
    heads = [
        "reading of the seed's 75%",
        "alpha",
        "kept / drafted",
        "tokens per pass",
        "speed-up",
        f"{before} s becomes",
    ]
    evidence.attach_table("the seed's acceptance, read both ways", heads, rows)
    seen = (round(Decimal(both[0].seconds), 2), round(Decimal(both[1].seconds), 2))
    evidence.seed_correction(
        f"{claimed} of draft tokens accepted, {before} s down to 1.1 s (3x faster), 5 drafts per round",
        f"per-token alpha {claimed}: {both[0].speedup:.2f}x, {seen[0]} s; kept / drafted {claimed} "
        f"(alpha {both[1].alpha:.3f}): {both[1].speedup:.2f}x, {seen[1]} s (c = {c})",
        "Leviathan et al.'s alpha is per examined token, and drafts after a rejection are never examined; "
        f"read that way the claim gives {both[0].speedup:.2f}x, not 3x; read as the share of drafted tokens "
        f"kept it gives {both[1].speedup:.2f}x, and the seed's 3x holds",
    )
    assert seen == (per_token, kept), (
        f"expected {per_token} s and {kept} s, the readings give {seen[0]} s and {seen[1]} s"
    )


@then("the measured tokens per target pass is within {percent:d}% of the formula at the measured alpha")
def step_measured(context: Any, percent: int) -> None:
    """Compare measured tokens per pass with (1 - alpha^(gamma+1)) / (1 - alpha), within percent."""
    generation = _w(context).generated()
    stats = generation.stats
    gamma = max(len(r.drafted) for r in generation.rounds)
    predicted = expected_tokens_per_pass(stats.alpha, gamma)
    rows = [
        ("alpha (kept / examined)", f"{stats.alpha:.3f}"),
        ("alpha (mean sum min(p, q))", f"{stats.expected_alpha:.3f}"),
        ("kept / drafted", f"{stats.kept_fraction:.3f}"),
        ("tokens per pass, measured", f"{stats.tokens_per_pass:.3f}"),
        ("tokens per pass, formula", f"{predicted:.3f}"),
    ]
    evidence.attach_table("theory beside measurement", ["quantity", "value"], rows)
    error = abs(stats.tokens_per_pass - predicted) / predicted
    assert error <= percent / 100, (
        f"expected within {percent}%, measured {stats.tokens_per_pass:.3f} vs {predicted:.3f}"
    )


@then("the speed-up against gamma is plotted for the measured alpha and cost ratio")
def step_plot(context: Any) -> None:
    """Plot the formula's speed-up over gamma at the measured alpha; check each curve starts at 1 and rises first."""
    stats = _w(context).generated().stats
    c = (stats.draft_seconds / stats.draft_passes) / (stats.target_seconds / stats.target_passes)
    gammas = list(range(11))
    figure = evidence.new_figure(5, 3)
    axes = figure.add_subplot()
    curves = {f"c = {c:.2f} (measured)": c, "c = 0.05": 0.05, "c = 0.20": 0.2}
    for label, cost in curves.items():
        axes.plot(gammas, [expected_speedup(stats.alpha, g, cost) for g in gammas], "o-", label=label)
    axes.set_xlabel("gamma (draft tokens per round)")
    axes.set_ylabel("expected speed-up")
    axes.set_title(f"alpha = {stats.alpha:.2f}")
    axes.legend()
    evidence.attach_figure("speed-up against gamma", figure)
    for label, cost in curves.items():
        assert expected_speedup(stats.alpha, 0, cost) == 1.0, f"{label}: gamma 0 must be plain decoding"
        if cost < stats.alpha:  # one draft pays while it costs less than the chance it is kept
            assert expected_speedup(stats.alpha, 1, cost) > 1.0, f"{label}: expected gamma 1 to beat plain decoding"


# --- limits ---------------------------------------------------------------------------------------


@then("the speculative tokens equal the target's own samples from the same seed")
def step_same_samples(context: Any) -> None:
    """Compare with target-only sampling from the same generator seed."""
    w = _w(context)
    generation = w.generated()
    expected = _target_only(w, len(generation.tokens), need(w.sampling, "a sampling", RUN_GIVEN)).tokens
    assert generation.tokens == expected, f"expected {expected}, speculative gave {generation.tokens}"


@then("the speculative decoding made {passes:d} target passes and no draft pass")
def step_passes(context: Any, passes: int) -> None:
    """Count passes of both models."""
    stats = _w(context).generated().stats
    assert (stats.target_passes, stats.draft_passes) == (passes, 0), f"saw {stats.target_passes}, {stats.draft_passes}"


@when("a token that the small draft proposes mid-round is declared end-of-sequence")
def step_pick_eos(context: Any) -> None:
    """Run greedily once and pick a kept draft token, not first in its round, seen for the first time there."""
    w = _w(context)
    probe = speculative_generate(w.models().target, w.draft("small"), PROMPT, 30, 4, GREEDY)
    position = 0
    for r in probe.rounds:
        for j in range(1, r.accepted):
            token = r.drafted[j]
            if token not in probe.tokens[: position + j]:
                w.eos = token
                evidence.attach_text("end-of-sequence token", f"token {token}, drafted at position {j} of its round")
                return
        position += r.accepted + (r.token is not None)
    raise AssertionError("no round kept two or more draft tokens: cannot pick an end-of-sequence token")


@then("the speculative output ends with that end-of-sequence token, accepted from a draft")
def step_eos_end(context: Any) -> None:
    """The output stops at the token, and the last round added no target token after it."""
    w = _w(context)
    generation = w.generated()
    assert generation.stopped == "eos", f"expected to stop at end-of-sequence, stopped by {generation.stopped}"
    assert generation.tokens[-1] == w.eos, f"expected to end with {w.eos}: {generation.tokens}"
    assert generation.rounds[-1].token is None, "expected the end-of-sequence token to come from the draft"


@then("the speculative tokens equal the target's own greedy tokens up to that token")
def step_eos_equal(context: Any) -> None:
    """Compare with target-only greedy decoding that stops at the same token."""
    w = _w(context)
    expected = _target_only(w, 30, GREEDY, w.eos).tokens
    assert w.generated().tokens == expected, f"expected {expected}, got {w.generated().tokens}"


@then("the speculative output has exactly {count:d} tokens")
def step_length(context: Any, count: int) -> None:
    """Check the output length."""
    seen = len(_w(context).generated().tokens)
    assert seen == count, f"expected {count} tokens, got {seen}"


@when("the prompt-lookup draft looks at the context {tokens:Ints} for {count:d} tokens")
def step_lookup(context: Any, tokens: list[int], count: int) -> None:
    """Ask prompt lookup for a continuation of at most count tokens."""
    w = _w(context)
    draft = PromptLookupDraft(w.models().target.config.vocab_size)
    w.proposal = draft.propose(tokens, count, GREEDY, np.random.default_rng(0))


@then("the prompt-lookup draft proposes {tokens:Ints}")
def step_lookup_result(context: Any, tokens: list[int]) -> None:
    """Check the proposed tokens and that each q is one-hot."""
    proposal = need(
        _w(context).proposal, "a lookup", "When the prompt-lookup draft looks at the context 1, 2, 1 for 2 tokens"
    )
    evidence.attach_table("prompt lookup", ["proposed"], [[", ".join(map(str, proposal.tokens)) or "(nothing)"]])
    assert proposal.tokens == tokens, f"expected {tokens}, proposed {proposal.tokens}"
    assert np.all(proposal.dists.max(axis=1) == 1.0), "prompt lookup's q must be one-hot"

"""Benchmark: tokens per second of target-only decoding against speculative decoding with each draft.

The target is a numpy transformer large enough to be memory-bound on this CPU (8 blocks of width
768, SwiGLU 2048, 12 query heads on 4 KV heads, vocabulary 2048: about 200 MiB of float32
weights, six times the 32 MiB L3 cache, read per forward pass). Drafts: a separate one-block transformer with a
distilled head, the target's own first block (self-speculative) and prompt lookup. Each run
samples the same number of tokens; the peer is target-only decoding in the same run (best of
several runs, re-measured before each draft's rows). Wall-clock and CPU-time (process_time) rates
are both given: the machine is shared, and CPU time is what other processes disturb least.

Second table: tokens per target pass against (1 - alpha^(gamma+1)) / (1 - alpha) at the measured
alpha, on the features' tiny pair where many rounds are cheap (the formula is about rounds, so
the last round, cut short by the length limit, is left out).

Run: .venv/bin/python benchmarks/speculative.py
"""

from __future__ import annotations

import os

# One BLAS thread: the 2 cores are shared with other work, and a second thread that waits for a busy
# core makes every matmul erratic. Set before numpy is imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import markdown_table, write_report
from livingspec.gqa import GPTConfig, Transformer
from livingspec.speculative import (
    GREEDY,
    MODELS_DIR,
    Draft,
    Generation,
    ModelDraft,
    PromptLookupDraft,
    Sampling,
    SelfSpeculativeDraft,
    TrainedPair,
    build_target,
    distil_draft,
    expected_speedup,
    expected_tokens_per_pass,
    model_pair,
    round_text_records,
    speculative_generate,
    target_only_generate,
    trained_pair,
)
from livingspec.training import decode, load_corpus

CONFIG = GPTConfig(
    vocab_size=2048,
    n_layer=8,
    n_embd=768,
    n_head=12,
    n_kv_head=4,
    mlp_hidden=2048,
    max_seq_len=320,
    tied_head=False,
    init_std=0.3,
)
REFINEMENT = 0.04  # eight blocks: seven refinements add up, so each is smaller than the features' 0.15
NEW_TOKENS = 48
GAMMAS = (1, 2, 4, 6, 8)
LOOKUP_GAMMAS = (2, 4, 8)


def timed(run: Callable[[], Generation]) -> tuple[Generation, float, float]:
    """The generation, its wall seconds and its CPU seconds."""
    wall, cpu = time.perf_counter(), time.process_time()
    generation = run()
    return generation, time.perf_counter() - wall, time.process_time() - cpu


def baseline(target: Transformer, prompt: list[int], sampling: Sampling, repeat: int = 2) -> tuple[float, float]:
    """Best wall and CPU seconds of target-only decoding."""
    runs = [
        timed(lambda s=s: target_only_generate(target, prompt, NEW_TOKENS, sampling, np.random.default_rng(s)))
        for s in range(repeat)
    ]
    return min(r[1] for r in runs), min(r[2] for r in runs)


def verification_cost(target: Transformer, prompt: list[int], gamma: int, repeat: int = 5) -> float:
    """Seconds of a target pass over gamma + 1 new tokens divided by a pass over one (c_v)."""
    cache = target.new_cache()
    target.prefill(prompt, cache)
    times = {}
    for n in (1, gamma + 1):
        best = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            target.decode(list(range(n)), cache)
            best = min(best, time.perf_counter() - start)
            cache.rollback(len(prompt))
        times[n] = best
    return times[gamma + 1] / times[1]


def speed_rows(
    target: Transformer, small: Transformer, prompt: list[int]
) -> tuple[list[list[object]], dict[str, float]]:
    sampling = Sampling(1.0)
    groups: list[tuple[str, Callable[[], Draft], Sampling, tuple[int, ...]]] = [
        ("small transformer", lambda: ModelDraft(small), sampling, GAMMAS),
        ("self-speculative", lambda: SelfSpeculativeDraft(target, 1), sampling, GAMMAS),
        ("prompt lookup", lambda: PromptLookupDraft(CONFIG.vocab_size), sampling, LOOKUP_GAMMAS),
        ("prompt lookup, greedy", lambda: PromptLookupDraft(CONFIG.vocab_size), GREEDY, LOOKUP_GAMMAS),
    ]
    rows: list[list[object]] = []
    best: dict[str, float] = {}
    c_v = {gamma: verification_cost(target, prompt, gamma) for gamma in sorted({*GAMMAS, *LOOKUP_GAMMAS})}
    for name, make, mode, gammas in groups:
        base_wall, base_cpu = baseline(target, prompt, mode)
        label = "greedy" if mode.greedy else "T=1"
        rows.append([f"target only ({label})", "-", f"{NEW_TOKENS / base_wall:.1f}", "1.00x", "1.00x", *(["-"] * 6)])
        for gamma in gammas:
            generation, wall, cpu = timed(
                lambda make=make, gamma=gamma, mode=mode: speculative_generate(
                    target, make(), prompt, NEW_TOKENS, gamma, mode, np.random.default_rng(gamma)
                )
            )
            stats = generation.stats
            examined = stats.accepted + stats.rejected
            alpha = stats.alpha if examined else 0.0
            target_pass = base_wall / NEW_TOKENS
            c = (stats.draft_seconds / stats.draft_passes) / target_pass if stats.draft_passes else 0.0
            best[name] = max(best.get(name, 0.0), base_cpu / cpu)
            verify = c_v[gamma] if stats.drafted else 1.0  # nothing drafted: every target pass is one token
            rows.append(
                [
                    name,
                    gamma,
                    f"{NEW_TOKENS / wall:.1f}",
                    f"{base_wall / wall:.2f}x",
                    f"{base_cpu / cpu:.2f}x",
                    f"{alpha:.3f}" if examined else "- (no match)",
                    f"{stats.tokens_per_pass:.2f}",
                    f"{c:.3f}",
                    f"{expected_speedup(alpha, gamma, c):.2f}x",
                    f"{verify:.2f}",
                    f"{expected_tokens_per_pass(alpha, gamma) / (gamma * c + verify):.2f}x",
                ]
            )
    return rows, best


def formula_rows() -> tuple[list[list[object]], float]:
    """Tokens per pass against the formula on the tiny pair, many rounds per gamma."""
    pair = model_pair()
    rows: list[list[object]] = []
    worst = 0.0
    drafts: dict[str, Callable[[], Draft]] = {
        "small transformer": lambda: ModelDraft(pair.small_draft),
        "self-speculative": lambda: SelfSpeculativeDraft(pair.target, 1),
    }
    for name, make in drafts.items():
        for gamma in range(1, 9):
            kept = rejected = tokens = rounds = 0
            for seed in range(6):
                generation = speculative_generate(
                    pair.target, make(), [1 + seed, 5, 9], 150, gamma, Sampling(1.0), np.random.default_rng(seed)
                )
                for r in generation.rounds[:-1]:  # the last round may be cut short by the length limit
                    kept += r.accepted
                    rejected += r.accepted < len(r.drafted)
                    tokens += r.accepted + (r.token is not None)
                    rounds += 1
            alpha = kept / (kept + rejected)
            measured, formula = tokens / rounds, expected_tokens_per_pass(alpha, gamma)
            worst = max(worst, abs(measured / formula - 1))
            rows.append(
                [
                    name,
                    gamma,
                    rounds,
                    f"{alpha:.3f}",
                    f"{measured:.3f}",
                    f"{formula:.3f}",
                    f"{measured / formula - 1:+.1%}",
                ]
            )
    return rows, worst


# --- the trained byte-level pair ----------------------------------------------------------------

TRAINED_GAMMAS = (1, 2, 3, 4, 5, 6)
TRAINED_PROMPTS = 8  # prompts of 48 bytes from the validation split, 64 new bytes each


def trained_prompts(pair: TrainedPair, count: int = TRAINED_PROMPTS, length: int = 48) -> list[list[int]]:
    """Evenly spaced slices of the held-out text (bytes the models were not trained on)."""
    windows = load_corpus(MODELS_DIR).fixed_windows("validation", count, length)
    return [[int(t) for t in w] for w in windows]


def trained_verify_cost(
    target: Transformer, prompt: list[int], gammas: tuple[int, ...], repeat: int = 30
) -> dict[int, float]:
    """c_v: CPU seconds of one target pass over gamma + 1 new tokens against a pass over one, per gamma."""
    cache = target.new_cache()
    target.prefill(prompt, cache)
    cost = {}
    for n in sorted({1, *(g + 1 for g in gammas)}):
        best = float("inf")
        for _ in range(repeat):
            start = time.process_time()
            target.decode(prompt[:n], cache)
            best = min(best, time.process_time() - start)
            cache.rollback(len(prompt))
        cost[n] = best
    return {g: cost[g + 1] / cost[1] for g in gammas}


def target_only_cpu(pair: TrainedPair, prompts: list[list[int]], new: int, sampling: Sampling) -> float:
    """Best of two: CPU seconds of target-only decoding of every prompt."""

    def once() -> float:
        start = time.process_time()
        for i, p in enumerate(prompts):
            target_only_generate(pair.target, p, new, sampling, np.random.default_rng(i))
        return time.process_time() - start

    return min(once(), once())


@dataclass
class Tally:
    """Speculative decoding of every prompt at one gamma: CPU time and round counts."""

    cpu: float = 0.0
    draft_seconds: float = 0.0
    draft_passes: int = 0
    target_passes: int = 0
    kept: int = 0
    rejected: int = 0
    tokens: int = 0
    rounds: int = 0


def speculative_tally(pair: TrainedPair, prompts: list[list[int]], new: int, gamma: int, sampling: Sampling) -> Tally:
    """Run the trained pair on every prompt; rounds counted but each generation's last (cut by the length limit)."""
    tally = Tally()
    for i, p in enumerate(prompts):
        draft = ModelDraft(pair.draft, clock=time.process_time)
        start = time.process_time()
        generation = speculative_generate(pair.target, draft, p, new, gamma, sampling, np.random.default_rng(i))
        tally.cpu += time.process_time() - start
        tally.draft_seconds += draft.seconds
        tally.draft_passes += draft.passes
        tally.target_passes += generation.stats.target_passes
        for r in generation.rounds[:-1]:
            tally.kept += r.accepted
            tally.rejected += r.accepted < len(r.drafted)
            tally.tokens += r.accepted + (r.token is not None)
            tally.rounds += 1
    return tally


def trained_rows(pair: TrainedPair) -> tuple[list[list[object]], dict[str, float], list[list[object]], float]:
    """Speed (CPU time) against target-only decoding on held-out text, and tokens per pass against the formula."""
    prompts, new = trained_prompts(pair), 64
    c_v = trained_verify_cost(pair.target, prompts[0], TRAINED_GAMMAS)
    rows: list[list[object]] = []
    theory: list[list[object]] = []
    best: dict[str, float] = {}
    worst = 0.0
    for label, sampling in (("T=1", Sampling(1.0)), ("greedy", GREEDY)):
        base = target_only_cpu(pair, prompts, new, sampling)
        rows.append([f"target only ({label})", "-", "1.00x", *(["-"] * 7)])
        for gamma in TRAINED_GAMMAS:
            t = speculative_tally(pair, prompts, new, gamma, sampling)
            alpha = t.kept / (t.kept + t.rejected)
            c = (t.draft_seconds / t.draft_passes) / (base / (new * len(prompts)))
            measured, formula = t.tokens / t.rounds, expected_tokens_per_pass(alpha, gamma)
            error = measured / formula - 1
            worst = max(worst, abs(error))
            best[label] = max(best.get(label, 0.0), base / t.cpu)
            predicted = (f"{expected_speedup(alpha, gamma, c):.2f}x", f"{formula / (gamma * c + c_v[gamma]):.2f}x")
            measures = [f"{base / t.cpu:.2f}x", f"{alpha:.3f}", f"{measured:.2f}", f"{c:.3f}", f"{c_v[gamma]:.2f}"]
            rows.append([f"trained draft ({label})", gamma, *measures, *predicted, t.target_passes])
            theory.append(
                [label, gamma, t.rounds, f"{alpha:.3f}", f"{measured:.3f}", f"{formula:.3f}", f"{error:+.1%}"]
            )
    return rows, best, theory, worst


def sample_text(pair: TrainedPair) -> str:
    """One speculative continuation of held-out text, round by round, as readable text."""
    prompt = trained_prompts(pair)[3]
    generation = speculative_generate(
        pair.target, ModelDraft(pair.draft), prompt, 64, 4, Sampling(1.0), np.random.default_rng(0)
    )
    show = lambda tokens: repr(decode(tokens)) if tokens else ""  # noqa: E731
    lines = [f"prompt: {show(prompt)}", f"continuation: {show(generation.tokens)}", ""]
    records = round_text_records(generation.rounds, show)
    lines.append(markdown_table(list(records[0]), [list(r.values()) for r in records]))
    return "\n".join(lines)


def main() -> None:
    start = time.perf_counter()
    pair = trained_pair()
    trained, trained_best, trained_theory, trained_worst = trained_rows(pair)
    sample = sample_text(pair)
    target = build_target(CONFIG, seed=1, refinement=REFINEMENT)
    small = distil_draft(target, n_sequences=32, length=48)
    prompt = [int(t) for t in np.random.default_rng(7).integers(0, CONFIG.vocab_size, 16)]
    rows, best = speed_rows(target, small, prompt)
    theory, worst = formula_rows()
    theory_table = markdown_table(
        ["draft", "gamma", "rounds", "alpha", "tokens/pass measured", "formula", "error"], theory
    )
    headings = ["decoding", "gamma", "tokens/s (wall)", "speed-up (wall)", "speed-up (CPU)", "alpha", "tokens/pass"]
    headings += ["c", "formula speed-up", "c_v", "formula with c_v"]
    synthetic = markdown_table(headings, rows)
    trained_headings = ["decoding", "gamma", "speed-up (CPU)", "alpha", "tokens/pass", "c", "c_v"]
    trained_headings += ["formula speed-up", "formula with c_v", "target passes"]
    theory_headings = ["sampling", "gamma", "rounds", "alpha", "tokens/pass measured", "formula", "error"]
    notes = [
        f"trained pair: target {pair.target.n_params / 1e6:.2f} M weights, draft {pair.draft.n_params / 1e6:.2f} M "
        f"(byte tokens; models/manifest.json); {TRAINED_PROMPTS} held-out prompts of 48 bytes, 64 new bytes each",
        "speed-up = target-only CPU seconds / speculative CPU seconds (process_time) for the same tokens, same run",
        "alpha = kept / examined drafts over all rounds but each generation's last; c = draft CPU seconds per draft"
        " pass / target-only CPU seconds per token; c_v = CPU time of a target pass over gamma + 1 tokens / one token",
        "best CPU-time speed-up of the trained pair: "
        + ", ".join(f"{k} {v:.2f}x" for k, v in trained_best.items())
        + " (target >= 2x)",
        f"tokens per pass against the formula on the trained pair: largest deviation {trained_worst:.1%} (target 3%)",
        "\n## Tokens per target pass against the formula, trained pair\n\n"
        + markdown_table(theory_headings, trained_theory),
        "\n## A sample: speculative sampling (T=1, gamma 4) on held-out text\n\n" + sample,
        "\n## Synthetic memory-bound target (untrained, built to agree)\n\n" + synthetic,
        f"synthetic target {target.n_params / 1e6:.1f} M weights ({target.n_params * 4 / 2**20:.0f} MiB float32), "
        f"small draft {small.n_params / 1e6:.1f} M; {NEW_TOKENS} new tokens after a 16-token prompt",
        "best CPU-time speed-up per draft (synthetic): " + ", ".join(f"{k} {v:.2f}x" for k, v in best.items()),
        f"tokens per pass against the formula (tiny untrained pair, 6 x 150 tokens per row): largest deviation "
        f"{worst:.1%}",
        "\n## Tokens per target pass against the formula, tiny untrained pair\n\n" + theory_table,
        f"whole benchmark {time.perf_counter() - start:.0f} s",
    ]
    write_report(
        "speculative",
        "Speculative decoding: CPU time against target-only decoding, trained byte-level pair",
        trained_headings,
        trained,
        notes,
    )


if __name__ == "__main__":
    main()

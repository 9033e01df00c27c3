"""Benchmark: tokens per CPU second of target-only decoding against speculative decoding.

Main table: the trained byte-level pair (models/), on held-out text, on two paths: the compiled
decode path (livingspec.gqa.FusedTransformer, numba) and the numpy reference. Each row gives the
measured speed-up beside Leviathan et al.'s formula at the measured acceptance rate alpha and draft
cost c, and again with the measured cost of a verification pass (c_v) and of the loop's own work
per round (overhead) in place of the formula's assumption that both are free. Then tokens per
target pass against the formula over many held-out prompts (untimed), and one round-by-round sample.

Then (unless --trained-only) a synthetic memory-bound target (8 blocks of width 768, about 200 MiB
of float32 weights, untrained and built to agree with its drafts) with a distilled small draft, the
target's own first block (self-speculative) and prompt lookup; and the formula on the features'
tiny pair. The peer is always target-only decoding in the same run.

Run: .venv/bin/python benchmarks/speculative.py [--trained-only]
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

from _common import Headline, markdown_table, write_report
from livingspec.gqa import FusedTransformer, GPTConfig, Transformer
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
TRAINED_PROMPTS = 8  # timed: prompts of 48 bytes from the validation split, 64 new bytes each
FORMULA_PROMPTS = 96  # untimed: the tokens-per-pass check, many rounds per gamma
NEW_BYTES = 64
REPEAT = 3  # timed runs per row; the fastest counts (the machine is shared)


def trained_prompts(count: int = TRAINED_PROMPTS, length: int = 48) -> list[list[int]]:
    """Evenly spaced slices of the held-out text (bytes the models were not trained on)."""
    windows = load_corpus(MODELS_DIR).fixed_windows("validation", count, length)
    return [[int(t) for t in w] for w in windows]


def fused_pair(pair: TrainedPair) -> TrainedPair:
    """The same weights on the compiled decode path (livingspec.gqa.FusedTransformer)."""
    return TrainedPair(FusedTransformer.of(pair.target), FusedTransformer.of(pair.draft), pair.manifest)


def trained_verify_cost(
    target: Transformer, prompt: list[int], gammas: tuple[int, ...], repeat: int = 40
) -> dict[int, float]:
    """c_v: CPU seconds of one target pass over gamma + 1 new tokens against a pass over one, per gamma.

    Key 0: the prompt's prefill against a single-token pass (both decodings pay it once per prompt).
    """
    cache = target.new_cache()
    target.prefill(prompt, cache)
    best = dict.fromkeys(sorted({1, *(g + 1 for g in gammas)}), float("inf"))
    for _ in range(repeat):  # sizes interleaved, so a busy moment hits all of them alike
        for n in best:
            start = time.process_time()
            target.decode(prompt[:n], cache)
            best[n] = min(best[n], time.process_time() - start)
            cache.rollback(len(prompt))
    prefill = float("inf")
    for _ in range(repeat // 4):
        fresh = target.new_cache()
        start = time.process_time()
        target.prefill(prompt, fresh)
        prefill = min(prefill, time.process_time() - start)
    return {0: prefill / best[1], **{g: best[g + 1] / best[1] for g in gammas}}


def matmul_floor(target: Transformer, gammas: tuple[int, ...], repeat: int = 40) -> dict[int, float]:
    """The matrix products alone (every projection and the head, BLAS sgemm over T rows): T = gamma + 1 against T = 1.

    The part of c_v no decode path can remove: on a model this small the products over a few rows
    already run near the core's multiply-add rate, so their time grows with T.
    """
    weights = [np.ascontiguousarray(w) for k, w in target.params.items() if w.ndim == 2 and "tok_embeddings" not in k]
    weights.append(np.ascontiguousarray(target.head))
    inputs = {
        n: {w.shape[0]: np.ones((n, w.shape[0]), np.float32) for w in weights} for n in {1, *(g + 1 for g in gammas)}
    }
    best = dict.fromkeys(sorted(inputs), float("inf"))
    for _ in range(repeat):
        for n, xs in inputs.items():
            start = time.process_time()
            for w in weights:
                xs[w.shape[0]] @ w
            best[n] = min(best[n], time.process_time() - start)
    return {g: best[g + 1] / best[1] for g in gammas}


def target_only_cpu(pair: TrainedPair, prompts: list[list[int]], sampling: Sampling) -> tuple[float, float]:
    """CPU and wall seconds of target-only decoding of every prompt (one run)."""
    start, wall = time.process_time(), time.perf_counter()
    for i, p in enumerate(prompts):
        target_only_generate(pair.target, p, NEW_BYTES, sampling, np.random.default_rng(i))
    return time.process_time() - start, time.perf_counter() - wall


@dataclass
class Tally:
    """Speculative decoding of every prompt at one gamma: CPU times and round counts."""

    cpu: float = 0.0
    wall: float = 0.0
    target_seconds: float = 0.0  # wall seconds inside target passes (perf_counter: a clock read costs 0.1 us)
    draft_seconds: float = 0.0
    draft_passes: int = 0
    target_passes: int = 0
    kept: int = 0
    rejected: int = 0
    tokens: int = 0
    rounds: int = 0  # all rounds but each generation's last
    all_rounds: int = 0

    @property
    def alpha(self) -> float:
        """Kept / examined drafts."""
        return self.kept / (self.kept + self.rejected)

    @property
    def tokens_per_pass(self) -> float:
        """New tokens per round (one target pass each)."""
        return self.tokens / self.rounds


def speculative_tally(pair: TrainedPair, prompts: list[list[int]], gamma: int, sampling: Sampling) -> Tally:
    """Run the pair on every prompt; rounds counted but each generation's last (cut by the length limit)."""
    tally = Tally()
    for i, p in enumerate(prompts):
        draft = ModelDraft(pair.draft)
        start, wall = time.process_time(), time.perf_counter()
        generation = speculative_generate(pair.target, draft, p, NEW_BYTES, gamma, sampling, np.random.default_rng(i))
        tally.cpu += time.process_time() - start
        tally.wall += time.perf_counter() - wall
        tally.target_seconds += generation.stats.target_seconds
        tally.draft_seconds += draft.seconds
        tally.draft_passes += draft.passes
        tally.target_passes += generation.stats.target_passes
        tally.all_rounds += len(generation.rounds)
        for r in generation.rounds[:-1]:
            tally.kept += r.accepted
            tally.rejected += r.accepted < len(r.drafted)
            tally.tokens += r.accepted + (r.token is not None)
            tally.rounds += 1
    return tally


@dataclass
class Best:
    """The best CPU-time speed-up seen: which path, sampling and gamma, and both rates (tokens per CPU second)."""

    ratio: float = 0.0
    where: str = ""
    ours: float = 0.0
    peer: float = 0.0


def _trained_row(
    path: str, label: str, gamma: int, base: tuple[float, float], t: Tally, c_v: float, tokens: int
) -> list[object]:
    """One row: measured speed-up (CPU time) beside Leviathan's formula with the measured alpha, c and c_v."""
    cpu, wall = base
    per_token = wall / tokens  # target-only wall seconds per token: one single-token target pass and its sampling
    c = (t.draft_seconds / t.draft_passes) / per_token
    overhead = (t.wall - t.target_seconds - t.draft_seconds) / t.all_rounds / per_token
    formula = expected_tokens_per_pass(t.alpha, gamma)
    measured = [f"{tokens / t.cpu:.0f}", f"{cpu / t.cpu:.2f}x", f"{t.alpha:.3f}", f"{t.tokens_per_pass:.2f}"]
    costs = [f"{c:.3f}", f"{c_v:.2f}", f"{overhead:.3f}"]
    predicted = [f"{expected_speedup(t.alpha, gamma, c):.2f}x", f"{formula / (gamma * c + c_v + overhead):.2f}x"]
    return [path, f"trained draft ({label})", gamma, *measured, *costs, *predicted, t.target_passes]


def trained_rows(pair: TrainedPair) -> tuple[list[list[object]], Best, dict[str, float], dict[int, float]]:
    """Speed (CPU time) against target-only decoding on held-out text, on the compiled and the numpy paths."""
    prompts = trained_prompts()
    tokens = NEW_BYTES * len(prompts)
    rows: list[list[object]] = []
    best, best_numpy = Best(), 0.0
    floor: dict[int, float] = {}
    prefills: dict[str, float] = {}
    for path, models in (("fused", fused_pair(pair)), ("numpy", pair)):
        c_v = trained_verify_cost(models.target, prompts[0], TRAINED_GAMMAS)
        prefills[path] = c_v[0]
        if path == "fused":
            floor = matmul_floor(models.target, TRAINED_GAMMAS)
        for label, sampling in (("T=1", Sampling(1.0)), ("greedy", GREEDY)):
            base = (float("inf"), float("inf"))
            tallies: dict[int, Tally] = {}
            for _ in range(REPEAT if path == "fused" else 1):  # target-only and every gamma, interleaved
                base = min(base, target_only_cpu(models, prompts, sampling))
                for gamma in TRAINED_GAMMAS:
                    t = speculative_tally(models, prompts, gamma, sampling)
                    tallies[gamma] = min(tallies.get(gamma, t), t, key=lambda x: x.cpu)
            cpu = base[0]
            rows.append([path, f"target only ({label})", "-", f"{tokens / cpu:.0f}", "1.00x", *(["-"] * 8)])
            for gamma, t in tallies.items():
                rows.append(_trained_row(path, label, gamma, base, t, c_v[gamma], tokens))
                if path == "fused" and cpu / t.cpu > best.ratio:
                    best = Best(cpu / t.cpu, f"{label}, gamma {gamma}", tokens / t.cpu, tokens / cpu)
                if path == "numpy":
                    best_numpy = max(best_numpy, cpu / t.cpu)
    return rows, best, {"numpy": best_numpy, **{f"prefill {k}": v for k, v in prefills.items()}}, floor


def formula_check(pair: TrainedPair) -> tuple[list[list[object]], float]:
    """Tokens per target pass against (1 - alpha^(gamma+1)) / (1 - alpha) over many held-out prompts (untimed)."""
    prompts = trained_prompts(FORMULA_PROMPTS)
    rows: list[list[object]] = []
    worst = 0.0
    for label, sampling in (("T=1", Sampling(1.0)), ("greedy", GREEDY)):
        for gamma in TRAINED_GAMMAS:
            t = speculative_tally(pair, prompts, gamma, sampling)
            formula = expected_tokens_per_pass(t.alpha, gamma)
            error = t.tokens_per_pass / formula - 1
            worst = max(worst, abs(error))
            measured = [f"{t.alpha:.3f}", f"{t.tokens_per_pass:.3f}", f"{formula:.3f}", f"{error:+.1%}"]
            rows.append([label, gamma, t.rounds, *measured])
    return rows, worst


def sample_text(pair: TrainedPair) -> str:
    """One speculative continuation of held-out text, round by round, as readable text."""
    prompt = trained_prompts()[3]
    generation = speculative_generate(
        pair.target, ModelDraft(pair.draft), prompt, 64, 4, Sampling(1.0), np.random.default_rng(0)
    )
    show = lambda tokens: repr(decode(tokens)) if tokens else ""  # noqa: E731
    lines = [f"prompt: {show(prompt)}", f"continuation: {show(generation.tokens)}", ""]
    records = round_text_records(generation.rounds, show)
    lines.append(markdown_table(list(records[0]), [list(r.values()) for r in records]))
    return "\n".join(lines)


def synthetic_notes() -> list[str]:
    """The untrained memory-bound target and the tiny pair's formula table (skipped with --trained-only)."""
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
    return [
        "\n## Synthetic memory-bound target (untrained, built to agree)\n\n" + markdown_table(headings, rows),
        f"synthetic target {target.n_params / 1e6:.1f} M weights ({target.n_params * 4 / 2**20:.0f} MiB float32), "
        f"small draft {small.n_params / 1e6:.1f} M; {NEW_TOKENS} new tokens after a 16-token prompt",
        "best CPU-time speed-up per draft (synthetic): " + ", ".join(f"{k} {v:.2f}x" for k, v in best.items()),
        f"tokens per pass against the formula (tiny untrained pair, 6 x 150 tokens per row): largest deviation "
        f"{worst:.1%}",
        "\n## Tokens per target pass against the formula, tiny untrained pair\n\n" + theory_table,
    ]


def main(argv: list[str]) -> None:
    start = time.perf_counter()
    pair = trained_pair()
    trained, best, others, floor = trained_rows(pair)
    prefills = {path: others[f"prefill {path}"] for path in ("fused", "numpy")}
    theory, worst = formula_check(fused_pair(pair))
    sample = sample_text(pair)
    trained_headings = ["path", "decoding", "gamma", "tokens per CPU s", "speed-up (CPU)", "alpha", "tokens/pass"]
    trained_headings += ["c", "c_v", "overhead", "formula speed-up", "formula with c_v + overhead", "target passes"]
    theory_headings = ["sampling", "gamma", "rounds", "alpha", "tokens/pass measured", "formula", "error"]
    draft_how = "distilled from the target" if pair.record("draft")["recipe"].get("teacher") else "trained on the text"
    notes = [
        f"trained pair: target {pair.target.n_params / 1e6:.2f} M weights, draft {pair.draft.n_params / 1e6:.2f} M "
        f"(byte tokens; models/manifest.json; the draft {draft_how}); {TRAINED_PROMPTS} held-out prompts of 48 bytes, "
        f"{NEW_BYTES} new bytes each; fastest of {REPEAT} interleaved runs per row (fused path)",
        "path: fused = livingspec.gqa.FusedTransformer (one compiled function per forward pass, numba; BLAS sgemm per "
        "projection); numpy = the reference Transformer. One BLAS thread for both (OPENBLAS_NUM_THREADS=1 before "
        "numpy is imported; the scipy-openblas numba calls reads it too), so CPU time is one core's",
        "speed-up = target-only CPU seconds / speculative CPU seconds (process_time) for the same tokens, same run",
        "alpha = kept / examined drafts over all rounds but each generation's last; c = draft seconds per draft"
        " pass / target-only seconds per token; c_v = CPU time of a target pass over gamma + 1 tokens / one token;"
        " overhead = seconds per round outside both models' passes (sampling, acceptance, bookkeeping) /"
        " target-only seconds per token (c and overhead from wall clocks read around each pass, perf_counter, in the"
        " same runs; CPU-time clocks are process-wide system calls, too costly to read twice per pass)",
        "formula speed-up = Leviathan et al.'s (1 - alpha^(gamma+1)) / ((1 - alpha)(gamma c + 1)), which takes a"
        " verification pass to cost one single-token pass; 'with c_v + overhead' puts the measured costs in its place",
        f"best CPU-time speed-up of the trained pair (fused path): {best.ratio:.2f}x ({best.where}); numpy path "
        f"{others['numpy']:.2f}x (target >= 2x)",
        f"prefill of a 48-byte prompt: {prefills['fused']:.0f} single-token passes on the fused path, "
        f"{prefills['numpy']:.0f} on the numpy path (both decodings pay it once per prompt, in every row's CPU time)",
        "c_v floor: the target's matrix products alone (BLAS sgemm over gamma + 1 rows against one row), per gamma: "
        + ", ".join(f"{g}: {v:.2f}" for g, v in floor.items())
        + " (the products are most of a pass, so c_v cannot go far below these on this CPU)",
        f"tokens per pass against the formula on the trained pair, {FORMULA_PROMPTS} held-out prompts x {NEW_BYTES} "
        f"bytes per row: largest deviation {worst:.1%} (target 3%)",
        "\n## Tokens per target pass against the formula, trained pair\n\n" + markdown_table(theory_headings, theory),
        "\n## A sample: speculative sampling (T=1, gamma 4) on held-out text\n\n" + sample,
    ]
    if "--trained-only" not in argv:
        notes += synthetic_notes()
    notes.append(f"whole benchmark {time.perf_counter() - start:.0f} s")
    headline = Headline(
        f"speed-up over target-only decoding, CPU time (best gamma: {best.where})",
        f"{best.ours:.0f} tokens/s",
        f"{best.peer:.0f} tokens/s",
        best.ratio,
        2.0,
    )
    write_report(
        "speculative",
        "Speculative decoding: CPU time against target-only decoding, trained byte-level pair",
        trained_headings,
        trained,
        notes,
        headlines=[headline],
    )


if __name__ == "__main__":
    main(sys.argv[1:])

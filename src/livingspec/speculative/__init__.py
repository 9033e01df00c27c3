"""Speculative decoding: a cheap draft proposes tokens, the target verifies them all in one pass.

Seed, day 10. Leviathan, Kalman, Matias, "Fast Inference from Transformers via Speculative
Decoding" (ICML 2023); Chen et al., "Accelerating Large Language Model Decoding with Speculative
Sampling" (2023). Accept-or-resample keeps the target's output distribution exactly; each round
costs one target pass and yields between 1 and gamma + 1 tokens. Runs on the numpy transformer of
livingspec.gqa with three drafts: a small transformer, the target's own early layers, and prompt lookup.
"""

from livingspec.speculative.catalog import DRAFT_KINDS, DRAFT_PRESETS, TINY, DraftSpec, TargetSpec
from livingspec.speculative.chatbot import (
    EOS,
    WORDS,
    ChatBotWithSpeculativeDecoding,
    ChatResponse,
    detokenize,
    tokenize,
)
from livingspec.speculative.decoding import (
    Generation,
    Round,
    Stats,
    round_records,
    round_text_records,
    speculative_generate,
    target_only_generate,
)
from livingspec.speculative.drafts import (
    CachedRunner,
    Draft,
    ModelDraft,
    PromptLookupDraft,
    Proposal,
    SelfSpeculativeDraft,
)
from livingspec.speculative.errors import (
    DraftError,
    GenerationError,
    ModelFileError,
    SamplingError,
    SpeculativeError,
)
from livingspec.speculative.models import TINY_TARGET, ModelPair, build_target, distil_draft, model_pair
from livingspec.speculative.sampling import (
    GREEDY,
    Sampling,
    accept_or_resample,
    acceptance_probability,
    check_distribution,
    draw,
    expected_acceptance,
    output_distribution,
    residual,
)
from livingspec.speculative.theory import (
    Reading,
    alpha_for_kept_fraction,
    best_gamma,
    cost_ratio_for_speedup,
    expected_speedup,
    expected_tokens_per_pass,
    kept_fraction,
    readings,
)
from livingspec.speculative.trained import MODELS_DIR, TrainedPair, load_pair, trained_pair

__all__ = [
    "DRAFT_KINDS",
    "DRAFT_PRESETS",
    "EOS",
    "GREEDY",
    "MODELS_DIR",
    "TINY",
    "TINY_TARGET",
    "WORDS",
    "CachedRunner",
    "ChatBotWithSpeculativeDecoding",
    "ChatResponse",
    "Draft",
    "DraftError",
    "DraftSpec",
    "Generation",
    "GenerationError",
    "ModelDraft",
    "ModelFileError",
    "ModelPair",
    "PromptLookupDraft",
    "Proposal",
    "Reading",
    "Round",
    "Sampling",
    "SamplingError",
    "SelfSpeculativeDraft",
    "SpeculativeError",
    "Stats",
    "TargetSpec",
    "TrainedPair",
    "accept_or_resample",
    "acceptance_probability",
    "alpha_for_kept_fraction",
    "best_gamma",
    "build_target",
    "check_distribution",
    "cost_ratio_for_speedup",
    "detokenize",
    "distil_draft",
    "draw",
    "expected_acceptance",
    "expected_speedup",
    "expected_tokens_per_pass",
    "kept_fraction",
    "load_pair",
    "model_pair",
    "output_distribution",
    "readings",
    "residual",
    "round_records",
    "round_text_records",
    "speculative_generate",
    "target_only_generate",
    "tokenize",
    "trained_pair",
]

"""Targets and drafts as descriptions: the shipped ones are presets, a scenario can describe its own.

A target is described by its blocks, heads, key/value heads, width, refinement and seed (see
``models``); a draft by its kind and the one or two numbers that kind needs:

- ``distilled``: a separate transformer of ``blocks`` blocks with a head fitted to the target;
- ``early exit``: the target's own first ``blocks`` blocks and head (self-speculative decoding);
- ``prompt lookup``: copy what followed the latest earlier match of the last n-gram (n up to ``ngram``);
- ``random``: an unrelated transformer of ``blocks`` blocks with its own seeded weights.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

from livingspec.gqa import Transformer
from livingspec.speculative.drafts import Draft, ModelDraft, PromptLookupDraft, SelfSpeculativeDraft
from livingspec.speculative.errors import DraftError
from livingspec.speculative.models import TINY_TARGET, ModelPair, distil_draft, model_pair

DRAFT_KINDS = ("distilled", "early exit", "prompt lookup", "random")


def _integer(field: str, text: str) -> int:
    if not text.strip().isdigit():
        raise DraftError(f"{field} must be a whole number, got {text!r}")
    return int(text)


@dataclass(frozen=True)
class DraftSpec:
    """A draft, described: its kind and the numbers it needs (blocks, n-gram length, seed)."""

    kind: str
    blocks: int = 1  # distilled, early exit, random: how many transformer blocks
    ngram: int = 3  # prompt lookup: the longest suffix n-gram matched
    seed: int = 99  # random: the seed of its weights

    def __post_init__(self) -> None:
        if self.kind not in DRAFT_KINDS:
            raise DraftError(f"unknown draft kind {self.kind!r}; known: {', '.join(DRAFT_KINDS)}")
        if self.blocks < 1 or self.ngram < 1:
            raise DraftError(f"a draft needs at least one block and an n-gram of at least 1, got {self}")

    @classmethod
    def described(cls, description: Mapping[str, str]) -> DraftSpec:
        """From a table row: kind (required), blocks, ngram, seed."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(description) - known)
        if unknown:
            raise DraftError(f"a draft has no {unknown[0]!r}; a description has {', '.join(sorted(known))}")
        if "kind" not in description:
            raise DraftError(f"a draft description needs its kind: {', '.join(DRAFT_KINDS)}")
        numbers = {k: _integer(k, v) for k, v in description.items() if k != "kind"}
        return cls(description["kind"].strip(), **numbers)

    def build(self, pair: ModelPair) -> Draft:
        """The draft for this target (distilled drafts are fitted once per target and block count)."""
        target = pair.target
        if self.kind == "distilled":
            model = pair.small_draft if self.blocks == 1 else distil_draft(target, self.blocks)
            return ModelDraft(model, f"distilled ({self.blocks} block{'s' * (self.blocks > 1)})")
        if self.kind == "early exit":
            return SelfSpeculativeDraft(target, self.blocks)
        if self.kind == "prompt lookup":
            return PromptLookupDraft(target.config.vocab_size, max_ngram=self.ngram)
        config = target.config.replace(n_layer=self.blocks)
        return ModelDraft(Transformer.init(config, seed=self.seed), "unrelated")


#: The drafts the features name, as presets of the description.
DRAFT_PRESETS: dict[str, DraftSpec] = {
    "small": DraftSpec("distilled", blocks=1),
    "self-speculative": DraftSpec("early exit", blocks=1),
    "prompt-lookup": DraftSpec("prompt lookup", ngram=3),
    "unrelated": DraftSpec("random", blocks=1, seed=99),
}


@dataclass(frozen=True)
class TargetSpec:
    """A target, described (the tiny preset's values by default)."""

    blocks: int = TINY_TARGET.n_layer
    heads: int = TINY_TARGET.n_head
    kv_heads: int = TINY_TARGET.n_kv_head
    width: int = TINY_TARGET.n_embd
    refinement: float = 0.15
    seed: int = 1

    @classmethod
    def described(cls, description: Mapping[str, str]) -> TargetSpec:
        """From a table row: any of blocks, heads, kv_heads, width, refinement, seed."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(description) - known)
        if unknown:
            raise DraftError(f"a target has no {unknown[0]!r}; a description has {', '.join(sorted(known))}")
        spec = cls()
        for key, text in description.items():
            if key == "refinement":
                try:
                    spec = replace(spec, refinement=float(text))
                except ValueError:
                    raise DraftError(f"refinement must be a number in (0, 1], got {text!r}") from None
            else:
                spec = replace(spec, **{key: _integer(key, text)})
        return spec

    def build(self) -> ModelPair:
        """The target and its one-block distilled draft (memoised per description)."""
        config = TINY_TARGET.replace(n_layer=self.blocks, n_head=self.heads, n_kv_head=self.kv_heads, n_embd=self.width)
        return model_pair(config, self.seed, self.refinement)


TINY = TargetSpec()

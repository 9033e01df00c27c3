"""The seed's chatbot: a prompt, five draft tokens per round, greedy speculative decoding.

The seed's "7B draft, 70B target" become the tiny numpy pair of ``models``; its tokenizer is a
word-level vocabulary of 64 words. The models are untrained, so the words are not an answer, but
the response is token for token the target's own greedy response, as speculative decoding promises.
"""

from __future__ import annotations

from dataclasses import dataclass

from livingspec.gqa import Transformer
from livingspec.speculative.decoding import Generation, speculative_generate, target_only_generate
from livingspec.speculative.drafts import Draft
from livingspec.speculative.errors import GenerationError
from livingspec.speculative.sampling import GREEDY

#: 64 words; id 0 ends the response.
_VOCABULARY = r"""
    <eos> User: Assistant: \n I think the best approach is to use a small model that drafts tokens
    and large one checks them all at once in parallel so we get same answer faster than before it
    was slow but now fast what how why should do you can my code run quickly please explain decoding
    speculative hello world thanks good yes no help
"""
WORDS: tuple[str, ...] = tuple(_VOCABULARY.split())
EOS = 0


def tokenize(text: str) -> list[int]:
    """Word ids of a text (newlines as the word \\n); an unknown word raises GenerationError."""
    index = {word: i for i, word in enumerate(WORDS)}
    tokens = []
    for word in text.replace("\n", " \\n ").split():
        if word not in index:
            raise GenerationError(f"the word {word!r} is not in the chatbot's vocabulary")
        tokens.append(index[word])
    return tokens


def detokenize(tokens: list[int]) -> str:
    """Words joined by spaces (without the end-of-sequence word)."""
    return " ".join(WORDS[t] for t in tokens if t != EOS)


@dataclass
class ChatResponse:
    """The response text, its tokens and the generation record."""

    text: str
    generation: Generation


class ChatBotWithSpeculativeDecoding:
    """The seed's class: draft and target models, gamma draft tokens per round, greedy decoding."""

    def __init__(self, draft: Draft, target: Transformer, gamma: int = 5, max_new_tokens: int = 24) -> None:
        self.draft, self.target, self.gamma, self.max_new_tokens = draft, target, gamma, max_new_tokens

    @staticmethod
    def prompt(user_message: str) -> list[int]:
        """The seed's template: ``User: {message}\\nAssistant:``."""
        return tokenize(f"User: {user_message}\nAssistant:")

    def generate_response(self, user_message: str) -> ChatResponse:
        """Speculative greedy response to a message."""
        generation = speculative_generate(
            self.target, self.draft, self.prompt(user_message), self.max_new_tokens, self.gamma, GREEDY, eos_token=EOS
        )
        return ChatResponse(detokenize(generation.tokens), generation)

    def target_only_response(self, user_message: str) -> ChatResponse:
        """The target alone, greedy, one pass per token: what the response must equal."""
        generation = target_only_generate(
            self.target, self.prompt(user_message), self.max_new_tokens, GREEDY, eos_token=EOS
        )
        return ChatResponse(detokenize(generation.tokens), generation)

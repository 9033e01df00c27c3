"""A lazy DFA: the subset construction done while matching, one transition at a time, with a bounded cache.

A full DFA can need exponentially many states; a text of length n visits at most n + 1 of them.
So, as in RE2 and Cox's "Regular Expression Matching Can Be Simple And Fast", build a DFA state
only when the input reaches it and remember the transition. When the cache holds ``max_states``
states, stop adding: the rest of that input is matched by simulating the NFA over sets of states
(still linear in the input), and the cached part keeps serving later inputs.

Transitions are cached per *input item* (a character), after mapping it to an NFA symbol once
with ``classify``, so a cached step is one dictionary look-up.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

from livingspec.nfa.automaton import NFA, SubsetKey, Subsets, Symbol


@dataclass
class LazyStats:
    """What the cache did: states built, cached steps taken, steps that built a transition, fallbacks."""

    states: int = 0
    hits: int = 0
    misses: int = 0
    fallbacks: int = 0


class LazyDFA:
    """DFA states built on demand from an NFA, cached up to ``max_states``, with NFA simulation beyond."""

    def __init__(
        self,
        nfa: NFA,
        classify: Callable[[str], Symbol] | None = None,
        *,
        max_states: int = 2_000,
        stop_when_sure: bool = False,
    ) -> None:
        if max_states < 1:
            raise ValueError("a lazy DFA needs room for at least its start state")
        self.nfa = nfa
        self.subsets = Subsets(nfa)
        self.classify: Callable[[str], Symbol] = classify or (lambda symbol: symbol)
        self.max_states = max_states
        # stop_when_sure: an accept state reached before the end means acceptance whatever follows
        # (true of a search automaton ``.*(r).*``); then stop reading.
        self.stop_when_sure = stop_when_sure
        self.stats = LazyStats()
        self._keys: list[SubsetKey] = []
        self._numbers: dict[SubsetKey, int] = {}
        self._next: list[dict[Hashable, int]] = []  # _next[state][input item] = next state (-1: dead)
        self._accepting: list[bool] = []
        self._sure: list[bool] = []
        self._start = self._add(self.subsets.start())

    def _add(self, key: SubsetKey) -> int:
        number = len(self._keys)
        self._keys.append(key)
        self._numbers[key] = number
        self._next.append({})
        self._accepting.append(self.subsets.accepting(key))
        self._sure.append(self.stop_when_sure and self.nfa.is_accepting(key[0]))
        self.stats.states = len(self._keys)
        return number

    def accepts(self, word: Sequence[Hashable]) -> bool:
        """Run over ``word`` (characters, or symbols when no classify was given)."""
        state = self._start
        nexts, sure = self._next, self._sure
        for index, item in enumerate(word):
            if sure[state]:
                return True
            target = nexts[state].get(item)
            if target is None:
                self.stats.misses += 1
                key = self.subsets.step(self._keys[state], self.classify(item))  # type: ignore[arg-type]
                if not key[0]:
                    target = -1
                elif key in self._numbers:
                    target = self._numbers[key]
                elif len(self._keys) < self.max_states:
                    target = self._add(key)
                else:
                    self.stats.fallbacks += 1
                    return self._simulate(key, word[index + 1 :])
                nexts[state][item] = target
            else:
                self.stats.hits += 1
            if target < 0:
                return False
            state = target
        return self._accepting[state]

    def _simulate(self, key: SubsetKey, rest: Sequence[Hashable]) -> bool:
        """The cache is full: finish by stepping the NFA's set of current states."""
        states = key[0]
        for item in rest:
            states = self.nfa.step(states, self.classify(item))  # type: ignore[arg-type]
            if not states:
                return False
        return self.subsets.accepting((states, False))

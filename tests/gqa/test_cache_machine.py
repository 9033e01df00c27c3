"""The KV cache against a plain list of (key, value) rows: appends, rollbacks, sizes (stateful hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from livingspec.gqa import CacheError, KVCache, LayerCache

KV, DIM, CAPACITY = 2, 4, 24


class CacheMachine(RuleBasedStateMachine):
    """Two layers always hold the same tokens; every held row reads back what was appended."""

    def __init__(self) -> None:
        super().__init__()
        self.cache = KVCache([LayerCache(KV, DIM, CAPACITY, np.float16) for _ in range(2)])
        self.model: list[float] = []  # one number per cached token, written into its K and V rows

    @rule(values=st.lists(st.integers(-1000, 1000), min_size=1, max_size=6))
    def append(self, values):
        rows = np.array(values, dtype=np.float32)[None, :, None] * np.ones((KV, 1, DIM), np.float32)
        if len(self.model) + len(values) > CAPACITY:
            try:
                self.cache.layers[0].append(rows, -rows)
            except CacheError:
                return
            raise AssertionError("an overflowing append must raise CacheError")
        for layer in self.cache.layers:
            layer.append(rows, -rows)
        self.model += values

    @precondition(lambda self: self.model)
    @rule(data=st.data())
    def rollback(self, data):
        length = data.draw(st.integers(0, len(self.model)))
        self.cache.rollback(length)
        del self.model[length:]

    @rule(extra=st.integers(1, 5))
    def rollback_too_far(self, extra):
        try:
            self.cache.rollback(len(self.model) + extra)
        except CacheError:
            return
        raise AssertionError("rolling back beyond the length must raise CacheError")

    @invariant()
    def contents_and_size(self):
        assert self.cache.length == len(self.model)
        assert self.cache.nbytes == 2 * 2 * KV * DIM * 2 * len(self.model)
        for layer in self.cache.layers:
            keys = layer.k[0, : layer.length, 0]
            assert keys.tolist() == [float(np.float16(v)) for v in self.model]
            assert np.array_equal(layer.v[:, : layer.length], -layer.k[:, : layer.length])


TestCacheMachine = CacheMachine.TestCase

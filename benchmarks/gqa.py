"""Benchmark: decode-step attention time and KV bytes for MHA, GQA (4:1, 8:1) and MQA.

Same model size throughout: 32 query heads of dimension 128 (a 4096-wide layer, as Llama 2 7B),
float32 KV cache; only the number of key/value heads changes. One decode step is one query token
attending over a cache of 512 .. 8192 tokens (grouped_attention on views of the cache, as the
model runs it). Peers, measured in the same run: MHA (ratios against it) and the memory-bandwidth
floor, i.e. the KV bytes a step must read divided by the bandwidth numpy reaches on a large copy.

Run: .venv/bin/python benchmarks/gqa.py
"""

from __future__ import annotations

import os

# One BLAS thread: the 2 cores are shared with other work, and a second thread that waits for a busy
# core makes every matmul erratic. Set before numpy is imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Headline, best_of, write_report
from livingspec.gqa import AttentionShape, LayerCache, grouped_attention, kv_cache_memory

N_HEADS, HEAD_DIM = 32, 128
KV_HEADS = {"MHA": 32, "GQA 4:1": 8, "GQA 8:1": 4, "MQA": 1}
CONTEXTS = (512, 1024, 2048, 4096, 8192)


def copy_bandwidth(n_bytes: int = 512 * 1024**2) -> float:
    """Bytes per second moved (read + written) by np.copyto on a large float32 array."""
    source = np.ones(n_bytes // 4, dtype=np.float32)
    target = np.empty_like(source)
    seconds, _ = best_of(lambda: np.copyto(target, source), repeat=5)
    return 2 * n_bytes / seconds


def matmul_rate(n: int = 1024) -> float:
    """Floating-point operations per second numpy reaches on a large square float32 matmul."""
    a = np.ones((n, n), dtype=np.float32)
    seconds, _ = best_of(lambda: a @ a, repeat=5)
    return 2 * n**3 / seconds


def main() -> None:
    bandwidth = copy_bandwidth()
    flops = matmul_rate()
    rng = np.random.default_rng(0)
    rows = []
    results: dict[tuple[str, int], float] = {}
    for context in CONTEXTS:
        for label, kv in KV_HEADS.items():
            cache = LayerCache(kv, HEAD_DIM, context, np.float32)
            chunk = rng.standard_normal((kv, context, HEAD_DIM), dtype=np.float32)
            keys, values = cache.append(chunk, chunk[:, ::-1])
            q = rng.standard_normal((N_HEADS, 1, HEAD_DIM), dtype=np.float32)
            repeat = 30 if context <= 2048 else 15
            seconds, _ = best_of(lambda q=q, keys=keys, values=values: grouped_attention(q, keys, values), repeat)
            results[(label, context)] = seconds
            shape = AttentionShape(label, 1, N_HEADS, kv, HEAD_DIM)
            kv_bytes = kv_cache_memory(shape, context, 1, "float32").total
            assert kv_bytes == cache.nbytes
            floor = kv_bytes / bandwidth
            compute_floor = 4 * N_HEADS * context * HEAD_DIM / flops  # scores and values: 2 FLOPs per multiply-add
            mha_seconds = results[("MHA", context)]
            mha_bytes = kv_cache_memory(shape.with_kv_heads(N_HEADS), context, 1, "float32").total
            rows.append(
                [
                    context,
                    label,
                    kv,
                    f"{kv_bytes / 1024**2:.1f}",
                    f"{mha_bytes / kv_bytes:.0f}x",
                    f"{seconds * 1e3:.3f}",
                    f"{mha_seconds / seconds:.2f}x",
                    f"{floor * 1e3:.3f}",
                    f"{seconds / floor:.2f}x",
                    f"{compute_floor * 1e3:.3f}",
                    f"{seconds / max(floor, compute_floor):.2f}x",
                ]
            )
            del cache, chunk, keys, values
    headings = ["context", "attention", "KV heads", "KV MiB", "KV smaller", "step ms", "speed vs MHA"]
    headings += ["memory floor ms", "time / memory floor", "compute floor ms", "time / larger floor"]
    speedup = results[("MHA", 8192)] / results[("GQA 4:1", 8192)]
    notes = [
        f"32 query heads x head dim 128, float32, one layer, one query token; copy bandwidth {bandwidth / 1e9:.1f} GB/s"
        " (read + write bytes of np.copyto on 512 MiB)",
        "memory floor = KV bytes read per step / copy bandwidth; time / floor near 1: memory-bound at numpy's best",
        f"compute floor = 4 x heads x context x head dim FLOPs (GQA keeps them all) at the {flops / 1e9:.0f} GFLOP/s"
        " numpy reaches on a 1024^3 float32 matmul; a decode step cannot beat the larger of the two floors",
        "one BLAS thread (the 2 cores are shared): numpy's small-M matmuls reach far less than the large-matmul rate,"
        " so grouped heads, which need G query rows per key/value head, turn compute-bound long before memory-bound",
        f"target: GQA 4:1 at 8192 tokens >= 2.5x faster than MHA: measured {speedup:.2f}x",
        "target: KV bytes exactly heads/KV heads smaller: asserted against the cache's own byte count",
    ]
    headline = Headline(
        "speed-up of a GQA 4:1 decode step over MHA at 8192 tokens (wall time)",
        f"{results[('GQA 4:1', 8192)] * 1e3:.3f} ms",
        f"{results[('MHA', 8192)] * 1e3:.3f} ms",
        speedup,
        2.5,
    )
    write_report(
        "gqa",
        "Grouped-query attention: decode step against MHA and the bandwidth floor",
        headings,
        rows,
        notes,
        headlines=[headline],
    )


if __name__ == "__main__":
    main()

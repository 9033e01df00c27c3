"""Split the suite across machines: shard k of n takes every n-th item of a stable order.

``make spec SHARD=2/3`` runs the second third of the feature files under behave; ``make pytest
SHARD=2/3`` (``pytest --shard 2/3``) the second third of the tests. Each item lands in exactly one
shard, whatever machine computes the split, because the order is the sorted names. The shards'
Allure results are merged by generating one report from all their results folders (README).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

from livingspec.errors import LivingSpecError

T = TypeVar("T")

__all__ = ["ShardError", "feature_files", "parse_shard", "take"]


class ShardError(LivingSpecError):
    """A shard given in a form other than k/n with 1 <= k <= n."""


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/3"`` -> (2, 3); ShardError for anything else."""
    k_text, sep, n_text = text.strip().partition("/")
    if sep and k_text.isdigit() and n_text.isdigit():
        k, n = int(k_text), int(n_text)
        if 1 <= k <= n:
            return k, n
    raise ShardError(f"a shard is k/n with 1 <= k <= n (as in 2/3), got {text!r}")


def take(items: Sequence[T], names: Sequence[str], shard: tuple[int, int]) -> list[T]:
    """The items of shard (k, n): sorted by ``names``, every n-th starting at the k-th."""
    k, n = shard
    order = sorted(range(len(items)), key=lambda i: names[i])
    return [items[i] for position, i in enumerate(order) if position % n == k - 1]


def feature_files(root: Path, shard: tuple[int, int]) -> list[Path]:
    """The feature files under ``root`` in shard (k, n), as paths relative to the working folder."""
    files = sorted(root.rglob("*.feature"))
    return take(files, [path.as_posix() for path in files], shard)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m livingspec.runner.shards k/n [features]``: print the shard's feature files, one a line."""
    import sys

    args = list(sys.argv[1:] if argv is None else argv)
    if not args or len(args) > 2:
        print("usage: python -m livingspec.runner.shards k/n [features-folder]", file=sys.stderr)
        return 2
    try:
        shard = parse_shard(args[0])
    except ShardError as error:
        print(error, file=sys.stderr)
        return 2
    for path in feature_files(Path(args[1] if len(args) > 1 else "features"), shard):
        print(path.as_posix())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The packed form: Parquet's DELTA_BINARY_PACKED encoding, vectorised with numpy.

Layout (Apache Parquet, Encodings.md, "Delta Encoding (DELTA_BINARY_PACKED = 5)"):

    header  := <block size in values> <miniblocks per block> <total value count> <first value>
               all ULEB128; the first value zigzag-encoded
    block   := <min delta> <bit width of each miniblock, one byte each> <miniblocks>
               min delta zigzag ULEB128; each miniblock bit-packs (delta - min delta),
               least significant bit first, padded to its full length
    The last block may need fewer miniblocks; the bit widths of the unneeded ones are still
    present (written as 0) and their bodies are absent.

Deltas use wrapping int64 arithmetic, so every int64 sequence round-trips exactly.

Two paths give the same bytes and values. ``pack`` and ``unpack`` run compiled loops
(``livingspec.delta.kernels``, numba) on series of COMPILED_FROM values or more: one pass each.
``pack_reference`` and ``unpack_reference`` are whole-array numpy: no Python loop per value,
packing grouped by bit width; only the block headers, whose positions chain, are walked one block
at a time. The reference path names every error (the fast path hands bad bytes to it), serves
short series, and serves alone where numba is not installed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from livingspec.delta import kernels
from livingspec.delta.codec import Int64Array, as_int64, delta_decode, delta_encode, unzigzag, zigzag
from livingspec.delta.errors import CorruptDataError, DeltaError, TruncatedDataError, ValueCountError

U64 = npt.NDArray[np.uint64]
U8 = npt.NDArray[np.uint8]

BLOCK_SIZE = 128  # values per block (Parquet's default and pyarrow's)
MINIBLOCKS = 4  # miniblocks per block: 32 values each
# Bounds on untrusted input. Every block takes at least 1 + miniblocks bytes (its min delta and
# its bit widths) even when all its deltas are equal, so one input byte can stand for at most
# MAX_BLOCK_SIZE / 2 values: capping the block size caps the expansion (2,048 values, 16 KiB of
# int64, a byte). Writers use 128 (parquet-mr, Arrow), 256 or 2,048 (DuckDB) values a block.
MAX_BLOCK_SIZE = 1 << 12
# The default cap on the values one call decodes (8 MiB of int64): far above a Parquet page
# (pyarrow writes 20,000 values a page), far below what would exhaust memory. Pass max_values to
# decode more.
DEFAULT_MAX_VALUES = 1 << 20
# From this many values on, pack and unpack take the compiled path (where numba is installed):
# below it the numpy path takes well under a millisecond, and a process that only meets short
# series never loads the loops (about a second of CPU).
COMPILED_FROM = 1 << 12
_ONE = np.uint64(1)


@dataclass(frozen=True)
class Layout:
    """What the packed bytes say about themselves: header fields and, per block, min delta and widths."""

    block_size: int
    miniblocks: int
    count: int
    first: int
    min_deltas: list[int]
    bit_widths: list[list[int]]
    size: int
    header_size: int

    @property
    def values_per_miniblock(self) -> int:
        return self.block_size // self.miniblocks


# ---------------------------------------------------------------- bit and byte helpers


def bit_length(values: U64) -> npt.NDArray[np.int64]:
    """Number of significant bits of each uint64 (0 for 0), without floating point."""
    x = values.astype(np.uint64, copy=True)
    width = np.zeros(x.shape, dtype=np.int64)
    for step in (32, 16, 8, 4, 2, 1):
        big = x >= (np.uint64(1) << np.uint64(step))
        width += big * step
        x = np.where(big, x >> np.uint64(step), x)
    return width + (x > 0)


def uleb128(value: int) -> bytes:
    """ULEB128 varint of a non-negative integer: 7 bits a byte, least significant first."""
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _uleb128_array(values: U64) -> tuple[U8, npt.NDArray[np.int64]]:
    """ULEB128 of many values at once: the concatenated bytes and each value's length."""
    lengths = np.maximum((bit_length(values) + 6) // 7, 1)
    groups = np.arange(10, dtype=np.uint64)
    chunks = ((values[:, None] >> (groups * np.uint64(7))) & np.uint64(0x7F)).astype(np.uint8)
    more = groups[None, :] < (lengths[:, None] - 1).astype(np.uint64)
    chunks |= (more * 0x80).astype(np.uint8)
    keep = groups[None, :] < lengths[:, None].astype(np.uint64)
    return chunks[keep], lengths


def _read_uleb128(data: bytes, pos: int, what: str) -> tuple[int, int]:
    """One ULEB128 value at ``pos``: (value, next position); at most 64 bits."""
    value = 0
    for index in range(10):
        if pos + index >= len(data):
            raise TruncatedDataError(what, pos, index + 1, len(data) - pos)
        byte = data[pos + index]
        value |= (byte & 0x7F) << (7 * index)
        if not byte & 0x80:
            if value >= 1 << 64:
                raise CorruptDataError(f"{what} at byte {pos} does not fit in 64 bits")
            return value, pos + index + 1
    raise CorruptDataError(f"{what} at byte {pos} runs past the 10 bytes a 64-bit ULEB128 can use")


def _unzigzag_int(value: int) -> int:
    return (value >> 1) ^ -(value & 1)


def _lanes(width: int) -> tuple[list[int], list[np.uint64]]:
    """For 64 values of ``width`` bits (exactly ``width`` words): each value's word and bit shift."""
    offsets = [lane * width for lane in range(64)]
    return [o >> 6 for o in offsets], [np.uint64(o & 63) for o in offsets]


CHUNK_MINIBLOCKS = 8192  # miniblocks handled at a time: a few MiB, so the work stays in cache


def pack_bits(values: U64, width: int) -> U8:
    """Bit-pack ``values`` (each < 2**width) LSB first; len(values) * width must be a multiple of 8.

    64 values of ``width`` bits fill exactly ``width`` 64-bit words, so the stream is cut into rows
    of 64 values, turned lane-major, and each of the 64 lanes is shifted into its word for all rows
    at once (every operation on contiguous memory).
    """
    count = values.size
    if width == 0 or count == 0:
        return np.zeros(0, dtype=np.uint8)
    rows = -(-count // 64)
    if count % 64:
        values = np.concatenate((values, np.zeros(rows * 64 - count, dtype=np.uint64)))
    lanes = np.ascontiguousarray(values.reshape(rows, 64).T)  # lane i holds values i, i+64, ...
    words = np.zeros((width + 1, rows), dtype=np.uint64)
    word_of, shift_of = _lanes(width)
    for lane in range(64):
        column = lanes[lane]
        words[word_of[lane]] |= column << shift_of[lane]
        # Bits past bit 63 spill into the next word (two shifts: a shift by 64 is undefined).
        words[word_of[lane] + 1] |= (column >> (np.uint64(63) - shift_of[lane])) >> _ONE
    stream = np.ascontiguousarray(words[:width].T, dtype="<u8")
    return stream.reshape(-1).view(np.uint8)[: count * width // 8]


def unpack_bits(packed: U8, count: int, width: int) -> U64:
    """Inverse of pack_bits: ``count`` values of ``width`` bits from ``packed``."""
    if width == 0 or count == 0:
        return np.zeros(count, dtype=np.uint64)
    rows = -(-count // 64)
    padded = np.zeros(rows * width * 8, dtype=np.uint8)
    padded[: min(packed.size, padded.size)] = packed[: padded.size]
    words = np.zeros((width + 1, rows), dtype=np.uint64)
    words[:width] = padded.view("<u8").reshape(rows, width).T
    lanes = np.empty((64, rows), dtype=np.uint64)
    word_of, shift_of = _lanes(width)
    mask = np.uint64(0xFFFFFFFFFFFFFFFF) if width == 64 else (_ONE << np.uint64(width)) - _ONE
    for lane in range(64):
        low = words[word_of[lane]] >> shift_of[lane]
        high = (words[word_of[lane] + 1] << (np.uint64(63) - shift_of[lane])) << _ONE
        np.bitwise_and(low | high, mask, out=lanes[lane])
    return lanes.T.reshape(-1)[:count]


def _ranges(starts: npt.NDArray[np.int64], length: int) -> npt.NDArray[np.int64]:
    """Flat indices start..start+length for every start, in order."""
    return (starts[:, None] + np.arange(length, dtype=np.int64)[None, :]).ravel()


# ---------------------------------------------------------------- encode


def _header(array: Int64Array, block_size: int, miniblocks: int) -> bytes:
    count = int(array.size)
    first = int(array[0]) if count else 0
    return uleb128(block_size) + uleb128(miniblocks) + uleb128(count) + uleb128((first << 1) ^ (first >> 63))


def pack(values: Any, block_size: int = BLOCK_SIZE, miniblocks: int = MINIBLOCKS) -> bytes:
    """Encode an integer sequence as DELTA_BINARY_PACKED bytes (byte for byte what pyarrow writes).

    The defaults (128 values a block, 4 miniblocks) are the issue's and parquet-mr's; pyarrow
    writes blocks of 256 values in 4 miniblocks, which this encoder also produces when asked.
    Series of COMPILED_FROM values or more take the compiled path where numba is installed.
    """
    array = as_int64(values)
    if array.size >= COMPILED_FROM and kernels.load():
        return pack_compiled(array, block_size, miniblocks)
    return pack_reference(array, block_size, miniblocks)


def pack_compiled(values: Any, block_size: int = BLOCK_SIZE, miniblocks: int = MINIBLOCKS) -> bytes:
    """``pack`` on the compiled path at any length (needs numba: DeltaError without it)."""
    if not kernels.load():
        raise DeltaError("the compiled path needs numba on a little-endian machine")
    _check_layout(block_size, miniblocks)
    array = as_int64(values)
    header = _header(array, block_size, miniblocks)
    if array.size <= 1:
        return header
    blocks = -(-(array.size - 1) // block_size)
    # Worst case per block: a 10-byte min delta, the widths, and 8 bytes a value. np.empty maps
    # pages lazily, so the unused part of the bound costs no memory.
    bound = len(header) + blocks * (10 + miniblocks + 8 * block_size)
    out = np.empty(bound // 8 + 1, dtype=np.uint64)
    head = np.frombuffer(header, dtype=np.uint8)
    end = kernels.encode_blocks(np.ascontiguousarray(array).view(np.uint64), block_size, miniblocks, head, out)
    return out.view(np.uint8)[:end].tobytes()


def pack_reference(values: Any, block_size: int = BLOCK_SIZE, miniblocks: int = MINIBLOCKS) -> bytes:
    """``pack`` in whole-array numpy: the reference the compiled path is tested against."""
    _check_layout(block_size, miniblocks)
    array = as_int64(values)
    count = int(array.size)
    header = _header(array, block_size, miniblocks)
    if count <= 1:
        return header
    deltas = count - 1
    per_mini = block_size // miniblocks
    blocks = -(-deltas // block_size)
    grid = np.empty((blocks, block_size), dtype=np.int64)
    flat = grid.reshape(-1)
    np.subtract(array[1:], array[:-1], out=flat[:deltas])  # wrapping int64 deltas
    flat[deltas:] = np.iinfo(np.int64).max  # padding never lowers a block's minimum
    min_delta = grid.min(axis=1)
    grid -= min_delta[:, None]  # wraps, exact once viewed as uint64
    adjusted = flat.view(np.uint64)
    adjusted[deltas:] = 0  # padding packs as zeros; unneeded miniblocks get width 0
    minis = adjusted.reshape(blocks * miniblocks, per_mini)
    widths = bit_length(np.bitwise_or.reduce(minis, axis=1))  # the OR has the max's bit length
    mini_bytes = widths * per_mini // 8

    min_bytes, min_lengths = _uleb128_array(zigzag(min_delta))
    block_sizes = min_lengths + miniblocks + mini_bytes.reshape(blocks, miniblocks).sum(axis=1)
    block_start = len(header) + np.concatenate(([0], np.cumsum(block_sizes)[:-1]))
    out = np.empty(len(header) + int(block_sizes.sum()), dtype=np.uint8)
    out[: len(header)] = np.frombuffer(header, dtype=np.uint8)

    if (min_lengths == min_lengths[0]).all():  # the common case: every min delta as long
        out[_ranges(block_start, int(min_lengths[0]))] = min_bytes
    else:
        min_start = np.concatenate(([0], np.cumsum(min_lengths)[:-1]))
        within = np.arange(min_bytes.size) - np.repeat(min_start, min_lengths)
        out[np.repeat(block_start, min_lengths) + within] = min_bytes
    width_start = block_start + min_lengths
    out[_ranges(width_start, miniblocks)] = widths.astype(np.uint8)

    body_offsets = np.cumsum(mini_bytes.reshape(blocks, miniblocks), axis=1) - mini_bytes.reshape(blocks, miniblocks)
    mini_start = (width_start[:, None] + miniblocks + body_offsets).ravel()
    for chunk in range(0, widths.size, CHUNK_MINIBLOCKS):
        part = widths[chunk : chunk + CHUNK_MINIBLOCKS]
        for width in np.unique(part[part > 0]):
            chosen = chunk + np.flatnonzero(part == width)
            packed = pack_bits(minis[chosen].reshape(-1), int(width))
            out[_ranges(mini_start[chosen], int(width) * per_mini // 8)] = packed
    return out.tobytes()


# ---------------------------------------------------------------- decode


def _check_layout(block_size: int, miniblocks: int) -> None:
    """Parquet's constraints: blocks of a multiple of 128 values, miniblocks of a multiple of 32."""
    if block_size > MAX_BLOCK_SIZE:
        raise DeltaError(f"block size {block_size} is over {MAX_BLOCK_SIZE} values, the largest this codec accepts")
    if block_size <= 0 or block_size % 128:
        raise DeltaError(f"block size {block_size} is not a multiple of 128 up to {MAX_BLOCK_SIZE}")
    if not 0 < miniblocks <= block_size // 32 or block_size % miniblocks or (block_size // miniblocks) % 32:
        raise DeltaError(f"{miniblocks} miniblocks do not split a block of {block_size} into multiples of 32 values")


def _check_max_values(max_values: int) -> None:
    if not isinstance(max_values, int) or isinstance(max_values, bool) or max_values < 0:
        raise DeltaError(f"max_values must be a non-negative integer, got {max_values!r}")


def _read_header(data: bytes, max_values: int) -> tuple[int, int, int, int, int]:
    """The header's fields, refusing a value count above ``max_values`` or above what the bytes hold.

    Both checks come before anything is walked or allocated, so a hostile header costs O(1).
    """
    _check_max_values(max_values)
    block_size, pos = _read_uleb128(data, 0, "block size")
    miniblocks, pos = _read_uleb128(data, pos, "miniblock count")
    count, pos = _read_uleb128(data, pos, "value count")
    first, pos = _read_uleb128(data, pos, "first value")
    try:
        _check_layout(block_size, miniblocks)
    except DeltaError as error:
        raise CorruptDataError(f"header: {error}") from None
    if count > max_values:
        raise ValueCountError(
            f"header promises {count} values, more than max_values={max_values} (pass a larger max_values to accept it)"
        )
    blocks = -(-(count - 1) // block_size) if count > 1 else 0
    # Each block takes at least one byte of min delta and one per miniblock width.
    if blocks * (1 + miniblocks) > len(data) - pos:
        raise ValueCountError(
            f"header promises {count} values ({blocks} blocks of at least {1 + miniblocks} bytes), "
            f"but only {len(data) - pos} bytes follow it"
        )
    return block_size, miniblocks, count, _unzigzag_int(first), pos


def _walk_blocks(
    data: bytes, pos: int, block_size: int, miniblocks: int, deltas: int
) -> tuple[list[int], npt.NDArray[np.int64], int]:
    """Read each block's header: min deltas (zigzag), where each block's widths start, end position.

    Block headers vary in length, so this is the one loop per block; everything per value is
    vectorised. Widths and bounds are checked after the loop, on whole arrays.
    """
    per_mini = block_size // miniblocks
    mini_bytes = per_mini // 8
    blocks = -(-deltas // block_size)
    mins = [0] * blocks
    starts = [0] * blocks
    index = 0
    try:
        for index in range(blocks):
            byte = data[pos]
            value = byte & 0x7F
            pos += 1
            if byte & 0x80:  # multi-byte ULEB128 (a 1-byte min delta is the common case)
                shift = 7
                while byte & 0x80:
                    if shift > 63:
                        raise CorruptDataError(f"min delta of block {index} runs past 10 bytes")
                    byte = data[pos]
                    value |= (byte & 0x7F) << shift
                    pos += 1
                    shift += 7
            mins[index] = value
            starts[index] = pos
            pos += miniblocks + sum(data[pos : pos + miniblocks]) * mini_bytes
    except IndexError:
        # Ran out of bytes: a bit width over 64 in an earlier block may be the real cause.
        walked = np.array(starts[:index], dtype=np.int64)
        _check_widths(_widths(data, walked[walked + miniblocks <= len(data)], miniblocks))
        raise TruncatedDataError(f"min delta of block {index}", pos, 1, 0) from None
    width_start = np.array(starts, dtype=np.int64)
    if blocks and int(width_start[-1]) + miniblocks > len(data):
        raise TruncatedDataError(
            f"bit widths of block {blocks - 1}", int(width_start[-1]), miniblocks, len(data) - int(width_start[-1])
        )
    if mins and max(mins) >= 1 << 64:
        raise CorruptDataError("a block's min delta does not fit in 64 bits")
    # The last block's unneeded miniblocks have no body, whatever width they claim (readers must
    # accept any value there), so only the needed widths are checked.
    remaining = deltas - (blocks - 1) * block_size
    needed = -(-remaining // per_mini)
    widths = _widths(data, width_start, miniblocks)
    widths[-1, needed:] = 0
    _check_widths(widths)
    end = int(width_start[-1]) + miniblocks + int(widths[-1, :needed].sum()) * mini_bytes
    if end > len(data):
        body_end = width_start + miniblocks + widths.sum(axis=1) * mini_bytes
        first_bad = int(np.argmax(body_end > len(data))) if (body_end[:-1] > len(data)).any() else blocks - 1
        start = int(width_start[first_bad]) + miniblocks
        need = int(widths[first_bad].sum()) if first_bad < blocks - 1 else int(widths[-1, :needed].sum())
        raise TruncatedDataError(
            f"miniblocks of block {first_bad}", start, need * mini_bytes, max(len(data) - start, 0)
        )
    return mins, width_start, end


def _check_widths(widths: npt.NDArray[np.int64]) -> None:
    """CorruptDataError if any block claims a miniblock bit width over 64."""
    bad = np.flatnonzero((widths > 64).any(axis=1))
    if bad.size:
        raise CorruptDataError(f"block {bad[0]} has a miniblock bit width over 64: {widths[bad[0]].tolist()}")


def _widths(data: bytes, width_start: npt.NDArray[np.int64], miniblocks: int) -> npt.NDArray[np.int64]:
    buffer = np.frombuffer(data, dtype=np.uint8)
    return buffer[_ranges(width_start, miniblocks)].astype(np.int64).reshape(-1, miniblocks)


def inspect(data: bytes, max_values: int = DEFAULT_MAX_VALUES) -> Layout:
    """Read the header and block headers of packed bytes (for reports and tests)."""
    data = _as_bytes(data)
    block_size, miniblocks, count, first, pos = _read_header(data, max_values)
    deltas = max(count - 1, 0)
    if not deltas:
        return Layout(block_size, miniblocks, count, first, [], [], pos, pos)
    mins, width_start, end = _walk_blocks(data, pos, block_size, miniblocks, deltas)
    return Layout(
        block_size=block_size,
        miniblocks=miniblocks,
        count=count,
        first=first,
        min_deltas=[_unzigzag_int(m) for m in mins],
        bit_widths=_widths(data, width_start, miniblocks).tolist(),
        size=end,
        header_size=pos,
    )


def _as_bytes(data: Any) -> bytes:
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    raise DeltaError(f"packed data must be bytes, got {type(data).__name__}")


def unpack(data: Any, max_values: int = DEFAULT_MAX_VALUES) -> Int64Array:
    """Decode DELTA_BINARY_PACKED bytes to int64 values; a DeltaError names any problem.

    The output is bounded before anything is allocated: a header promising more than
    ``max_values`` values, or more than its bytes can hold, raises ValueCountError. Bytes after
    the encoded values are ignored, as a Parquet page reader does (it reads on). Series of
    COMPILED_FROM values or more take the compiled path where numba is installed.
    """
    data = _as_bytes(data)
    count = _read_header(data, max_values)[2]
    if count >= COMPILED_FROM and kernels.load():
        return unpack_compiled(data, max_values)
    return unpack_reference(data, max_values)


def unpack_compiled(data: Any, max_values: int = DEFAULT_MAX_VALUES) -> Int64Array:
    """``unpack`` on the compiled path at any length (needs numba: DeltaError without it).

    Bad bytes make the compiled loop stop with a status; the reference path then names the error.
    """
    if not kernels.load():
        raise DeltaError("the compiled path needs numba on a little-endian machine")
    data = _as_bytes(data)
    block_size, miniblocks, count, first, pos = _read_header(data, max_values)
    values = np.empty(count, dtype=np.int64)
    if count:
        values[0] = first
    buffer = np.frombuffer(data, dtype=np.uint8)
    words = np.zeros(len(data) // 8 + 2, dtype=np.uint64)  # the bytes as aligned words, zero-padded
    words.view(np.uint8)[: len(data)] = buffer
    if kernels.decode_blocks(buffer, words, pos, block_size, miniblocks, values.view(np.uint64)) == kernels.OK:
        return values
    del values
    unpack_reference(data, max_values)  # names the problem
    raise CorruptDataError("the packed bytes are damaged (the reference decoder accepted what the fast one refused)")


def unpack_reference(data: Any, max_values: int = DEFAULT_MAX_VALUES) -> Int64Array:
    """``unpack`` in whole-array numpy: the reference that names every error."""
    data = _as_bytes(data)
    block_size, miniblocks, count, first, pos = _read_header(data, max_values)
    if count == 0:
        return np.zeros(0, dtype=np.int64)
    if count == 1:
        return np.array([first], dtype=np.int64)
    deltas = count - 1
    mins, width_start, _ = _walk_blocks(data, pos, block_size, miniblocks, deltas)
    per_mini = block_size // miniblocks
    blocks = len(mins)
    buffer = np.frombuffer(data, dtype=np.uint8)
    widths = _widths(data, width_start, miniblocks)
    bodies = width_start + miniblocks
    mini_index = np.arange(blocks * miniblocks).reshape(blocks, miniblocks)
    needed = (mini_index % miniblocks) * per_mini < (deltas - np.arange(blocks) * block_size)[:, None]
    widths = np.where(needed, widths, 0)
    mini_bytes = widths * per_mini // 8
    mini_start = (np.array(bodies, dtype=np.int64)[:, None] + np.cumsum(mini_bytes, axis=1) - mini_bytes).ravel()
    flat_widths = widths.ravel()
    # values[0] is the first value; the deltas are unpacked straight into values[1:].
    values = np.zeros(1 + blocks * block_size, dtype=np.int64)
    values[0] = first
    adjusted = values[1:].view(np.uint64).reshape(blocks * miniblocks, per_mini)
    for chunk in range(0, flat_widths.size, CHUNK_MINIBLOCKS):
        part = flat_widths[chunk : chunk + CHUNK_MINIBLOCKS]
        for width in np.unique(part[part > 0]):
            chosen = chunk + np.flatnonzero(part == width)
            raw = buffer[_ranges(mini_start[chosen], int(width) * per_mini // 8)]
            adjusted[chosen] = unpack_bits(raw, chosen.size * per_mini, int(width)).reshape(-1, per_mini)
    min_delta = unzigzag(np.array(mins, dtype=np.uint64))
    unpacked = values[1:].reshape(blocks, block_size)
    unpacked += min_delta[:, None]  # wraps, as the encoder's subtraction did
    values = values[:count]
    return np.cumsum(values, out=values)


def pack_delta_of_delta(values: Any) -> bytes:
    """Pack the deltas, so that the packed body holds deltas of deltas (timestamps)."""
    return pack(delta_encode(values))


def unpack_delta_of_delta(data: Any, max_values: int = DEFAULT_MAX_VALUES) -> Int64Array:
    """Inverse of pack_delta_of_delta."""
    return delta_decode(unpack(data, max_values))

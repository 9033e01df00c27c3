"""Compiled loops for DELTA_BINARY_PACKED: one pass to encode, one pass to walk, unpack and sum.

Why compiled: each block's position depends on the bit widths of the block before it, so the
block-header walk is a chain that whole-array numpy cannot vectorise (pointer jumping would cost
O(bytes x log blocks)), and whole-array bit packing makes several passes over memory where one
loop makes one. These loops are the fast path of ``packed.pack`` and ``packed.unpack``; the numpy
path in ``packed`` stays the reference that documents the format and names every error.

Every read is bounds-checked before it happens (numba does not check indices): a kernel given bad
bytes returns a status instead of raising, and the caller asks the reference path for the error.
All arithmetic is on uint64, where overflow wraps by definition, so int64 deltas wrap exactly.
The stream is handled as little-endian uint64 words: writing stores each full word once, and
reading takes any value from two aligned words of a zero-padded copy of the input.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

F = TypeVar("F", bound=Callable[..., Any])

# The loops read and write the stream as native uint64 words, which is the format's byte order
# (least significant first) only on a little-endian machine.
AVAILABLE = importlib.util.find_spec("numba") is not None and sys.byteorder == "little"

OK, TRUNCATED, CORRUPT = 0, 1, 2  # statuses a decode returns

_LOOPS: list[str] = []  # the functions compiled together on first use, in definition order
_loaded = False


def _compiled(function: F) -> F:
    """Mark ``function`` as a loop to compile; it stays plain Python until ``load`` compiles it."""
    _LOOPS.append(function.__name__)
    return function


def load() -> bool:
    """Compile (or load from numba's disk cache) every loop, once per process; False without numba.

    Importing numba and loading the loops costs about a second of CPU, so it happens on the first
    call that needs them, not when the package is imported: a process that never decodes a long
    series never pays it.
    """
    global _loaded
    if not AVAILABLE:
        return False
    if not _loaded:
        import numba

        namespace = globals()
        for name in _LOOPS:  # replaced before any is called: loops find each other compiled
            namespace[name] = numba.njit(cache=True, nogil=True)(namespace[name])
        _loaded = True
    return True


_U64 = np.uint64
_ALL = np.uint64(0xFFFFFFFFFFFFFFFF)
_SIGN = np.uint64(0x8000000000000000)


@_compiled
def _bit_width(x: Any) -> Any:
    width = 0
    while x:
        x >>= _U64(1)
        width += 1
    return width


@_compiled
def _block_deltas(values: Any, start: int, cnt: int, buf: Any) -> Any:
    """Put the block's ``cnt`` wrapping deltas into ``buf``; return their signed minimum (as uint64 bits)."""
    smallest = _ALL  # the minimum in sign-flipped order, where unsigned comparison is signed order
    for t in range(cnt):
        d = values[start + t] - values[start + t - 1]
        buf[t] = d
        smallest = min(smallest, d ^ _SIGN)
    return smallest ^ _SIGN


@_compiled
def _adjust_miniblock(buf: Any, begin: int, end: int, cnt: int, least: Any) -> Any:
    """Subtract ``least`` from ``buf[begin:end]`` (zeros from ``cnt`` on: padding); return the OR of the result."""
    ored = _U64(0)
    for t in range(begin, min(end, cnt)):
        x = buf[t] - least
        buf[t] = x
        ored |= x
    for t in range(max(begin, cnt), end):
        buf[t] = _U64(0)
    return ored


@_compiled
def _put_bits(out: Any, wi: int, acc: Any, nbits: Any, value: Any, width: Any) -> tuple[int, Any, Any]:
    """Append the low ``width`` (1..64) bits of ``value`` to a little-endian bit stream of words.

    State: ``out[:wi]`` are full words, ``acc`` holds ``nbits`` (< 64) pending bits. A full word is
    stored once, aligned; the bits of ``value`` that do not fit start the next word.
    """
    acc |= value << nbits
    nbits += width
    if nbits >= _U64(64):
        out[wi] = acc
        wi += 1
        nbits -= _U64(64)
        acc = (value >> (width - nbits)) if nbits > _U64(0) else _U64(0)
    return wi, acc, nbits


@_compiled
def _pack_miniblock(
    buf: Any, begin: int, end: int, width: Any, out: Any, wi: int, acc: Any, nbits: Any
) -> tuple[int, Any, Any]:
    """Append ``buf[begin:end]``, ``width`` bits each, to the bit stream (``_put_bits`` unrolled here)."""
    for t in range(begin, end):
        value = buf[t]
        acc |= value << nbits
        nbits += width
        if nbits >= _U64(64):
            out[wi] = acc
            wi += 1
            nbits -= _U64(64)
            acc = (value >> (width - nbits)) if nbits > _U64(0) else _U64(0)
    return wi, acc, nbits


@_compiled
def _put_uleb(out: Any, wi: int, acc: Any, nbits: Any, value: Any) -> tuple[int, Any, Any]:
    """Append ``value`` as ULEB128 bytes: 7 bits a byte, least significant first."""
    while value >= _U64(0x80):
        wi, acc, nbits = _put_bits(out, wi, acc, nbits, (value & _U64(0x7F)) | _U64(0x80), _U64(8))
        value >>= _U64(7)
    return _put_bits(out, wi, acc, nbits, value, _U64(8))


@_compiled
def encode_blocks(values: Any, block_size: int, miniblocks: int, header: Any, out: Any) -> int:
    """Write ``header`` and the blocks of ``values`` (uint64 view of int64) as words into ``out``.

    Returns the stream's length in bytes. Per block: wrapping deltas and their signed minimum,
    each miniblock's bit width (of the OR of its adjusted deltas), then the zigzag ULEB128 min
    delta, the widths and the bit-packed miniblocks. Padding packs as zeros; unneeded miniblocks
    of the last block get width 0 and no body.
    """
    n = values.shape[0]
    per_mini = block_size // miniblocks
    buf = np.zeros(block_size, dtype=np.uint64)
    widths = np.zeros(miniblocks, dtype=np.uint64)
    wi, acc, nbits = 0, _U64(0), _U64(0)
    for byte in header:
        wi, acc, nbits = _put_bits(out, wi, acc, nbits, _U64(byte), _U64(8))
    for start in range(1, n, block_size):
        cnt = min(block_size, n - start)
        least = _block_deltas(values, start, cnt, buf)
        needed = (cnt + per_mini - 1) // per_mini
        for j in range(miniblocks):
            ored = _adjust_miniblock(buf, j * per_mini, (j + 1) * per_mini, cnt, least) if j < needed else _U64(0)
            widths[j] = _bit_width(ored)
        wi, acc, nbits = _put_uleb(out, wi, acc, nbits, (least << _U64(1)) ^ (_U64(0) - (least >> _U64(63))))
        for j in range(miniblocks):
            wi, acc, nbits = _put_bits(out, wi, acc, nbits, widths[j], _U64(8))
        for j in range(needed):
            if widths[j]:
                wi, acc, nbits = _pack_miniblock(buf, j * per_mini, (j + 1) * per_mini, widths[j], out, wi, acc, nbits)
    if nbits:
        out[wi] = acc
    return 8 * wi + int(nbits) // 8


@_compiled
def _read_uleb(data: Any, pos: int) -> tuple[int, Any, int]:
    """(status, value, next position) of one ULEB128 of at most 64 bits at ``pos``."""
    n = data.shape[0]
    value = _U64(0)
    shift = 0
    while True:
        if pos >= n:
            return TRUNCATED, value, pos
        byte = _U64(data[pos])
        pos += 1
        if shift == 63 and (byte & _U64(0x7F)) > _U64(1):
            return CORRUPT, value, pos
        value |= (byte & _U64(0x7F)) << _U64(shift)
        if not byte & _U64(0x80):
            return OK, value, pos
        shift += 7
        if shift > 63:
            return CORRUPT, value, pos


@_compiled
def _unpack_miniblock(words: Any, bit: int, width: int, least: Any, out: Any, i: int, take: int) -> Any:
    """Add ``take`` deltas of ``width`` bits from bit ``bit`` of ``words`` (plus ``least``) to the running sum.

    Value t sits at bit ``bit + t * width``: two aligned word loads and shifts, no state carried
    from one value to the next. ``words`` is the input padded with two zero words.
    """
    running = out[i - 1]
    if width == 0:  # every delta is the block's minimum (a regular series)
        for index in range(i, i + take):
            running += least
            out[index] = running
        return running
    mask = _ALL if width == 64 else (_U64(1) << _U64(width)) - _U64(1)
    for index in range(i, i + take):
        k = bit >> 6
        s = _U64(bit & 63)
        low = words[k] >> s
        high = (words[k + 1] << (_U64(63) - s)) << _U64(1)  # two shifts: a shift by 64 is undefined
        running += ((low | high) & mask) + least
        out[index] = running
        bit += width
    return running


@_compiled
def decode_blocks(data: Any, words: Any, pos: int, block_size: int, miniblocks: int, out: Any) -> int:
    """Walk the blocks, unpack each needed miniblock and add the deltas up into ``out`` (uint64 view).

    ``data`` is the input as bytes (uint8), ``words`` the same bytes as uint64 words padded with two
    zero words. ``out[0]`` holds the first value and ``out.size`` is the header's value count.
    Returns OK, or TRUNCATED / CORRUPT at the first problem (the reference decoder then names it).
    Every read is checked against the end of ``data`` first.
    """
    n = data.shape[0]
    per_mini = block_size // miniblocks
    total = out.shape[0]
    i = 1
    while i < total:
        status, zz, pos = _read_uleb(data, pos)
        if status != OK:
            return status
        least = (zz >> _U64(1)) ^ (_U64(0) - (zz & _U64(1)))
        if pos + miniblocks > n:
            return TRUNCATED
        wpos = pos
        pos += miniblocks
        needed = (min(total - i, block_size) + per_mini - 1) // per_mini
        for j in range(needed):
            width = int(data[wpos + j])
            if width > 64:
                return CORRUPT
            body = per_mini * width // 8
            if pos + body > n:
                return TRUNCATED
            take = min(per_mini, total - i)
            _unpack_miniblock(words, 8 * pos, width, least, out, i, take)
            i += take
            pos += body
    return OK
